// The admin API's one credential: `Authorization: Bearer {ADMIN_TOKEN}`, and nothing else.
// No token configured: every call is refused. A token in the query string is never looked at.
// The comparison hashes both sides with SHA-256 and compares the digests with
// crypto.subtle.timingSafeEqual, so neither the token's content nor its length leaks through timing.
// (hono/bearer-auth compares in constant time too, but answers malformed headers with 400 and its
// errors bypass the contract's error shape; this is the same check in a dozen lines.)
import type { MiddlewareHandler } from 'hono';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const MAX_HEADER = 4096;

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const expected = c.get('config').adminToken;
  const header = c.req.header('authorization') ?? '';
  const presented = header.length <= MAX_HEADER ? BEARER.exec(header)?.[1] : undefined;
  if (!expected || !presented || !(await sameSecret(presented, expected))) {
    c.header('WWW-Authenticate', 'Bearer realm="admin"');
    const message = expected
      ? 'Send the admin token as "Authorization: Bearer <ADMIN_TOKEN>".'
      : 'The admin API is off: no ADMIN_TOKEN is configured (run `npx wrangler secret put ADMIN_TOKEN`, or set it in .dev.vars).';
    return fail(c, 401, 'unauthorized', message, 'Not signed in');
  }
  await next();
};

/** Constant-time equality of two strings of any length (compares their SHA-256 digests). */
export async function sameSecret(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [da, db] = await Promise.all([crypto.subtle.digest('SHA-256', encoder.encode(a)), crypto.subtle.digest('SHA-256', encoder.encode(b))]);
  return crypto.subtle.timingSafeEqual(da, db);
}
