// POST /webhooks/resend: Resend's events, Svix-signed, verified with `standardwebhooks` (the library
// the Resend SDK itself uses) against the raw body, 5-minute timestamp tolerance (its default).
//
//  - no RESEND_WEBHOOK_SECRET: 401 to every call; a secret that is not a `whsec_…` key: 500 and a
//    clear log line (a configuration error, nothing changes);
//  - missing or bad signature, stale or future timestamp: 401, nothing changes;
//  - valid signature but not JSON, or not an event: 400;
//  - `email.bounced` Permanent → subscriber `bounced` (stops all mail); any other bounce type only
//    counts (`soft_bounces + 1`); `email.complained` → `complained`; delivered / opened / clicked /
//    failed / delivery_delayed → first time seen, on the delivery row with that Resend email id;
//    the subscriber is found by `data.to[0]` and through the delivery row (either is enough);
//  - any other event type: 200, ignored.
// A replay is a no-op: every effect is guarded by "this svix-id was never seen" and the id is
// remembered by the last statement of the same D1 batch, so the check and the effect are atomic.
import { and, ne, notInArray, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import { Hono } from 'hono';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { type Db, getDb } from '../db/client';
import { deliveries, subscribers, webhookEvents } from '../db/schema';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';
import { normalizeEmail } from '../subscribers/address';

const MAX_ID = 256;

export type DeliveryColumn = 'delivered_at' | 'opened_at' | 'clicked_at' | 'failed_at' | 'delayed_at';

const DELIVERY_EVENTS: Record<string, DeliveryColumn> = {
  'email.delivered': 'delivered_at',
  'email.opened': 'opened_at',
  'email.clicked': 'clicked_at',
  'email.failed': 'failed_at',
  'email.delivery_delayed': 'delayed_at',
};

/** Each event column's key in the Drizzle schema. */
const DELIVERY_KEYS = {
  delivered_at: 'deliveredAt',
  opened_at: 'openedAt',
  clicked_at: 'clickedAt',
  failed_at: 'failedAt',
  delayed_at: 'delayedAt',
} as const satisfies Record<DeliveryColumn, keyof typeof deliveries.$inferSelect>;

interface Target {
  /** Resend's email id (`data.email_id`), as recorded in deliveries.resend_id. */
  emailId: string | null;
  /** `data.to[0]`, normalised; null if absent or not an address. */
  address: string | null;
  /** When the event happened (the payload's created_at), ms. */
  at: number;
}

export type WebhookEffect =
  | ({ kind: 'delivery'; column: DeliveryColumn; error: string | null } & Target)
  | ({ kind: 'bounce'; permanent: boolean; bounceType: string | null } & Target)
  | ({ kind: 'complaint' } & Target)
  | { kind: 'ignored'; type: string };

/** What one verified payload means; a plain function of data. */
export function interpretEvent(payload: unknown, now: number): { ok: true; type: string; effect: WebhookEffect } | { ok: false; message: string } {
  if (!isObject(payload) || typeof payload.type !== 'string' || payload.type.length > 100) {
    return { ok: false, message: 'The payload is not a Resend event: an object with a string "type".' };
  }
  const type = payload.type;
  const column = DELIVERY_EVENTS[type];
  if (!column && type !== 'email.bounced' && type !== 'email.complained') return { ok: true, type, effect: { kind: 'ignored', type } };

  const data = isObject(payload.data) ? payload.data : {};
  const emailId = typeof data.email_id === 'string' && data.email_id.length <= MAX_ID ? data.email_id : null;
  const firstTo = Array.isArray(data.to) ? data.to[0] : data.to;
  const normalized = normalizeEmail(firstTo);
  const address = normalized.ok ? normalized.value : null;
  if (!emailId && !address) return { ok: false, message: `A ${type} event needs data.email_id or data.to.` };
  const created = typeof payload.created_at === 'string' ? Date.parse(payload.created_at) : NaN;
  const target: Target = { emailId, address, at: Number.isFinite(created) ? created : now };

  if (column) {
    const failed = isObject(data.failed) && typeof data.failed.reason === 'string' ? data.failed.reason.slice(0, 1000) : null;
    return { ok: true, type, effect: { kind: 'delivery', column, error: column === 'failed_at' ? (failed ?? 'failed (reported by Resend)') : null, ...target } };
  }
  if (type === 'email.complained') return { ok: true, type, effect: { kind: 'complaint', ...target } };
  const bounceType = isObject(data.bounce) && typeof data.bounce.type === 'string' ? data.bounce.type.slice(0, 50) : null;
  return { ok: true, type, effect: { kind: 'bounce', permanent: bounceType?.toLowerCase() === 'permanent', bounceType, ...target } };
}

/** The D1 batch of one event; `true` if it was new, `false` for a replay (nothing changed). */
export async function applyEvent(db: Db, svixId: string, type: string, effect: WebhookEffect, now: number): Promise<boolean> {
  // Statements written with the query builder and `sql` fragments (a raw `db.run(sql)` cannot go
  // into a D1 batch in drizzle-orm 0.45: drizzle-team/drizzle-orm#2277).
  const unseen = sql`NOT EXISTS (SELECT 1 FROM ${webhookEvents} WHERE ${webhookEvents.svixId} = ${svixId})`;
  const statements: BatchItem<'sqlite'>[] = [];
  if (effect.kind !== 'ignored') {
    const { emailId, address, at } = effect;
    // A null id or address matches nothing (`= NULL` is never true), as in the event that lacks it.
    const subscriber = sql`(${subscribers.email} = ${address} OR ${subscribers.id} IN (SELECT ${deliveries.subscriberId} FROM ${deliveries} WHERE ${deliveries.resendId} = ${emailId}))`;
    const delivery = sql`${deliveries.resendId} = ${emailId}`;
    const firstSeen = (column: AnySQLiteColumn) => sql`coalesce(${column}, ${at})`;
    if (effect.kind === 'delivery') {
      const key = DELIVERY_KEYS[effect.column];
      statements.push(
        db
          .update(deliveries)
          .set({ [key]: firstSeen(deliveries[key]), ...(effect.column === 'failed_at' ? { error: sql`coalesce(${deliveries.error}, ${effect.error})` } : {}) })
          .where(and(delivery, unseen)),
      );
    } else if (effect.kind === 'bounce') {
      statements.push(
        db.update(deliveries).set({ bouncedAt: firstSeen(deliveries.bouncedAt), bounceType: effect.bounceType }).where(and(delivery, unseen)),
        effect.permanent
          ? db.update(subscribers).set({ status: 'bounced', leftAt: now }).where(and(subscriber, notInArray(subscribers.status, ['bounced', 'complained']), unseen))
          : db.update(subscribers).set({ softBounces: sql`${subscribers.softBounces} + 1` }).where(and(subscriber, unseen)),
      );
    } else {
      statements.push(
        db.update(deliveries).set({ complainedAt: firstSeen(deliveries.complainedAt) }).where(and(delivery, unseen)),
        db.update(subscribers).set({ status: 'complained', leftAt: now }).where(and(subscriber, ne(subscribers.status, 'complained'), unseen)),
      );
    }
  }
  // Last: the guards above read webhook_events before this row exists; its `changes` says new or replay.
  statements.push(db.insert(webhookEvents).values({ svixId, type, receivedAt: now }).onConflictDoNothing());
  const results = await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  return ((results[results.length - 1] as D1Result).meta.changes ?? 0) > 0;
}

const verifiers = new Map<string, Webhook>();

function verifierFor(secret: string): Webhook {
  let verifier = verifiers.get(secret);
  if (!verifier) {
    verifier = new Webhook(secret); // throws on a secret that is not base64 (after `whsec_`)
    verifiers.set(secret, verifier);
  }
  return verifier;
}

export const webhookRoutes = new Hono<AppEnv>();

// Resend's payloads are a few KB: the app-wide public body limit (src/app.ts) applies before this runs.
webhookRoutes.post('/webhooks/resend', async (c) => {
  const secret = c.get('config').webhookSecret;
  if (!secret) return fail(c, 401, 'webhook_not_configured', 'Webhooks are off: RESEND_WEBHOOK_SECRET is not configured.');
  let verifier: Webhook;
  try {
    verifier = verifierFor(secret);
  } catch (error) {
    console.error(`webhook: RESEND_WEBHOOK_SECRET is not a valid signing secret (expected "whsec_" and base64): ${(error as Error).message}`);
    return fail(c, 500, 'not_configured', 'The webhook signing secret is misconfigured; the operator can find the problem in the logs.');
  }

  // The raw body, exactly as signed: nothing has parsed it before this line.
  const raw = await c.req.text();
  const svixId = c.req.header('svix-id') ?? c.req.header('webhook-id') ?? '';
  const headers = {
    'webhook-id': svixId,
    'webhook-timestamp': c.req.header('svix-timestamp') ?? c.req.header('webhook-timestamp') ?? '',
    'webhook-signature': c.req.header('svix-signature') ?? c.req.header('webhook-signature') ?? '',
  };
  try {
    verifier.verify(raw, headers, { jsonParse: false });
  } catch (error) {
    const reason = error instanceof WebhookVerificationError ? error.message : 'verification failed';
    return fail(c, 401, 'invalid_signature', `The webhook signature does not verify (${reason}).`);
  }
  if (svixId.length > MAX_ID) return fail(c, 400, 'invalid_payload', 'svix-id is too long.');

  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    return fail(c, 400, 'invalid_json', 'The webhook body is not valid JSON.');
  }
  const now = Date.now();
  const event = interpretEvent(payload, now);
  if (!event.ok) return fail(c, 400, 'invalid_payload', event.message);
  const fresh = await applyEvent(getDb(c.env.DB), svixId, event.type, event.effect, now);
  return c.json({ status: !fresh ? 'duplicate' : event.effect.kind === 'ignored' ? 'ignored' : 'processed' });
});

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
