// The owner's credential, ADMIN_TOKEN, compared in constant time: the dashboard's sign-in and the
// API's bearer check (src/api/auth.ts) both use sameSecret. It hashes both sides with SHA-256 and
// compares the digests with crypto.subtle.timingSafeEqual, so neither the token's content nor its
// length leaks through timing.
// Wrong bearers (the admin token or an API key) are throttled like the dashboard's sign-in:
// throttleBearerFailures, at most SIGN_IN_LIMIT failures a minute per client, then 429.
import type { Db } from '../db/client';
import { clientKey } from '../http/client';
import { giveBackSignInAttempt, takeSignInAttempt } from './throttle';

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
