// Reading the list for the operator: a page at a time (keyset paging by id), or all of it as CSV.
//
// The cursor is opaque to clients: base64url of `v1:<last id>`. Paging by id (not offset) is stable
// while the list changes: a row added or removed between pages neither repeats nor hides another.
// Only cursors this code could have made are accepted; anything else is a 400 (the API's Cursor
// schema, src/api/schemas.ts, applies decodeCursor; the page limits are checked there too).
import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { SUBSCRIBER_STATUSES, type SubscriberStatus, subscribers } from '../db/schema';
import { csvHeader, csvLines, type ExportRow } from './csv';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;
const EXPORT_PAGE = 1000;

export interface ListQuery {
  status: SubscriberStatus | null;
  limit: number;
  afterId: number;
}

/** null: no filter; false: not a status. */
export function parseStatus(raw: string | undefined): SubscriberStatus | null | false {
  if (raw === undefined || raw === '') return null;
  return (SUBSCRIBER_STATUSES as readonly string[]).includes(raw) ? (raw as SubscriberStatus) : false;
}

export function encodeCursor(lastId: number): string {
  return btoa(`v1:${lastId}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeCursor(cursor: string): number | null {
  if (cursor.length > 40 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return null;
  }
  const match = /^v1:([0-9]{1,15})$/.exec(text);
  if (!match) return null;
  const id = Number(match[1]);
  return encodeCursor(id) === cursor ? id : null; // one spelling per cursor
}

export interface SubscriberView {
  email: string;
  name: string | null;
  status: SubscriberStatus;
  createdAt: string;
  confirmedAt: string | null;
  /** Set while the reader has paused the weekly email on their preferences page (status stays confirmed). */
  pausedUntil: string | null;
}

type Row = ExportRow & { id: number; status: SubscriberStatus; pausedUntil: number | null };

function pageQuery(db: Db, status: SubscriberStatus | null, afterId: number, limit: number): Promise<Row[]> {
  const { id, email, name, createdAt, confirmedAt, pausedUntil } = subscribers;
  const after = gt(id, afterId);
  return db
    .select({ id, email, name, status: subscribers.status, createdAt, confirmedAt, pausedUntil })
    .from(subscribers)
    .where(status ? and(eq(subscribers.status, status), after) : after)
    .orderBy(asc(id))
    .limit(limit);
}

export async function listSubscribers(db: Db, query: ListQuery, now = Date.now()): Promise<{ subscribers: SubscriberView[]; nextCursor: string | null }> {
  const results = await pageQuery(db, query.status, query.afterId, query.limit + 1);
  const page = results.slice(0, query.limit);
  return {
    subscribers: page.map((r) => ({
      email: r.email,
      name: r.name,
      status: r.status,
      createdAt: new Date(r.createdAt).toISOString(),
      confirmedAt: r.confirmedAt === null ? null : new Date(r.confirmedAt).toISOString(),
      pausedUntil: r.status === 'confirmed' && r.pausedUntil !== null && r.pausedUntil > now ? new Date(r.pausedUntil).toISOString() : null,
    })),
    nextCursor: results.length > query.limit ? encodeCursor(page[page.length - 1].id) : null,
  };
}

/** The whole list (or one status) as CSV, read a page at a time as the client takes it. */
export function exportCsv(db: Db, status: SubscriberStatus | null): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let afterId = 0;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(csvHeader()));
        return;
      }
      const results = await pageQuery(db, status, afterId, EXPORT_PAGE);
      if (results.length > 0) {
        afterId = results[results.length - 1].id;
        controller.enqueue(encoder.encode(csvLines(results)));
      }
      if (results.length < EXPORT_PAGE) controller.close();
    },
  });
}
