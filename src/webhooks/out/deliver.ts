// Delivering one outgoing webhook (the WEBHOOK_QUEUE consumer calls this per message).
//
// Invariants, and why they hold:
//  - At least once, with a stable `webhook-id`: a delivery row is `pending` until an endpoint answers
//    2xx; each attempt first claims the row (attempts + 1, a lease of LEASE_MS) in one statement, so
//    two copies of a message cannot both post, and an attempt that dies mid-way is tried again when
//    the lease ends (housekeeping re-queues it). A receiver may see an event twice, never two ids.
//  - Retries: the first within a minute, then backing off (RETRY_DELAYS_S) until 24 hours after the
//    event; then the delivery is `failed`.
//  - An endpoint that has failed every attempt for 24 hours is disabled: nothing more is written for
//    it (events.ts) or tried; the dashboard and GET /api/webhooks say so. Any 2xx clears the run.
//  - Signed per Standard Webhooks with the `standardwebhooks` library (the one that verifies Resend's):
//    `webhook-signature` is v1,HMAC-SHA256(id.timestamp.body) with the endpoint's whsec_ key.
//  - Redirects are not followed (a 3xx is a failure): the registered URL is the only place it goes.
import { and, eq, sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import type { Db } from '../../db/client';
import { webhookDeliveries, webhookEndpoints } from '../../db/schema';

export const LEASE_MS = 60_000;
export const ATTEMPT_TIMEOUT_MS = 10_000;
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
/** Waits after the 1st, 2nd… failed attempt; the last repeats until 24 hours are up. */
export const RETRY_DELAYS_S = [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800];

export type DeliveryResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; afterSeconds: number; error: string }
  | { kind: 'failed'; error: string }
  /** Not due, already done, or another attempt holds it: nothing to do for this message. */
  | { kind: 'skipped' };

export function retryDelaySeconds(attempts: number): number {
  return RETRY_DELAYS_S[Math.min(Math.max(attempts - 1, 0), RETRY_DELAYS_S.length - 1)];
}

export async function deliverWebhook(db: Db, deliveryId: number, now = Date.now(), fetcher: typeof fetch = fetch): Promise<DeliveryResult> {
  const [claimed, endpoints] = await db.batch([
    db
      .update(webhookDeliveries)
      .set({ attempts: sql`${webhookDeliveries.attempts} + 1`, nextAttemptAt: now + LEASE_MS, lastAttemptAt: now })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending'), sql`coalesce(${webhookDeliveries.nextAttemptAt}, 0) <= ${now}`))
      .returning(),
    db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, sql`(SELECT ${webhookDeliveries.endpointId} FROM ${webhookDeliveries} WHERE ${webhookDeliveries.id} = ${deliveryId})`)),
  ]);
  const delivery = claimed[0];
  if (!delivery) return { kind: 'skipped' };
  const endpoint = endpoints[0];
  if (!endpoint || endpoint.disabledAt !== null) {
    const error = endpoint ? 'the endpoint is disabled (it failed for 24 hours)' : 'the endpoint was deleted';
    await db.update(webhookDeliveries).set({ status: 'failed', lastError: error, nextAttemptAt: null }).where(eq(webhookDeliveries.id, deliveryId));
    return { kind: 'failed', error };
  }

  const signature = new Webhook(endpoint.secret).sign(delivery.webhookId, new Date(now), delivery.payload);
  let status: number | null = null;
  let error: string | null = null;
  try {
    const response = await fetcher(endpoint.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'newsletter-webhooks/1',
        'webhook-id': delivery.webhookId,
        'webhook-timestamp': String(Math.floor(now / 1000)),
        'webhook-signature': signature,
      },
      body: delivery.payload,
    });
    status = response.status;
    // Read (a little of) the answer: for the log, and so the connection is released.
    const text = (await response.text().catch(() => '')).slice(0, 200);
    if (!response.ok) error = `HTTP ${response.status}${text ? `: ${text}` : ''}`;
  } catch (thrown) {
    error = (thrown as Error)?.name === 'TimeoutError' ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` : `could not connect: ${(thrown as Error)?.message ?? thrown}`;
  }

  if (error === null) {
    await db.batch([
      db
        .update(webhookDeliveries)
        .set({ status: 'delivered', deliveredAt: Date.now(), lastStatus: status, lastError: null, nextAttemptAt: null })
        .where(eq(webhookDeliveries.id, deliveryId)),
      db.update(webhookEndpoints).set({ failingSince: null, lastError: null }).where(eq(webhookEndpoints.id, endpoint.id)),
    ]);
    return { kind: 'delivered', status: status! };
  }

  const failingSince = endpoint.failingSince ?? now;
  const disable = now - failingSince >= GIVE_UP_AFTER_MS;
  const afterSeconds = retryDelaySeconds(delivery.attempts);
  const giveUp = disable || now + afterSeconds * 1000 - delivery.createdAt > GIVE_UP_AFTER_MS;
  await db.batch([
    db
      .update(webhookDeliveries)
      .set({ status: giveUp ? 'failed' : 'pending', lastStatus: status, lastError: error.slice(0, 500), nextAttemptAt: giveUp ? null : now + afterSeconds * 1000 })
      .where(eq(webhookDeliveries.id, deliveryId)),
    db
      .update(webhookEndpoints)
      .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${now})`, lastError: error.slice(0, 500), ...(disable ? { disabledAt: now } : {}) })
      .where(eq(webhookEndpoints.id, endpoint.id)),
  ]);
  if (disable) console.warn(`webhooks: endpoint ${endpoint.id} (${endpoint.url}) failed for 24 hours and is now disabled`);
  return giveUp ? { kind: 'failed', error } : { kind: 'retry', afterSeconds, error };
}
