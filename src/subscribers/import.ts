// Importing subscribers from CSV, streamed: the body is read piece by piece, each piece parsed and
// judged by plain functions, and the rows written in bounded D1 batches while the next piece is
// read. Memory stays flat in the size of the file: one piece of text, one batch being built and one
// being written, never the whole file or all its rows.
//
// The file is our plain `email,name,status` or another tool's export as it comes (sources.ts says
// what each row of each means). What each record becomes:
//  - invalid (bad address, bad name, broken CSV, bytes that are not text): reported with its line
//    (the first 1,000; `invalidTotal` counts them all when there are more), nothing stored;
//  - a row the source marks as no reader (a Substack deletion request…): skipped, with its reason;
//  - a repeat of an earlier record in the same file: skipped (the first one is inserted, the repeat
//    meets its row);
//  - a new address: inserted with the requested status, lowered (never raised) by the row's own
//    state: `confirmed` (consent collected elsewhere, no mail) or `pending` (one confirmation email
//    each, through SEND_QUEUE, paced by its consumer like every email; durable, see
//    owed-confirmations.ts); a reader who left, was cleaned or bounced there is stored
//    unsubscribed/bounced (so stays suppressed) and counts as skipped. The original sign-up,
//    consent and leaving times become created_at, confirmed_at and left_at (never in the future);
//  - already on the list: the stored row is untouched, unless the row says the reader left
//    (unsubscribed, bounced, complained) and that is less subscribed than what is stored: then the
//    stored state is lowered (`lowered`). So an import never resurrects anyone, importing Mailchimp's
//    unsubscribed file after its subscribed file leaves those readers unsubscribed, and importing the
//    same file again changes nothing;
//  - erased earlier (its hash is in `suppressions`): skipped.
//
// Each D1 batch is atomic and the writes are idempotent, so an import cut short (a crash, a dropped
// connection, a body over the limit) can simply be run again: what got in is skipped.
//
// A dry run (`dryRun`) reads the same file through the same judge, and asks D1 (reads only) what the
// writes would do: the same answer, nothing stored, no mail.
import { sql } from 'drizzle-orm';
import type { Env } from '../config';
import type { Db } from '../db/client';
import { subscribers, suppressions } from '../db/schema';
import { normalizeEmail, normalizeName } from './address';
import { type CsvFailure, type CsvRecord, type CsvStep, SubscriberCsvReader, UNDECODABLE } from './csv';
import { emailHash } from './erase';
import { queueOwedConfirmations } from './owed-confirmations';
import type { ImportFormat, Layout, SourceState } from './sources';

export type ImportStatus = 'confirmed' | 'pending';
type StoredStatus = ImportStatus | 'unsubscribed' | 'bounced' | 'complained';
const LEFT: readonly StoredStatus[] = ['unsubscribed', 'bounced', 'complained'];

/**
 * How subscribed each state is: a file may move a reader down this order, never up. Complained is
 * the lowest (no mail of any kind), then bounced (the address does not work), then unsubscribed.
 */
export const SUBSCRIBED_RANK: Record<StoredStatus, number> = { confirmed: 4, pending: 3, unsubscribed: 2, bounced: 1, complained: 0 };

/** The largest body an import reads (CONTRACT: at least 64 MB; a million rows are about 35 MB). */
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;
export const IMPORT_TOO_LARGE = {
  code: 'payload_too_large',
  message: `The CSV is larger than ${IMPORT_BODY_LIMIT / (1024 * 1024)} MB, the most one import reads. Split it into files of at most that size, each with the header row, and import them one after the other (rows already imported are skipped).`,
} as const;
/** Invalid (and source-skipped) rows listed in the answer; past this they are only counted. */
export const INVALID_LISTED = 1000;

export type StatusCounts = { confirmed: number; pending: number; unsubscribed: number; bounced: number; complained?: number };

