// Importing subscribers from CSV, streamed: the body is read piece by piece, each piece parsed and
// judged by plain functions, and the new rows written in bounded D1 batches while the next piece is
// read. Memory stays flat in the size of the file: one piece of text, one batch being built and one
// being written, never the whole file or all its rows.
//
// What each record becomes:
//  - invalid (bad address, bad name, broken CSV, bytes that are not text): reported with its line
//    (the first 1,000; `invalidTotal` counts them all when there are more), nothing stored;
//  - a repeat of an earlier record in the same file: skipped (the first one is inserted, the repeat
//    meets its row);
//  - already on the list in any state (pending, confirmed, unsubscribed, bounced, complained) or
//    erased earlier (its hash is in `suppressions`): skipped, the stored row untouched, so an import
//    never resurrects anyone;
//  - otherwise inserted with the import's status: `confirmed` (consent collected elsewhere, no mail,
//    confirmed_at = now) or `pending` (one confirmation email each, through SEND_QUEUE, paced by
//    its consumer like every email; durable, see owed-confirmations.ts).
// A `status` column (as in our own export) can only make a record weaker, never stronger: a row
// marked unsubscribed/bounced/complained is stored as such (so it stays suppressed, and counts as
// skipped), and a row marked pending stays pending under `?status=confirmed`.
//
// Each D1 batch is atomic and the insert skips what is already there, so an import cut short (a
// crash, a dropped connection, a body over the limit) can simply be run again: what got in is skipped.
import { sql } from 'drizzle-orm';
import type { Env } from '../config';
import type { Db } from '../db/client';
import { subscribers, suppressions } from '../db/schema';
import { normalizeEmail, normalizeName } from './address';
import { type CsvFailure, type CsvRecord, type CsvStep, SubscriberCsvReader } from './csv';
import { emailHash } from './erase';
import { queueOwedConfirmations } from './owed-confirmations';

export type ImportStatus = 'confirmed' | 'pending';
type StoredStatus = ImportStatus | 'unsubscribed' | 'bounced' | 'complained';
const SUPPRESSED = new Set<string>(['unsubscribed', 'bounced', 'complained']);

/** The largest body an import reads (CONTRACT: at least 64 MB; a million rows are about 35 MB). */
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;
export const IMPORT_TOO_LARGE = {
  code: 'payload_too_large',
  message: `The CSV is larger than ${IMPORT_BODY_LIMIT / (1024 * 1024)} MB, the most one import reads. Split it into files of at most that size, each with the header row, and import them one after the other (rows already imported are skipped).`,
} as const;
/** Invalid rows listed in the answer; past this they are only counted (`invalidTotal`). */
export const INVALID_LISTED = 1000;

export interface ImportReport {
  imported: number;
  skipped: number;
  invalid: { line: number; reason: string }[];
  /** Present only when there are more invalid rows than `invalid` lists: how many in all. */
  invalidTotal?: number;
}

export interface ImportCandidate {
  email: string;
  name: string | null;
  status: StoredStatus;
}

/** One record judged on its own: a row to insert (if new), or why it is invalid. No I/O. */
export function judgeRecord(record: CsvRecord, status: ImportStatus): { ok: true; candidate: ImportCandidate } | { ok: false; line: number; reason: string } {
  const email = record.email.trim() === '' ? null : normalizeEmail(record.email);
  if (!email) return { ok: false, line: record.line, reason: 'The email cell is empty.' };
  if (!email.ok) return { ok: false, line: record.line, reason: email.message };
  // A line break inside a spreadsheet cell is layout, not part of a name: it becomes a space.
  const name = normalizeName(record.name === null ? null : record.name.replace(/[\r\n\t]+/g, ' '));
  if (!name.ok) return { ok: false, line: record.line, reason: name.message };
  return { ok: true, candidate: { email: email.value, name: name.value, status: storedStatus(status, record.status) } };
}

/** The import's status, made weaker (never stronger) by the file's own status column. */
export function storedStatus(requested: ImportStatus, fromFile: string | null): StoredStatus {
  const value = fromFile?.trim().toLowerCase() ?? '';
  if (SUPPRESSED.has(value)) return value as StoredStatus;
  if (value === 'pending') return 'pending';
  return requested;
}

