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
import type { Config, Env } from '../config';
import type { ChunkMessage } from '../messages';
import { holdUntil, reserveSlot, sleepUntil } from '../mail/pacer';
import type { MailTransport, SendResult } from '../mail/transport';
import { signUnsubscribeToken } from '../subscribers/tokens';
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

export async function deliverChunk(env: Env, config: Config, transport: MailTransport, message: ChunkMessage, options: DeliverOptions = {}): Promise<ChunkResult> {
  const { sendId, chunk } = message;
  const db = env.DB;

  // Round trip 1: the send, the chunk's state and its frozen list (empty if not frozen yet).
  const [sendRows, chunkRows, frozenRows] = await db.batch([
    db.prepare('SELECT subject, html, text FROM sends WHERE id = ?1').bind(sendId),
    db.prepare('SELECT status, recipients IS NOT NULL AS frozen FROM send_chunks WHERE send_id = ?1 AND chunk = ?2').bind(sendId, chunk),
    frozenListQuery(db, sendId, chunk),
  ]);
  const send = sendRows.results[0] as { subject: string; html: string; text: string } | undefined;
  const chunkState = chunkRows.results[0] as { status: string; frozen: number } | undefined;
  if (!send || !chunkState) throw new Error(`chunk ${sendId}/${chunk} is not planned: the send or chunk row is missing`);
  if (chunkState.status !== 'pending') return { kind: 'already_done' };
  if (options.crashAt === 'after_read') throw new Error('injected crash after_read');

  // Round trip 2 (first attempt only): freeze the list in SQL, read it back, take a pace slot.
  let frozen = frozenRows.results as unknown as Recipient[];
  let slot: number | null = null;
  let rowsWritten = 0;
  if (!chunkState.frozen) {
    const now = Date.now();
    const statements = [
      // `recipients IS NULL`: if a concurrent attempt froze a list first, this changes nothing and
      // the read below returns that list. The ranges come from the chunk row, never the message.
      db.prepare(
        `UPDATE send_chunks SET updated_at = ?3, recipients = (
           SELECT json_group_array(id) FROM (
             SELECT s.id FROM subscribers s, sends d
              WHERE d.id = ?1 AND s.id BETWEEN send_chunks.from_id AND send_chunks.to_id
                AND s.status = 'confirmed' AND s.confirmed_at <= d.started_at
              ORDER BY s.id))
          WHERE send_id = ?1 AND chunk = ?2 AND recipients IS NULL`,
      ).bind(sendId, chunk, now),
      frozenListQuery(db, sendId, chunk),
    ];
    if (transport.paced) statements.push(reserveSlot(db, config.sendRatePerSecond, now));
    const results = await db.batch(statements);
    rowsWritten += written(results);
    frozen = results[1].results as unknown as Recipient[];
    slot = transport.paced ? (results[2].results[0] as { slot: number }).slot : null;
  }
  if (options.crashAt === 'after_freeze') throw new Error('injected crash after_freeze');

  // Whoever left since the freeze is not sent to (the provider has not accepted this list, or
  // accepted it already, in which case the changed payload is refused: see the 409 below).
  const recipients = frozen.filter((r) => r.status === 'confirmed');
  if (recipients.length === 0) {
    return { kind: 'done', sent: 0, failed: 0, rowsWritten: rowsWritten + written(await db.batch(finishChunkStatements(db, message, []))) };
  }

  const emails = await Promise.all(recipients.map(async (r) => personalize(config, send, r.email, await signUnsubscribeToken(config.tokenSecret, r.id))));
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
      if (slot === null) slot = (await reserveSlot(db, config.sendRatePerSecond, Date.now()).first<{ slot: number }>())!.slot;
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
    await db.prepare('UPDATE send_chunks SET updated_at = ?3 WHERE send_id = ?1 AND chunk = ?2').bind(sendId, chunk, Date.now()).run();
    return { kind: 'halted', reason: final.message };
  }

  // Round trip 3: record each outcome and finish the chunk, atomically.
  rowsWritten += written(await db.batch(finishChunkStatements(db, message, outcomes)));
  if (options.crashAt === 'after_record') throw new Error('injected crash after_record');
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  return { kind: 'done', sent: outcomes.length - failed, failed, rowsWritten };
}

/** The chunk's frozen list with each recipient's address and current status (an erased one drops out). */
function frozenListQuery(db: D1Database, sendId: number, chunk: number): D1PreparedStatement {
  return db
    .prepare(
      `SELECT s.id, s.email, s.status FROM send_chunks c, json_each(c.recipients) AS r JOIN subscribers s ON s.id = r.value
        WHERE c.send_id = ?1 AND c.chunk = ?2 ORDER BY s.id`,
    )
    .bind(sendId, chunk);
}

type Outcome = { s: number; status: 'sent' | 'failed'; id?: string; error?: string };

/**
 * Records outcomes and marks the chunk finished; the send becomes `sent` with its last chunk.
 * The counter moves only if this batch is the one that finishes the chunk, so a redelivered
 * message cannot count a chunk twice.
 */
export function finishChunkStatements(db: D1Database, message: ChunkMessage, outcomes: Outcome[], chunkStatus: 'done' | 'failed' = 'done'): D1PreparedStatement[] {
  const now = Date.now();
  const { sendId, chunk } = message;
  const statements: D1PreparedStatement[] = [];
  if (outcomes.length > 0) {
    // Only the batch that finishes the chunk records (a redelivered message finds it done first),
    // and never for someone erased meanwhile (GDPR: no record of them may remain).
    statements.push(
      db.prepare(
        `INSERT OR IGNORE INTO deliveries (send_id, subscriber_id, status, resend_id, error, created_at, sent_at)
         SELECT ?1, o.value->>'s', o.value->>'status', o.value->>'id', o.value->>'error', ?2, ?2
           FROM json_each(?3) AS o
          WHERE EXISTS (SELECT 1 FROM send_chunks WHERE send_id = ?1 AND chunk = ?4 AND status = 'pending')
            AND EXISTS (SELECT 1 FROM subscribers WHERE id = o.value->>'s')`,
      ).bind(sendId, now, JSON.stringify(outcomes), chunk),
    );
  }
  statements.push(
    db.prepare(
      `UPDATE sends SET chunks_finished = chunks_finished + 1,
              status = CASE WHEN chunks_finished + 1 >= chunks_total AND status = 'sending' THEN 'sent' ELSE status END,
              finished_at = CASE WHEN chunks_finished + 1 >= chunks_total AND status = 'sending' THEN ?3 ELSE finished_at END
        WHERE id = ?1 AND EXISTS (SELECT 1 FROM send_chunks WHERE send_id = ?1 AND chunk = ?2 AND status = 'pending')`,
    ).bind(sendId, chunk, now),
    db.prepare(`UPDATE send_chunks SET status = ?3, attempts = attempts + 1, updated_at = ?4 WHERE send_id = ?1 AND chunk = ?2 AND status = 'pending'`).bind(
      sendId,
      chunk,
      chunkStatus,
      now,
    ),
  );
  return statements;
}

/** Rows a D1 batch wrote (tables and indexes), as D1 reports and bills them. */
function written(results: D1Result[]): number {
  return results.reduce((sum, r) => sum + (r.meta?.rows_written ?? 0), 0);
}
