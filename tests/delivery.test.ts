// Delivering chunks through the Resend transport against the fake Resend on loopback (real SDK,
// real HTTP, real D1): exactly once per person through every fault we can inject.
//
// The chunk messages a send produces are captured instead of going to SEND_QUEUE, so each test
// can hand them to the consumer one by one, with a crash or a provider fault where it wants.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Config, type Env, readConfig } from '../src/config';
import { getDb } from '../src/db/client';
import type { Article } from '../src/issues/article';
import { type FaultPoint, deliverChunk, idempotencyKey } from '../src/issues/deliver';
import { runWeekly } from '../src/issues/cron';
import { CHUNK_STALL_MS, DELIVERY_RETENTION_MS, pruneOldRecords, requeueStalledChunks, runMaintenance } from '../src/issues/maintenance';
import { PLANNING_STALE_MS, startSend } from '../src/issues/plan';
import { sendStats } from '../src/issues/stats';
import { reserveSlot } from '../src/mail/pacer';
import { ResendTransport } from '../src/mail/resend';
import type { ChunkMessage, QueueMessage } from '../src/messages';
import { handleQueue, retryDelaySeconds } from '../src/queue';
import { eraseSubscriber } from '../src/subscribers/erase';
import { countingD1, seedConfirmed } from './support/d1';

const FAKE = env.FAKE_RESEND_URL;
const API_KEY = 're_test_key';

interface FakeState {
  emails: { id: string; to: string[]; subject: string; headers: Record<string, string>; idempotencyKey: string | null }[];
  counters: { requests: number; paceLimited429: number; injected429: number; serverErrors: number; lostAnswers: number; idempotentReplays: number };
}

