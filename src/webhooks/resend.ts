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
import { Hono } from 'hono';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
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
export async function applyEvent(db: D1Database, svixId: string, type: string, effect: WebhookEffect, now: number): Promise<boolean> {
  const unseen = 'NOT EXISTS (SELECT 1 FROM webhook_events WHERE svix_id = ?1)';
  const statements: D1PreparedStatement[] = [];
  if (effect.kind !== 'ignored') {
    const { emailId, address, at } = effect;
    const subscriber = '(email = ?3 OR id IN (SELECT subscriber_id FROM deliveries WHERE resend_id = ?2))';
    if (effect.kind === 'delivery') {
      const setError = effect.column === 'failed_at' ? ', error = coalesce(error, ?4)' : '';
      statements.push(
        db.prepare(`UPDATE deliveries SET ${effect.column} = coalesce(${effect.column}, ?3)${setError} WHERE resend_id = ?2 AND ${unseen}`)
          .bind(svixId, emailId, at, ...(effect.column === 'failed_at' ? [effect.error] : [])),
      );
    } else if (effect.kind === 'bounce') {
      statements.push(
        db.prepare(`UPDATE deliveries SET bounced_at = coalesce(bounced_at, ?3), bounce_type = ?4 WHERE resend_id = ?2 AND ${unseen}`).bind(svixId, emailId, at, effect.bounceType),
        effect.permanent
          ? db.prepare(`UPDATE subscribers SET status = 'bounced', left_at = ?4 WHERE ${subscriber} AND status NOT IN ('bounced', 'complained') AND ${unseen}`)
              .bind(svixId, emailId, address, now)
          : db.prepare(`UPDATE subscribers SET soft_bounces = soft_bounces + 1 WHERE ${subscriber} AND ${unseen}`).bind(svixId, emailId, address),
      );
    } else {
      statements.push(
        db.prepare(`UPDATE deliveries SET complained_at = coalesce(complained_at, ?3) WHERE resend_id = ?2 AND ${unseen}`).bind(svixId, emailId, at),
        db.prepare(`UPDATE subscribers SET status = 'complained', left_at = ?4 WHERE ${subscriber} AND status != 'complained' AND ${unseen}`)
          .bind(svixId, emailId, address, now),
      );
    }
  }
  statements.push(db.prepare('INSERT OR IGNORE INTO webhook_events (svix_id, type, received_at) VALUES (?1, ?2, ?3)').bind(svixId, type, now));
  const results = await db.batch(statements);
  return (results[results.length - 1].meta.changes ?? 0) > 0;
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
  const fresh = await applyEvent(c.env.DB, svixId, event.type, event.effect, now);
  return c.json({ status: !fresh ? 'duplicate' : event.effect.kind === 'ignored' ? 'ignored' : 'processed' });
});

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