/**
 * The pure core of an import: text in as it arrives, the rows to insert out, the invalid ones listed
 * (the first INVALID_LISTED) and counted. A failure of the file as a whole (empty, no email column, a
 * header that is not text) can only come before the first row, so before anything is written.
 */
export class ImportPlanner {
  readonly invalid: ImportReport['invalid'] = [];
  invalidTotal = 0;
  private readonly reader = new SubscriberCsvReader();
  constructor(private readonly status: ImportStatus) {}

  /** True once no further text will be read (see SubscriberCsvReader.stopped). */
  get stopped(): boolean {
    return this.reader.stopped;
  }

  push(text: string): { ok: true; candidates: ImportCandidate[] } | CsvFailure {
    return this.judge(this.reader.push(text));
  }

  end(): { ok: true; candidates: ImportCandidate[] } | CsvFailure {
    return this.judge(this.reader.end());
  }

  private judge(step: CsvStep): { ok: true; candidates: ImportCandidate[] } | CsvFailure {
    if (!step.ok) return step;
    const candidates: ImportCandidate[] = [];
    for (const item of step.items) {
      const judged = item.kind === 'record' ? judgeRecord(item, this.status) : ({ ok: false, line: item.line, reason: item.reason } as const);
      if (judged.ok) candidates.push(judged.candidate);
      else if (++this.invalidTotal <= INVALID_LISTED) this.invalid.push({ line: judged.line, reason: judged.reason });
    }
    return { ok: true, candidates };
  }
}

export interface ImportOptions {
  status: ImportStatus;
  /** Decodes the body (the route makes it from the request's charset); UTF-8 by default. */
  decoder?: TextDecoder;
  now?: number;
  /** Tests only: die right after a batch is inserted, before its confirmations are queued. */
  crashAt?: 'after_insert';
}

export type ImportOutcome = { ok: true; report: ImportReport } | { ok: false; status: 400 | 413; code: string; message: string };

export async function importSubscribers(env: Env, db: Db, body: ReadableStream<Uint8Array> | null, options: ImportOptions): Promise<ImportOutcome> {
  const now = options.now ?? Date.now();
  // Not fatal: a byte that is not valid text becomes U+FFFD, which the reader reports on its row.
  const decoder = options.decoder ?? new TextDecoder('utf-8');
  const planner = new ImportPlanner(options.status);
  const writer = new ImportWriter(env, db, now, options.crashAt);
  const reader = body?.getReader();
  let bytes = 0;
  let drained = false;
  try {
    while (reader && !planner.stopped) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        await writer.finish();
        return { ok: false, status: 400, code: 'incomplete_body', message: 'The upload was cut off before the end of the file. Send the whole file again: rows already imported are skipped.' };
      }
      if (chunk.done) {
        drained = true;
        break;
      }
      bytes += chunk.value.byteLength;
      if (bytes > IMPORT_BODY_LIMIT) {
        // Only a body that did not say its length gets here (the route refuses a declared one at once).
        await writer.finish();
        return { ok: false, status: 413, ...IMPORT_TOO_LARGE };
      }
      const step = planner.push(decoder.decode(chunk.value, { stream: true }));
      if (!step.ok) return { ok: false, status: 400, code: step.code, message: step.message };
      await writer.add(step.candidates);
    }
    for (const step of [planner.push(decoder.decode()), planner.end()]) {
      if (!step.ok) return { ok: false, status: 400, code: step.code, message: step.message };
      await writer.add(step.candidates);
    }
    await writer.finish();
  } finally {
    // Whatever was not read (a refusal, a record that never ends) is not waited for.
    if (reader && !drained) await reader.cancel().catch(() => {});
  }
  const report: ImportReport = { imported: writer.imported, skipped: writer.candidates - writer.imported, invalid: planner.invalid };
  if (planner.invalidTotal > planner.invalid.length) report.invalidTotal = planner.invalidTotal;
  return { ok: true, report };
}

/** JSON of the rows of one INSERT stays under this, well inside D1's 100 KB per statement. */
const STATEMENT_JSON_BUDGET = 90_000;
/**
 * Statements per db.batch (one atomic round trip): about 7,000 rows of a typical file. The D1 binding
 * holds a batch a few times over while it is in flight (the request body, the rows it returns), so
 * this also bounds the Worker's memory; a million rows take about 150 round trips.
 */
