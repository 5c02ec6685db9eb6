// Delivering chunks through the Resend transport against the fake Resend on loopback (real SDK, real
// HTTP, real D1): exactly once per person through every crash and fault we can inject, and records
// that tell the truth. (Provider behaviour over time, limiters and counters: tests/provider.test.ts.)
import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Env, readConfig } from '../src/config';
import { getDb } from '../src/db/client';
import { type FaultPoint, deliverChunk, idempotencyKey } from '../src/issues/deliver';
import { CHUNK_STALL_MS, DELIVERY_RETENTION_MS, pruneOldRecords, requeueStalledChunks, runMaintenance } from '../src/issues/maintenance';
import { PLANNING_STALE_MS, startSend } from '../src/issues/plan';
import { sendStats } from '../src/issues/stats';
import { OutboxTransport } from '../src/mail/outbox';
import { ResendTransport } from '../src/mail/resend';
import { retryDelaySeconds } from '../src/mail/retry';
import type { ChunkMessage, QueueMessage } from '../src/messages';
import { handleQueue } from '../src/queue';
import { eraseSubscriber } from '../src/subscribers/erase';
import { countingD1, seedConfirmed } from './support/d1';
import { admin, adminJson } from './support/admin';
import { weekly } from './support/helpers';
import { API_KEY, article, clearSending, deliveryRows, emailsOf, exactlyOnce, fakeAt, planSend, recipientsAtFake, sendRow } from './support/sending';

const fake = fakeAt(env.FAKE_RESEND_URL);

beforeEach(() => clearSending(fake));

async function emailOf(id: number): Promise<string> {
  return (await emailsOf([id]))[0];
}

describe('planning', () => {
  it('keeps a ready article for later when nobody is confirmed yet', async () => {
    expect((await weekly(Date.now(), [article()])).started).toBeNull();
    expect(await env.DB.prepare('SELECT count(*) AS n FROM sends').first<{ n: number }>()).toEqual({ n: 0 });
  });

  it('splits the confirmed readers into keyset chunks of at most 100, each knowing its size', async () => {
    const { chunks, ids, sendId } = await planSend(fake, 250);
    expect(chunks.map((c) => c.chunk)).toEqual([0, 1, 2]);
    const { results } = await env.DB.prepare('SELECT from_id AS fromId, to_id AS toId, size FROM send_chunks WHERE send_id = ?1 ORDER BY chunk').bind(sendId).all();
    expect(results).toEqual([
      { fromId: ids[0], toId: ids[100] - 1, size: 100 },
      { fromId: ids[100], toId: ids[200] - 1, size: 100 },
      { fromId: ids[200], toId: ids[249], size: 50 },
    ]);
  });
});

