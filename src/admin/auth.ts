// The admin API's one credential: `Authorization: Bearer {ADMIN_TOKEN}`, and nothing else.
// No token configured: every call is refused. A token in the query string is never looked at.
// Wrong bearers are throttled like the dashboard's sign-in (throttleBearerFailures): at most
// SIGN_IN_LIMIT a minute per client, then 429 before any token is checked.
// The comparison hashes both sides with SHA-256 and compares the digests with
// crypto.subtle.timingSafeEqual, so neither the token's content nor its length leaks through timing.
// (hono/bearer-auth compares in constant time too, but answers malformed headers with 400 and its
// errors bypass the contract's error shape; this is the same check in a dozen lines.)
import type { MiddlewareHandler } from 'hono';
import type { Db } from '../db/client';
import { clientKey } from '../http/client';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';
import { giveBackSignInAttempt, SIGN_IN_WINDOW_MS, takeSignInAttempt } from './throttle';

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const MAX_HEADER = 4096;

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const expected = c.get('config').adminToken;
  const header = c.req.header('authorization') ?? '';
  const presented = header.length <= MAX_HEADER ? BEARER.exec(header)?.[1] : undefined;
  // A header that is there at all is a guess, and counts; no header (or no token configured) guesses nothing.
  const verdict =
    expected && header ? await throttleBearerFailures(c.get('db'), c.req.header('cf-connecting-ip'), async () => presented !== undefined && (await sameSecret(presented, expected))) : 'wrong';
  if (verdict === 'limited') {
    c.header('Retry-After', String(SIGN_IN_WINDOW_MS / 1000));
    return fail(c, 429, 'rate_limited', 'Too many wrong tokens from your network: wait a minute, then try again with the right one.', 'Slow down');
  }
  if (verdict === 'wrong') {
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

/**
 * The sign-in's throttle (throttle.ts) for any bearer credential: an attempt is taken before `check`
 * runs (so parallel guesses count too) and given back when it passes, so only failures count, under
 * their own key per client. `limited`: the client used up its attempts, and `check` did not run.
 */
export async function throttleBearerFailures(db: Db, ip: string | undefined, check: () => Promise<boolean>): Promise<'ok' | 'wrong' | 'limited'> {
  const attempt = await takeSignInAttempt(db, `bearer:${clientKey(ip)}`);
  if (attempt === null) return 'limited';
  if (!(await check())) return 'wrong';
  await giveBackSignInAttempt(db, attempt);
  return 'ok';
}
