// Every statement of the send path, in one reviewed place (as listmonk keeps its queries): who
// receives a send, claiming and planning it, freezing and finishing chunks, the counters, operator
// actions, housekeeping and pruning. Callers (plan.ts, deliver.ts, control.ts, maintenance.ts, the
// webhook) orchestrate; the rules live here.
//
// Counters: a send's stats are columns of its `sends` row, moved in the same D1 batch as every write
// that changes what they count, so reading them is one row and they always equal a count of the
// delivery records. The pattern for a chunk: subtract what its readers' rows counted before, write
// the rows, add what they count after, all guarded by "this chunk is still pending".
import { and, asc, eq, gt, inArray, isNotNull, isNull, lt, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { type BatchStatements, selectList } from '../db/batch';
import type { Db } from '../db/client';
import { generationOf } from '../preferences/generation';
import { CHUNK_PHASES, DELIVERY_STATUSES, deliveries, sendChunks, sends, subscribers } from '../db/schema';
import { issueEvent, sentNow } from '../webhooks/out/events';

export const CHUNK_SIZE = 100; // Resend's batch limit
const CHUNK_ROWS_PER_STATEMENT = 2000; // keeps each INSERT well under D1's 100 KB statement limit

// ---------------------------------------------------------------------------------------------
// Who receives a send: the one rule
// ---------------------------------------------------------------------------------------------

/**
 * A reader is in a send's audience if confirmed now and already confirmed when the send started
 * (a later sign-up waits for the next issue; someone who left and came back mid-send too).
 */
export function inAudience(startedAt: SQLWrapper | number): SQL {
  return sql`(${subscribers.status} = 'confirmed' AND ${subscribers.confirmedAt} <= ${startedAt})`;
}

/** A reader of the audience who paused their subscription (their preferences page) is left out until the pause ends. */
export function isPaused(now: number): SQL {
  return sql`(${subscribers.pausedUntil} IS NOT NULL AND ${subscribers.pausedUntil} > ${now})`;
}

/** Readers of the audience that a chunk of this phase is about (the canary takes multiples of the modulus). */
function inPhase(phase: number, modulus: SQLWrapper | number): SQL {
  if (phase === CHUNK_PHASES.canary) return sql`(${modulus} > 0 AND ${subscribers.id} % ${modulus} = 0)`;
  return sql`(${modulus} = 0 OR ${subscribers.id} % ${modulus} <> 0)`;
}

// ---------------------------------------------------------------------------------------------
// Claim and plan
// ---------------------------------------------------------------------------------------------

export interface ClaimInput {
  slug: string;
  title: string;
  date: string;
  summary: string;
  markdown: string;
  subject: string;
  html: string;
  text: string;
}

/** The claim: the unique slug makes this succeed once per article, whatever fires it how often. */
export function claimSend(db: Db, article: ClaimInput, now: number) {
  const nonce = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return db
    .insert(sends)
    .select(
      sql`SELECT ${selectList(sends, {
        slug: article.slug,
        status: sql`'planning'`,
        keyNonce: nonce,
        startedAt: now,
        touchedAt: now,
        maxSubscriberId: sql`coalesce(max(${subscribers.id}), 0)`,
        recipients: sql`count(*)`,
        subject: article.subject,
        html: article.html,
        text: article.text,
        title: article.title,
        articleDate: article.date,
        summary: article.summary,
        markdown: article.markdown,
      })}
            FROM ${subscribers} WHERE ${inAudience(now)}`,
    )
    .onConflictDoNothing({ target: sends.slug })
    .returning({ id: sends.id, recipients: sends.recipients })
    .get();
}

export async function claimedSlugs(db: Db): Promise<string[]> {
  return (await db.select({ slug: sends.slug }).from(sends)).map((r) => r.slug);
}

/** Whether anyone would receive a send started now. */
export async function hasAudience(db: Db, now: number): Promise<boolean> {
  return (await db.select({ id: subscribers.id }).from(subscribers).where(inAudience(now)).limit(1).get()) !== undefined;
}

export function loadSendForPlanning(db: Db, sendId: number) {
  return db
    .select({ maxId: sends.maxSubscriberId, total: sends.chunksTotal, recipients: sends.recipients, startedAt: sends.startedAt, status: sends.status })
    .from(sends)
    .where(eq(sends.id, sendId))
    .get();
}

/** Audience members with `id % modulus = 0`: the canary of that modulus. */
export async function countCanary(db: Db, sendId: number, modulus: number): Promise<number> {
  const row = await db.get<{ n: number }>(sql`
    SELECT count(*) AS n FROM ${subscribers}, ${sends}
     WHERE ${sends.id} = ${sendId} AND ${subscribers.id} <= ${sends.maxSubscriberId} AND ${inAudience(sends.startedAt)} AND ${subscribers.id} % ${modulus} = 0`);
  return row?.n ?? 0;
}

export interface PlannedChunk {
  phase: number;
  fromId: number;
  toId: number;
  size: number;
}

/**
 * Keyset ranges of at most CHUNK_SIZE audience members of one phase: every CHUNK_SIZE-th member starts
 * a chunk. One indexed scan; no per-reader rows leave the database.
 */
export async function planPhase(db: Db, sendId: number, phase: number, modulus: number, maxId: number): Promise<PlannedChunk[]> {
  const starts = await db.all<{ id: number; n: number; total: number }>(sql`
    SELECT id, n, total FROM (
      SELECT ${subscribers.id}, row_number() OVER (ORDER BY ${subscribers.id}) AS n, count(*) OVER () AS total
        FROM ${subscribers}, ${sends}
       WHERE ${sends.id} = ${sendId} AND ${subscribers.id} <= ${sends.maxSubscriberId}
         AND ${inAudience(sends.startedAt)} AND ${inPhase(phase, modulus)})
    WHERE (n - 1) % ${CHUNK_SIZE} = 0 ORDER BY id`);
  return starts.map((s, i) => ({
    phase,
    fromId: s.id,
    toId: i + 1 < starts.length ? starts[i + 1].id - 1 : maxId,
    size: Math.min(CHUNK_SIZE, s.total - (s.n - 1)),
  }));
}

/**
 * Records the plan once, atomically, guarded by `chunks_total = 0` (a concurrent planner that got there
 * first wins; this one writes nothing). Canary chunks come first; the rest wait for `main_at`.
 */
export async function recordPlan(db: Db, sendId: number, chunks: PlannedChunk[], canaryModulus: number): Promise<void> {
  const canaryChunks = chunks.filter((c) => c.phase === CHUNK_PHASES.canary).length;
  const unplanned = sql`(SELECT ${sends.chunksTotal} FROM ${sends} WHERE ${sends.id} = ${sendId}) = 0`;
  const statements: BatchItem<'sqlite'>[] = [];
  for (let i = 0; i < chunks.length; i += CHUNK_ROWS_PER_STATEMENT) {
    const slice = JSON.stringify(chunks.slice(i, i + CHUNK_ROWS_PER_STATEMENT).map((c, j) => [i + j, c.phase, c.fromId, c.toId, c.size]));
    statements.push(
      db
        .insert(sendChunks)
        .select(
          sql`SELECT ${selectList(sendChunks, {
            sendId,
            chunk: sql`value->>0`,
            phase: sql`value->>1`,
            fromId: sql`value->>2`,
            toId: sql`value->>3`,
            size: sql`value->>4`,
            status: sql`'pending'`,
          })}
                FROM json_each(${slice}) WHERE ${unplanned}`,
        )
        .onConflictDoNothing(),
    );
  }
  statements.push(
    db
      .update(sends)
      // No canary: the rest may go from the start (0); with one, from when the canary is done (then null).
      .set({ chunksTotal: chunks.length, canaryChunks, canaryModulus, mainAt: canaryChunks === 0 ? 0 : null })
      .where(and(eq(sends.id, sendId), unplanned)),
  );
  await db.batch(statements as BatchStatements);
}

/** The send's unfinished chunks that may be enqueued: the canary's and retries', and the rest once `main_at` is set (they go from then). */
export function openChunks(db: Db, sendId: number, limit = 100_000) {
  return db
    .select({ chunk: sendChunks.chunk, phase: sendChunks.phase, mainAt: sends.mainAt })
    .from(sendChunks)
    .innerJoin(sends, eq(sends.id, sendChunks.sendId))
    .where(
      and(
        eq(sendChunks.sendId, sendId),
        eq(sendChunks.status, 'pending'),
        or(eq(sendChunks.phase, CHUNK_PHASES.canary), eq(sendChunks.phase, CHUNK_PHASES.retry), isNotNull(sends.mainAt)),
      ),
    )
    .orderBy(asc(sendChunks.chunk))
    .limit(limit);
}

/** `planning` → `sending` (or `sent` when there was nothing to send), with its webhook events. */
export async function markPlanned(db: Db, sendId: number, now: number) {
  const allFinished = sql`${sends.chunksFinished} >= ${sends.chunksTotal}`;
  const [rows] = await db.batch([
    db
    .update(sends)
    .set({
      status: sql`CASE WHEN ${allFinished} THEN 'sent' ELSE 'sending' END`,
      finishedAt: sql`CASE WHEN ${allFinished} THEN ${now} ELSE ${sends.finishedAt} END`,
    })
    .where(and(eq(sends.id, sendId), eq(sends.status, 'planning')))
    .returning({ total: sends.chunksTotal }),
    issueEvent(db, 'issue.sending', sendId, now),
    issueEvent(db, 'issue.sent', sendId, now, sentNow(now), false),
  ]);
  return rows[0];
}

export function stalePlans(db: Db, olderThan: number) {
  return db.select({ id: sends.id }).from(sends).where(and(eq(sends.status, 'planning'), lt(sends.startedAt, olderThan)));
}

// ---------------------------------------------------------------------------------------------
// One chunk: read, freeze, attempt, finish
// ---------------------------------------------------------------------------------------------

const chunkKey = (sendId: number, chunk: number) => and(eq(sendChunks.sendId, sendId), eq(sendChunks.chunk, chunk))!;
const stillPending = (sendId: number, chunk: number) =>
  sql`EXISTS (SELECT 1 FROM ${sendChunks} WHERE ${sendChunks.sendId} = ${sendId} AND ${sendChunks.chunk} = ${chunk} AND ${sendChunks.status} = 'pending')`;
/** The chunk's frozen ids, for statements of the same batch (one JSON array, one bound parameter less). */
const frozenIds = (sendId: number, chunk: number) =>
  sql`json_each((SELECT ${sendChunks.recipients} FROM ${sendChunks} WHERE ${sendChunks.sendId} = ${sendId} AND ${sendChunks.chunk} = ${chunk}))`;

export function readSend(db: Db, sendId: number) {
  return db
    .select({ status: sends.status, keyNonce: sends.keyNonce, slug: sends.slug, startedAt: sends.startedAt, mainAt: sends.mainAt })
    .from(sends)
    .where(eq(sends.id, sendId));
}

/**
 * The issue as rendered once for the send. It never changes after the claim, so an isolate keeps
 * the last few it used (keyed by the send's random nonce too: a re-created database reuses ids)
 * instead of reading 20 KB from D1 for every chunk.
 */
const templates = new Map<string, { subject: string; html: string; text: string }>();
export async function sendTemplate(db: Db, sendId: number, keyNonce: string) {
  const key = `${sendId}:${keyNonce}`;
  let template = templates.get(key);
  if (!template) {
    template = await db.select({ subject: sends.subject, html: sends.html, text: sends.text }).from(sends).where(eq(sends.id, sendId)).get();
    if (!template) throw new Error(`send ${sendId} has no rendered issue`);
    if (templates.size >= 4) templates.delete(templates.keys().next().value!);
    templates.set(key, template);
  }
  return template;
}

export function readChunk(db: Db, sendId: number, chunk: number) {
  return db
    .select({
      status: sendChunks.status,
      phase: sendChunks.phase,
      round: sendChunks.round,
      size: sendChunks.size,
      pausedCount: sendChunks.pausedCount,
      frozen: sql<number>`${sendChunks.recipients} IS NOT NULL`,
      sureIds: sql<string | null>`coalesce(${sendChunks.sureIds}, ${sendChunks.recipients})`,
      uncertainSince: sendChunks.uncertainSince,
      failingSince: sendChunks.failingSince,
    })
    .from(sendChunks)
    .where(chunkKey(sendId, chunk));
}

/**
 * The chunk's frozen list: each reader's address, whether they still receive the send now (left,
 * paused or erased since the freeze: no), and the status of a delivery record they already have
 * (a retry round). An erased reader has no row and drops out.
 */
export function frozenList(db: Db, sendId: number, chunk: number, now: number) {
  return db
    .select({
      id: subscribers.id,
      email: subscribers.email,
      generation: generationOf(subscribers.id),
      receives: sql<number>`(${inAudience(sends.startedAt)} AND NOT ${isPaused(now)})`,
      recorded: deliveries.status,
    })
    .from(sendChunks)
    .crossJoin(sql`json_each(${sendChunks.recipients}) AS r`)
    .innerJoin(subscribers, sql`${subscribers.id} = r.value`)
    .innerJoin(sends, eq(sends.id, sendChunks.sendId))
    .leftJoin(deliveries, and(eq(deliveries.sendId, sendChunks.sendId), eq(deliveries.subscriberId, subscribers.id)))
    .where(chunkKey(sendId, chunk))
    .orderBy(asc(subscribers.id));
}

/**
 * Freezes a range chunk's recipients (who in its range and phase receives the send now) into its row
 * with one statement, and notes that an attempt is about to start (`uncertain_since`). Only while the
 * send lets new chunks go (`allowed` statuses): a paused send freezes nothing. `recipients IS NULL`: if
 * a concurrent attempt froze first, this changes nothing and the caller reads that list. The ranges
 * come from the chunk row, never the message: the subqueries have no send_chunks of their own, so
 * "send_chunks"."from_id" is the row being updated.
 */
export function freezeChunk(db: Db, sendId: number, chunk: number, now: number, allowed: readonly string[]) {
  const members = (extra: SQL) => sql`
    FROM ${subscribers}, ${sends}
   WHERE ${sends.id} = ${sendId} AND ${subscribers.id} BETWEEN ${sendChunks.fromId} AND ${sendChunks.toId}
     AND ${inAudience(sends.startedAt)} AND (CASE ${sendChunks.phase} WHEN ${CHUNK_PHASES.canary} THEN ${inPhase(CHUNK_PHASES.canary, sends.canaryModulus)} ELSE ${inPhase(CHUNK_PHASES.main, sends.canaryModulus)} END)
     AND ${extra}`;
  return db
    .update(sendChunks)
    .set({
      recipients: sql`(SELECT json_group_array(id) FROM (SELECT ${subscribers.id} ${members(sql`NOT ${isPaused(now)}`)} ORDER BY ${subscribers.id}))`,
      pausedCount: sql`(SELECT count(*) ${members(isPaused(now))})`,
      uncertainSince: now,
      updatedAt: now,
    })
    .where(
      and(
        chunkKey(sendId, chunk),
        eq(sendChunks.status, 'pending'),
        isNull(sendChunks.recipients),
        inArray(sql`(SELECT ${sends.status} FROM ${sends} WHERE ${sends.id} = ${sendId})`, [...allowed]),
      ),
    );
}

/** Progress on a send (housekeeping leaves a moving send alone). */
export function touchSend(db: Db, sendId: number, now: number) {
  return db.update(sends).set({ touchedAt: now }).where(eq(sends.id, sendId));
}

/**
 * After an outage: claims the right to wake this send's chunks that are backing off, once per outage
 * (a chunk that started failing after the last wake-up is a new outage). Returns the chunks to wake.
 */
export async function claimWake(db: Db, sendId: number, failingSince: number, now: number): Promise<number[]> {
  const claimed = await db
    .update(sends)
    .set({ wokenAt: now })
    .where(and(eq(sends.id, sendId), sql`coalesce(${sends.wokenAt}, 0) < ${failingSince}`))
    .returning({ id: sends.id });
  if (claimed.length === 0) return [];
  const rows = await db
    .select({ chunk: sendChunks.chunk })
    .from(sendChunks)
    .where(and(eq(sendChunks.sendId, sendId), eq(sendChunks.status, 'pending'), isNotNull(sendChunks.failingSince)));
  return rows.map((r) => r.chunk);
}

/**
 * Before an attempt of an already frozen chunk: an attempt may be accepted from now on
 * (`uncertain_since`, kept if set), and the readers in every payload so far (`sure_ids`) narrow to
 * this payload. Returns the `uncertain_since` now in force.
 */
export function markAttempt(db: Db, sendId: number, chunk: number, now: number, sureIds: number[] | null) {
  return db
    .update(sendChunks)
    .set({ uncertainSince: sql`coalesce(${sendChunks.uncertainSince}, ${now})`, ...(sureIds ? { sureIds: JSON.stringify(sureIds) } : {}), updatedAt: now })
    .where(and(chunkKey(sendId, chunk), eq(sendChunks.status, 'pending')))
    .returning({ uncertainSince: sendChunks.uncertainSince })
    .get();
}

/**
 * After an attempt that did not go through. `clearUncertainty`: the value this invocation set, when
 * every attempt it made was refused for sure (so none was accepted); compare-and-clear, so the marker
 * of another attempt is never lost. `spendsBudget`: a failure that counts against the retry budget
 * (5xx, no answer, concurrent use; never a 429).
 */
export function afterFailedAttempt(db: Db, sendId: number, chunk: number, now: number, clearUncertainty: number | null, spendsBudget: boolean) {
  return db
    .update(sendChunks)
    .set({
      uncertainSince: clearUncertainty === null ? sendChunks.uncertainSince : sql`CASE WHEN ${sendChunks.uncertainSince} = ${clearUncertainty} THEN NULL ELSE ${sendChunks.uncertainSince} END`,
      failingSince: spendsBudget ? sql`coalesce(${sendChunks.failingSince}, ${now})` : sendChunks.failingSince,
      updatedAt: now,
    })
    .where(and(chunkKey(sendId, chunk), eq(sendChunks.status, 'pending')));
}

/** The provider refuses every batch: the send shows it, with the provider's words. */
export function haltSend(db: Db, sendId: number, reason: string) {
  return db
    .update(sends)
    .set({ status: 'halted', reason: reason.slice(0, 1000) })
    .where(and(eq(sends.id, sendId), eq(sends.status, 'sending')));
}

export type Outcome = { s: number; status: 'sent' | 'failed' | 'unknown'; id?: string; error?: string };

export interface FinishOptions {
  /** The chunk's readers already have delivery records (a retry round): subtract what they counted. */
  priorRecords: boolean;
  /** Readers of the chunk's plan that got nothing and are counted as skipped / paused (fresh chunks only). */
  accountSkipped: boolean;
  size: number;
  /** The provider accepted a batch: a halted send moves again. */
  accepted: boolean;
  chunkStatus: 'done' | 'failed';
  /** A canary chunk: when the canary is complete, the rest may go after this wait. */
  canaryWaitMs: number;
}

/**
 * Records outcomes and finishes the chunk in one atomic batch: counters down, rows written, counters
 * up, the send's progress, the chunk's status. Everything is guarded by "the chunk is still pending",
 * so a redelivered message, a late duplicate or the dead-letter path cannot record or count twice.
 * Returns the statements; the send's row as updated is the result of the statement at `sendIndex`.
 */
export function finishChunk(db: Db, sendId: number, chunk: number, outcomes: Outcome[], now: number, o: FinishOptions) {
  const pending = stillPending(sendId, chunk);
  const statements: BatchItem<'sqlite'>[] = [];
  if (o.priorRecords) statements.push(adjustCounters(db, sendId, chunk, -1));
  if (outcomes.length > 0) {
    // Never for someone erased meanwhile (GDPR: no record of them may remain). A reader who has a row
    // already keeps it unless it says `failed` (a retry round overwrites exactly those).
    statements.push(
      db
        .insert(deliveries)
        .select(
          sql`SELECT ${selectList(deliveries, {
            sendId,
            subscriberId: sql`o.value->>'s'`,
            status: sql`o.value->>'status'`,
            resendId: sql`o.value->>'id'`,
            error: sql`o.value->>'error'`,
            sentAt: now,
          })}
                FROM json_each(${JSON.stringify(outcomes)}) AS o
               WHERE ${pending} AND EXISTS (SELECT 1 FROM ${subscribers} WHERE ${subscribers.id} = o.value->>'s')`,
        )
        .onConflictDoUpdate({
          target: [deliveries.sendId, deliveries.subscriberId],
          set: { status: sql`excluded.status`, resendId: sql`excluded.resend_id`, error: sql`excluded.error`, sentAt: sql`excluded.sent_at` },
          setWhere: eq(deliveries.status, 'failed'),
        }),
    );
  }
  statements.push(adjustCounters(db, sendId, chunk, +1, o.accountSkipped ? o : null));
  const finishes = sql`${sends.chunksFinished} + 1 >= ${sends.chunksTotal}`;
  const canaryDone = sql`${sends.mainAt} IS NULL AND ${sends.chunksFinished} + 1 >= ${sends.canaryChunks}`;
  const sendIndex = statements.length;
  statements.push(
    db
      .update(sends)
      .set({
        chunksFinished: sql`${sends.chunksFinished} + 1`,
        status: sql`CASE WHEN ${finishes} AND ${sends.status} IN ('sending', 'halted', 'paused') THEN 'sent'
                         WHEN ${o.accepted ? sql`1` : sql`0`} AND ${sends.status} = 'halted' THEN 'sending'
                         ELSE ${sends.status} END`,
        reason: sql`CASE WHEN ${o.accepted ? sql`1` : sql`0`} AND ${sends.status} = 'halted' THEN NULL ELSE ${sends.reason} END`,
        finishedAt: sql`CASE WHEN ${finishes} THEN ${now} ELSE ${sends.finishedAt} END`,
        mainAt: sql`CASE WHEN ${canaryDone} THEN ${now + o.canaryWaitMs} ELSE ${sends.mainAt} END`,
        touchedAt: now,
      })
      .where(and(eq(sends.id, sendId), pending))
      .returning({ status: sends.status, chunksFinished: sends.chunksFinished, canaryChunks: sends.canaryChunks, mainAt: sends.mainAt }),
    issueEvent(db, 'issue.sent', sendId, now, sentNow(now)),
    db
      .update(sendChunks)
      .set({ status: o.chunkStatus, updatedAt: now })
      .where(and(chunkKey(sendId, chunk), eq(sendChunks.status, 'pending'))),
  );
  return { statements: statements as BatchStatements, sendIndex };
}

/**
 * Moves the send's sent/failed/unknown counters by what the chunk's readers' delivery rows count
 * (`sign` -1 before rewriting them, +1 after), plus, for a fresh chunk, its planned readers who got
 * no record: skipped (left meanwhile) and paused.
 */
function adjustCounters(db: Db, sendId: number, chunk: number, sign: 1 | -1, plan: { size: number } | null = null) {
  // Who was paused is what the freeze counted, read from the chunk row in this statement (a caller's
  // copy of the row may predate its freeze).
  const pausedCount = sql`(SELECT ${sendChunks.pausedCount} FROM ${sendChunks} WHERE ${chunkKey(sendId, chunk)})`;
  // CROSS JOIN keeps the chunk's ids as the outer loop: one primary-key lookup per reader. (Left to
  // itself, SQLite scans every record of the send for each id: a cost that grows with the send.)
  const count = (status: string) =>
    sql`(SELECT count(*) FROM ${frozenIds(sendId, chunk)} AS f CROSS JOIN ${deliveries}
          WHERE ${deliveries.sendId} = ${sendId} AND ${deliveries.subscriberId} = f.value AND ${deliveries.status} = ${status})`;
  const recorded = sql`(SELECT count(*) FROM ${frozenIds(sendId, chunk)} AS f CROSS JOIN ${deliveries} WHERE ${deliveries.sendId} = ${sendId} AND ${deliveries.subscriberId} = f.value)`;
  return db
    .update(sends)
    .set({
      sent: sql`${sends.sent} + ${sign} * ${count('sent')}`,
      failed: sql`${sends.failed} + ${sign} * ${count('failed')}`,
      unknown: sql`${sends.unknown} + ${sign} * ${count('unknown')}`,
      ...(plan
        ? {
            // Chunks planned before these counters existed have size 0: nothing to account.
            skipped: sql`${sends.skipped} + max(0, ${plan.size} - ${pausedCount} - ${recorded})`,
            paused: sql`${sends.paused} + ${pausedCount}`,
          }
        : {}),
    })
    .where(and(eq(sends.id, sendId), stillPending(sendId, chunk)));
}

// ---------------------------------------------------------------------------------------------
// Operator actions: retry-failed, resume, cancel
// ---------------------------------------------------------------------------------------------

export function findSendBySlug(db: Db, slug: string) {
  return db.select({ id: sends.id, status: sends.status, chunksTotal: sends.chunksTotal, retryRounds: sends.retryRounds }).from(sends).where(eq(sends.slug, slug)).get();
}

/** Claims a finished send for a retry round: `sent` → `sending`; null if it is not `sent`. */
export function claimRetryRound(db: Db, sendId: number) {
  return db
    .update(sends)
    .set({ status: 'sending', retryRounds: sql`${sends.retryRounds} + 1`, finishedAt: null, reason: null })
    .where(and(eq(sends.id, sendId), eq(sends.status, 'sent')))
    .returning({ round: sends.retryRounds, chunksTotal: sends.chunksTotal })
    .get();
}

/** Chunks that ended `failed` (retry budget or dead letters), with when an attempt may have been accepted. */
export function failedChunks(db: Db, sendId: number) {
  return db
    .select({ chunk: sendChunks.chunk, uncertainSince: sendChunks.uncertainSince, recipients: sendChunks.recipients })
    .from(sendChunks)
    .where(and(eq(sendChunks.sendId, sendId), eq(sendChunks.status, 'failed')));
}

/**
 * `status = X` alone does not let SQLite use the partial index `deliveries_unresolved` (it cannot
 * prove X <> 'sent'): the index's own condition is stated too.
 */
function unresolved(sendId: number, status: UnresolvedStatus, afterId = 0): SQL {
  return and(eq(deliveries.sendId, sendId), eq(deliveries.status, status), sql`${deliveries.status} <> 'sent'`, gt(deliveries.subscriberId, afterId))!;
}
export type UnresolvedStatus = Exclude<(typeof DELIVERY_STATUSES)[number], 'sent'>;

/** Readers recorded `failed` for a send (through the partial index: sent rows are never read). */
export function failedReaders(db: Db, sendId: number) {
  return db.select({ id: deliveries.subscriberId }).from(deliveries).where(unresolved(sendId, 'failed')).orderBy(asc(deliveries.subscriberId));
}

/** A page of a send's `failed` or `unknown` readers, in id order after `afterId`, for the operator. */
export function unresolvedPage(db: Db, sendId: number, status: UnresolvedStatus, afterId: number, limit: number) {
  return db
    .select({ id: deliveries.subscriberId, email: subscribers.email, name: subscribers.name, status: deliveries.status, error: deliveries.error, at: deliveries.sentAt })
    .from(deliveries)
    .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
    .where(unresolved(sendId, status, afterId))
    .orderBy(asc(deliveries.subscriberId))
    .limit(limit);
}

/**
 * A failed chunk goes again with its own key (the provider still remembers an attempt it may have
 * accepted, so nothing goes twice): pending again, already accounted for (size 0).
 */
export function reopenChunk(db: Db, sendId: number, chunk: number, now: number) {
  return [
    db
      .update(sendChunks)
      .set({ status: 'pending', size: 0, pausedCount: 0, failingSince: null, updatedAt: now })
      .where(and(chunkKey(sendId, chunk), eq(sendChunks.status, 'failed'))),
    db.update(sends).set({ chunksFinished: sql`${sends.chunksFinished} - 1` }).where(eq(sends.id, sendId)),
  ] as const;
}

/** Readers of a failed chunk whose attempt is past the provider's memory: `failed` becomes `unknown`. */
export function failedToUnknown(db: Db, sendId: number, ids: number[]) {
  const list = JSON.stringify(ids);
  const inList = sql`${deliveries.subscriberId} IN (SELECT value FROM json_each(${list}))`;
  const n = sql`(SELECT count(*) FROM ${deliveries} WHERE ${deliveries.sendId} = ${sendId} AND ${inList} AND ${deliveries.status} = 'failed')`;
  return [
    db.update(sends).set({ failed: sql`${sends.failed} - ${n}`, unknown: sql`${sends.unknown} + ${n}` }).where(eq(sends.id, sendId)),
    db
      .update(deliveries)
      .set({ status: 'unknown', error: 'the earlier attempt is past the provider’s 24-hour idempotency window' })
      .where(and(eq(deliveries.sendId, sendId), inList, eq(deliveries.status, 'failed'))),
  ] as const;
}

/** New chunks, frozen with the readers they retry, under a new key (`round`). */
export function insertRetryChunks(db: Db, sendId: number, firstChunk: number, round: number, groups: number[][]) {
  const rows = JSON.stringify(groups.map((ids, i) => [firstChunk + i, ids[0], ids[ids.length - 1], JSON.stringify(ids)]));
  return [
    db
      .insert(sendChunks)
      .select(
        sql`SELECT ${selectList(sendChunks, {
          sendId,
          chunk: sql`value->>0`,
          phase: CHUNK_PHASES.retry,
          fromId: sql`value->>1`,
          toId: sql`value->>2`,
          size: 0,
          status: sql`'pending'`,
          round,
          recipients: sql`value->>3`,
        })} FROM json_each(${rows}) WHERE true`,
      )
      .onConflictDoNothing(),
    db.update(sends).set({ chunksTotal: sql`${sends.chunksTotal} + ${groups.length}` }).where(eq(sends.id, sendId)),
  ] as const;
}

/** A send whose every chunk is finished is `sent` (a retry round with nothing left to do, a cut-short claim). */
export function settleFinished(db: Db, sendId: number, now: number) {
  return db
    .update(sends)
    .set({ status: 'sent', finishedAt: now })
    .where(and(eq(sends.id, sendId), inArray(sends.status, ['sending', 'halted']), sql`${sends.chunksFinished} >= ${sends.chunksTotal}`));
}

/**
 * An operator's resume: the breaker re-arms with a fresh baseline (the counters as they are now), so
 * the bounces and complaints that paused it are not judged again, and new ones past the limits pause
 * the send again.
 */
export function resumeSend(db: Db, sendId: number, now: number) {
  return db
    .update(sends)
    .set({
      status: 'sending',
      reason: null,
      breakerArmed: true,
      breakerBaseSent: sql`${sends.sent}`,
      breakerBaseBounced: sql`${sends.hardBounced}`,
      breakerBaseComplained: sql`${sends.complained}`,
      touchedAt: now,
    })
    .where(and(eq(sends.id, sendId), eq(sends.status, 'paused')))
    .returning({ id: sends.id })
    .get();
}

/**
 * An operator's cancel of a paused send: every chunk not under way is cancelled and its readers are
 * skipped. A chunk under way (an attempt the provider may have accepted) finishes as it will, and is
 * never attempted again (deliver.ts records it `unknown` if it comes back).
 */
export function cancelSend(db: Db, sendId: number, now: number) {
  const notUnderWay = and(eq(sendChunks.sendId, sendId), eq(sendChunks.status, 'pending'), isNull(sendChunks.uncertainSince));
  const cancelled = sql`(SELECT ${sends.status} FROM ${sends} WHERE ${sends.id} = ${sendId}) = 'cancelled'`;
  const skipped = sql`(SELECT coalesce(sum(${sendChunks.size} - ${sendChunks.pausedCount}), 0) FROM ${sendChunks} WHERE ${notUnderWay})`;
  const count = sql`(SELECT count(*) FROM ${sendChunks} WHERE ${notUnderWay})`;
  return [
    db
      .update(sends)
      .set({
        status: 'cancelled',
        reason: sql`coalesce(${sends.reason}, 'paused') || '; cancelled by the operator'`,
        skipped: sql`${sends.skipped} + ${skipped}`,
        paused: sql`${sends.paused} + (SELECT coalesce(sum(${sendChunks.pausedCount}), 0) FROM ${sendChunks} WHERE ${notUnderWay})`,
        chunksFinished: sql`${sends.chunksFinished} + ${count}`,
        finishedAt: sql`CASE WHEN ${sends.chunksFinished} + ${count} >= ${sends.chunksTotal} THEN ${now} ELSE NULL END`,
      })
      .where(and(eq(sends.id, sendId), eq(sends.status, 'paused'))),
    db
      .update(sendChunks)
      .set({ status: 'cancelled', updatedAt: now })
      .where(and(notUnderWay, cancelled)),
  ] as const;
}

// ---------------------------------------------------------------------------------------------
// Housekeeping
// ---------------------------------------------------------------------------------------------

/** Sends that should move and have not for `olderThan` (a handful of rows: one per issue ever sent). */
export function stalledSends(db: Db, olderThan: number) {
  return db
    .select({ id: sends.id, chunksFinished: sends.chunksFinished, chunksTotal: sends.chunksTotal })
    .from(sends)
    .where(and(inArray(sends.status, ['sending', 'cancelled']), lt(sql`coalesce(${sends.touchedAt}, ${sends.startedAt})`, olderThan)));
}

export function haltedSends(db: Db) {
  return db.select({ id: sends.id }).from(sends).where(eq(sends.status, 'halted'));
}

/** A halted send's first pending chunk: the probe that finds out whether the provider accepts again. */
export function probeChunk(db: Db, sendId: number) {
  return db
    .select({ chunk: sendChunks.chunk })
    .from(sendChunks)
    .where(and(eq(sendChunks.sendId, sendId), eq(sendChunks.status, 'pending')))
    .orderBy(asc(sendChunks.chunk))
    .limit(1)
    .get();
}

export function pausedSend(db: Db) {
  return db.select({ slug: sends.slug, reason: sends.reason }).from(sends).where(eq(sends.status, 'paused')).limit(1).get();
}

/** Finished sends older than `before` that still have delivery records (found through the primary key). */
export function sendsToPrune(db: Db, before: number) {
  return db
    .select({ id: sends.id })
    .from(sends)
    .where(
      and(
        inArray(sends.status, ['sent', 'cancelled']),
        lt(sends.finishedAt, before),
        sql`EXISTS (SELECT 1 FROM ${deliveries} WHERE ${deliveries.sendId} = ${sends.id})`,
      ),
    );
}

/** Deletes up to `limit` of a send's delivery records (its counters keep the numbers). */
export function pruneSlice(db: Db, sendId: number, limit: number) {
  return db.delete(deliveries).where(
    sql`(${deliveries.sendId}, ${deliveries.subscriberId}) IN (
        SELECT ${deliveries.sendId}, ${deliveries.subscriberId} FROM ${deliveries} WHERE ${deliveries.sendId} = ${sendId} LIMIT ${limit})`,
  );
}


// ---------------------------------------------------------------------------------------------
// Provider events (webhooks): the delivery record, its counters, the circuit breaker
// ---------------------------------------------------------------------------------------------

/** A delivery record, as named by the tags every issue email carries (`send`, `reader`). */
export interface DeliveryRef {
  sendId: number;
  subscriberId: number;
}

const deliveryKey = (ref: DeliveryRef) => and(eq(deliveries.sendId, ref.sendId), eq(deliveries.subscriberId, ref.subscriberId))!;
const rowWhere = (ref: DeliveryRef, condition: SQL) =>
  sql`EXISTS (SELECT 1 FROM ${deliveries} WHERE ${deliveries.sendId} = ${ref.sendId} AND ${deliveries.subscriberId} = ${ref.subscriberId} AND ${condition})`;

export type EventColumn = 'deliveredAt' | 'openedAt' | 'clickedAt' | 'delayedAt' | 'bouncedAt' | 'complainedAt';
const COUNTER_OF: Partial<Record<EventColumn, 'delivered' | 'opened' | 'clicked' | 'bounced' | 'complained'>> = {
  deliveredAt: 'delivered',
  openedAt: 'opened',
  clickedAt: 'clicked',
  bouncedAt: 'bounced',
  complainedAt: 'complained',
};

/**
 * The first occurrence of an event on a delivery: its counter moves only if the record did not have
 * it yet (the guard reads the row before the statement after it writes it, in one batch), so a
 * replayed webhook, or the same event sent twice, changes nothing. Returns the statements in order.
 */
export function recordEvent(db: Db, ref: DeliveryRef, column: EventColumn, at: number, extra: { bounceType?: string | null; permanent?: boolean } = {}) {
  const first = rowWhere(ref, sql`${deliveries[column]} IS NULL`);
  const statements: BatchItem<'sqlite'>[] = [];
  const counter = COUNTER_OF[column];
  if (counter) {
    statements.push(
      db
        .update(sends)
        .set({
          [counter]: sql`${sends[counter]} + 1`,
          ...(extra.permanent ? { hardBounced: sql`${sends.hardBounced} + 1` } : {}),
        })
        .where(and(eq(sends.id, ref.sendId), first)),
    );
  }
  statements.push(
    db
      .update(deliveries)
      .set({ [column]: at, ...(column === 'bouncedAt' ? { bounceType: extra.bounceType ?? null } : {}) })
      .where(and(deliveryKey(ref), isNull(deliveries[column]))),
  );
  return statements;
}

/** The provider reports it could not deliver an email it had accepted: `sent` becomes `failed`. */
export function recordFailure(db: Db, ref: DeliveryRef, at: number, error: string) {
  return [
    db
      .update(sends)
      .set({ sent: sql`${sends.sent} - 1`, failed: sql`${sends.failed} + 1` })
      .where(and(eq(sends.id, ref.sendId), rowWhere(ref, sql`${deliveries.status} = 'sent'`))),
    db
      .update(deliveries)
      .set({ status: 'failed', failedAt: sql`coalesce(${deliveries.failedAt}, ${at})`, error: sql`coalesce(${deliveries.error}, ${error})` })
      .where(and(deliveryKey(ref), or(eq(deliveries.status, 'sent'), isNull(deliveries.failedAt)))),
  ];
}

/**
 * Resend accepted the email and then refused it itself (`email.suppressed`: the address is on its own
 * suppression list): the record becomes `suppressed`, `sent` moves to `suppressed`, and the breaker
 * counts it as a hard bounce (the list was stale about this address). Once, guarded like the others.
 */
export function recordSuppressed(db: Db, ref: DeliveryRef, at: number, error: string) {
  return [
    db
      .update(sends)
      .set({ sent: sql`${sends.sent} - 1`, suppressed: sql`${sends.suppressed} + 1`, hardBounced: sql`${sends.hardBounced} + 1` })
      .where(and(eq(sends.id, ref.sendId), rowWhere(ref, sql`${deliveries.status} = 'sent'`))),
    db
      .update(deliveries)
      .set({ status: 'suppressed', failedAt: sql`coalesce(${deliveries.failedAt}, ${at})`, error })
      .where(and(deliveryKey(ref), eq(deliveries.status, 'sent'))),
  ];
}

/**
 * A failure of the account reported after Resend accepted a batch (`email.failed` with a quota,
 * domain or key reason): the send halts with that reason, as after a synchronous refusal, and
 * housekeeping probes it (src/issues/maintenance.ts) until the provider delivers again.
 */
export function haltForAccount(db: Db, sendId: number, reason: string) {
  return haltSend(
    db,
    sendId,
    `Resend accepted the emails, then reported them failed: ${reason}. This is about the account (quota, sending domain or API key), not these readers: fix it at Resend; housekeeping probes every few minutes and the send resumes by itself. Readers it failed are listed as failed, for retry-failed.`,
  );
}

/** Whether this delivery has had a bounce recorded already (for counting transient bounces once). */
export function firstBounce(ref: DeliveryRef): SQL {
  return rowWhere(ref, sql`${deliveries.bouncedAt} IS NULL`);
}

/**
 * The circuit breaker: once at least BREAKER_MIN_SENT readers were sent since it was (re-)armed, a
 * send pauses (chunks under way finish; nothing new goes) with the reason and the rates when hard
 * bounces pass both MAX_BOUNCE_RATE of those readers and MIN_BOUNCES_TO_PAUSE, or complaints pass both
 * MAX_COMPLAINT_RATE and MIN_COMPLAINTS_TO_PAUSE: the counts keep a few hostile readers from stopping
 * a newsletter (one complaint among 999 readers is over 0.1 %). Everything is counted from the
 * baseline of the last resume (0 before any). Only an operator resumes or cancels it.
 */
export function tripBreaker(db: Db, sendId: number, maxBounceRate: number, maxComplaintRate: number, minBounces: number, minComplaints: number) {
  const sent = sql`(${sends.sent} - ${sends.breakerBaseSent})`;
  const bounced = sql`(${sends.hardBounced} - ${sends.breakerBaseBounced})`;
  const complained = sql`(${sends.complained} - ${sends.breakerBaseComplained})`;
  return db
    .update(sends)
    .set({
      status: 'paused',
      reason: sql`printf('Paused by the circuit breaker: %d hard bounces (%.2f%%) and %d complaints (%.2f%%) among the %d readers sent%s; the limits are %.2f%% and at least %d bounces, %.2f%% and at least %d complaints. Check where this list came from (an old import?), then resume or cancel the send.',
        ${bounced}, 100.0 * ${bounced} / ${sent}, ${complained}, 100.0 * ${complained} / ${sent}, ${sent}, CASE WHEN ${sends.breakerBaseSent} > 0 THEN ' since the last resume' ELSE ' so far' END, ${maxBounceRate * 100}, ${minBounces}, ${maxComplaintRate * 100}, ${minComplaints})`,
    })
    .where(
      and(
        eq(sends.id, sendId),
        inArray(sends.status, ['sending', 'halted']),
        eq(sends.breakerArmed, true),
        sql`${sent} >= ${BREAKER_MIN_SENT}`,
        sql`((${bounced} > ${sent} * ${maxBounceRate} AND ${bounced} >= ${minBounces}) OR (${complained} > ${sent} * ${maxComplaintRate} AND ${complained} >= ${minComplaints}))`,
      ),
    );
}

/** The breaker judges a send once this many readers were sent. */
export const BREAKER_MIN_SENT = 100;