export interface ImportReport {
  /** Which export the header was recognised as. */
  format: ImportFormat;
  /** New readers stored as confirmed or pending. */
  imported: number;
  /** Valid rows not imported: already on the list, erased, repeated, marked as having left, or skipped by their source. */
  skipped: number;
  /** Readers already on the list whose state the file lowered (they are among `skipped`). */
  lowered: number;
  /** Valid rows by the status the file gives them (`complained` only when there are any). */
  statuses: StatusCounts;
  invalid: { line: number; reason: string }[];
  /** Present only when there are more invalid rows than `invalid` lists: how many in all. */
  invalidTotal?: number;
  /** Rows the source marks as no reader to import (a Substack deletion request…), with why. */
  skippedRows: { line: number; reason: string }[];
  /** True for `?dry_run=1`: what the import would do; nothing was stored. */
  dryRun?: true;
}

export interface ImportCandidate {
  email: string;
  name: string | null;
  status: StoredStatus;
  createdAt: number;
  confirmedAt: number | null;
  leftAt: number | null;
}

export type Judged =
  | { kind: 'candidate'; candidate: ImportCandidate }
  | { kind: 'skip'; line: number; reason: string }
  | { kind: 'invalid'; line: number; reason: string };

/** One record judged on its own, through its file's layout: a row to write, a skip, or why it is invalid. No I/O. */
export function judgeRecord(layout: Layout, record: CsvRecord, status: ImportStatus, now: number): Judged {
  // Any cell: a status or date that is not what the file meant must not decide anyone's consent.
  if (Object.values(record.row).some((cell) => cell.includes(UNDECODABLE))) {
    return { kind: 'invalid', line: record.line, reason: 'This row has bytes that are not valid UTF-8 (or the charset the request names): save the CSV as UTF-8 and import it again.' };
  }
  const mapped = layout.map(record.row);
  if (mapped.kind === 'skip') return { kind: 'skip', line: record.line, reason: mapped.reason };
  const email = mapped.email.trim() === '' ? null : normalizeEmail(mapped.email);
  if (!email) return { kind: 'invalid', line: record.line, reason: 'The email cell is empty.' };
  if (!email.ok) return { kind: 'invalid', line: record.line, reason: email.message };
  // A line break inside a spreadsheet cell is layout, not part of a name: it becomes a space.
  const name = normalizeName(mapped.name === null ? null : mapped.name.replace(/[\r\n\t]+/g, ' '));
  if (!name.ok) return { kind: 'invalid', line: record.line, reason: name.message };
  const stored = storedStatus(status, mapped.state);
  return { kind: 'candidate', candidate: { email: email.value, name: name.value, status: stored, ...keptTimes(stored, mapped, now) } };
}

/** The import's status, made less subscribed (never more) by the row's own state at its source. */
export function storedStatus(requested: ImportStatus, state: SourceState): StoredStatus {
  return state === 'subscribed' ? requested : state;
}

/**
 * The source's times, as far as they can be true here: none in the future (a clock that was wrong
 * there), consent not before sign-up, leaving not before either. A confirmed reader the file gives
 * no consent time for consented now (the operator's word, as before); a pending one has not yet.
 */
export function keptTimes(
  status: StoredStatus,
  source: { createdAt: number | null; confirmedAt: number | null; leftAt: number | null },
  now: number,
): { createdAt: number; confirmedAt: number | null; leftAt: number | null } {
  const clamp = (t: number | null) => (t === null ? null : Math.min(t, now));
  const confirmedAt = status === 'pending' ? null : status === 'confirmed' ? (clamp(source.confirmedAt) ?? clamp(source.createdAt) ?? now) : clamp(source.confirmedAt);
  const createdAt = Math.min(clamp(source.createdAt) ?? confirmedAt ?? now, confirmedAt ?? now);
  const leftAt = LEFT.includes(status) ? Math.max(clamp(source.leftAt) ?? now, confirmedAt ?? createdAt) : null;
  return { createdAt, confirmedAt, leftAt };
}

