// Driving sends through the Resend transport against a fake Resend on loopback (real SDK, real HTTP,
// real D1). A send's chunk messages are captured instead of going to SEND_QUEUE, so each test hands
// them to the consumer one by one, with a crash, a fault or a moved clock where it wants.
import { env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { type Config, type Env, readConfig } from '../../src/config';
import { type Db, getDb } from '../../src/db/client';
import type { Article } from '../../src/issues/article';
import { type DeliverOptions, deliverChunk } from '../../src/issues/deliver';
import { startSend } from '../../src/issues/plan';
import { sendStats } from '../../src/issues/stats';
import { forgetLocalPacing } from '../../src/mail/pacer';
import { ResendTransport, type ResendTransportOptions } from '../../src/mail/resend';
import type { ChunkMessage, QueueMessage } from '../../src/messages';
import { seedConfirmed } from './d1';

export const API_KEY = 're_test_key';
export const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface SignedWebhook {
  headers: Record<string, string>;
  body: string;
}

export interface FakeEmail {
  id: string;
  to: string[];
  subject: string;
  headers: Record<string, string>;
  tags: { name: string; value: string }[];
  idempotencyKey: string | null;
  /** When the fake accepted it (ISO, ms). */
  acceptedAt: string;
}
export interface FakeState {
  emails: FakeEmail[];
  counters: Record<'requests' | 'paceLimited429' | 'injected429' | 'serverErrors' | 'lostAnswers' | 'idempotentReplays' | 'conflicts409' | 'forced' | 'webhooks', number>;
}

/** The control API of one fake Resend. */
export function fakeAt(url: string) {
  const call = async (path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${url}/__control/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    if (!response.ok) throw new Error(`fake ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    url,
    call,
    state: () => call('state') as Promise<FakeState>,
    reset: () => call('reset', {}),
    config: (options: Record<string, unknown>) => call('config', options),
    script: (next: string[]) => call('script', { next }),
    forgetKeys: () => call('forget-keys', {}),
    /** Signed webhooks the fake made, relayed to the Worker as Resend would post them (again, for `replay`). */
    async relayWebhooks(replay?: SignedWebhook[]): Promise<SignedWebhook[]> {
      const webhooks = replay ?? ((await call('webhooks')) as { webhooks: SignedWebhook[] }).webhooks;
      for (const hook of webhooks) {
        const response = await exports.default.fetch(new Request('http://localhost:8787/webhooks/resend', { method: 'POST', headers: hook.headers, body: hook.body }));
        if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
      }
      return webhooks;
    },
  };
}
export type Fake = ReturnType<typeof fakeAt>;

let sendCounter = 0;
export function article(): Article {
  const slug = `delivery-${++sendCounter}-${Date.now()}`;
  return { slug, title: `Delivery ${sendCounter}`, date: '2026-01-01', summary: 'A test issue.', markdown: 'Hello **reader**.' };
}

export interface PlannedSend {
  db: Db;
  renv: Env;
  config: Config;
  transport: ResendTransport;
  /** The chunk messages the plan (and the consumer, through requeues) produced, in order. */
  chunks: ChunkMessage[];
  /** The same, with the delay each was enqueued with. */
  queued: { body: ChunkMessage; delaySeconds: number }[];
  sendId: number;
  slug: string;
  ids: number[];
  deliver(chunk: ChunkMessage, options?: DeliverOptions): ReturnType<typeof deliverChunk>;
}

/** A send of `recipients` fresh confirmed readers through the Resend transport, chunk messages captured. */
/** `d1`: the database the send's statements go through (a metered one counts what they write). */
export async function planSend(fake: Fake, recipients: number, vars: Partial<Env> = {}, transportOptions: ResendTransportOptions = {}, d1: D1Database = env.DB): Promise<PlannedSend> {
  const ids = await seedConfirmed(env.DB, `r${sendCounter + 1}x${Date.now()}`, recipients);
  const chunks: ChunkMessage[] = [];
  const queued: PlannedSend['queued'] = [];
  const capture = {
    send: async (m: QueueMessage, o?: { delaySeconds?: number }) => {
      chunks.push(m as ChunkMessage);
      queued.push({ body: m as ChunkMessage, delaySeconds: o?.delaySeconds ?? 0 });
    },
    sendBatch: async (ms: { body: QueueMessage; delaySeconds?: number }[]) => {
      chunks.push(...ms.map((m) => m.body as ChunkMessage));
      queued.push(...ms.map((m) => ({ body: m.body as ChunkMessage, delaySeconds: m.delaySeconds ?? 0 })));
    },
  } as unknown as Queue<QueueMessage>;
  const renv: Env = {
    ...env,
    EMAIL_TRANSPORT: 'resend',
    RESEND_API_KEY: API_KEY,
    RESEND_BASE_URL: fake.url,
    SEND_RATE_PER_SECOND: '100',
    CANARY_PERCENT: '0',
    SEND_QUEUE: capture,
    ...vars,
  };
  const config = readConfig(renv);
  const db = getDb(d1);
  const transport = new ResendTransport(db, config, transportOptions);
  const a = article();
  const started = await startSend(db, renv, config, a);
  if (!started.started) throw new Error('send did not start');
  return {
    db,
    renv,
    config,
    transport,
    chunks,
    queued,
    sendId: started.sendId,
    slug: a.slug,
    ids,
    deliver: (chunk, options) => deliverChunk(db, config, transport, chunk, options),
  };
}

export function recipientsAtFake(state: FakeState): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of state.emails) for (const to of e.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

/** Everyone in `emails` got exactly one copy, and nobody else got any. */
export function exactlyOnce(state: FakeState, emails: string[]): boolean {
  const counts = recipientsAtFake(state);
  return counts.size === emails.length && emails.every((e) => counts.get(e) === 1);
}

export async function emailsOf(ids: number[]): Promise<string[]> {
  const { results } = await env.DB.prepare('SELECT email FROM subscribers WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id').bind(JSON.stringify(ids)).all<{ email: string }>();
  return results.map((r) => r.email);
}

export async function deliveryRows(sendId: number) {
  const { results } = await env.DB.prepare('SELECT subscriber_id AS id, status, resend_id AS resendId, error FROM deliveries WHERE send_id = ?1 ORDER BY subscriber_id')
    .bind(sendId)
    .all<{ id: number; status: string; resendId: string | null; error: string | null }>();
  return results;
}

/** The stats as the counters say, next to the same numbers counted from the delivery records. */
export async function countersAndCounts(sendId: number) {
  const stats = (await sendStats(getDb(env.DB), sendId))!;
  const counted = await env.DB.prepare(
    `SELECT count(CASE WHEN status = 'sent' THEN 1 END) AS sent, count(CASE WHEN status = 'failed' THEN 1 END) AS failed,
            count(CASE WHEN status = 'unknown' THEN 1 END) AS unknown, count(CASE WHEN status = 'suppressed' THEN 1 END) AS suppressed,
            count(delivered_at) AS delivered, count(bounced_at) AS bounced,
            count(complained_at) AS complained, count(opened_at) AS opened, count(clicked_at) AS clicked
       FROM deliveries WHERE send_id = ?1`,
  )
    .bind(sendId)
    .first<Record<string, number>>();
  const { sent, failed, unknown, suppressed, delivered, bounced, complained, opened, clicked } = stats;
  return { counters: { sent, failed, unknown, suppressed, delivered, bounced, complained, opened, clicked }, counted: counted!, stats };
}

export async function sendRow(sendId: number) {
  return (await env.DB.prepare('SELECT status, reason FROM sends WHERE id = ?1').bind(sendId).first<{ status: string; reason: string | null }>())!;
}

export async function clearSending(fake: Fake): Promise<void> {
  forgetLocalPacing();
  await env.DB.batch(['subscribers', 'deliveries', 'send_chunks', 'sends', 'pacer'].map((t) => env.DB.prepare(`DELETE FROM ${t}`)));
  await fake.reset();
  await fake.config({
    ratePerSecond: 1000,
    limiter: 'token',
    forceStatus: null,
    webhooks: null,
    faults: { rateLimited: 0, serverError: 0, lostAnswer: 0 },
    invalidRecipients: [],
    apiKey: API_KEY,
    jitterMs: 0,
    foreignLoad: null,
    suppressed: [],
    suppressedComplaints: [],
    failAccepted: null,
  });
}
