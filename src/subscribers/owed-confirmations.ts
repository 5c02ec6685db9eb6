// Confirmation emails that an import owes, made durable.
//
// A pending import inserts each new reader with `confirmation_sent_at` (the one confirmation claimed
// for them, which the 15-minute rule counts) and `confirmation_owed_at` set to the same time, in
// the same statement. The marker is cleared only after the confirmation message is on SEND_QUEUE.
// So a Worker that dies between the insert and the enqueue (or a queue that is down) leaves the
// marker behind, and `sendOwedConfirmations`, run by housekeeping every 15 minutes, queues those
// confirmations.
//
// Why nobody gets two: a message names the claim it answers (`requestedAt` = the claim's time), the
// consumer sends only for the claim still current, and the email's idempotency key is built from
// the same two values. A message queued twice (the import's own enqueue went through, then it died
// before clearing the marker) is the identical email under the same key, which the provider (and
// the outbox) answers without sending again. Nothing here makes a new claim, so the 15-minute rule
// holds as it did for the import.
import { and, asc, isNotNull, sql } from 'drizzle-orm';
import type { Env } from '../config';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import type { ConfirmationMessage } from '../messages';

export interface OwedConfirmation {
  subscriberId: number;
  /** The claim's time: confirmation_sent_at and confirmation_owed_at of the row. */
  requestedAt: number;
}

/** Queues' sendBatch takes at most 100 messages (and 256 KB; ours are under 100 bytes each). */
const QUEUE_BATCH = 100;
const QUEUE_CONCURRENCY = 6;
/** Ids per marker-clearing statement: one JSON parameter, far under D1's 100 KB per statement. */
const CLEAR_SLICE = 5000;

/**
 * Puts the owed confirmations on the queue, then clears the marker of those that made it. Returns how
 * many were queued, and the first queue error if some were not (their markers stay for housekeeping).
 */
export async function queueOwedConfirmations(env: Env, db: Db, owed: readonly OwedConfirmation[]): Promise<{ queued: number; error: Error | null }> {
  const groups: OwedConfirmation[][] = [];
  for (let i = 0; i < owed.length; i += QUEUE_BATCH) groups.push(owed.slice(i, i + QUEUE_BATCH));
  const queuedIds: number[] = [];
  let error: Error | null = null;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(QUEUE_CONCURRENCY, groups.length) }, async () => {
      while (next < groups.length && !error) {
        const group = groups[next++];
        const messages = group.map(({ subscriberId, requestedAt }): ConfirmationMessage => ({ type: 'confirmation', subscriberId, requestedAt }));
        try {
          await env.SEND_QUEUE.sendBatch(messages.map((body) => ({ body, contentType: 'json' as const })));
          for (const o of group) queuedIds.push(o.subscriberId);
        } catch (e) {
          error ??= e as Error;
        }
      }
    }),
  );
  await clearMarkers(db, queuedIds);
  return { queued: queuedIds.length, error };
}

async function clearMarkers(db: Db, ids: readonly number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += CLEAR_SLICE) {
    const slice = JSON.stringify(ids.slice(i, i + CLEAR_SLICE));
    await db
      .update(subscribers)
      .set({ confirmationOwedAt: null })
      .where(and(sql`${subscribers.id} IN (SELECT value FROM json_each(${slice}))`, isNotNull(subscribers.confirmationOwedAt)));
  }
}

/** Rows read per step, and at most this many per housekeeping run (the rest wait 15 minutes). */
const SWEEP_SLICE = 1000;
const SWEEP_MAX_PER_RUN = 50_000;

/**
 * Housekeeping: queues every confirmation an import still owes (through the partial index on the
 * marker, so it reads nothing else). A marker whose claim is no longer current (the reader confirmed,
 * left, was erased, or asked again through the form, which queued its own) is simply cleared.
 */
export async function sendOwedConfirmations(env: Env, db: Db): Promise<number> {
  let queued = 0;
  for (let done = 0; done < SWEEP_MAX_PER_RUN; done += SWEEP_SLICE) {
    const rows = await db
      .select({ id: subscribers.id, status: subscribers.status, sentAt: subscribers.confirmationSentAt, owedAt: subscribers.confirmationOwedAt })
      .from(subscribers)
      .where(isNotNull(subscribers.confirmationOwedAt))
      .orderBy(asc(subscribers.confirmationOwedAt))
      .limit(SWEEP_SLICE);
    if (rows.length === 0) break;
    const current = (r: (typeof rows)[number]) => r.status === 'pending' && r.sentAt === r.owedAt;
    await clearMarkers(db, rows.filter((r) => !current(r)).map((r) => r.id));
    const owed = rows.filter(current).map((r) => ({ subscriberId: r.id, requestedAt: r.owedAt! }));
    const result = await queueOwedConfirmations(env, db, owed);
    queued += result.queued;
    if (result.error) {
      console.error(`housekeeping: could not queue owed confirmations (${owed.length - result.queued} left for the next run): ${result.error.message}`);
      break;
    }
    if (rows.length < SWEEP_SLICE) break;
  }
  if (queued > 0) console.warn(`housekeeping: queued ${queued} confirmation(s) an import owed`);
  return queued;
}
