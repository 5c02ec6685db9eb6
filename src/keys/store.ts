// API keys: each a random secret shown once, stored only as its SHA-256 (a key is 256 random bits,
// so a plain hash is enough: nothing to brute-force, and a lookup by hash is one indexed read).
// A key holds scopes (src/api/scopes.ts); deleting it makes it fail at once (401).
import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { apiKeys } from '../db/schema';
import { isScope, type Scope } from '../api/scopes';

/** Keys start with this, so a leaked one is recognisable (secret scanners, logs). */
export const KEY_PREFIX = 'nlk_';
/** lastUsedAt is written at most this often per key: a busy script does not write on every call. */
const LAST_USED_EVERY_MS = 60_000;

export interface KeyView {
  id: string;
  name: string;
  scopes: Scope[];
  /** The key's first characters, to tell keys apart; never enough to use it. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function parseScopes(text: string): Scope[] {
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) ? list.filter(isScope) : [];
  } catch {
    return [];
  }
}

function view(row: typeof apiKeys.$inferSelect): KeyView {
  return {
    id: row.id,
    name: row.name,
    scopes: parseScopes(row.scopes),
    prefix: row.prefix,
    createdAt: new Date(row.createdAt).toISOString(),
    lastUsedAt: row.lastUsedAt === null ? null : new Date(row.lastUsedAt).toISOString(),
  };
}

/** A new key: the secret is in the answer and nowhere else. */
export async function createKey(db: Db, name: string, scopes: Scope[], now = Date.now()): Promise<KeyView & { key: string }> {
  const key = KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
  const id = `key_${base64url(crypto.getRandomValues(new Uint8Array(9)))}`;
  const unique = [...new Set(scopes)];
  const row = { id, name, scopes: JSON.stringify(unique), keyHash: await hashKey(key), prefix: key.slice(0, KEY_PREFIX.length + 6), createdAt: now, lastUsedAt: null };
  await db.insert(apiKeys).values(row);
  return { ...view(row), key };
}

export async function listKeys(db: Db): Promise<KeyView[]> {
  return (await db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))).map(view);
}

/** true when a key was deleted; from then on it answers 401. */
export async function deleteKey(db: Db, id: string): Promise<boolean> {
  const rows = await db.delete(apiKeys).where(eq(apiKeys.id, id)).returning({ id: apiKeys.id });
  return rows.length > 0;
}

/** The key a bearer token names, with the write of its lastUsedAt (run it without delaying the answer). */
export async function findKey(db: Db, presented: string, now = Date.now()): Promise<{ id: string; scopes: Scope[]; touch: () => Promise<unknown> } | null> {
  if (!presented.startsWith(KEY_PREFIX) || presented.length > 200) return null;
  const row = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, await hashKey(presented))).get();
  if (!row) return null;
  const touch = () =>
    db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(sql`${apiKeys.id} = ${row.id} AND coalesce(${apiKeys.lastUsedAt}, 0) < ${now - LAST_USED_EVERY_MS}`);
  return { id: row.id, scopes: parseScopes(row.scopes), touch };
}