const noCounts = (): StatusCounts => ({ confirmed: 0, pending: 0, unsubscribed: 0, bounced: 0 });

/**
 * The pure core of an import: text in as it arrives, the rows to write out, the invalid and skipped
 * ones listed (the first INVALID_LISTED each) and counted. A failure of the file as a whole (empty, no
 * known header, a header that is not text) can only come before the first row, so before anything
 * is written.
 */
export class ImportPlanner {
  readonly invalid: ImportReport['invalid'] = [];
  invalidTotal = 0;
  readonly skippedRows: ImportReport['skippedRows'] = [];
  skippedBySource = 0;
  readonly statuses = noCounts();
  private readonly reader = new SubscriberCsvReader();
  constructor(
    private readonly status: ImportStatus,
    private readonly now = Date.now(),
  ) {}

  /** True once no further text will be read (see SubscriberCsvReader.stopped). */
  get stopped(): boolean {
    return this.reader.stopped;
  }

  /** The recognised export, once the header is read. */
  get format(): ImportFormat {
    return this.reader.layout?.format ?? 'plain';
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
      const judged: Judged = item.kind === 'record' ? judgeRecord(this.reader.layout!, item, this.status, this.now) : { kind: 'invalid', line: item.line, reason: item.reason };
      if (judged.kind === 'candidate') {
        candidates.push(judged.candidate);
        const s = judged.candidate.status;
        this.statuses[s] = (this.statuses[s] ?? 0) + 1;
      } else if (judged.kind === 'skip') {
        if (++this.skippedBySource <= INVALID_LISTED) this.skippedRows.push({ line: judged.line, reason: judged.reason });
      } else if (++this.invalidTotal <= INVALID_LISTED) this.invalid.push({ line: judged.line, reason: judged.reason });
    }
    return { ok: true, candidates };
  }
}

export interface ImportOptions {
  status: ImportStatus;
  /** Decodes the body (the route makes it from the request's charset); UTF-8 by default. */
  decoder?: TextDecoder;
  now?: number;
  /** Read and judge the file and ask D1 what would happen, but store nothing and send nothing. */
  dryRun?: boolean;
  /** Tests only: die right after a batch is inserted, before its confirmations are queued. */
  crashAt?: 'after_insert';
}

export type ImportOutcome = { ok: true; report: ImportReport } | { ok: false; status: 400 | 413; code: string; message: string };

export async function importSubscribers(env: Env, db: Db, body: ReadableStream<Uint8Array> | null, options: ImportOptions): Promise<ImportOutcome> {
  const now = options.now ?? Date.now();
  // Not fatal: a byte that is not valid text becomes U+FFFD, which the reader reports on its row.
  const decoder = options.decoder ?? new TextDecoder('utf-8');
  const planner = new ImportPlanner(options.status, now);
  const writer = new ImportWriter(env, db, now, options.dryRun === true, options.crashAt);
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
  const statuses = { ...planner.statuses };
  if (!statuses.complained) delete statuses.complained;
  const report: ImportReport = {
    format: planner.format,
    imported: writer.imported,
    skipped: writer.candidates - writer.imported + planner.skippedBySource,
    lowered: writer.lowered,
    statuses,
    invalid: planner.invalid,
    skippedRows: planner.skippedRows,
  };
  if (planner.invalidTotal > planner.invalid.length) report.invalidTotal = planner.invalidTotal;
  if (options.dryRun) report.dryRun = true;
  return { ok: true, report };
}

/** JSON of the rows of one statement stays under this, well inside D1's 100 KB per statement. */
const STATEMENT_JSON_BUDGET = 90_000;
/**
 * Statements per db.batch (one atomic round trip): about 7,000 rows of a typical file (each JSON is
 * in an insert and an update). The D1 binding holds a batch a few times over while it is in flight
 * (the request body, the rows it returns), so this also bounds the Worker's memory; a million rows
 * take about 150 round trips.
 */
