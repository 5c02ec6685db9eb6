// Signed, purpose-bound tokens for the links in emails (HMAC-SHA256 with TOKEN_SECRET).
//   confirm:       c.<subscriberId>.<issuedAtSeconds>.<signature>   expires after 7 days
//   unsubscribe:   u.<subscriberId>.<signature>                     never expires, and is the same
//                                                                   every time (a retried batch is identical)
//   preferences:   p.<subscriberId>[.<generation>].<signature>      the reader's own page; never expires, but
//                                                                   only the reader's current generation works
//                                                                   (bumped by every move; 0 is written without it)
//   email_change:  e.<subscriberId>.<issuedAtSeconds>.<signature>   confirms a new address; 7 days
//   link:          l.<linkId>.<issuedAtSeconds>.<signature>         a one-time emailed link (reader_links); at
//                                                                   most 7 days, each action its own lifetime
// The purpose letter is signed too, so a token for one purpose never works for another.
// Verification goes through crypto.subtle.verify, which compares in constant time. It accepts the
// current secret and any previous ones (TOKEN_SECRET_PREVIOUS), so rotating the key never breaks the
// links in emails already sent.

import { fromCanonicalMac, toBase64Url } from '../crypto/base64url';

export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences' | 'email_change' | 'link';
export const CONFIRM_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * `subscriberId` is the id the token names: the reader's, or for a `link` token the link's.
 * `generation`: only for preferences tokens.
 */
export type VerifiedToken =
  | { ok: true; subscriberId: number; issuedAt: number | null; generation?: number }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'purpose' };

const PREFIX: Record<TokenPurpose, string> = { confirm: 'c', unsubscribe: 'u', preferences: 'p', email_change: 'e', link: 'l' };
/** Purposes whose token carries the time it was issued, and expires CONFIRM_TOKEN_TTL_MS later. */
const EXPIRES: Record<TokenPurpose, boolean> = { confirm: true, unsubscribe: false, preferences: false, email_change: true, link: true };
const PREFIXES = new Set(Object.values(PREFIX));
const MAX_TOKEN_LENGTH = 200;
const keys = new Map<string, Promise<CryptoKey>>();

export async function signConfirmToken(secret: string, subscriberId: number, now: number): Promise<string> {
  return signToken(secret, 'confirm', subscriberId, now);
}

export async function signUnsubscribeToken(secret: string, subscriberId: number): Promise<string> {
  return signToken(secret, 'unsubscribe', subscriberId);
}

/** Generation 0 (a reader who never moved) is written as before generations existed: those links keep working. */
export async function signPreferencesToken(secret: string, subscriberId: number, generation = 0): Promise<string> {
  const body = generation === 0 ? `p.${subscriberId}` : `p.${subscriberId}.${generation}`;
  return `${body}.${await sign(secret, body)}`;
}

/**
 * A reader's two never-expiring links (both the same every time for one generation, so a retried batch
 * is identical). The unsubscribe link names the subscription, not the address: it keeps working
 * after a move, as one in any email ever sent must.
 */
export async function readerTokens(secret: string, subscriberId: number, generation = 0): Promise<{ unsubscribe: string; preferences: string }> {
  const [unsubscribe, preferences] = await Promise.all([signUnsubscribeToken(secret, subscriberId), signPreferencesToken(secret, subscriberId, generation)]);
  return { unsubscribe, preferences };
}

/** A one-time emailed link (reader_links row `linkId`), issued at `now`. */
export async function signLinkToken(secret: string, linkId: number, now: number): Promise<string> {
  return signToken(secret, 'link', linkId, now);
}

/** `now`: when the change was asked for (email_change_sent_at), which the link must match to work. */
export async function signEmailChangeToken(secret: string, subscriberId: number, now: number): Promise<string> {
  return signToken(secret, 'email_change', subscriberId, now);
}

async function signToken(secret: string, purpose: TokenPurpose, subscriberId: number, now?: number): Promise<string> {
  const body = EXPIRES[purpose] ? `${PREFIX[purpose]}.${subscriberId}.${Math.floor(now! / 1000)}` : `${PREFIX[purpose]}.${subscriberId}`;
  return `${body}.${await sign(secret, body)}`;
}

export async function verifyToken(secrets: string | readonly string[], purpose: TokenPurpose, token: unknown, now: number): Promise<VerifiedToken> {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  const expected = EXPIRES[purpose] || (purpose === 'preferences' && parts.length === 4) ? 4 : 3;
  if (parts[0] !== PREFIX[purpose]) {
    return { ok: false, reason: PREFIXES.has(parts[0]) ? 'purpose' : 'malformed' };
  }
  if (parts.length !== expected || !parts.slice(1, -1).every((p) => /^[0-9]{1,15}$/.test(p))) return { ok: false, reason: 'malformed' };
  const signature = fromCanonicalMac(parts[parts.length - 1]);
  if (!signature) return { ok: false, reason: 'malformed' };
  const body = parts.slice(0, -1).join('.');
  let valid = false;
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    if (await crypto.subtle.verify('HMAC', await key(secret), signature, new TextEncoder().encode(body))) valid = true;
  }
  if (!valid) return { ok: false, reason: 'signature' };
  const subscriberId = Number(parts[1]);
  if (purpose === 'preferences') return { ok: true, subscriberId, issuedAt: null, generation: parts.length === 4 ? Number(parts[2]) : 0 };
  if (!EXPIRES[purpose]) return { ok: true, subscriberId, issuedAt: null };
  const issuedAt = Number(parts[2]) * 1000;
  if (now - issuedAt > CONFIRM_TOKEN_TTL_MS || issuedAt - now > 60_000) return { ok: false, reason: 'expired' };
  return { ok: true, subscriberId, issuedAt };
}

async function sign(secret: string, body: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await key(secret), new TextEncoder().encode(body));
  return toBase64Url(new Uint8Array(mac));
}

function key(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    k = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secret, k);
  }
  return k;
}
