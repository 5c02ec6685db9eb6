// Webhook endpoints: where outgoing events go. A URL must be https:// outside local dev (and name a
// public host); under a local PUBLIC_URL, http:// to a loopback host works too, for `npm run dev`.
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Config } from '../../config';
import type { Db } from '../../db/client';
import { webhookDeliveries, webhookEndpoints } from '../../db/schema';
import { isLoopbackHost } from '../../config';
import { isPublicHostName } from '../../http/middleware';
import { encodeCursor } from '../../subscribers/listing';
import type { WebhookEvent } from './events';

export const MAX_URL_LENGTH = 2000;

/** null when the URL may receive webhooks, else what is wrong with it. */
export function urlProblem(raw: string, config: Pick<Config, 'isLocalDev'>): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute URL like https://example.com/hooks/newsletter.';
  }
  if (raw.length > MAX_URL_LENGTH) return `url must be at most ${MAX_URL_LENGTH} characters.`;
  if (url.username || url.password) return 'url must not carry a user name or password: put a secret in the path, or verify the signature.';
  const loopback = isLoopbackHost(url.hostname);
  if (config.isLocalDev && loopback && (url.protocol === 'http:' || url.protocol === 'https:')) return null;
  if (url.protocol !== 'https:') return config.isLocalDev ? 'url must start with https:// (or point at this machine, http://localhost…, in local dev).' : 'url must start with https://.';
  if (!isPublicHostName(url.hostname)) return `url must name a public host; ${url.hostname} is not reachable from Cloudflare${config.isLocalDev ? ' (in local dev, use localhost or 127.0.0.1)' : ''}.`;
  return null;
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

export interface EndpointView {
  id: string;
  url: string;
  events: WebhookEvent[];
  createdAt: string;
  /** Set when every attempt has failed since then. */
  failingSince: string | null;
  /** Set once it failed for 24 hours: nothing more is sent. */
  disabledAt: string | null;
  lastError: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function view(row: typeof webhookEndpoints.$inferSelect): EndpointView {
  return { id: row.id, url: row.url, events: JSON.parse(row.events), createdAt: iso(row.createdAt)!, failingSince: iso(row.failingSince), disabledAt: iso(row.disabledAt), lastError: row.lastError };
}

export async function createEndpoint(db: Db, url: string, events: WebhookEvent[], now = Date.now()): Promise<EndpointView & { secret: string }> {
  const id = `whe_${[...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  const secret = `whsec_${base64(crypto.getRandomValues(new Uint8Array(32)))}`;
  const row = { id, url, events: JSON.stringify([...new Set(events)]), secret, createdAt: now, failingSince: null, disabledAt: null, lastError: null };
  await db.insert(webhookEndpoints).values(row);
  return { ...view(row), secret };
}

export async function listEndpoints(db: Db): Promise<EndpointView[]> {
  return (await db.select().from(webhookEndpoints).orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id))).map(view);
}

/** The endpoint and its delivery log go together. */
export async function deleteEndpoint(db: Db, id: string): Promise<boolean> {
  const [, deleted] = await db.batch([
    db.delete(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id)),
    db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id }),
  ]);
  return deleted.length > 0;
}

export async function endpointExists(db: Db, id: string): Promise<boolean> {
  return (await db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get()) !== undefined;
}

export interface DeliveryView {
  id: number;
  webhookId: string;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

/** An endpoint's delivery log, newest first; `beforeId` 0 for the first page. */
export async function deliveryLog(db: Db, endpointId: string, beforeId: number, limit: number): Promise<{ deliveries: DeliveryView[]; nextCursor: string | null }> {
  const d = webhookDeliveries;
  const rows = await db
    .select()
    .from(d)
    .where(and(eq(d.endpointId, endpointId), beforeId > 0 ? lt(d.id, beforeId) : sql`1`))
    .orderBy(desc(d.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    deliveries: page.map((r) => ({
      id: r.id,
      webhookId: r.webhookId,
      type: r.type,
      status: r.status,
      attempts: r.attempts,
      createdAt: iso(r.createdAt)!,
      lastAttemptAt: iso(r.lastAttemptAt),
      nextAttemptAt: r.status === 'pending' ? iso(r.nextAttemptAt) : null,
      lastStatus: r.lastStatus,
      lastError: r.lastError,
      deliveredAt: iso(r.deliveredAt),
    })),
    nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
  };
}
