// POST /webhooks/resend: Resend's events, Svix-signed, verified with `standardwebhooks` (the library
// the Resend SDK itself uses) against the raw body, 5-minute timestamp tolerance (its default).
//
//  - no RESEND_WEBHOOK_SECRET: 401 to every call; a secret that is not a `whsec_…` key: 500 and a
//    clear log line (a configuration error, nothing changes);
//  - missing or bad signature, stale or future timestamp: 401, nothing changes;
//  - valid signature but not JSON, or not an event: 400;
//  - the delivery record is found by the email's tags (`send`, `reader`: every issue email carries
//    them, and Resend returns them in `data.tags`), through the primary key, no other index;
//  - `email.bounced` Permanent → subscriber `bounced` (stops all mail); other bounce types only count
//    (`soft_bounces + 1`, once per delivery); `email.complained` → `complained`; the subscriber is
//    found by the `reader` tag or by `data.to[0]` (confirmation and welcome emails have no delivery);
//  - delivered / opened / clicked / delivery_delayed → first time seen on the delivery, and its
//    counter; failed → the delivery becomes `failed`, and when its reason is the account's (quota,
//    domain, key: accountFailure below) the send halts with it, as after a synchronous refusal;
//  - `email.suppressed` (Resend refused the accepted email itself: the address is on its own
//    suppression list) → the delivery becomes `suppressed` (not sent), the reader `bounced` or
//    `complained` by `data.suppressed.reason` (`previous_bounce` / `previous_complaint`, Resend's
//    OpenAPI description), and the breaker counts it as a hard bounce;
//  - bounces, complaints and suppressions may trip the circuit breaker (src/issues/send-store.ts);
//  - any other event type: 200, ignored.
// A replay is a no-op without remembering svix-ids: every effect is "the first time": a counter moves
// only if its record did not have the event yet, checked in the same D1 batch that records it.
import { and, eq, ne, notInArray, or, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { Hono } from 'hono';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';
import { type DeliveryRef, type EventColumn, firstBounce, haltForAccount, recordEvent, recordFailure, recordSuppressed, tripBreaker } from '../issues/send-store';
import { normalizeEmail } from '../subscribers/address';
import { blockChangeEmail } from '../subscribers/mailbox';
import { issueEvent, subscriberEvent } from './out/events';


const DELIVERY_EVENTS: Record<string, EventColumn | 'failed'> = {
  'email.delivered': 'deliveredAt',
  'email.opened': 'openedAt',
  'email.clicked': 'clickedAt',
  'email.failed': 'failed',
  'email.delivery_delayed': 'delayedAt',
};

interface Target {
  /** The delivery record named by the email's tags; null for mail that is not an issue. */
  delivery: DeliveryRef | null;
  /** `data.to[0]`, normalised; null if absent or not an address. */
  address: string | null;
  /** When the event happened (the payload's created_at), ms. */
  at: number;
}

/**
 * `email.failed` reasons that are about the account, not the reader. Resend's OpenAPI description
 * names `reached_daily_quota` as an example; its docs page for the event lists "API key problems,
 * domain verification issues, email quota limits" beside invalid recipients without naming the
 * strings, so the rest are recognised by what they are about.
 */
export function accountFailure(reason: string | null): boolean {
  return reason !== null && /quota|domain|api[_ ]?key|account|suspend|verif|plan|billing/i.test(reason);
}

export type WebhookEffect =
  | ({ kind: 'delivery'; column: EventColumn | 'failed'; error: string | null; account?: boolean } & Target)
  | ({ kind: 'suppressed'; complaint: boolean; error: string } & Target)
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
  if (!column && type !== 'email.bounced' && type !== 'email.complained' && type !== 'email.suppressed') return { ok: true, type, effect: { kind: 'ignored', type } };

  const data = isObject(payload.data) ? payload.data : {};
  const firstTo = Array.isArray(data.to) ? data.to[0] : data.to;
  const normalized = normalizeEmail(firstTo);
  const address = normalized.ok ? normalized.value : null;
  const delivery = deliveryFromTags(data.tags);
  if (!delivery && !address) return { ok: false, message: `A ${type} event needs data.to or the email's tags.` };
  const created = typeof payload.created_at === 'string' ? Date.parse(payload.created_at) : NaN;
  const target: Target = { delivery, address, at: Number.isFinite(created) ? created : now };

  if (column) {
    const failed = isObject(data.failed) && typeof data.failed.reason === 'string' ? data.failed.reason.slice(0, 1000) : null;
    return {
      ok: true,
      type,
      effect: { kind: 'delivery', column, error: column === 'failed' ? (failed ?? 'failed (reported by Resend)') : null, account: column === 'failed' && accountFailure(failed), ...target },
    };
  }
  if (type === 'email.suppressed') {
    const reason = isObject(data.suppressed) && typeof data.suppressed.reason === 'string' ? data.suppressed.reason.slice(0, 100) : 'unknown reason';
    const message = isObject(data.suppressed) && typeof data.suppressed.message === 'string' ? `: ${data.suppressed.message.slice(0, 500)}` : '';
    // Only a previous complaint makes the reader `complained`; a bounce, or a reason we do not know, `bounced`.
    return { ok: true, type, effect: { kind: 'suppressed', complaint: reason === 'previous_complaint', error: `suppressed by Resend (${reason})${message}`, ...target } };
  }
  if (type === 'email.complained') return { ok: true, type, effect: { kind: 'complaint', ...target } };
  const bounceType = isObject(data.bounce) && typeof data.bounce.type === 'string' ? data.bounce.type.slice(0, 50) : null;
  return { ok: true, type, effect: { kind: 'bounce', permanent: bounceType?.toLowerCase() === 'permanent', bounceType, ...target } };
}