describe('delivering a chunk', () => {
  it('sends each chunk with one batch call, under a key no other send or database can repeat', async () => {
    const { chunks, sendId, ids, slug, deliver } = await planSend(fake, 250);
    for (const chunk of chunks) expect(await deliver(chunk)).toMatchObject({ kind: 'done', sent: chunk.chunk < 2 ? 100 : 50, failed: 0 });
    const state = await fake.state();
    expect(state.counters.requests).toBe(3);
    const nonce = (await env.DB.prepare('SELECT key_nonce AS n FROM sends WHERE id = ?1').bind(sendId).first<{ n: string }>())!.n;
    expect(nonce).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(state.emails.map((e) => e.idempotencyKey))).toEqual(new Set(chunks.map((c) => idempotencyKey(nonce, sendId, c.chunk, 0))));
    expect(exactlyOnce(state, await emailsOf(ids))).toBe(true);
    const rows = await deliveryRows(sendId);
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows.every((r) => r.status === 'sent' && r.resendId)).toBe(true);
    expect(new Set(rows.map((r) => r.resendId))).toEqual(new Set(state.emails.map((e) => e.id)));
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ status: 'sent', recipients: 250, sent: 250, failed: 0, unknown: 0, skipped: 0, pending: 0 });
    // Every email carries the list headers with the reader's own link, and the tags webhooks come back with.
    const one = state.emails[0];
    expect(one.headers['List-Unsubscribe']).toMatch(/^<http:\/\/localhost:8787\/unsubscribe\?token=u\.\d+\.[A-Za-z0-9_-]{43}>$/);
    expect(one.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const reader = ids[(await emailsOf(ids)).indexOf(one.to[0])];
    expect(one.tags).toEqual([
      { name: 'kind', value: 'issue' },
      { name: 'slug', value: slug },
      { name: 'send', value: String(sendId) },
      { name: 'reader', value: String(reader) },
    ]);
  });

  it('takes four D1 round trips per chunk, plus one for the shared pacer (and one per isolate for the rendered issue)', async () => {
    const { renv, config, chunks } = await planSend(fake, 200);
    const counted = countingD1(env.DB);
    const db = getDb(counted.db);
    expect(await deliverChunk(db, config, new OutboxTransport(db), chunks[0])).toMatchObject({ kind: 'done', sent: 100 });
    const outboxTrips = counted.trips();
    // read, freeze, record; who still receives, read again when the call's turn comes; the outbox's own
    // insert; the rendered issue, once per isolate
    expect(outboxTrips).toBe(4 + 1 + 1);
    expect(await deliverChunk(db, config, new ResendTransport(db, readConfig(renv)), chunks[1])).toMatchObject({ kind: 'done', sent: 100 });
    // the same four; reserve a slot (a slot far ahead is checked again before use: one more); the
    // rendered issue comes from the isolate's cache now
    expect(counted.trips() - outboxTrips).toBe(4 + 1);
  });

  it.each<FaultPoint>(['after_read', 'after_freeze', 'after_provider', 'after_record'])('loses and duplicates nobody when the consumer crashes %s', async (crashAt) => {
    const { chunks, sendId, ids, deliver } = await planSend(fake, 120);
    for (const chunk of chunks) {
      await expect(deliver(chunk, { crashAt })).rejects.toThrow(`injected crash ${crashAt}`);
      // The queue redelivers; the second attempt must finish the job without a second copy.
      expect((await deliver(chunk)).kind).toBe(crashAt === 'after_record' ? 'already_done' : 'done');
    }
    const state = await fake.state();
    expect(exactlyOnce(state, await emailsOf(ids))).toBe(true);
    const rows = await deliveryRows(sendId);
    expect(rows).toHaveLength(120);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    if (crashAt === 'after_provider') expect(state.counters.idempotentReplays).toBe(chunks.length);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 120, pending: 0, skipped: 0 });
  });

  it('records the original ids when Resend accepted the batch but the answer was lost (500)', async () => {
    const { chunks, sendId, deliver } = await planSend(fake, 100);
    await fake.script(['lostAnswer']);
    expect(await deliver(chunks[0])).toMatchObject({ kind: 'done', sent: 100 });
    const state = await fake.state();
    expect(state.counters.lostAnswers).toBe(1);
    expect(state.counters.idempotentReplays).toBe(1);
    expect(state.emails).toHaveLength(100);
    expect(new Set((await deliveryRows(sendId)).map((r) => r.resendId))).toEqual(new Set(state.emails.map((e) => e.id)));
  });

  it('waits out a 429 that leaves the provider window room, in the same call and holding nobody else', async () => {
    const { chunks, deliver } = await planSend(fake, 50);
    await fake.script(['rateLimited']); // retry-after: 1, ratelimit-remaining > 0
    const started = Date.now();
    expect(await deliver(chunks[0])).toMatchObject({ kind: 'done', sent: 50 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const pacer = await env.DB.prepare('SELECT hold_until AS hold FROM pacer WHERE id = 1').first<{ hold: number }>();
    expect(pacer!.hold).toBe(0); // nobody else was told to wait
    expect((await fake.state()).emails).toHaveLength(50);
  });

  it('holds every consumer when a 429 says the window is spent, and learns the account’s real limit', async () => {
    await fake.config({ ratePerSecond: 1, limiter: 'sliding' }); // the provider allows less than we were told
    const { chunks, ids, deliver } = await planSend(fake, 200);
    const [first, second] = await Promise.all([deliver(chunks[0]), deliver(chunks[1])]);
    expect([first.kind, second.kind]).toEqual(['done', 'done']);
    const state = await fake.state();
    expect(state.counters.paceLimited429).toBeLessThanOrEqual(1);
    expect(exactlyOnce(state, await emailsOf(ids))).toBe(true);
    const pacer = await env.DB.prepare('SELECT provider_rate AS rate FROM pacer WHERE id = 1').first<{ rate: number }>();
    expect(pacer!.rate).toBe(1);
  });

  it('hands the chunk back after repeated 5xx, remembering the attempt may have gone, then sends it once', async () => {
    const { chunks, sendId, ids, deliver } = await planSend(fake, 30);
    await fake.script(['serverError', 'serverError', 'serverError']); // three attempts in one call
    expect(await deliver(chunks[0])).toMatchObject({ kind: 'retry', afterMs: null, rateLimited: false });
    expect([1, 2, 3, 4, 20].map((retries) => retryDelaySeconds(null, retries))).toEqual([2, 4, 8, 16, 900]);
    const chunk = await env.DB.prepare('SELECT uncertain_since AS u, failing_since AS f FROM send_chunks WHERE send_id = ?1').bind(sendId).first<{ u: number; f: number }>();
    expect(chunk).toMatchObject({ u: expect.any(Number), f: expect.any(Number) });
    expect((await fake.state()).emails).toHaveLength(0);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 0, pending: 30 });
    expect(await deliver(chunks[0])).toMatchObject({ kind: 'done', sent: 30 });
    expect(exactlyOnce(await fake.state(), await emailsOf(ids))).toBe(true);
  });

  it('does not send to a reader who left after a 429 handed the chunk back, though the list was frozen before', async () => {
    const { chunks, ids, renv, db } = await planSend(fake, 20);
    const handBack = new ResendTransport(db, readConfig(renv), { rateLimitInlineMs: 0 });
    await fake.script(['rateLimited']);
    expect(await deliverChunk(db, readConfig(renv), handBack, chunks[0])).toMatchObject({ kind: 'retry', rateLimited: true });
    // A definite refusal: the chunk is not "under way", and a 429 spends no retry budget.
    expect(await env.DB.prepare('SELECT uncertain_since AS u, failing_since AS f FROM send_chunks').first()).toEqual({ u: null, f: null });
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?1`).bind(ids[5]).run();
    expect(await deliverChunk(db, readConfig(renv), handBack, chunks[0])).toMatchObject({ kind: 'done', sent: 19 });
    expect(recipientsAtFake(await fake.state()).has(await emailOf(ids[5]))).toBe(false);
  });

  it('records only who was in the accepted batch as sent when a retry’s smaller batch is refused (409)', async () => {
    // Attempt 1 gets a 500 (maybe accepted); reader X leaves; attempt 2 is accepted but its answer is
    // lost; reader Y leaves; attempt 3's payload differs, so the provider answers 409.
    const { chunks, sendId, ids, renv, db } = await planSend(fake, 30);
    const config = readConfig(renv);
    const once = new ResendTransport(db, config, { serverErrorAttempts: 1 });
    const [x, y] = [ids[3], ids[7]];
    await fake.script(['serverError']);
    expect(await deliverChunk(db, config, once, chunks[0])).toMatchObject({ kind: 'retry' });
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?1`).bind(x).run();
    await fake.script(['lostAnswer']);
    expect(await deliverChunk(db, config, once, chunks[0])).toMatchObject({ kind: 'retry' });
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?1`).bind(y).run();
    expect(await deliverChunk(db, config, once, chunks[0])).toMatchObject({ kind: 'done', sent: 29, unknown: 1 });
    const state = await fake.state();
    expect(state.counters.conflicts409).toBe(1);
    expect(exactlyOnce(state, await emailsOf(ids.filter((id) => id !== x)))).toBe(true); // the one accepted batch
    const rows = await deliveryRows(sendId);
    expect(rows.find((r) => r.id === y)).toMatchObject({ status: 'sent' }); // in every payload so far: it got it
    expect(rows.find((r) => r.id === x)).toMatchObject({ status: 'unknown' }); // only in the first, which may have gone
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 29, unknown: 1, failed: 0, pending: 0 });
  });

  it('reads a 409 invalid_idempotent_request as Resend documents it: an email under the key was sent', async () => {
    // Resend keeps a key for "an email with the same idempotency key [that] has already been sent";
    // nothing in its docs says a refused request binds its key. So a 409 where no attempt of ours may
    // have been accepted (the first was refused outright) is not taken as "refused": those still
    // receiving are unknown (listed for the operator), never failed (retry-failed would mail them).
    const { chunks, sendId, ids, renv, db } = await planSend(fake, 20);
    const config = readConfig(renv);
    const handBack = new ResendTransport(db, config, { rateLimitInlineMs: 0 });
    await fake.script(['rateLimited']); // refused outright
    expect(await deliverChunk(db, config, handBack, chunks[0])).toMatchObject({ kind: 'retry', rateLimited: true });
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?1`).bind(ids[4]).run();
    await fake.script(['conflict']);
    expect(await deliverChunk(db, config, handBack, chunks[0])).toMatchObject({ kind: 'done', sent: 0, failed: 0, unknown: 19 });
    expect((await fake.state()).emails).toHaveLength(0);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 0, failed: 0, unknown: 19, pending: 0 });
  });

  it('takes a 409 concurrent_idempotent_requests as uncertain: the marker stays, the retry goes under the same key', async () => {
    // "another request with the same idempotency key is currently in progress": it may be accepted.
    const { chunks, sendId, ids, deliver } = await planSend(fake, 10);
    await fake.script(['concurrent']);
    expect(await deliver(chunks[0])).toMatchObject({ kind: 'retry', rateLimited: false });
    const marker = await env.DB.prepare('SELECT uncertain_since AS u FROM send_chunks WHERE send_id = ?1').bind(sendId).first<{ u: number | null }>();
    expect(marker!.u).not.toBeNull(); // a sure refusal would have cleared it
    expect(await deliver(chunks[0])).toMatchObject({ kind: 'done', sent: 10 });
    const state = await fake.state();
    expect(new Set(state.emails.map((e) => e.idempotencyKey)).size).toBe(1);
    expect(exactlyOnce(state, await emailsOf(ids))).toBe(true);
  });

  it('halts on a 413 HTML page with a message that says what came back, not "internal server error"', async () => {
    const { chunks, sendId, deliver } = await planSend(fake, 10);
    await fake.script(['tooLarge']);
    const result = await deliver(chunks[0]);
    expect(result).toMatchObject({ kind: 'halted', reason: expect.stringMatching(/^413 payload_too_large: .*413 Payload Too Large/) });
    expect((result as { reason: string }).reason).not.toMatch(/Internal server error/i);
    expect(await sendRow(sendId)).toEqual({ status: 'halted', reason: expect.stringMatching(/too large/) });
  });

  it('reads the status of an answer whose JSON body has none (an intermediary’s 429) from the HTTP answer', async () => {
    // The SDK reports such an answer with no status, which read as a lost answer (maybe accepted).
    const { chunks, sendId, renv, db } = await planSend(fake, 10);
    const config = readConfig(renv);
    const handBack = new ResendTransport(db, config, { rateLimitInlineMs: 0, serverErrorAttempts: 1 });
    await fake.script(['proxy429']);
    expect(await deliverChunk(db, config, handBack, chunks[0])).toMatchObject({ kind: 'retry', rateLimited: true, afterMs: expect.any(Number) });
    const chunk = await env.DB.prepare('SELECT uncertain_since AS u, failing_since AS f FROM send_chunks WHERE send_id = ?1').bind(sendId).first();
    expect(chunk).toEqual({ u: null, f: null }); // a sure refusal: not under way, no retry budget spent
  });

  it('halts on a spent quota (a 429 no pace can fix) instead of retrying it as a rate limit', async () => {
    const { chunks, sendId, deliver } = await planSend(fake, 20);
    await fake.script(['quotaExceeded']);
    expect(await deliver(chunks[0])).toMatchObject({ kind: 'halted', reason: expect.stringMatching(/daily_quota_exceeded/) });
    expect(await sendRow(sendId)).toEqual({ status: 'halted', reason: expect.stringMatching(/daily_quota_exceeded/) });
    // Nobody else was told to wait an hour.
    const pacer = await env.DB.prepare('SELECT hold_until AS hold FROM pacer WHERE id = 1').first<{ hold: number }>();
    expect(pacer!.hold).toBeLessThan(Date.now() + 5000);
  });

  it('keeps no record of a reader erased between an accepted batch and its retry', async () => {
    const { chunks, sendId, ids, renv, db } = await planSend(fake, 10);
    const config = readConfig(renv);
    const once = new ResendTransport(db, config, { serverErrorAttempts: 1 });
    await fake.script(['lostAnswer']);
    expect(await deliverChunk(db, config, once, chunks[0])).toMatchObject({ kind: 'retry' });
    await eraseSubscriber(getDb(env.DB), await emailOf(ids[2])); // what DELETE /api/subscribers/:email does
    expect(await deliverChunk(db, config, once, chunks[0])).toMatchObject({ kind: 'done', sent: 9 });
    const rows = await deliveryRows(sendId);
    expect(rows.map((r) => r.id)).not.toContain(ids[2]);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect((await fake.state()).emails).toHaveLength(10);
  });

  it('fails only the permanently invalid address, never the whole chunk', async () => {
    const { chunks, sendId, ids, deliver } = await planSend(fake, 10);
    await fake.config({ invalidRecipients: [await emailOf(ids[3])] });
    expect(await deliver(chunks[0])).toMatchObject({ kind: 'done', sent: 9, failed: 1 });
    const rows = await deliveryRows(sendId);
    expect(rows.find((r) => r.id === ids[3])).toMatchObject({ status: 'failed', resendId: null });
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(9);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 9, failed: 1, pending: 0 });
  });

  it('honours an unsubscribe, bounce or complaint during the send for every chunk not yet sent', async () => {
    const { chunks, sendId, ids, deliver } = await planSend(fake, 300);
    await deliver(chunks[0]);
    const [leaver, bounced, complained] = [ids[150], ids[250], ids[299]];
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?1`).bind(leaver).run();
    await env.DB.prepare(`UPDATE subscribers SET status = 'bounced' WHERE id = ?1`).bind(bounced).run();
    await env.DB.prepare(`UPDATE subscribers SET status = 'complained' WHERE id = ?1`).bind(complained).run();
    for (const chunk of chunks.slice(1)) await deliver(chunk);
    const sentTo = new Set((await deliveryRows(sendId)).map((r) => r.id));
    expect(sentTo.has(leaver) || sentTo.has(bounced) || sentTo.has(complained)).toBe(false);
    expect(sentTo.size).toBe(297);
    expect((await fake.state()).emails).toHaveLength(297);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 297, skipped: 3, pending: 0 });
  });

  it('sends one copy when two consumers get the same chunk at once', async () => {
    const { chunks, ids, deliver } = await planSend(fake, 100);
    const results = await Promise.all([deliver(chunks[0]), deliver(chunks[0])]);
    // One finishes it; the other finds it done, or is told to retry (409 concurrent use of the key).
    expect(results.map((r) => r.kind)).toContain('done');
    if (results.some((r) => r.kind === 'retry')) expect(await deliver(chunks[0])).toMatchObject({ kind: 'already_done' });
    expect(exactlyOnce(await fake.state(), await emailsOf(ids))).toBe(true);
  });
});

describe('a halted send', () => {
  it('shows the provider’s reason when it refuses every batch, records nothing, and resumes by itself once fixed', async () => {
    const { chunks, sendId, slug, ids, renv, db, config } = await planSend(fake, 250);
    await fake.config({ apiKey: 're_the_new_key' }); // our key was revoked
    expect(await deliverChunk(db, config, new ResendTransport(db, config), chunks[0])).toMatchObject({ kind: 'halted', reason: expect.stringMatching(/invalid_api_key/) });
    expect(await sendRow(sendId)).toEqual({ status: 'halted', reason: expect.stringMatching(/403 invalid_api_key/) });
    expect(await sendStats(db, sendId)).toMatchObject({ status: 'halted', reason: expect.stringMatching(/invalid_api_key/), sent: 0, pending: 250 });
    // What the operator sees through the admin API, and what its control routes answer meanwhile.
    const { issues: listed } = await adminJson<{ issues: { slug: string; status: string; reason: string }[] }>('/api/issues');
    expect(listed.find((i) => i.slug === slug)).toMatchObject({ status: 'halted', reason: expect.stringMatching(/invalid_api_key/) });
    expect(await adminJson(`/api/issues/${slug}/stats`)).toMatchObject({ status: 'halted', reason: expect.stringMatching(/invalid_api_key/) });
    for (const action of ['resume', 'cancel', 'retry-failed']) {
      const refused = await admin(`/api/issues/${slug}/${action}`, { method: 'POST' });
      expect(refused.status, action).toBe(409); // resume and cancel are for paused sends; retry-failed waits for the end
      expect(await refused.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
      expect((await admin(`/api/issues/${slug}/${action}`, { method: 'POST', headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    }
    // The other chunks arrive and wait without calling the provider.
    const requests = (await fake.state()).counters.requests;
    expect(await deliverChunk(db, config, new ResendTransport(db, config), chunks[1])).toMatchObject({ kind: 'waiting' });
    expect((await fake.state()).counters.requests).toBe(requests);
    expect(await deliveryRows(sendId)).toHaveLength(0);

    // The operator fixes the key; housekeeping's probe goes through the consumer and the send moves again.
    await fake.config({ apiKey: API_KEY });
    chunks.length = 0;
    expect(await runMaintenance(db, renv, config)).toMatchObject({ probes: 1 });
    expect(chunks).toEqual([{ type: 'chunk', sendId, chunk: 0, probe: true }]);
    for (let i = 0; i < chunks.length; i++) {
      const batch = createMessageBatch<QueueMessage>('newsletter-send', [{ id: `m${i}`, timestamp: new Date(), attempts: 1, body: chunks[i] }]);
      await handleQueue(batch, renv);
    }
    expect(await sendRow(sendId)).toEqual({ status: 'sent', reason: null });
    expect(exactlyOnce(await fake.state(), await emailsOf(ids))).toBe(true);
    const issues = await (await import('./support/admin')).adminJson<{ issues: { slug: string; status: string }[] }>('/api/issues');
    expect(issues.issues.find((i) => i.slug === slug)).toMatchObject({ status: 'sent' });
  });
});

describe('the queue consumer', () => {
  const ctx = createExecutionContext();
  const batchOf = (queue: string, bodies: ChunkMessage[]) =>
    createMessageBatch<QueueMessage>(queue, bodies.map((body) => ({ id: `chunk-${body.chunk}`, timestamp: new Date(), attempts: 1, body })));

  it('acks every chunk; a provider failure goes back as a fresh message with a delay, never spending queue retries', async () => {
    const queued: { body: ChunkMessage; delaySeconds?: number }[] = [];
    const { renv, chunks, sendId } = await planSend(fake, 150);
    const capture = { sendBatch: async (ms: { body: ChunkMessage; delaySeconds?: number }[]) => void queued.push(...ms) } as unknown as Queue<QueueMessage>;
    const env2: Env = { ...renv, SEND_QUEUE: capture };
    // Both chunks (3 attempts each) meet only 5xx.
    await fake.script(Array(6).fill('serverError'));
    const first = batchOf('newsletter-send', chunks);
    await handleQueue(first, env2);
    const result = await getQueueResult(first, ctx);
    expect(result.explicitAcks.sort()).toEqual(['chunk-0', 'chunk-1']);
    expect(result.retryMessages).toEqual([]);
    expect(queued.map((q) => [q.body.chunk, q.body.retries, q.delaySeconds]).sort()).toEqual([
      [0, 1, 2],
      [1, 1, 2],
    ]);

    // A 429 storm hands chunk 1 back too, without counting a retry.
    await fake.config({ forceStatus: { status: 429, untilMs: Date.now() + 60_000 } });
    queued.length = 0;
    await handleQueue(batchOf('newsletter-send', [{ ...chunks[1], retries: 1 }]), env2);
    expect(queued.map((q) => q.body.retries)).toEqual([1]);
    await fake.config({ forceStatus: null });

    // The redelivery of chunk 1 goes through; chunk 0 dies in the dead-letter queue: its readers count as failed.
    await handleQueue(batchOf('newsletter-send', [chunks[1]]), env2);
    const dead = batchOf('newsletter-send-dlq', [chunks[0]]);
    await handleQueue(dead, env2);
    expect((await getQueueResult(dead, ctx)).explicitAcks).toEqual(['chunk-0']);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ status: 'sent', recipients: 150, sent: 50, failed: 100, pending: 0 });
    expect((await fake.state()).emails).toHaveLength(50);
  });

  it('refuses a queue it does not know instead of guessing', async () => {
    const { renv, chunks } = await planSend(fake, 10);
    await expect(handleQueue(batchOf('newsletter-send-old', chunks), renv)).rejects.toThrow(/unknown queue "newsletter-send-old"/);
  });

  it('sends nothing when misconfigured and spends no retries of chunks (they stay pending for housekeeping)', async () => {
    const { renv, chunks, sendId } = await planSend(fake, 50);
    const broken = { ...renv, RESEND_API_KEY: undefined } as Env; // EMAIL_TRANSPORT=resend without a key
    const batch = createMessageBatch<QueueMessage>('newsletter-send', [
      { id: 'chunk', timestamp: new Date(), attempts: 1, body: chunks[0] },
      { id: 'confirm', timestamp: new Date(), attempts: 1, body: { type: 'confirmation', subscriberId: 1, requestedAt: 1 } },
    ]);
    await handleQueue(batch, broken);
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result.explicitAcks).toEqual(['chunk']);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['confirm']);
    expect((await fake.state()).emails).toHaveLength(0);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 0, failed: 0, pending: 50 });
  });
});

describe('housekeeping', () => {
  it('finishes a plan that crashed between the claim and the enqueue, with the ranges it planned', async () => {
    const { renv, config, chunks, db, deliver } = await planSend(fake, 0);
    const ids = await seedConfirmed(env.DB, 'crash-plan', 250);
    const broken = { ...renv, SEND_QUEUE: { sendBatch: async () => { throw new Error('queue unavailable'); } } as unknown as Queue<QueueMessage> };
    await expect(startSend(db, broken, config, article())).rejects.toThrow('queue unavailable');
    const planning = await env.DB.prepare(`SELECT id FROM sends WHERE status = 'planning'`).first<{ id: number }>();
    const planned = await env.DB.prepare('SELECT chunk, from_id AS fromId, to_id AS toId FROM send_chunks WHERE send_id = ?1 ORDER BY chunk').bind(planning!.id).all();
    // A reader of the first chunk leaves before the plan is resumed: the boundaries must not shift.
    await env.DB.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?1`).bind(ids[49]).run();
    chunks.length = 0;
    expect(await runMaintenance(db, renv, config, Date.now())).toMatchObject({ resumedPlans: 0, requeuedChunks: 0 }); // too fresh to call abandoned
    expect(await runMaintenance(db, renv, config, Date.now() + PLANNING_STALE_MS + 1000)).toMatchObject({ resumedPlans: 1 });
    expect(chunks.map((c) => c.chunk)).toEqual(planned.results.map((r) => r.chunk));
    for (const c of chunks) await deliver(c);
    expect(exactlyOnce(await fake.state(), await emailsOf(ids.filter((id) => id !== ids[49])))).toBe(true);
    expect(await sendRow(planning!.id)).toMatchObject({ status: 'sent' });
  });

  it('does not take a long send that is making progress for stalled', async () => {
    const { renv, chunks, db, deliver } = await planSend(fake, 300);
    await env.DB.prepare('UPDATE sends SET started_at = started_at - ?1, touched_at = touched_at - ?1').bind(2 * CHUNK_STALL_MS).run();
    await deliver(chunks[0]); // progress just now
    chunks.length = 0;
    expect(await requeueStalledChunks(db, renv, Date.now())).toBe(0);
  });

  it('re-enqueues chunks whose message was lost, and they still go out once', async () => {
    const { renv, chunks, sendId, ids, db, deliver } = await planSend(fake, 250);
    const [first, ...lost] = [...chunks];
    await deliver(first);
    chunks.length = 0;
    expect(await requeueStalledChunks(db, renv, Date.now())).toBe(0);
    expect(await requeueStalledChunks(db, renv, Date.now() + CHUNK_STALL_MS + 1000)).toBe(2);
    expect(chunks.map((c) => c.chunk).sort()).toEqual(lost.map((c) => c.chunk).sort());
    for (const c of [...chunks, ...lost]) await deliver(c); // the originals turn up too
    expect(exactlyOnce(await fake.state(), await emailsOf(ids))).toBe(true);
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ sent: 250, pending: 0 });
  });

  it('prunes delivery records 90 days after a send; the stats stay', async () => {
    const { chunks, sendId, db, deliver } = await planSend(fake, 150);
    for (const c of chunks) await deliver(c);
    const stats = await sendStats(db, sendId);
    expect(stats).toMatchObject({ sent: 150, pending: 0 });
    expect(await pruneOldRecords(db, Date.now() + DELIVERY_RETENTION_MS - 60_000)).toBe(0);
    expect(await pruneOldRecords(db, Date.now() + DELIVERY_RETENTION_MS + 60_000)).toBe(150);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM deliveries WHERE send_id = ?1').bind(sendId).first()).toEqual({ n: 0 });
    expect(await sendStats(db, sendId)).toEqual(stats);
  });
});
