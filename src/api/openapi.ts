// The API's routes are declared with @hono/zod-openapi: each route's params, query, body, answers
// and the one scope it needs are stated once, in its `apiRoute(...)`. From that one declaration come
// the validation (before the handler runs), the handler's types, the scope check, and its part of
// GET /api/openapi.json. Nothing else lists routes.
//
// Adding a route (one module per capability: src/admin/subscribers.ts, src/admin/issues.ts,
// src/keys/routes.ts, src/webhooks/out/routes.ts…):
//   const route = apiRoute({ method: 'get', path: '/api/things/{id}', scope: 'things:read',
//     summary: '…', request: { params: z.object({ id: … }) },
//     responses: { 200: json(Thing, 'The thing'), 404: error('No such thing') } });
//   things.openapi(route, async (c) => c.json(…, 200));
// then mount the module in src/api/routes.ts. Path parameters are written {id}, not :id. An old-style
// handler can move as it is: `things.openapi(route, asIs(async (c) => …))`. Errors every
// route can answer (400 invalid input, 401, 403 insufficient_scope, 413, 429, 500) are added here.
import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';
import { requireScope } from './auth';
import type { Scope } from './scopes';
import { ErrorBody } from './schemas';

type Issue = { path: readonly PropertyKey[]; message: string; params?: Record<string, unknown> };

/**
 * A request that fails its schema: 400 in the contract's shape, `{"error": {"code", "message"}}`.
 * The code is the failing field's own (`invalid_email`, `invalid_cursor`… from the service's checks),
 * else `invalid_<field>`; a body that is not the declared object at all is `invalid_json`.
 */
export function validationFailed(c: Context<AppEnv>, target: string, issues: readonly Issue[]): Response {
  const issue = issues[0];
  const field = issue?.path.find((p): p is string => typeof p === 'string');
  const code = typeof issue?.params?.code === 'string' ? issue.params.code : field ? `invalid_${field.toLowerCase().replace(/[^a-z0-9]+/g, '_')}` : target === 'json' ? 'invalid_json' : `invalid_${target}`;
  const where = target === 'json' || target === 'form' ? (field ? `"${field}": ` : 'The body: ') : field ? `${field}: ` : '';
  const message = issue ? `${where}${issue.message}` : 'The request does not match what this route takes (GET /api/openapi.json describes it).';
  return fail(c, 400, code, message.length > 500 ? `${message.slice(0, 500)}…` : message);
}

export function createApiRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return validationFailed(c as Context<AppEnv>, result.target, result.error.issues as Issue[]);
    },
  });
}

export type ApiRouter = ReturnType<typeof createApiRouter>;

/** A JSON answer. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** An error answer; `codes` lists the `error.code`s a client may branch on. */
export function error(description: string, codes: string[] = []) {
  return { description: codes.length ? `${description} (\`error.code\`: ${codes.map((c) => `\`${c}\``).join(', ')})` : description, content: { 'application/json': { schema: ErrorBody } } };
}

const COMMON_ERRORS = {
  401: error('No bearer token, or not the admin token or a current API key', ['unauthorized']),
  403: error('The key lacks the scope this route needs', ['insufficient_scope']),
  429: error('Too many failed bearer tokens from this client', ['rate_limited']),
  500: error('A fault on our side, or a missing secret', ['internal_error', 'not_configured']),
} as const;

const INPUT_ERRORS = {
  400: error('The request does not match the schema; the code names the field', ['invalid_json', 'invalid_<field>']),
  413: error('The body is too large', ['payload_too_large']),
  415: error('The body is not of a declared content type', ['unsupported_media_type']),
} as const;

type ApiRouteInput = Omit<RouteConfig, 'security' | 'middleware'> & { scope: Scope };

/**
 * One route's whole declaration: what createRoute takes, plus the scope it needs (declared in the spec
 * as the bearer scheme's scope, and enforced before validation, so a caller without it learns nothing
 * about the input rules).
 */
export function apiRoute<const R extends ApiRouteInput>(config: R) {
  const { scope, ...route } = config;
  const takesInput = Boolean(route.request);
  const declared = {
    ...route,
    security: [{ bearer: [scope] }],
    middleware: [requireScope(scope)],
    responses: { ...(takesInput ? INPUT_ERRORS : {}), ...COMMON_ERRORS, ...route.responses },
  };
  // The handler's types come from R's own responses; the common errors are answered through `fail`.
  return createRoute(declared as unknown as RouteConfig) as unknown as Omit<R, 'scope' | 'responses'> & {
    responses: R['responses'] & typeof COMMON_ERRORS & typeof INPUT_ERRORS;
    getRoutingPath(): string;
  };
}

/**
 * An error answer from a handler, typed against the route's declared answers (the API always answers
 * JSON, so this is `fail` without the HTML branch).
 */
export function problem<S extends ContentfulStatusCode>(c: Context, status: S, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}

/**
 * A handler converted as it was (answering through `fail` and untyped `c.json`): the route keeps its
 * declared schemas, scope and place in the spec, only the handler's answers are not type-checked
 * against them (tests/api-conformance.test.ts still checks the real answers). The quick way to move
 * an old-style route: wrap its handler in asIs, declare its apiRoute, then tighten at leisure.
 */
export function asIs(handler: (c: Context<AppEnv>) => Response | Promise<Response>): never {
  return handler as never;
}

export { z };
