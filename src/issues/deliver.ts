// Delivering one chunk: at most 100 recipients, one provider batch call, at most 3 D1 round trips.
//
// Why a crash at any line loses and duplicates nobody, and nobody who left gets the issue:
//  1. freeze: before the provider is first called, the chunk's recipients (confirmed now, within
//     its id range, confirmed before the send started) are written into the chunk row by one SQL
//     statement, unless an earlier attempt froze them already.
//  2. send: the frozen list, less whoever has left since (unsubscribed, bounced, complained,
//     erased), goes out in one batch call under the chunk's Idempotency-Key. A retry of an accepted
//     batch is answered with the original ids instead of being sent again; if the list shrank in
//     between, the provider refuses the changed payload (409 invalid_idempotent_request), which
//     proves an earlier attempt was accepted, and the frozen list is recorded as sent.
//  3. record: one delivery row per recipient with its outcome, and the chunk's completion, in one
//     D1 batch (atomic). The (send, subscriber) primary key makes a second delivery row impossible.
// A whole-batch refusal that is not about this batch (a bad API key, an unverified domain) halts
// the chunk without recording anything: it stays pending, and housekeeping retries it later.
import { and, eq, exists, isNull, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Config, Env } from '../config';
import { type Db, getDb } from '../db/client';
import { type BatchStatements, selectList } from '../db/batch';
import { deliveries, sendChunks, sends, subscribers } from '../db/schema';
import type { ChunkMessage } from '../messages';
import { holdUntil, reserveSlot, sleepUntil } from '../mail/pacer';
import type { MailTransport, SendResult } from '../mail/transport';
import { signPreferencesToken, signUnsubscribeToken } from '../subscribers/tokens';
import { personalize } from './template';

export type ChunkResult =
  | { kind: 'done'; sent: number; failed: number; rowsWritten: number }
  | { kind: 'already_done' }
  /** Hand the message back to the queue: after `retryAfterMs` when the provider said so, else with backoff. */
  | { kind: 'retry'; retryAfterMs: number | null; reason: string }
  /** The provider refuses every batch (configuration): nothing recorded, the chunk stays pending. */
  | { kind: 'halted'; reason: string };

/** Test seam: throws at a named step, to prove a crash there loses and duplicates nobody. */
export type FaultPoint = 'after_read' | 'after_freeze' | 'after_provider' | 'after_record';
export interface DeliverOptions {
  crashAt?: FaultPoint;
  /** Provider calls within this invocation (on 5xx or network errors) before handing the message back. */
  inlineAttempts?: number;
}

interface Recipient {
  id: number;
  email: string;
  status: string;
}

export function idempotencyKey(message: ChunkMessage): string {
  return `send-${message.sendId}-chunk-${message.chunk}`;
}

