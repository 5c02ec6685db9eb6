// After an invocation wrote webhook events (events.ts), queue their deliveries at once instead of
// waiting for housekeeping. The Worker entry runs each fetch, queue batch and cron inside
// `trackEmissions`; a helper that builds an event statement marks the invocation, and once the
// handler is done the deliveries due are queued (after the answer, through waitUntil). Marking at
// build time, before the batch commits, can only cause a needless look; a lost look (a crash) is
// made up by housekeeping (queueDueDeliveries every 15 minutes).
import { AsyncLocalStorage } from 'node:async_hooks';
import { and, asc, lte, sql } from 'drizzle-orm';
import type { Env } from '../../config';
import type { Db } from '../../db/client';
import { webhookDeliveries } from '../../db/schema';

const invocation = new AsyncLocalStorage<{ emitted: boolean }>();

export function noteEmitted(): void {
  const state = invocation.getStore();
  if (state) state.emitted = true;
}

export async function trackEmissions<T>(env: Env, db: Db, waitUntil: (p: Promise<unknown>) => void, run: () => Promise<T>): Promise<T> {
  const state = { emitted: false };
  try {
    return await invocation.run(state, run);
  } finally {
    if (state.emitted) {
      waitUntil(queueDueDeliveries(env, db).catch((error) => console.error(`webhooks: could not queue deliveries (housekeeping will): ${error}`)));
    }
  }
}

export type WebhookMessage = { deliveryId: number };

/** Queues every pending delivery that is due (at most `limit`); the consumer's claim makes a duplicate harmless. */
export async function queueDueDeliveries(env: Env, db: Db, now = Date.now(), limit = 500): Promise<number> {
  const due = await db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(and(sql`${webhookDeliveries.status} = 'pending'`, lte(webhookDeliveries.nextAttemptAt, now))) // the partial index's own condition, as a literal
    .orderBy(asc(webhookDeliveries.nextAttemptAt))
    .limit(limit);
  for (let i = 0; i < due.length; i += 100) {
    await env.WEBHOOK_QUEUE.sendBatch(due.slice(i, i + 100).map((d) => ({ body: { deliveryId: d.id } satisfies WebhookMessage, contentType: 'json' as const })));
  }
  return due.length;
}
