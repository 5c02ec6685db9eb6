// Reading a form or JSON body into plain fields, with a clear 4xx for anything else.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from './types';

export type Fields = Record<string, unknown>;
export type BodyProblem = { status: ContentfulStatusCode; code: string; message: string };

export async function readFields(c: Context<AppEnv>): Promise<{ ok: true; fields: Fields; json: boolean } | ({ ok: false } & BodyProblem)> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return { ok: false, status: 400, code: 'invalid_json', message: 'The body is not valid JSON. Send an object like {"email": "you@example.com"}.' };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { ok: false, status: 400, code: 'invalid_json', message: 'The JSON body must be an object like {"email": "you@example.com"}.' };
    }
    return { ok: true, fields: body as Fields, json: true };
  }
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    try {
      return { ok: true, fields: (await c.req.parseBody()) as Fields, json: false };
    } catch {
      return { ok: false, status: 400, code: 'invalid_form', message: 'The form data could not be read.' };
    }
  }
  return {
    ok: false,
    status: 415,
    code: 'unsupported_media_type',
    message: 'Send the form as application/x-www-form-urlencoded (or multipart/form-data), or JSON as application/json.',
  };
}