export async function deliverChunk(
  env: Env,
  config: Config,
  transport: MailTransport,
  message: ChunkMessage,
  options: DeliverOptions = {},
  db: Db = getDb(env.DB),
): Promise<ChunkResult> {
  const { sendId, chunk } = message;
  const thisChunk = and(eq(sendChunks.sendId, sendId), eq(sendChunks.chunk, chunk));

  // Round trip 1: the send, the chunk's state and its frozen list (empty if not frozen yet).
  const [sendRows, chunkRows, frozenRows] = await db.batch([
    db.select({ subject: sends.subject, html: sends.html, text: sends.text }).from(sends).where(eq(sends.id, sendId)),
    db.select({ status: sendChunks.status, frozen: sql<number>`${sendChunks.recipients} IS NOT NULL` }).from(sendChunks).where(thisChunk),
    frozenListQuery(db, sendId, chunk),
  ]);
  const send = sendRows[0];
  const chunkState = chunkRows[0];
  if (!send || !chunkState) throw new Error(`chunk ${sendId}/${chunk} is not planned: the send or chunk row is missing`);
  if (chunkState.status !== 'pending') return { kind: 'already_done' };
  if (options.crashAt === 'after_read') throw new Error('injected crash after_read');

  // Round trip 2 (first attempt only): freeze the list in SQL, read it back, take a pace slot.
  let frozen: Recipient[] = frozenRows;
  let slot: number | null = null;
  let rowsWritten = 0;
  if (!chunkState.frozen) {
    const now = Date.now();
    // `recipients IS NULL`: if a concurrent attempt froze a list first, this changes nothing and
    // the read below returns that list. The ranges come from the chunk row, never the message: the
    // subquery has no send_chunks of its own, so "send_chunks"."from_id" is the row being updated.
    const freeze = db
      .update(sendChunks)
      .set({
        updatedAt: now,
        recipients: sql`(
          SELECT json_group_array(id) FROM (
            SELECT ${subscribers.id} FROM ${subscribers}, ${sends}
             WHERE ${sends.id} = ${sendId} AND ${subscribers.id} BETWEEN ${sendChunks.fromId} AND ${sendChunks.toId}
               AND ${subscribers.status} = 'confirmed' AND ${subscribers.confirmedAt} <= ${sends.startedAt}
               AND (${subscribers.pausedUntil} IS NULL OR ${subscribers.pausedUntil} <= ${now})
             ORDER BY ${subscribers.id}))`,
      })
      .where(and(thisChunk, isNull(sendChunks.recipients)));
    if (transport.paced) {
      const [froze, list, slots] = await db.batch([freeze, frozenListQuery(db, sendId, chunk), reserveSlot(db, config.sendRatePerSecond, now)]);
      // The pacer upsert writes exactly the one row it returns; Drizzle hands back a RETURNING
      // statement's rows without D1's meta, so that write is counted from its result.
      rowsWritten += written([froze]) + slots.length;
      frozen = list;
      slot = slots[0].slot;
    } else {
      const [froze, list] = await db.batch([freeze, frozenListQuery(db, sendId, chunk)]);
      rowsWritten += written([froze]);
      frozen = list;
    }
  }
  if (options.crashAt === 'after_freeze') throw new Error('injected crash after_freeze');

  // Whoever left since the freeze is not sent to (the provider has not accepted this list, or
  // accepted it already, in which case the changed payload is refused: see the 409 below).
  const recipients = frozen.filter((r) => r.status === 'confirmed');
  if (recipients.length === 0) {
    return { kind: 'done', sent: 0, failed: 0, rowsWritten: rowsWritten + written(await db.batch(finishChunkStatements(db, message, []))) };
  }

  const emails = await Promise.all(recipients.map(async (r) => personalize(config, send, r.email, await signUnsubscribeToken(config.tokenSecret, r.id), await signPreferencesToken(config.tokenSecret, r.id))));
  const key = idempotencyKey(message);

  // The provider call. A 5xx or network error is retried once more at the next pace slot (often a
  // blip, or an answer lost after the batch was accepted); after that, and after any 429, the message
  // goes back to the queue with a delay rather than sleeping here, so one slow chunk never holds up
  // the rest of its batch. A 429 that emptied the provider's window (`ratelimit-remaining: 0`) also
  // holds every consumer back until `retry-after`.
  const attempts = options.inlineAttempts ?? 2;
  let result: SendResult | null = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (transport.paced) {
      if (slot === null) slot = (await reserveSlot(db, config.sendRatePerSecond, Date.now()).get())!.slot;
      await sleepUntil(slot);
      slot = null;
    }
    result = await transport.sendBatch(emails, key);
    if (result.ok || !result.retryable) break;
    if (result.windowExhausted) await holdUntil(db, Date.now() + (result.retryAfterMs ?? 1000));
    if (result.retryAfterMs !== null) break;
  }
  const final = result!;
  if (!final.ok && final.retryable) return { kind: 'retry', retryAfterMs: final.retryAfterMs, reason: final.message };
  if (options.crashAt === 'after_provider') throw new Error('injected crash after_provider');

  let outcomes: Outcome[];
  if (final.ok) {
    outcomes = recipients.map((r, i) => {
      const o = final.outcomes[i];
      return 'id' in o ? { s: r.id, status: 'sent', id: o.id } : { s: r.id, status: 'failed', error: o.error };
    });
  } else if (final.code === 'invalid_idempotent_request') {
    // An earlier attempt's batch was accepted under this key (its answer was lost): the frozen list got it.
    outcomes = frozen.map((r) => ({ s: r.id, status: 'sent', error: 'accepted by an earlier attempt; provider id unknown' }));
  } else {
    // The provider refuses the batch as a whole (bad key, unverified domain, …): this is not about
    // these readers, so nothing is recorded and the chunk stays pending for housekeeping to retry.
    await db.update(sendChunks).set({ updatedAt: Date.now() }).where(thisChunk);
    return { kind: 'halted', reason: final.message };
  }

  // Round trip 3: record each outcome and finish the chunk, atomically.
  rowsWritten += written(await db.batch(finishChunkStatements(db, message, outcomes)));
  if (options.crashAt === 'after_record') throw new Error('injected crash after_record');
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  return { kind: 'done', sent: outcomes.length - failed, failed, rowsWritten };
}

