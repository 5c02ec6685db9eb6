// The `outbox` transport: mail is stored in D1 and shown at /dev/outbox, never sent.
// Ids derive from the idempotency key, so a retried batch overwrites nothing and adds nothing.
import { desc, sql } from 'drizzle-orm';
import { getDb } from '../db/client';
import { outbox } from '../db/schema';
import type { MailTransport, OutgoingEmail, SendResult } from './transport';

export class OutboxTransport implements MailTransport {
  readonly paced = false;
  constructor(private readonly d1: D1Database) {}

  async sendBatch(emails: OutgoingEmail[], idempotencyKey: string): Promise<SendResult> {
    const now = Date.now();
    const rows = emails.map((e, i) => ({
      id: `${idempotencyKey}:${i}`,
      to: e.to,
      from: e.from,
      subject: e.subject,
      html: e.html,
      text: e.text,
      headers: JSON.stringify({ ...e.headers, ...(e.replyTo ? { 'Reply-To': e.replyTo } : {}) }),
      createdAt: now,
    }));
    // One statement for the whole batch: the rows travel as one JSON parameter (D1 allows 100 bound parameters).
    await this.d1
      .prepare(
        `INSERT OR IGNORE INTO outbox (id, "to", "from", subject, html, text, headers, created_at)
         SELECT value->>'id', value->>'to', value->>'from', value->>'subject', value->>'html', value->>'text', value->>'headers', value->>'createdAt'
         FROM json_each(?1)`,
      )
      .bind(JSON.stringify(rows))
      .run();
    return { ok: true, outcomes: rows.map((r) => ({ id: r.id })) };
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
  createdAt: string;
}

/** Captured mail, newest first. */
export async function listOutbox(d1: D1Database, limit = 200): Promise<OutboxMail[]> {
  const rows = await getDb(d1).select().from(outbox).orderBy(desc(outbox.createdAt), desc(sql`rowid`)).limit(limit);
  return rows.map((r) => ({ ...r, headers: JSON.parse(r.headers) as Record<string, string>, createdAt: new Date(r.createdAt).toISOString() }));
}
