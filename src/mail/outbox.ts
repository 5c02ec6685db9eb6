// The `outbox` transport: mail is stored in D1 and shown at /dev/outbox, never sent (and never paced).
// Ids derive from the idempotency key, so a retried batch overwrites nothing and adds nothing.
import { desc, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { selectList } from '../db/batch';
import { outbox } from '../db/schema';
import { type Batch, built, type MailTransport, type SendOutcome } from './transport';

export class OutboxTransport implements MailTransport {
  constructor(private readonly db: Db) {}

  async send(batch: Batch, idempotencyKey: string): Promise<SendOutcome> {
    const emails = await built(batch);
    if (emails.length === 0) return { kind: 'accepted', outcomes: [] };
    const now = Date.now();
    const rows = emails.map((e, i) => ({
      id: `${idempotencyKey}:${i}`,
      to: e.to,
      from: e.from,
      subject: e.subject,
      html: e.html,
      text: e.text,
      headers: JSON.stringify({ ...e.headers, ...(e.replyTo ? { 'Reply-To': e.replyTo } : {}) }),
      tags: JSON.stringify(e.tags),
      createdAt: now,
    }));
    // One statement for the whole batch: the rows travel as one JSON parameter (D1 allows 100 bound
    // parameters). A retried batch adds nothing: its ids are taken (ON CONFLICT DO NOTHING).
    // `WHERE true`: see src/db/batch.ts.
    await this.db
      .insert(outbox)
      .select(
        sql`SELECT ${selectList(outbox, {
          id: sql`value->>'id'`,
          to: sql`value->>'to'`,
          from: sql`value->>'from'`,
          subject: sql`value->>'subject'`,
          html: sql`value->>'html'`,
          text: sql`value->>'text'`,
          headers: sql`value->>'headers'`,
          tags: sql`value->>'tags'`,
          createdAt: sql`value->>'createdAt'`,
        })} FROM json_each(${JSON.stringify(rows)}) WHERE true`,
      )
      .onConflictDoNothing();
    return { kind: 'accepted', outcomes: rows.map((r) => ({ id: r.id })) };
  }
}

export interface OutboxMail {
  id: string;
  to: string;
  from: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  tags: Record<string, string>;
  createdAt: string;
}

/** Captured mail, newest first. */
export async function listOutbox(db: Db, limit = 200): Promise<OutboxMail[]> {
  const rows = await db.select().from(outbox).orderBy(desc(outbox.createdAt), desc(sql`rowid`)).limit(limit);
  return rows.map((r) => ({
    ...r,
    headers: JSON.parse(r.headers) as Record<string, string>,
    tags: JSON.parse(r.tags) as Record<string, string>,
    createdAt: new Date(r.createdAt).toISOString(),
  }));
}