const STATEMENTS_PER_BATCH = 10;
/** Addresses hashed at once (the first piece of a file can hold tens of thousands of rows). */
const HASH_SLICE = 2000;

/**
 * Writes candidates in bounded batches, one batch in flight while the next is built: the batch's
 * rows in one atomic db.batch, then the confirmations its new pending rows are owed.
 */
class ImportWriter {
  imported = 0;
  candidates = 0;
  private rows: string[] = [];
  private size = 0;
  private statements: InsertStatement[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  private queueDown = false;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly env: Env,
    private readonly db: Db,
    private readonly now: number,
    private readonly crashAt: ImportOptions['crashAt'],
  ) {}

  async add(candidates: readonly ImportCandidate[]): Promise<void> {
    this.candidates += candidates.length;
    for (let start = 0; start < candidates.length; start += HASH_SLICE) {
      const slice = candidates.slice(start, start + HASH_SLICE);
      const hashes = await Promise.all(slice.map((c) => emailHash(c.email)));
      slice.forEach((c, i) => {
        const row = JSON.stringify({ e: c.email, n: c.name, s: c.status, h: hashes[i] });
        const bytes = this.encoder.encode(row).length + 1;
        if (this.size + bytes > STATEMENT_JSON_BUDGET) this.closeStatement();
        this.rows.push(row);
        this.size += bytes;
      });
      if (this.statements.length >= STATEMENTS_PER_BATCH) await this.startBatch();
    }
  }

  async finish(): Promise<void> {
    this.closeStatement();
    if (this.statements.length > 0) await this.startBatch();
    await this.inFlight;
  }

  private closeStatement(): void {
    if (this.rows.length === 0) return;
    this.statements.push(insertStatement(this.db, this.now, `[${this.rows.join(',')}]`));
    this.rows = [];
    this.size = 0;
  }

  private async startBatch(): Promise<void> {
    const statements = this.statements;
    this.statements = [];
    await this.inFlight;
    this.inFlight = this.write(statements);
    this.inFlight.catch(() => {}); // observed by the next await of inFlight, not lost
  }

  private async write(statements: InsertStatement[]): Promise<void> {
    const results = await this.db.batch(statements as [InsertStatement, ...InsertStatement[]]);
    const pending: number[] = [];
    for (const rows of results as { id: number; status: StoredStatus }[][]) {
      for (const row of rows) {
        if (row.status === 'pending') pending.push(row.id);
        if (row.status === 'pending' || row.status === 'confirmed') this.imported++;
      }
    }
    if (this.crashAt === 'after_insert') throw new Error('injected crash after_insert');
    if (pending.length === 0 || this.queueDown) return;
    const { error } = await queueOwedConfirmations(
      this.env,
      this.db,
      pending.map((subscriberId) => ({ subscriberId, requestedAt: this.now })),
    );
    if (error) {
      // The rows are in and their markers stay: housekeeping queues them within 15 minutes. Stop
      // trying for the rest of this import rather than fail on every batch.
      this.queueDown = true;
      console.error(`import: could not queue confirmations, housekeeping will: ${error.message}`);
    }
  }
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
          // The one confirmation claimed for a new pending reader, and the marker that it is owed.
          confirmationSentAt: sql`CASE WHEN ${status} = 'pending' THEN ${now} END`.as('confirmation_sent_at'),
          softBounces: sql`0`.as('soft_bounces'),
          pendingName: sql`NULL`.as('pending_name'),
          pausedUntil: sql`NULL`.as('paused_until'),
          pendingEmail: sql`NULL`.as('pending_email'),
          emailChangeSentAt: sql`NULL`.as('email_change_sent_at'),
          confirmationOwedAt: sql`CASE WHEN ${status} = 'pending' THEN ${now} END`.as('confirmation_owed_at'),
        })
        .from(sql`json_each(${json}) AS r`)
        .where(sql`NOT EXISTS (SELECT 1 FROM ${suppressions} WHERE ${suppressions.emailHash} = ${value('h')})`),
    )
    .onConflictDoNothing({ target: subscribers.email })
    .returning({ id: subscribers.id, status: subscribers.status });
}
