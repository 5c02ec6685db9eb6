// Delivering one chunk: at most 100 recipients, one provider batch call, at most 3 D1 round trips.
//
// Why a crash at any line loses and duplicates nobody:
//  1. read: the send, the chunk's state, its frozen list (if an earlier attempt made one), and who
//     in its id range is still confirmed — so an unsubscribe, bounce or complaint that happened
//     during the send is honoured by every chunk not yet sent.
//  2. freeze: the recipient ids are written into the chunk row before the provider is called (only
//     if no attempt froze a list before). A retry sends exactly that list again, byte for byte,
//     under the same Idempotency-Key, so the provider answers a retry of an accepted batch with
//     the original ids instead of sending again.
//  3. record: one delivery row per recipient with its outcome, and the chunk's completion, in one
//     D1 batch (atomic). The (send, subscriber) primary key makes a second delivery row impossible.
import type { Config, Env } from '../config';
import type { ChunkMessage } from '../messages';
import { holdUntil, reserveSlot, sleepUntil } from '../mail/pacer';
import type { EmailOutcome, MailTransport, SendResult } from '../mail/transport';
import { signUnsubscribeToken } from '../subscribers/tokens';
import { personalize } from './template';

export type ChunkResult =
  | { kind: 'done'; sent: number; failed: number; rowsWritten: number }
  | { kind: 'already_done' }
  /** Hand the message back to the queue: after `retryAfterMs` when the provider said so, else with backoff. */
  | { kind: 'retry'; retryAfterMs: number | null; reason: string };

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
}

export function idempotencyKey(message: ChunkMessage): string {
  return `send-${message.sendId}-chunk-${message.chunk}`;
}

export async function deliverChunk(env: Env, config: Config, transport: MailTransport, message: ChunkMessage, options: DeliverOptions = {}): Promise<ChunkResult> {
  const { sendId, chunk, fromId, toId } = message;
  const db = env.DB;

  // Round trip 1: everything this chunk needs to decide.
  const [sendRows, chunkRows, frozenRows, eligibleRows] = await db.batch([
    db.prepare('SELECT subject, html, text, started_at AS startedAt FROM sends WHERE id = ?1').bind(sendId),
    db.prepare('SELECT status, recipients IS NOT NULL AS frozen FROM send_chunks WHERE send_id = ?1 AND chunk = ?2').bind(sendId, chunk),
    frozenListQuery(db, sendId, chunk),
    db.prepare(
      `SELECT s.id, s.email FROM subscribers s
        WHERE s.id BETWEEN ?2 AND ?3 AND s.status = 'confirmed'
          AND s.confirmed_at <= (SELECT started_at FROM sends WHERE id = ?1)
        ORDER BY s.id`,
    ).bind(sendId, fromId, toId),
  ]);
  const send = sendRows.results[0] as { subject: string; html: string; text: string } | undefined;
  const chunkState = chunkRows.results[0] as { status: string; frozen: number } | undefined;
  if (!send || !chunkState) throw new Error(`chunk ${sendId}/${chunk} is not planned: the send or chunk row is missing`);
  if (chunkState.status !== 'pending') return { kind: 'already_done' };
  if (options.crashAt === 'after_read') throw new Error('injected crash after_read');

  // Round trip 2: freeze the list (unless an earlier attempt did), read back the frozen list, take a pace slot.
  let recipients = frozenRows.results as unknown as Recipient[];
  let slot: number | null = null;
  let rowsWritten = 0;
  if (!chunkState.frozen) {
    const eligible = eligibleRows.results as unknown as Recipient[];
    if (eligible.length === 0) {
      return { kind: 'done', sent: 0, failed: 0, rowsWritten: written(await db.batch(finishChunkStatements(db, message, []))) };
    }
    const now = Date.now();
    const statements = [
      // `recipients IS NULL`: if a concurrent attempt froze a list first, this one changes nothing
      // and reads back that list. The stamp tells housekeeping the chunk is being worked on.
      db.prepare('UPDATE send_chunks SET recipients = ?3, updated_at = ?4 WHERE send_id = ?1 AND chunk = ?2 AND recipients IS NULL').bind(
        sendId,
        chunk,
        JSON.stringify(eligible.map((r) => r.id)),
        now,
      ),
      frozenListQuery(db, sendId, chunk),
    ];
    if (transport.paced) statements.push(reserveSlot(db, config.sendRatePerSecond, now));
    const results = await db.batch(statements);
    rowsWritten += written(results);
    recipients = results[1].results as unknown as Recipient[];
    slot = transport.paced ? (results[2].results[0] as { slot: number }).slot : null;
  }
  if (options.crashAt === 'after_freeze') throw new Error('injected crash after_freeze');
  if (recipients.length === 0) {
    // Everyone frozen earlier was erased since (GDPR).
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
  if (!result!.ok && result!.retryable) return { kind: 'retry', retryAfterMs: result!.retryAfterMs, reason: result!.message };
  if (options.crashAt === 'after_provider') throw new Error('injected crash after_provider');

  // A definitive refusal of the whole batch (e.g. 422): every recipient failed, and the chunk is finished.
  const outcomes: EmailOutcome[] = result!.ok ? result!.outcomes : recipients.map(() => ({ error: result!.ok ? '' : result!.message }));

  // Round trip 3: record each outcome and finish the chunk, atomically.
  rowsWritten += written(await db.batch(finishChunkStatements(db, message, recipients.map((r, i) => ({ s: r.id, ...outcomes[i] })))));
  if (options.crashAt === 'after_record') throw new Error('injected crash after_record');
  const failed = outcomes.filter((o) => 'error' in o).length;
  return { kind: 'done', sent: outcomes.length - failed, failed, rowsWritten };
}

/** The chunk's frozen list, with each recipient's address (an erased recipient drops out). */
function frozenListQuery(db: D1Database, sendId: number, chunk: number): D1PreparedStatement {
  return db
    .prepare(
      `SELECT s.id, s.email FROM send_chunks c, json_each(c.recipients) AS r JOIN subscribers s ON s.id = r.value
        WHERE c.send_id = ?1 AND c.chunk = ?2 ORDER BY s.id`,
    )
    .bind(sendId, chunk);
}

type Outcome = { s: number } & ({ id: string } | { error: string });

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
    // Only the batch that finishes the chunk records (a redelivered message finds it done first).
    statements.push(
      db.prepare(
        `INSERT OR IGNORE INTO deliveries (send_id, subscriber_id, status, resend_id, error, created_at, sent_at)
         SELECT ?1, o.value->>'s', CASE WHEN o.value->>'id' IS NOT NULL THEN 'sent' ELSE 'failed' END,
                o.value->>'id', o.value->>'error', ?2, ?2
           FROM json_each(?3) AS o
          WHERE EXISTS (SELECT 1 FROM send_chunks WHERE send_id = ?1 AND chunk = ?4 AND status = 'pending')`,
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