async function fake(path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${FAKE}/__control/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (!response.ok) throw new Error(`fake ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}
const fakeState = () => fake('state') as Promise<FakeState>;

let sendCounter = 0;
function article(): Article {
  const slug = `delivery-${++sendCounter}-${Date.now()}`;
  return { slug, title: `Delivery ${sendCounter}`, date: '2026-01-01', summary: 'A test issue.', markdown: 'Hello **reader**.' };
}

/** A send through the Resend transport whose chunk messages are captured rather than enqueued. */
async function planSend(recipients: number): Promise<{ renv: Env; config: Config; transport: ResendTransport; chunks: ChunkMessage[]; sendId: number; ids: number[] }> {
  const ids = await seedConfirmed(env.DB, `r${sendCounter + 1}x${Date.now()}`, recipients);
  const chunks: ChunkMessage[] = [];
  const capture = {
    send: async (m: QueueMessage) => void chunks.push(m as ChunkMessage),
    sendBatch: async (ms: { body: QueueMessage }[]) => void chunks.push(...ms.map((m) => m.body as ChunkMessage)),
  } as unknown as Queue<QueueMessage>;
  const renv: Env = { ...env, EMAIL_TRANSPORT: 'resend', RESEND_API_KEY: API_KEY, RESEND_BASE_URL: FAKE, SEND_RATE_PER_SECOND: '100', SEND_QUEUE: capture };
  const config = readConfig(renv);
  const started = await startSend(renv, config, article());
  if (!started.started) throw new Error('send did not start');
  return { renv, config, transport: new ResendTransport(API_KEY, FAKE), chunks, sendId: started.sendId, ids };
}

function recipientsAtFake(state: FakeState): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of state.emails) for (const to of e.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

async function deliveryRows(sendId: number) {
  const { results } = await env.DB.prepare('SELECT subscriber_id AS id, status, resend_id AS resendId, error FROM deliveries WHERE send_id = ?1 ORDER BY subscriber_id')
    .bind(sendId)
    .all<{ id: number; status: string; resendId: string | null; error: string | null }>();
  return results;
}

beforeEach(async () => {
  // Each test plans its own send over only its own readers.
  await env.DB.batch(['subscribers', 'deliveries', 'send_chunks', 'sends', 'pacer'].map((t) => env.DB.prepare(`DELETE FROM ${t}`)));
  await fake('reset', {});
  await fake('config', { ratePerSecond: 1000, faults: { rateLimited: 0, serverError: 0, lostAnswer: 0 }, invalidRecipients: [] });
});

describe('planning', () => {
  it('keeps a ready article for later when nobody is confirmed yet', async () => {
    const waiting = article();
    expect((await runWeekly(env, Date.now(), [waiting])).started).toBeNull();
    expect(await env.DB.prepare('SELECT count(*) AS n FROM sends').first<{ n: number }>()).toEqual({ n: 0 });
  });

  it('splits the confirmed readers into keyset chunks of at most 100', async () => {
    const { chunks, ids } = await planSend(250);
    expect(chunks.map((c) => c.chunk)).toEqual([0, 1, 2]);
    expect(chunks[0].fromId).toBe(ids[0]);
    expect(chunks[1].fromId).toBe(ids[100]);
    expect(chunks[2].fromId).toBe(ids[200]);
    expect(chunks[0].toId).toBe(ids[100] - 1);
    expect(chunks[2].toId).toBe(ids[249]);
  });
});

describe('housekeeping', () => {
  it('finishes a plan that crashed between the claim and the enqueue, with the ranges it planned', async () => {
    const { renv, config, transport, chunks, sendId } = await planSend(0);
    const ids = await seedConfirmed(env.DB, 'crash-plan', 250);
    const broken = { ...renv, SEND_QUEUE: { sendBatch: async () => { throw new Error('queue unavailable'); } } as unknown as Queue<QueueMessage> };
    await expect(startSend(broken, readConfig(broken), article())).rejects.toThrow('queue unavailable');
    const planning = await env.DB.prepare(`SELECT id FROM sends WHERE status = 'planning'`).first<{ id: number }>();
    expect(planning).not.toBeNull();
    expect(sendId).not.toBe(planning!.id);
    const planned = await env.DB.prepare('SELECT chunk, from_id AS fromId, to_id AS toId FROM send_chunks WHERE send_id = ?1 ORDER BY chunk').bind(planning!.id).all();
    // A reader of the first chunk leaves before the plan is resumed: the boundaries must not shift.
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?1`).bind(ids[49]).run();
    chunks.length = 0;
    expect(await runMaintenance(renv, Date.now())).toMatchObject({ resumedPlans: 0, requeuedChunks: 0 }); // too fresh to call abandoned
    expect(await runMaintenance(renv, Date.now() + PLANNING_STALE_MS + 1000)).toMatchObject({ resumedPlans: 1 });
    expect(chunks.map(({ chunk, fromId, toId }) => ({ chunk, fromId, toId }))).toEqual(planned.results);
    for (const c of chunks) await deliverChunk(renv, config, transport, c);
    const counts = recipientsAtFake(await fakeState());
    expect(counts.size).toBe(249);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const send = await env.DB.prepare('SELECT status FROM sends WHERE id = ?1').bind(planning!.id).first<{ status: string }>();
    expect(send!.status).toBe('sent');
  });

  it('does not take a long send that is making progress for stalled', async () => {
    const { renv, config, transport, chunks } = await planSend(300);
    await env.DB.prepare('UPDATE sends SET started_at = started_at - ?1').bind(2 * CHUNK_STALL_MS).run();
    await deliverChunk(renv, config, transport, chunks[0]); // progress just now
    chunks.length = 0;
    expect(await requeueStalledChunks(renv, Date.now())).toBe(0);
  });

  it('re-enqueues chunks whose message was lost, and they still go out once', async () => {
    const { renv, config, transport, chunks, sendId } = await planSend(250);
    const [first, ...lost] = [...chunks];
    await deliverChunk(renv, config, transport, first);
    chunks.length = 0;
    expect(await requeueStalledChunks(renv, Date.now())).toBe(0);
    expect(await requeueStalledChunks(renv, Date.now() + CHUNK_STALL_MS + 1000)).toBe(2);
    expect(chunks.map((c) => c.chunk).sort()).toEqual(lost.map((c) => c.chunk).sort());
    for (const c of [...chunks, ...lost]) await deliverChunk(renv, config, transport, c); // the originals turn up too
    const counts = recipientsAtFake(await fakeState());
    expect(counts.size).toBe(250);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 250, pending: 0 });
  });
});

