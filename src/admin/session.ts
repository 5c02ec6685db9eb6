// The dashboard's session and CSRF tokens: plain functions over Web Crypto, no storage.
//
// Why it holds:
//  - The session cookie is `v1.<sid>.<issued>.<expires>.<mac>`, the MAC an HMAC-SHA256 of the rest
//    under a key derived (HKDF) from ADMIN_TOKEN. Nobody without the token can make one; changing
//    ADMIN_TOKEN changes the key, so every session made before it stops verifying at once.
//  - The expiry is inside the signed part, so a cookie kept past its Max-Age is refused all the same.
//  - CSRF: each form carries HMAC(key, "csrf." + sid). A page on another site can neither read it
//    (same-origin policy) nor compute it (no key); SameSite=Strict and the Origin check in
//    src/http/middleware.ts are the other two layers. The sign-in form, before any session exists,
//    binds its token to a random nonce in a short-lived cookie instead (login CSRF).
//  - Verifying uses crypto.subtle.verify and digest comparisons, so timing tells nothing.
//  - The MAC must be the canonical spelling of its 32 bytes (src/crypto/base64url.ts), so no second
//    spelling of one cookie verifies.
//  - A cookie that verifies still needs its session on record on the server (sessions.ts): signing
//    out revokes it there, so a copy taken earlier stops working at once; so does changing ADMIN_TOKEN.
import { fromCanonicalMac, toBase64Url } from '../crypto/base64url';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const LOGIN_NONCE_TTL_MS = 60 * 60 * 1000;
/** Cookies that are Secure outside local dev carry the `__Host-` prefix (Path=/, no Domain). */
export const SESSION_COOKIE = 'admin_session';
export const LOGIN_COOKIE = 'admin_login';

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/** The HMAC key for sessions and CSRF tokens, derived from ADMIN_TOKEN (memoised per token). */
export function sessionKey(adminToken: string): Promise<CryptoKey> {
  let key = keys.get(adminToken);
  if (!key) {
    key = (async () => {
      const material = await crypto.subtle.importKey('raw', encoder.encode(adminToken), 'HKDF', false, ['deriveKey']);
      return crypto.subtle.deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode('newsletter admin dashboard'), info: encoder.encode('session v1') },
        material,
        { name: 'HMAC', hash: 'SHA-256', length: 256 },
        false,
        ['sign', 'verify'],
      );
    })();
    if (keys.size > 8) keys.clear(); // a token rotated many times in one isolate: keep only recent ones
    keys.set(adminToken, key);
  }
  return key;
}

async function mac(key: CryptoKey, data: string): Promise<string> {
  return toBase64Url(await crypto.subtle.sign('HMAC', key, encoder.encode(data)));
}

export function randomId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

export interface Session {
  sid: string;
  issuedAt: number;
  expiresAt: number;
}

export async function makeSession(key: CryptoKey, now = Date.now()): Promise<{ cookie: string; session: Session }> {
  const session = { sid: randomId(), issuedAt: Math.floor(now / 1000) * 1000, expiresAt: Math.floor((now + SESSION_TTL_MS) / 1000) * 1000 };
  const body = `v1.${session.sid}.${session.issuedAt / 1000}.${session.expiresAt / 1000}`;
  return { cookie: `${body}.${await mac(key, body)}`, session };
}

export type SessionProblem = 'missing' | 'malformed' | 'forged' | 'expired';

const COOKIE_SHAPE = /^v1\.([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;

export async function readSession(key: CryptoKey, cookie: string | undefined, now = Date.now()): Promise<{ ok: true; session: Session } | { ok: false; problem: SessionProblem }> {
  if (!cookie) return { ok: false, problem: 'missing' };
  const match = COOKIE_SHAPE.exec(cookie);
  if (!match) return { ok: false, problem: 'malformed' };
  const [, sid, issued, expires, signature] = match;
  const body = cookie.slice(0, cookie.lastIndexOf('.'));
  const bytes = fromCanonicalMac(signature);
  if (!bytes || !(await crypto.subtle.verify('HMAC', key, bytes, encoder.encode(body)))) return { ok: false, problem: 'forged' };
  const session = { sid, issuedAt: Number(issued) * 1000, expiresAt: Number(expires) * 1000 };
  // Signed by us, so the dates are ours; still refuse any lifetime longer than the rule allows.
  if (now >= session.expiresAt || session.expiresAt - session.issuedAt > SESSION_TTL_MS) return { ok: false, problem: 'expired' };
  return { ok: true, session };
}

/** The CSRF token for the forms of one session (or, with `login.`, of one sign-in form). */
export function csrfToken(key: CryptoKey, binding: string): Promise<string> {
  return mac(key, `csrf.${binding}`);
}

/** Constant-time: both sides are hashed before they are compared. */
export async function csrfMatches(key: CryptoKey, binding: string, presented: unknown): Promise<boolean> {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 200) return false;
  const expected = await csrfToken(key, binding);
  const [a, b] = await Promise.all([crypto.subtle.digest('SHA-256', encoder.encode(presented)), crypto.subtle.digest('SHA-256', encoder.encode(expected))]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** The sign-in form's nonce cookie: random, only its shape is checked (the CSRF token binds to it). */
export function isLoginNonce(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9_-]{22}$/.test(value);
}
