// Finding subscribers on the dashboard: by address prefix (case-insensitive), by status, a page at a time.
//
// Addresses are stored normalised (lower-case), so a lower-cased prefix is a range on the unique
// email index: `email >= q AND email < q || U+10FFFF` (SQLite compares text as UTF-8 bytes, and no
// character sorts after U+10FFFF). With a prefix the list is in address order; without one it is
// newest first (by id, on the primary key or the (status, id) index). Either way a page reads its
// own rows and one more, whatever the list size. The cursor is opaque: base64url of `i:<id>` or
// `e:<email>`, and only cursors this code could have made are accepted.
import { fromBase64Url, toBase64Url } from '../crypto/base64url';
import { and, desc, eq, gt, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { SUBSCRIBER_STATUSES, type SubscriberStatus, subscribers } from '../db/schema';
import { parseStatus } from '../subscribers/listing';

export const SEARCH_PAGE = 50;
const MAX_QUERY = 254;
const LAST_CHARACTER = '\u{10FFFF}';

type Cursor = { by: 'id'; id: number } | { by: 'email'; email: string };

export interface SearchQuery {
  /** Lower-cased, trimmed; '' means no prefix. */
  q: string;
  status: SubscriberStatus | null;
  cursor: Cursor | null;
}

export interface SubscriberRow {
  id: number;
  email: string;
  name: string | null;
  status: SubscriberStatus;
  createdAt: number;
  confirmedAt: number | null;
}

export type SearchProblem = { ok: false; code: string; message: string };

export function parseSearch(raw: { q?: string; status?: string; cursor?: string }): ({ ok: true } & SearchQuery) | SearchProblem {
  const q = (raw.q ?? '').trim().toLowerCase();
  if (q.length > MAX_QUERY) return { ok: false, code: 'invalid_query', message: `The search is longer than ${MAX_QUERY} characters, the longest an address can be.` };
  const status = parseStatus(raw.status);
  if (status === false) return { ok: false, code: 'invalid_status', message: `status must be one of ${SUBSCRIBER_STATUSES.join(', ')} (or empty for all).` };
  let cursor: Cursor | null = null;
  if (raw.cursor) {
    cursor = decodeCursor(raw.cursor);
    if (!cursor || (cursor.by === 'email') !== (q !== '')) {
      return { ok: false, code: 'invalid_cursor', message: 'This page link is not one the dashboard made: go back to the first page.' };
    }
  }
  return { ok: true, q, status, cursor };
}

function base64url(text: string): string {
  return toBase64Url(new TextEncoder().encode(text));
}

export function encodeCursor(cursor: Cursor): string {
  return base64url(cursor.by === 'id' ? `i:${cursor.id}` : `e:${cursor.email}`);
}

export function decodeCursor(text: string): Cursor | null {
  if (text.length > 400 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let decoded: string;
  try {
    const bytes = fromBase64Url(text);
    if (!bytes) return null;
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
  let cursor: Cursor | null = null;
  const id = /^i:([0-9]{1,15})$/.exec(decoded);
  if (id) cursor = { by: 'id', id: Number(id[1]) };
  else if (decoded.startsWith('e:') && decoded.length > 2) cursor = { by: 'email', email: decoded.slice(2) };
  return cursor && encodeCursor(cursor) === text ? cursor : null; // one spelling per cursor
}

/**
 * The page's statement (exported so a test can ask SQLite for its plan). With a prefix, the status
 * test is written `+status = ?`: the unary plus keeps SQLite from choosing the (status, id) index,
 * which would read every reader of that status and sort them, over the email range.
 */
export function searchStatement(db: Db, query: SearchQuery, limit = SEARCH_PAGE) {
  const { id, email, name, status, createdAt, confirmedAt } = subscribers;
  const select = db.select({ id, email, name, status, createdAt, confirmedAt }).from(subscribers);
  if (query.q) {
    const after = query.cursor?.by === 'email' ? gt(email, query.cursor.email) : gte(email, query.q);
    const ofStatus = query.status ? sql`+${status} = ${query.status}` : undefined;
    return select.where(and(after, lt(email, query.q + LAST_CHARACTER), ofStatus)).orderBy(email).limit(limit + 1);
  }
  const before = query.cursor?.by === 'id' ? lt(id, query.cursor.id) : undefined;
  return select.where(and(before, query.status ? eq(status, query.status) : undefined)).orderBy(desc(id)).limit(limit + 1);
}

export async function searchSubscribers(db: Db, query: SearchQuery, limit = SEARCH_PAGE): Promise<{ rows: SubscriberRow[]; nextCursor: string | null }> {
  const rows: SubscriberRow[] = await searchStatement(db, query, limit);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit ? encodeCursor(query.q ? { by: 'email', email: last.email } : { by: 'id', id: last.id }) : null;
  return { rows: page, nextCursor };
}