const STATEMENTS_PER_BATCH = 10;
/** Addresses hashed at once (the first piece of a file can hold tens of thousands of rows). */
const HASH_SLICE = 2000;

/**
 * Writes candidates in bounded batches, one batch in flight while the next is built: per slice of
 * rows an insert of the new ones and an update lowering the existing ones, in one atomic db.batch,
 * then the confirmations its new pending rows are owed. A dry run sends a read of the same rows
 * instead and counts what the writes would have done.
 */
class ImportWriter {
  imported = 0;
  lowered = 0;
  candidates = 0;
  private rows: string[] = [];
  private size = 0;
  private slices: string[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  private queueDown = false;
  private readonly encoder = new TextEncoder();
  /**
   * A dry run's memory of the addresses it has seen (a 53-bit hash each, about 20 bytes), so that a
   * repeat counts as the real import counts it: skipped. A million rows hold about 20 MB.
   */
  private readonly seen = new Set<number>();

  constructor(
    private readonly env: Env,
    private readonly db: Db,
    private readonly now: number,
    private readonly dryRun: boolean,
    private readonly crashAt: ImportOptions['crashAt'],
  ) {}

  async add(candidates: readonly ImportCandidate[]): Promise<void> {
    this.candidates += candidates.length;
    for (let start = 0; start < candidates.length; start += HASH_SLICE) {
      const slice = candidates.slice(start, start + HASH_SLICE);
      const hashes = await Promise.all(slice.map((c) => emailHash(c.email)));
      slice.forEach((c, i) => {
        const row = JSON.stringify({ e: c.email, n: c.name, s: c.status, h: hashes[i], c: c.createdAt, f: c.confirmedAt, l: c.leftAt });
        const bytes = this.encoder.encode(row).length + 1;
        if (this.size + bytes > STATEMENT_JSON_BUDGET) this.closeSlice();
        this.rows.push(row);
        this.size += bytes;
      });
      if (this.slices.length * 2 >= STATEMENTS_PER_BATCH) await this.startBatch();
    }
  }

  async finish(): Promise<void> {
    this.closeSlice();
    if (this.slices.length > 0) await this.startBatch();
    await this.inFlight;
  }

  private closeSlice(): void {
    if (this.rows.length === 0) return;
    this.slices.push(`[${this.rows.join(',')}]`);
    this.rows = [];
    this.size = 0;
  }

  private async startBatch(): Promise<void> {
    const slices = this.slices;
    this.slices = [];
    await this.inFlight;
    this.inFlight = this.dryRun ? this.preview(slices) : this.write(slices);
    this.inFlight.catch(() => {}); // observed by the next await of inFlight, not lost
  }

  private async write(slices: string[]): Promise<void> {
    // Insert first, then lower: a row that a later row of the same file says has left is lowered too.
    const statements = slices.flatMap((json) => [insertStatement(this.db, this.now, json), lowerStatement(this.db, json)]);
    const results = await this.db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
    const pending: number[] = [];
    results.forEach((rows, i) => {
      if (i % 2 === 1) {
        this.lowered += (rows as unknown[]).length;
        return;
      }
      for (const row of rows as { id: number; status: StoredStatus }[]) {
        if (row.status === 'pending') pending.push(row.id);
        if (row.status === 'pending' || row.status === 'confirmed') this.imported++;
      }
    });
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

  private async preview(slices: string[]): Promise<void> {
    const statements = slices.map((json) => previewStatement(this.db, json));
    const results = await this.db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
    for (const rows of results) {
      for (const row of rows as { e: string; s: StoredStatus; existing: StoredStatus | null; erased: number }[]) {
        const key = addressKey(row.e);
        const repeat = this.seen.has(key);
        this.seen.add(key);
        if (row.erased || repeat) continue;
        if (row.existing === null) {
          if (row.s === 'pending' || row.s === 'confirmed') this.imported++;
        } else if (LEFT.includes(row.s) && SUBSCRIBED_RANK[row.s] < SUBSCRIBED_RANK[row.existing]) {
          this.lowered++;
        }
      }
    }
  }
}

/** A 53-bit hash of an address (two FNV-1a halves): a dry run's "seen it" set, collisions negligible. */
function addressKey(email: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ email.length;
  for (let i = 0; i < email.length; i++) {
    const c = email.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

type Statement = ReturnType<typeof insertStatement> | ReturnType<typeof lowerStatement>;
export type { Statement as ImportStatement };

/** A row's field of the JSON parameter, read with json_each as `r`. */
const field = (key: 'e' | 'n' | 's' | 'h' | 'c' | 'f' | 'l') => sql.raw(`r.value->>'${key}'`);

const rank = (status: unknown) =>
  sql`(CASE ${status} WHEN 'confirmed' THEN 4 WHEN 'pending' THEN 3 WHEN 'unsubscribed' THEN 2 WHEN 'bounced' THEN 1 ELSE 0 END)`;

function insertStatement(db: Db, now: number, json: string) {
  // New addresses only: an existing row (any status) wins, and so does an erased address's hash.
  // The rows come in as one JSON parameter read with json_each (D1 allows 100 bound parameters);
  // the select names every column of the table in its order, which Drizzle checks.
  const status = field('s');
  return db
    .insert(subscribers)
    .select(
      db
        .select({
          id: sql`NULL`.as('id'), // a new rowid
          email: field('e').as('email'),
          name: field('n').as('name'),
          status: status.as('status'),
          createdAt: field('c').as('created_at'),
          confirmedAt: field('f').as('confirmed_at'),
          leftAt: field('l').as('left_at'),
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
        .where(sql`NOT EXISTS (SELECT 1 FROM ${suppressions} WHERE ${suppressions.emailHash} = ${field('h')})`),
    )
    .onConflictDoNothing({ target: subscribers.email })
    .returning({ id: subscribers.id, status: subscribers.status });
}

/**
 * Readers already on the list whom a row says have left, and whose stored state is more subscribed:
 * lowered to the row's state, with when they left; a confirmation still owed is no longer owed.
 * Never raises anyone (the rank only goes down) and is a no-op when run again.
 */
function lowerStatement(db: Db, json: string) {
  // The rows that say their reader left, one per address: the least subscribed state when this
  // slice repeats an address (SQLite takes the bare columns from the row that gives the min()).
  // Joined on the unique email index.
  const left = sql`(SELECT r.value->>'e' AS e, r.value->>'s' AS s, r.value->>'l' AS l, min(${rank(sql`r.value->>'s'`)}) AS k
    FROM json_each(${json}) AS r WHERE r.value->>'s' IN ('unsubscribed', 'bounced', 'complained') GROUP BY r.value->>'e') AS lr`;
  return db
    .update(subscribers)
    .set({ status: sql`lr.s`, leftAt: sql`lr.l`, confirmationOwedAt: null })
    .from(left)
    .where(sql`${subscribers.email} = lr.e AND ${rank(sql`lr.s`)} < ${rank(subscribers.status)}`)
    .returning({ id: subscribers.id });
}

/** What the insert and the update would do to these rows, read only (a dry run). */
function previewStatement(db: Db, json: string) {
  return db
    .select({
      e: sql<string>`${field('e')}`,
      s: sql<StoredStatus>`${field('s')}`,
      existing: subscribers.status,
      erased: sql<number>`EXISTS (SELECT 1 FROM ${suppressions} WHERE ${suppressions.emailHash} = ${field('h')})`,
    })
    .from(sql`json_each(${json}) AS r`)
    .leftJoin(subscribers, sql`${subscribers.email} = ${field('e')}`)
    .orderBy(sql`r.key`);
}
