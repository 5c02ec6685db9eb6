// Importing subscribers from CSV: decide (plain functions), then write in a few D1 round trips.
//
// What each record becomes:
//  - invalid (bad address, bad name, broken CSV): reported with its line, nothing stored;
//  - a repeat of an earlier record in the same file: skipped;
//  - already on the list in any state (pending, confirmed, unsubscribed, bounced, complained) or
//    erased earlier (its hash is in `suppressions`): skipped, the stored row untouched, so an import
//    never resurrects anyone;
//  - otherwise inserted with the import's status: `confirmed` (consent collected elsewhere, no mail,
//    confirmed_at = now) or `pending` (one confirmation email each, through SEND_QUEUE, paced by
//    its consumer like every email).
// A `status` column (as in our own export) can only make a record weaker, never stronger: a row
// marked unsubscribed/bounced/complained is stored as such (so it stays suppressed, and counts as
// skipped), and a row marked pending stays pending under `?status=confirmed`.
import { sql } from 'drizzle-orm';
import type { Env } from '../config';
import { type Db, getDb } from '../db/client';
import { subscribers, suppressions } from '../db/schema';
import type { ConfirmationMessage } from '../messages';
import { normalizeEmail, normalizeName } from './address';
import { parseSubscriberCsv } from './csv';
import { emailHash } from './erase';

export type ImportStatus = 'confirmed' | 'pending';
type StoredStatus = ImportStatus | 'unsubscribed' | 'bounced' | 'complained';
const SUPPRESSED = new Set<string>(['unsubscribed', 'bounced', 'complained']);

export interface ImportReport {
  imported: number;
  skipped: number;
  invalid: { line: number; reason: string }[];
}

export interface ImportCandidate {
  email: string;
  name: string | null;
  status: StoredStatus;
}

export type ImportPlan = { ok: true; candidates: ImportCandidate[]; repeated: number; invalid: ImportReport['invalid'] } | { ok: false; code: string; message: string };

/** Parses and validates the file; no I/O. */
export function planImport(csv: string, status: ImportStatus): ImportPlan {
  const parsed = parseSubscriberCsv(csv);
  if (!parsed.ok) return parsed;
  const invalid = [...parsed.broken];
  const seen = new Set<string>();
  const candidates: ImportCandidate[] = [];
  let repeated = 0;
  for (const record of parsed.records) {
    const email = record.email.trim() === '' ? null : normalizeEmail(record.email);
    if (!email) {
      invalid.push({ line: record.line, reason: 'The email cell is empty.' });
      continue;
    }
    if (!email.ok) {
      invalid.push({ line: record.line, reason: email.message });
      continue;
    }
    // A line break inside a spreadsheet cell is layout, not part of a name: it becomes a space.
    const name = normalizeName(record.name === null ? null : record.name.replace(/[\r\n\t]+/g, ' '));
    if (!name.ok) {
      invalid.push({ line: record.line, reason: name.message });
      continue;
    }
    if (seen.has(email.value)) {
      repeated++;
      continue;
    }
    seen.add(email.value);
    candidates.push({ email: email.value, name: name.value, status: storedStatus(status, record.status) });
  }
  invalid.sort((a, b) => a.line - b.line);
  return { ok: true, candidates, repeated, invalid };
}

/** The import's status, made weaker (never stronger) by the file's own status column. */
export function storedStatus(requested: ImportStatus, fromFile: string | null): StoredStatus {
  const value = fromFile?.trim().toLowerCase() ?? '';
  if (SUPPRESSED.has(value)) return value as StoredStatus;
  if (value === 'pending') return 'pending';
  return requested;
}

/** JSON of the rows of one INSERT stays under this, well inside D1's 100 KB per statement. */
const STATEMENT_JSON_BUDGET = 90_000;
/** Statements per db.batch (each batch is atomic; a re-run of a cut-short import skips what is in). */
const STATEMENTS_PER_BATCH = 25;
const QUEUE_BATCH = 100; // Queues' sendBatch limit
const QUEUE_CONCURRENCY = 6;