/** The chunk's frozen list with each recipient's address and current status (an erased one drops out). */
function frozenListQuery(db: Db, sendId: number, chunk: number) {
  return db
    .select({ id: subscribers.id, email: subscribers.email, status: subscribers.status })
    .from(sendChunks)
    .crossJoin(sql`json_each(${sendChunks.recipients}) AS r`)
    .innerJoin(subscribers, sql`${subscribers.id} = r.value`)
    .where(and(eq(sendChunks.sendId, sendId), eq(sendChunks.chunk, chunk)))
    .orderBy(subscribers.id);
}

type Outcome = { s: number; status: 'sent' | 'failed'; id?: string; error?: string };

/**
 * Records outcomes and marks the chunk finished; the send becomes `sent` with its last chunk.
 * The counter moves only if this batch is the one that finishes the chunk, so a redelivered
 * message cannot count a chunk twice.
 */
export function finishChunkStatements(db: Db, message: ChunkMessage, outcomes: Outcome[], chunkStatus: 'done' | 'failed' = 'done'): BatchStatements {
  const now = Date.now();
  const { sendId, chunk } = message;
  const thisChunk = and(eq(sendChunks.sendId, sendId), eq(sendChunks.chunk, chunk));
  const stillPending = exists(db.select({ one: sql`1` }).from(sendChunks).where(and(thisChunk, eq(sendChunks.status, 'pending'))));
  const finishes = sql`${sends.chunksFinished} + 1 >= ${sends.chunksTotal} AND ${sends.status} = 'sending'`;
  const statements: BatchItem<'sqlite'>[] = [];
  if (outcomes.length > 0) {
    // Only the batch that finishes the chunk records (a redelivered message finds it done first),
    // and never for someone erased meanwhile (GDPR: no record of them may remain). A reader who
    // has a row already keeps it (the primary key; ON CONFLICT DO NOTHING).
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
            createdAt: now,
            sentAt: now,
          })}
                FROM json_each(${JSON.stringify(outcomes)}) AS o
               WHERE ${stillPending}
                 AND EXISTS (SELECT 1 FROM ${subscribers} WHERE ${subscribers.id} = o.value->>'s')`,
        )
        .onConflictDoNothing(),
    );
  }
  statements.push(
    db
      .update(sends)
      .set({
        chunksFinished: sql`${sends.chunksFinished} + 1`,
        status: sql`CASE WHEN ${finishes} THEN 'sent' ELSE ${sends.status} END`,
        finishedAt: sql`CASE WHEN ${finishes} THEN ${now} ELSE ${sends.finishedAt} END`,
      })
      .where(and(eq(sends.id, sendId), stillPending)),
    db
      .update(sendChunks)
      .set({ status: chunkStatus, attempts: sql`${sendChunks.attempts} + 1`, updatedAt: now })
      .where(and(thisChunk, eq(sendChunks.status, 'pending'))),
  );
  return statements as BatchStatements;
}

/** Rows a D1 batch wrote (tables and indexes), as D1 reports and bills them. */
function written(results: unknown[]): number {
  return results.reduce<number>((sum, r) => sum + ((r as Partial<D1Result> | undefined)?.meta?.rows_written ?? 0), 0);
}