describe('pruning', () => {
  it('prunes delivery records 90 days after a send, keeping its final stats', async () => {
    const { renv, config, transport, chunks, sendId } = await planSend(150);
    for (const c of chunks) await deliverChunk(renv, config, transport, c);
    const stats = await sendStats(getDb(env.DB), sendId);
    expect(stats).toMatchObject({ sent: 150, pending: 0 });
    expect(await pruneOldRecords(renv, Date.now() + DELIVERY_RETENTION_MS - 60_000)).toBe(0);
    expect(await pruneOldRecords(renv, Date.now() + DELIVERY_RETENTION_MS + 60_000)).toBe(150);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM deliveries WHERE send_id = ?1').bind(sendId).first()).toEqual({ n: 0 });
    expect(await sendStats(getDb(env.DB), sendId)).toEqual(stats);
  });
});

describe('delivering a chunk', () => {
  it('sends each chunk with one batch call under a key derived from the send and the chunk', async () => {
    const { renv, config, transport, chunks, sendId, ids } = await planSend(250);
    for (const chunk of chunks) expect(await deliverChunk(renv, config, transport, chunk)).toMatchObject({ kind: 'done', failed: 0 });
    const state = await fakeState();
    expect(state.counters.requests).toBe(3);
    expect(new Set(state.emails.map((e) => e.idempotencyKey))).toEqual(new Set(chunks.map(idempotencyKey)));
    expect([...recipientsAtFake(state).values()].every((n) => n === 1)).toBe(true);
    expect(recipientsAtFake(state).size).toBe(250);
    const rows = await deliveryRows(sendId);
    expect(rows).toHaveLength(250);
    expect(rows.every((r) => r.status === 'sent' && r.resendId)).toBe(true);
    expect(new Set(rows.map((r) => r.resendId))).toEqual(new Set(state.emails.map((e) => e.id)));
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ recipients: 250, sent: 250, failed: 0, pending: 0 });
    const send = await env.DB.prepare('SELECT status FROM sends WHERE id = ?1').bind(sendId).first<{ status: string }>();
    expect(send!.status).toBe('sent');
    // Every email carries the list headers with the reader's own unsubscribe link.
    const one = state.emails[0];
    expect(one.headers['List-Unsubscribe']).toMatch(/^<http:\/\/localhost:8787\/unsubscribe\?token=u\.\d+\.[A-Za-z0-9_-]{43}>$/);
    expect(one.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  it('uses at most 4 D1 round trips per chunk', async () => {
    const { renv, config, transport, chunks } = await planSend(100);
    const counted = countingD1(env.DB);
    await deliverChunk({ ...renv, DB: counted.db }, config, transport, chunks[0]);
    expect(counted.trips()).toBeLessThanOrEqual(4);
    expect(counted.trips()).toBeGreaterThan(0); // the counter sees Drizzle's calls: none seen would pass vacuously
  });

  it.each<FaultPoint>(['after_read', 'after_freeze', 'after_provider', 'after_record'])(
    'loses and duplicates nobody when the consumer crashes %s',
    async (crashAt) => {
      const { renv, config, transport, chunks, sendId } = await planSend(120);
      for (const chunk of chunks) {
        await expect(deliverChunk(renv, config, transport, chunk, { crashAt })).rejects.toThrow(`injected crash ${crashAt}`);
        // The queue redelivers; the second attempt must finish the job without a second copy.
        const again = await deliverChunk(renv, config, transport, chunk);
        expect(again.kind).toBe(crashAt === 'after_record' ? 'already_done' : 'done');
      }
      const state = await fakeState();
      const counts = recipientsAtFake(state);
      expect(counts.size).toBe(120);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      const rows = await deliveryRows(sendId);
      expect(rows).toHaveLength(120);
      expect(rows.every((r) => r.status === 'sent')).toBe(true);
      if (crashAt === 'after_provider') expect(state.counters.idempotentReplays).toBe(chunks.length);
    },
  );

  it('records the original ids when Resend accepted the batch but the answer was lost (500)', async () => {
    const { renv, config, transport, chunks, sendId } = await planSend(100);
    await fake('script', { next: ['lostAnswer'] });
    expect(await deliverChunk(renv, config, transport, chunks[0])).toMatchObject({ kind: 'done', sent: 100 });
    const state = await fakeState();
    expect(state.counters.lostAnswers).toBe(1);
    expect(state.counters.idempotentReplays).toBe(1);
    expect(state.emails).toHaveLength(100);
    const rows = await deliveryRows(sendId);
    expect(new Set(rows.map((r) => r.resendId))).toEqual(new Set(state.emails.map((e) => e.id)));
  });

  it('hands a 429 back to the queue for retry-after, holding nobody else while the provider window has room', async () => {
    const { renv, config, transport, chunks } = await planSend(50);
    await fake('script', { next: ['rateLimited'] });
    expect(await deliverChunk(renv, config, transport, chunks[0])).toMatchObject({ kind: 'retry', retryAfterMs: 1000 });
    expect(retryDelaySeconds(1000, 1)).toBe(1);
    const pacer = await env.DB.prepare('SELECT next_slot_at AS next FROM pacer WHERE id = 1').first<{ next: number }>();
    expect(pacer!.next).toBeLessThanOrEqual(Date.now() + 100); // no hold into the future: nobody else waits
    expect(await deliverChunk(renv, config, transport, chunks[0])).toMatchObject({ kind: 'done', sent: 50 });
    expect((await fakeState()).emails).toHaveLength(50);
  });

  it('holds every consumer back when a 429 says the provider window is used up', async () => {
    await fake('config', { ratePerSecond: 1 }); // the provider allows less than we were told
    const { renv, config, transport, chunks } = await planSend(200);
    const before = Date.now();
    const first = await deliverChunk(renv, config, transport, chunks[0]);
    const second = await deliverChunk(renv, config, transport, chunks[1]); // the provider's window is empty now
    expect([first.kind, second.kind]).toEqual(['done', 'retry']);
    const state = await fakeState();
    expect(state.counters.paceLimited429).toBe(1);
    const pacer = await env.DB.prepare('SELECT next_slot_at AS next FROM pacer WHERE id = 1').first<{ next: number }>();
    expect(pacer!.next).toBeGreaterThanOrEqual(before + 1000);
    expect(await deliverChunk(renv, config, transport, chunks[1])).toMatchObject({ kind: 'done', sent: 100 }); // waits for its slot
    expect(recipientsAtFake(await fakeState()).size).toBe(200);
  });

  it('hands the chunk back to the queue after repeated 5xx, then sends it once', async () => {
    const { renv, config, transport, chunks, sendId } = await planSend(30);
    await fake('script', { next: ['serverError', 'serverError'] });
    const first = await deliverChunk(renv, config, transport, chunks[0]); // tried twice, then handed back
    expect(first).toMatchObject({ kind: 'retry', retryAfterMs: null });
    expect([1, 2, 3, 4, 20].map((attempt) => retryDelaySeconds(null, attempt))).toEqual([2, 4, 8, 16, 900]);
    expect((await fakeState()).emails).toHaveLength(0);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 0, pending: 30 });
    expect(await deliverChunk(renv, config, transport, chunks[0])).toMatchObject({ kind: 'done', sent: 30 });
    expect((await fakeState()).emails).toHaveLength(30);
  });

  it('does not send to a reader who left after a 429, though the list was frozen before it', async () => {
    const { renv, config, transport, chunks, ids } = await planSend(20);
    await fake('script', { next: ['rateLimited'] });
    expect(await deliverChunk(renv, config, transport, chunks[0])).toMatchObject({ kind: 'retry' });
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?1`).bind(ids[5]).run();
    expect(await deliverChunk(renv, config, transport, chunks[0])).toMatchObject({ kind: 'done', sent: 19 });
    const leaver = (await env.DB.prepare('SELECT email FROM subscribers WHERE id = ?1').bind(ids[5]).first<{ email: string }>())!.email;
    expect(recipientsAtFake(await fakeState()).has(leaver)).toBe(false);
  });

  it('records the frozen list as sent when an accepted batch is retried after someone left (409 proves it went)', async () => {
    const { renv, config, transport, chunks, sendId, ids } = await planSend(30);
    await fake('script', { next: ['lostAnswer'] }); // accepted, then a 500; the message goes back to the queue
    expect(await deliverChunk(renv, config, transport, chunks[0], { inlineAttempts: 1 })).toMatchObject({ kind: 'retry' });
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?1`).bind(ids[1]).run();
    expect(await deliverChunk(renv, config, transport, chunks[0])).toMatchObject({ kind: 'done', sent: 30, failed: 0 });
    const state = await fakeState();
    expect(state.emails).toHaveLength(30); // the one accepted batch, nothing more
    expect([...recipientsAtFake(state).values()].every((n) => n === 1)).toBe(true);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 30, failed: 0, pending: 0 });
  });

  it('keeps no record of a reader erased between an accepted batch and its retry', async () => {
    const { renv, config, transport, chunks, sendId, ids } = await planSend(10);
    await fake('script', { next: ['lostAnswer'] });
    expect(await deliverChunk(renv, config, transport, chunks[0], { inlineAttempts: 1 })).toMatchObject({ kind: 'retry' });
    const erased = (await env.DB.prepare('SELECT email FROM subscribers WHERE id = ?1').bind(ids[2]).first<{ email: string }>())!.email;
    await eraseSubscriber(getDb(env.DB), erased); // what DELETE /api/subscribers/:email does
    expect(await deliverChunk(renv, config, transport, chunks[0])).toMatchObject({ kind: 'done', sent: 9 });
    const rows = await deliveryRows(sendId);
    expect(rows.map((r) => r.id)).not.toContain(ids[2]);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect((await fakeState()).emails).toHaveLength(10);
  });

  it('halts without recording anything when the provider refuses every batch (bad key), and sends once fixed', async () => {
    const { renv, config, chunks, sendId } = await planSend(100);
    const wrongKey = new ResendTransport('re_wrong_key', FAKE);
    const halted = await deliverChunk(renv, config, wrongKey, chunks[0]);
    expect(halted).toMatchObject({ kind: 'halted', reason: expect.stringMatching(/invalid_api_key/) });
    expect(await deliveryRows(sendId)).toHaveLength(0);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 0, failed: 0, pending: 100 });
    // The key is fixed; housekeeping (or a redelivery) tries again.
    expect(await deliverChunk(renv, config, new ResendTransport(API_KEY, FAKE), chunks[0])).toMatchObject({ kind: 'done', sent: 100 });
  });

  it('fails only the permanently invalid address, never the whole chunk', async () => {
    const { renv, config, transport, chunks, sendId, ids } = await planSend(10);
    const bad = (await env.DB.prepare('SELECT email FROM subscribers WHERE id = ?1').bind(ids[3]).first<{ email: string }>())!.email;
    await fake('config', { invalidRecipients: [bad] });
    expect(await deliverChunk(renv, config, transport, chunks[0])).toMatchObject({ kind: 'done', sent: 9, failed: 1 });
    const rows = await deliveryRows(sendId);
    expect(rows.find((r) => r.id === ids[3])).toMatchObject({ status: 'failed', resendId: null });
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(9);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 9, failed: 1, pending: 0 });
  });

  it('honours an unsubscribe, bounce or complaint during the send for every chunk not yet sent', async () => {
    const { renv, config, transport, chunks, sendId, ids } = await planSend(300);
    await deliverChunk(renv, config, transport, chunks[0]);
    const [leaver, bounced, complained] = [ids[150], ids[250], ids[299]];
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?1`).bind(leaver).run();
    await env.DB.prepare(`UPDATE subscribers SET status = 'bounced' WHERE id = ?1`).bind(bounced).run();
    await env.DB.prepare(`UPDATE subscribers SET status = 'complained' WHERE id = ?1`).bind(complained).run();
    for (const chunk of chunks.slice(1)) await deliverChunk(renv, config, transport, chunk);
    const sentTo = new Set((await deliveryRows(sendId)).map((r) => r.id));
    expect(sentTo.has(leaver) || sentTo.has(bounced) || sentTo.has(complained)).toBe(false);
    expect(sentTo.size).toBe(297);
    expect((await fakeState()).emails).toHaveLength(297);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 297, pending: 0 });
  });

  it('sends one copy when two consumers get the same chunk at once', async () => {
    const { renv, config, transport, chunks } = await planSend(100);
    const results = await Promise.all([deliverChunk(renv, config, transport, chunks[0]), deliverChunk(renv, config, transport, chunks[0])]);
    // One finishes it; the other either finds it done or is told to retry (409 concurrent use of the key).
    expect(results.map((r) => r.kind).sort()).toContain('done');
    const retry = results.find((r) => r.kind === 'retry');
    if (retry) expect(await deliverChunk(renv, config, transport, chunks[0])).toMatchObject({ kind: 'already_done' });
    const counts = recipientsAtFake(await fakeState());
    expect(counts.size).toBe(100);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('the queue consumer', () => {
  const ctx = createExecutionContext();
  const batchOf = (queue: string, bodies: ChunkMessage[]) =>
    createMessageBatch<QueueMessage>(queue, bodies.map((body) => ({ id: `chunk-${body.chunk}`, timestamp: new Date(), attempts: 1, body })));

  it('acks delivered chunks, retries failed ones with a delay, and dead-letters count as failed', async () => {
    const { renv, chunks, sendId } = await planSend(150);
    // Both chunks (2 attempts each) meet only 5xx: both go back to the queue.
    await fake('script', { next: Array(4).fill('serverError') });
    const first = batchOf('newsletter-send', chunks);
    await handleQueue(first, renv);
    const firstResult = await getQueueResult(first, ctx);
    expect(firstResult.explicitAcks).toEqual([]);
    expect(firstResult.retryMessages.map((m) => m.msgId).sort()).toEqual(['chunk-0', 'chunk-1']);

    // The redelivery of chunk 1 goes through and is acked.
    const second = batchOf('newsletter-send', [chunks[1]]);
    await handleQueue(second, renv);
    expect((await getQueueResult(second, ctx)).explicitAcks).toEqual(['chunk-1']);

    // Chunk 0 fails every retry and lands in the dead-letter queue: its readers count as failed.
    const dead = batchOf('newsletter-send-dlq', [chunks[0]]);
    await handleQueue(dead, renv);
    expect((await getQueueResult(dead, ctx)).explicitAcks).toEqual(['chunk-0']);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ recipients: 150, sent: 50, failed: 100, pending: 0 });
    const send = await env.DB.prepare('SELECT status FROM sends WHERE id = ?1').bind(sendId).first<{ status: string }>();
    expect(send!.status).toBe('sent');
    expect((await fakeState()).emails).toHaveLength(50);
  });
});

describe('a misconfigured consumer', () => {
  it('sends nothing and spends no retries of chunks (they stay pending for housekeeping)', async () => {
    const { renv, chunks, sendId } = await planSend(50);
    const broken = { ...renv, RESEND_API_KEY: undefined } as Env; // EMAIL_TRANSPORT=resend without a key
    const batch = createMessageBatch<QueueMessage>('newsletter-send', [
      { id: 'chunk', timestamp: new Date(), attempts: 1, body: chunks[0] },
      { id: 'confirm', timestamp: new Date(), attempts: 1, body: { type: 'confirmation', subscriberId: 1, requestedAt: 1 } },
    ]);
    await handleQueue(batch, broken);
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result.explicitAcks).toEqual(['chunk']);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['confirm']);
    expect((await fakeState()).emails).toHaveLength(0);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 0, failed: 0, pending: 50 });
  });
});

describe('pacing', () => {
  it('spaces reserved slots by 1000/rate ms across callers', async () => {
    await env.DB.prepare('DELETE FROM pacer').run();
    const now = Date.now() + 60_000; // in the future: nobody else's slots interfere
    const slots: number[] = [];
    for (let i = 0; i < 20; i++) slots.push((await reserveSlot(getDb(env.DB), 10, now).get())!.slot);
    const gaps = slots.slice(1).map((s, i) => s - slots[i]);
    expect(slots[0]).toBe(now);
    expect(gaps.every((g) => g === 100)).toBe(true);
    await env.DB.prepare('DELETE FROM pacer').run();
  });

  it('stays under the provider limit when many chunks are delivered at once', async () => {
    await fake('config', { ratePerSecond: 20 });
    const { renv, transport, chunks } = await planSend(1500);
    const config = readConfig({ ...renv, SEND_RATE_PER_SECOND: '20' });
    await Promise.all(chunks.map((c) => deliverChunk(renv, config, transport, c)));
    const state = await fakeState();
    expect(state.counters.paceLimited429).toBe(0);
    expect(recipientsAtFake(state).size).toBe(1500);
  });
});