export async function importSubscribers(env: Env, csv: string, status: ImportStatus, now = Date.now()): Promise<{ ok: true; report: ImportReport } | { ok: false; code: string; message: string }> {
  const plan = planImport(csv, status);
  if (!plan.ok) return plan;
  const { candidates, repeated, invalid } = plan;

  const db = getDb(env.DB);
  const hashes = await Promise.all(candidates.map((c) => emailHash(c.email)));
  const statements: InsertStatement[] = [];
  let rows: string[] = [];
  let size = 0;
  const flush = () => {
    if (rows.length === 0) return;
    statements.push(insertStatement(db, now, `[${rows.join(',')}]`));
    rows = [];
    size = 0;
  };
  const encoder = new TextEncoder();
  candidates.forEach((c, i) => {
    const row = JSON.stringify({ e: c.email, n: c.name, s: c.status, h: hashes[i] });
    const bytes = encoder.encode(row).length + 1;
    if (size + bytes > STATEMENT_JSON_BUDGET) flush();
    rows.push(row);
    size += bytes;
  });
  flush();

  const inserted: { id: number; status: StoredStatus }[] = [];
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) {
    const results = await db.batch(statements.slice(i, i + STATEMENTS_PER_BATCH) as [InsertStatement, ...InsertStatement[]]);
    for (const result of results) inserted.push(...(result as { id: number; status: StoredStatus }[]));
  }

  // Confirmation emails for the new pending rows: confirmation_sent_at was set to `now` on insert,
  // which is what the consumer checks (so a redelivered message sends nothing twice).
  const pending = inserted.filter((r) => r.status === 'pending');
  const messages = pending.map((r): ConfirmationMessage => ({ type: 'confirmation', subscriberId: r.id, requestedAt: now }));
  const batches: ConfirmationMessage[][] = [];
  for (let i = 0; i < messages.length; i += QUEUE_BATCH) batches.push(messages.slice(i, i + QUEUE_BATCH));
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(QUEUE_CONCURRENCY, batches.length) }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        await env.SEND_QUEUE.sendBatch(batch.map((body) => ({ body, contentType: 'json' as const })));
      }
    }),
  );

  const imported = inserted.filter((r) => r.status === 'pending' || r.status === 'confirmed').length;
  return { ok: true, report: { imported, skipped: repeated + candidates.length - imported, invalid } };
}

type InsertStatement = ReturnType<typeof insertStatement>;

function insertStatement(db: Db, now: number, json: string) {
  // New addresses only: an existing row (any status) wins, and so does an erased address's hash.
  // The rows come in as one JSON parameter read with json_each (D1 allows 100 bound parameters);
  // the select names every column of the table in its order, which Drizzle checks.
  const value = (key: 'e' | 'n' | 's' | 'h') => sql.raw(`r.value->>'${key}'`);
  const status = value('s');
  return db
    .insert(subscribers)
    .select(
      db
        .select({
          id: sql`NULL`.as('id'), // a new rowid
          email: value('e').as('email'),
          name: value('n').as('name'),
          status: status.as('status'),
          createdAt: sql`${now}`.as('created_at'),
          confirmedAt: sql`CASE WHEN ${status} = 'confirmed' THEN ${now} END`.as('confirmed_at'),
          leftAt: sql`CASE WHEN ${status} IN ('unsubscribed', 'bounced', 'complained') THEN ${now} END`.as('left_at'),
          confirmationSentAt: sql`CASE WHEN ${status} = 'pending' THEN ${now} END`.as('confirmation_sent_at'),
          softBounces: sql`0`.as('soft_bounces'),
          pendingName: sql`NULL`.as('pending_name'),
          pausedUntil: sql`NULL`.as('paused_until'),
          pendingEmail: sql`NULL`.as('pending_email'),
          emailChangeSentAt: sql`NULL`.as('email_change_sent_at'),
        })
        .from(sql`json_each(${json}) AS r`)
        .where(sql`NOT EXISTS (SELECT 1 FROM ${suppressions} WHERE ${suppressions.emailHash} = ${value('h')})`),
    )
    .onConflictDoNothing({ target: subscribers.email })
    .returning({ id: subscribers.id, status: subscribers.status });
}