/** `send` and `reader` tags, as Resend returns them: an object (`{"send": "3"}`) or a list of {name, value}. */
function deliveryFromTags(tags: unknown): DeliveryRef | null {
  const map = new Map<string, unknown>();
  if (Array.isArray(tags)) for (const t of tags) if (isObject(t) && typeof t.name === 'string') map.set(t.name, t.value);
  if (isObject(tags)) for (const [k, v] of Object.entries(tags)) map.set(k, v);
  const id = (v: unknown) => (typeof v === 'string' && /^[1-9]\d{0,15}$/.test(v) ? Number(v) : null);
  const sendId = id(map.get('send'));
  const subscriberId = id(map.get('reader'));
  return sendId !== null && subscriberId !== null ? { sendId, subscriberId } : null;
}

/**
 * The D1 batch of one event: whether it changed anything (not for a replay, or an event about nobody
 * we know) and the rows it wrote (D1 bills them: a delivery event writes its record and the counter).
 */
export async function applyEvent(db: Db, config: Config, effect: WebhookEffect, now: number): Promise<{ changed: boolean; rowsWritten: number }> {
  const nothing = { changed: false, rowsWritten: 0 };
  if (effect.kind === 'ignored') return nothing;
  const { delivery, address, at } = effect;
  // A null id or address matches nothing (`= NULL` is never true), as in the event that lacks it.
  const subscriber = or(eq(subscribers.id, delivery?.subscriberId ?? -1), eq(subscribers.email, address ?? ''))!;
  const statements: BatchItem<'sqlite'>[] = [];
  if (effect.kind === 'delivery') {
    if (!delivery) return nothing; // delivery events only concern issue emails
    statements.push(...(effect.column === 'failed' ? recordFailure(db, delivery, at, effect.error ?? 'failed') : recordEvent(db, delivery, effect.column, at)));
    if (effect.account) statements.push(haltForAccount(db, delivery.sendId, effect.error ?? 'failed'), issueEvent(db, 'issue.halted', delivery.sendId, now));
  } else if (effect.kind === 'suppressed') {
    const status = effect.complaint ? 'complained' : 'bounced';
    statements.push(
      db.update(subscribers).set({ status, leftAt: now }).where(and(subscriber, notInArray(subscribers.status, ['bounced', 'complained']))),
      subscriberEvent(db, `subscriber.${status}`, sql`${subscriber} AND ${subscribers.status} = ${status} AND ${subscribers.leftAt} = ${now}`, now),
    );
    if (delivery) statements.push(...recordSuppressed(db, delivery, at, effect.error));
  } else if (effect.kind === 'bounce') {
    if (effect.permanent) {
      statements.push(
        db.update(subscribers).set({ status: 'bounced', leftAt: now }).where(and(subscriber, notInArray(subscribers.status, ['bounced', 'complained']))),
        subscriberEvent(db, 'subscriber.bounced', sql`${subscriber} AND ${subscribers.status} = 'bounced' AND ${subscribers.leftAt} = ${now}`, now),
      );
    } else if (delivery) {
      // Transient bounces only count, once per delivery (the guard runs before the record below).
      statements.push(db.update(subscribers).set({ softBounces: sql`${subscribers.softBounces} + 1` }).where(and(subscriber, firstBounce(delivery))));
    }
    if (delivery) statements.push(...recordEvent(db, delivery, 'bouncedAt', at, { bounceType: effect.bounceType, permanent: effect.permanent }));
  } else {
    statements.push(
      db.update(subscribers).set({ status: 'complained', leftAt: now }).where(and(subscriber, ne(subscribers.status, 'complained'))),
      subscriberEvent(db, 'subscriber.complained', sql`${subscriber} AND ${subscribers.status} = 'complained' AND ${subscribers.leftAt} = ${now}`, now),
    );
    if (delivery) statements.push(...recordEvent(db, delivery, 'complainedAt', at));
  }
  if (delivery && effect.kind !== 'delivery') statements.push(tripBreaker(db, delivery.sendId, config.maxBounceRate, config.maxComplaintRate, config.minBouncesToPause, config.minComplaintsToPause), issueEvent(db, 'issue.paused', delivery.sendId, now));
  if (statements.length === 0) return nothing;
  const results = (await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]])) as D1Result[];
  return { changed: results.some((r) => (r.meta?.changes ?? 0) > 0), rowsWritten: results.reduce((n, r) => n + (r.meta?.rows_written ?? 0), 0) };
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
  const config = c.get('config');
  const secret = config.webhookSecret;
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

  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    return fail(c, 400, 'invalid_json', 'The webhook body is not valid JSON.');
  }
  const now = Date.now();
  const event = interpretEvent(payload, now);
  if (!event.ok) return fail(c, 400, 'invalid_payload', event.message);
  if (event.effect.kind === 'ignored') return c.json({ status: 'ignored' });
  const blocked = await blockChangeTarget(c.get('db'), payload, event.effect, now);
  const { changed } = await applyEvent(c.get('db'), config, event.effect, now);
  return c.json({ status: changed || blocked ? 'processed' : 'duplicate' });
});

/**
 * A bounce or complaint on a change-of-address email (tag `kind=email_change`, src/preferences/notices.ts)
 * blocks that inbox for further such emails, whoever asks: the address is usually on no list of ours,
 * so no subscriber row would record it. true if the inbox was not blocked before.
 */
export async function blockChangeTarget(db: Db, payload: unknown, effect: WebhookEffect, now: number): Promise<boolean> {
  if (effect.kind !== 'bounce' && effect.kind !== 'complaint') return false;
  if (!effect.address || tagValue(isObject(payload) && isObject(payload.data) ? payload.data.tags : undefined, 'kind') !== 'email_change') return false;
  return blockChangeEmail(db, effect.address, now);
}

function tagValue(tags: unknown, name: string): unknown {
  if (Array.isArray(tags)) return tags.find((t) => isObject(t) && t.name === name)?.value;
  return isObject(tags) ? tags[name] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
