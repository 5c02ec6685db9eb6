// The provider as it really is, not only as our fake usually is: three honest rate limiters, an
// account whose real limit is below the setting, keys shared across databases, a key store that
// forgets after 24 hours, 429 storms and long outages (simulated time), the retry budget and
// `retry-failed`, and counters that always equal a count of the records. Also as Resend may behave
// beyond our usual fake: a limit shared with other apps of the team, retry-after as a floor, its own
// suppression list (`email.suppressed`) and account failures reported after acceptance.
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { getDb } from '../src/db/client';
import { retryFailed } from '../src/issues/control';
import { deliverChunk } from '../src/issues/deliver';
import { wakeBackedOff } from '../src/issues/plan';
import { sendStats } from '../src/issues/stats';
import { applyEvent, interpretEvent } from '../src/webhooks/resend';
import { BASE_MARGIN, createPacer, forgetLocalPacing, jitterReading, reserveSlot, roundTripGuard, uploadsSettled } from '../src/mail/pacer';
import { liftAtProvider } from '../src/subscribers/suppression';
import { ProviderClient, ResendTransport } from '../src/mail/resend';
import { BLIND_AFTER_MS, RETRY_BUDGET_MS } from '../src/mail/retry';
import type { ChunkMessage } from '../src/messages';
import { admin, adminJson } from './support/admin';
import { meteredD1 } from './support/d1';
import { API_KEY, clearSending, countersAndCounts, deliveryRows, emailsOf, exactlyOnce, fakeAt, type PlannedSend, planSend, WEBHOOK_SECRET } from './support/sending';

const fake = fakeAt(env.FAKE_RESEND_URL_2);
const HOUR = 60 * 60 * 1000;
/**
 * D1 rows written per webhook event, as D1 reports them (tables, indexes and triggers): the first
 * time on a delivery that was sent. A failure or suppression also enters the partial index of
 * unresolved readers; a reader who leaves (permanent bounce, complaint, suppression) also moves the
 * dashboard's counters (triggers of migration 0005: 2 to 4 rows, as the day's row exists or not), so
 * those are a range. A replay writes 0 (checked below).
 */
const PINNED_ROWS = {
  'email.delivered': 2,
  'email.opened': 2,
  'email.clicked': 2,
  'email.delivery_delayed': 1,
  'email.bounced (Transient)': 3,
  'email.failed': 3,
  'email.failed (account)': 3,
};
const LEAVING_ROWS = { min: 6, max: 10 };

beforeEach(() => clearSending(fake));

/** Delivers every chunk, following the consumer's hand-backs (at once: the transport already waited). */
async function deliverAll(send: PlannedSend, transport = send.transport, now?: () => number): Promise<void> {
  const queue: ChunkMessage[] = [...send.chunks];
  for (let guard = 0; queue.length > 0; guard++) {
    if (guard > 500) throw new Error('the send does not finish');
    const batch = queue.splice(0, queue.length);
    const results = await Promise.all(batch.map((c) => deliverChunk(send.db, send.config, transport, c, now ? { now: now() } : {})));
    results.forEach((r, i) => {
      if (r.kind === 'retry') queue.push(batch[i]);
    });
  }
}

describe('pacing against each honest limiter', () => {
  it('keeps at most `rate` slots in any window of a second, with a guard while the window is tight (assumed at first)', async () => {
    const db = getDb(env.DB);
    const start = Date.now() + 60_000; // in the future: nobody else's slots interfere
    const take = async (now: number) => (await reserveSlot(db, 10, now).get())!.slot;
    // A new pacer assumes the worst honest limiter until answers show room: every window gets a guard.
    const first: number[] = [];
    for (let i = 0; i < 25; i++) first.push(await take(start));
    for (let i = 1; i < first.length; i++) expect(first[i] - first[i - 1]).toBeGreaterThanOrEqual(100);
    for (let i = 10; i < first.length; i++) expect(first[i] - first[i - 10]).toBeGreaterThanOrEqual(1000 * (1 + BASE_MARGIN));
    // Once the provider showed room (no answer said the window was nearly full), exactly the rate.
    const later = first[24] + 5000;
    const loose: number[] = [];
    for (let i = 0; i < 25; i++) loose.push(await take(later));
    expect(loose.slice(0, 3)).toEqual([later, later + 100, later + 200]);
    for (let i = 10; i < loose.length; i++) expect(loose[i] - loose[i - 10]).toBe(1000);
    // Told the window is tight again: the guard is back.
    await env.DB.prepare('UPDATE pacer SET tight_until = ?1').bind(later + 60_000).run();
    const tight: number[] = [];
    for (let i = 0; i < 20; i++) tight.push(await take(later));
    for (let i = 10; i < tight.length; i++) expect(tight[i] - tight[i - 10]).toBeGreaterThanOrEqual(1000 * (1 + BASE_MARGIN));
  });

  it.each(['token', 'sliding', 'fixed'])('sends to everyone once with at most one over-rate 429 against a %s limiter', async (limiter) => {
    await fake.config({ ratePerSecond: 20, limiter });
    const send = await planSend(fake, 3000, { SEND_RATE_PER_SECOND: '20' });
    await deliverAll(send);
    const state = await fake.state();
    expect(exactlyOnce(state, await emailsOf(send.ids))).toBe(true);
    expect(state.counters.paceLimited429).toBeLessThanOrEqual(1);
  });

  it('converges to the account’s real limit when SEND_RATE_PER_SECOND is set higher', async () => {
    await fake.config({ ratePerSecond: 10, limiter: 'sliding' });
    const send = await planSend(fake, 3000, { SEND_RATE_PER_SECOND: '20' });
    await deliverAll(send);
    const state = await fake.state();
    expect(exactlyOnce(state, await emailsOf(send.ids))).toBe(true);
    expect(state.counters.paceLimited429).toBeLessThanOrEqual(1); // learnt from ratelimit-limit on the first answer
    expect(await env.DB.prepare('SELECT provider_rate AS rate FROM pacer').first()).toEqual({ rate: 10 });
  });
});

describe('keys unique everywhere', () => {
  it('two fresh databases sending to one Resend account: everyone gets each send once, nobody recorded sent without a mail', async () => {
    await env.DB.prepare(`DELETE FROM sqlite_sequence WHERE name IN ('sends', 'subscribers')`).run();
    const first = await planSend(fake, 150);
    await deliverAll(first);
    // A re-created database (or staging next to production): send ids and chunk numbers start again.
    await env.DB.batch(['subscribers', 'deliveries', 'send_chunks', 'sends', 'pacer'].map((t) => env.DB.prepare(`DELETE FROM ${t}`)));
    await env.DB.prepare(`DELETE FROM sqlite_sequence WHERE name IN ('sends', 'subscribers')`).run();
    const second = await planSend(fake, 150);
    expect(second.sendId).toBe(first.sendId);
    await deliverAll(second);
    const state = await fake.state();
    expect(state.counters.conflicts409).toBe(0);
    expect(state.emails).toHaveLength(300);
    expect(exactlyOnce(state, state.emails.map((e) => e.to[0]))).toBe(true);
    expect((await deliveryRows(second.sendId)).every((r) => r.status === 'sent' && r.resendId)).toBe(true);
  });
});

describe('time', () => {
  it('never re-sends blindly past the provider’s 24-hour memory: the readers are unknown', async () => {
    const send = await planSend(fake, 100, {}, {});
    const once = new ResendTransport(send.db, send.config, { serverErrorAttempts: 1 });
    await fake.script(['lostAnswer']); // accepted, answer lost
    expect(await deliverChunk(send.db, send.config, once, send.chunks[0])).toMatchObject({ kind: 'retry' });
    await fake.config({ apiKey: 're_revoked_meanwhile' }); // then the provider refuses everything
    expect(await deliverChunk(send.db, send.config, once, send.chunks[0])).toMatchObject({ kind: 'halted' });
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ status: 'halted', reason: expect.stringMatching(/invalid_api_key/) });
    // A day later the provider is back and has forgotten the key: sending now would be a second copy.
    await fake.config({ apiKey: API_KEY });
    await fake.forgetKeys();
    const later = Date.now() + BLIND_AFTER_MS + HOUR;
    expect(await deliverChunk(send.db, send.config, once, { ...send.chunks[0], probe: true }, { now: later })).toMatchObject({ kind: 'done', sent: 0, unknown: 100 });
    expect((await fake.state()).emails).toHaveLength(100); // the first, lost-answer batch only
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ status: 'sent', unknown: 100, sent: 0, pending: 0 });
    expect((await deliveryRows(send.sendId)).every((r) => r.status === 'unknown')).toBe(true);
    // The operator gets their addresses, a page at a time, to check in Resend's logs.
    const emails = await emailsOf(send.ids);
    const first = await adminJson(`/api/issues/${send.slug}/recipients?status=unknown&limit=60`);
    expect(first.recipients).toHaveLength(60);
    expect(first.recipients[0]).toMatchObject({ email: emails[0], status: 'unknown', at: expect.any(String) });
    const rest = await adminJson(`/api/issues/${send.slug}/recipients?status=unknown&limit=60&cursor=${first.nextCursor}`);
    expect(rest.nextCursor).toBeNull();
    expect([...first.recipients, ...rest.recipients].map((r: { email: string }) => r.email)).toEqual(emails);
    expect((await adminJson(`/api/issues/${send.slug}/recipients?status=failed`)).recipients).toEqual([]);
    expect((await admin(`/api/issues/${send.slug}/recipients?status=sent`)).status).toBe(400);
    expect((await admin(`/api/issues/${send.slug}/recipients?status=unknown&cursor=forged`)).status).toBe(400);
    for (const limit of ['0', '1001', 'ten']) expect((await admin(`/api/issues/${send.slug}/recipients?status=unknown&limit=${limit}`)).status, limit).toBe(400);
    const byDefault = await adminJson(`/api/issues/${send.slug}/recipients?status=unknown`);
    expect([byDefault.recipients.length, byDefault.nextCursor]).toEqual([100, null]); // 100 a page
    expect((await admin('/api/issues/no-such-issue/recipients?status=unknown')).status).toBe(404);
    expect((await admin(`/api/issues/${send.slug}/recipients?status=unknown`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('rides out a 6-hour outage (simulated time) and mails everyone once', async () => {
    // Hours of simulated time: the real-time waits between probes are the next test's.
    const send = await planSend(fake, 200, {}, { outageMaxHoldMs: 0 });
    await fake.config({ forceStatus: { status: 503, untilMs: Date.now() + 10 * 60_000 } });
    const start = Date.now();
    for (let t = 0; t <= 6 * HOUR; t += HOUR / 2) {
      for (const c of send.chunks) expect(await send.deliver(c, { now: start + t })).toMatchObject({ kind: 'retry', rateLimited: false });
    }
    await fake.config({ forceStatus: null });
    for (const c of send.chunks) expect(await send.deliver(c, { now: start + 6 * HOUR + 60_000 })).toMatchObject({ kind: 'done' });
    expect(exactlyOnce(await fake.state(), await emailsOf(send.ids))).toBe(true);
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ status: 'sent', sent: 200, failed: 0 });
  });

  it('probes a provider that is down with growing waits, not at the full rate, and goes on when it is back', async () => {
    const send = await planSend(fake, 100, {}, { serverErrorAttempts: 6 });
    await fake.config({ forceStatus: { status: 503, untilMs: Date.now() + 2500 } });
    const start = Date.now();
    expect(await send.deliver(send.chunks[0])).toMatchObject({ kind: 'done', sent: 100 });
    // At 100 requests/s, 2.5 s of outage would take 250 calls; three failures in a row (not a random
    // fault) hold every call 1 s, the next failure 2 s: the fifth call is the first after the outage.
    expect((await fake.state()).counters.forced).toBe(4);
    expect(Date.now() - start).toBeGreaterThanOrEqual(2500);
    expect(exactlyOnce(await fake.state(), await emailsOf(send.ids))).toBe(true);
    // Any answer that is not a server error ends the outage: the next call goes at once.
    const next = await planSend(fake, 10);
    const at = Date.now();
    expect(await next.deliver(next.chunks[0])).toMatchObject({ kind: 'done' });
    expect(Date.now() - at).toBeLessThan(1000);
  });

  it('after an outage, the chunks backing off go as soon as the provider accepts one, woken once', async () => {
    const send = await planSend(fake, 300, {}, { outageMaxHoldMs: 0 }); // the waits between probes are the test above's
    await fake.config({ forceStatus: { status: 503, untilMs: Date.now() + 10 * 60_000 } });
    for (const c of send.chunks.slice(0, 3)) expect(await send.deliver(c)).toMatchObject({ kind: 'retry', rateLimited: false });
    await fake.config({ forceStatus: null });
    const first = await send.deliver(send.chunks[0]);
    expect(first).toMatchObject({ kind: 'done', sent: 100, recoveredFrom: expect.any(Number) });
    const recoveredFrom = (first as { recoveredFrom: number }).recoveredFrom;
    const before = send.chunks.length;
    expect(await wakeBackedOff(send.db, send.renv, send.sendId, recoveredFrom, Date.now())).toBe(2);
    expect(send.chunks.slice(before).map((c) => c.chunk)).toEqual([1, 2]);
    // The same outage wakes nobody twice (the next chunk to recover finds it done).
    expect(await wakeBackedOff(send.db, send.renv, send.sendId, recoveredFrom, Date.now())).toBe(0);
    for (const c of send.chunks.slice(before)) expect(await send.deliver(c)).toMatchObject({ kind: 'done', sent: 100, recoveredFrom: expect.any(Number) });
    expect(await send.deliver(send.chunks[1])).toEqual({ kind: 'already_done' }); // the old, delayed message
    expect(exactlyOnce(await fake.state(), await emailsOf(send.ids))).toBe(true);
    // A clean chunk recovered from nothing.
    const clean = await planSend(fake, 50);
    expect(await clean.deliver(clean.chunks[0])).toMatchObject({ kind: 'done', recoveredFrom: null });
  });

  it('never spends the retry budget on a 429 storm, however long', async () => {
    const send = await planSend(fake, 100, {}, { rateLimitInlineMs: 0 });
    await fake.config({ forceStatus: { status: 429, untilMs: Date.now() + 10 * 60_000 } });
    const start = Date.now();
    for (const t of [0, 10 * 60_000, RETRY_BUDGET_MS + HOUR]) {
      expect(await send.deliver(send.chunks[0], { now: start + t })).toMatchObject({ kind: 'retry', rateLimited: true });
    }
    expect(await env.DB.prepare('SELECT failing_since AS f, uncertain_since AS u FROM send_chunks').first()).toEqual({ f: null, u: null });
    await fake.config({ forceStatus: null });
    await env.DB.prepare('UPDATE pacer SET hold_until = 0').run();
    expect(await send.deliver(send.chunks[0])).toMatchObject({ kind: 'done', sent: 100 });
    expect(exactlyOnce(await fake.state(), await emailsOf(send.ids))).toBe(true);
  });

  it('after the retry budget records the chunk’s readers failed; retry-failed sends to exactly them once, under the same key', async () => {
    const send = await planSend(fake, 150);
    const once = new ResendTransport(send.db, send.config, { serverErrorAttempts: 1 });
    expect(await send.deliver(send.chunks[1])).toMatchObject({ kind: 'done', sent: 50 });
    await fake.script(['lostAnswer']); // chunk 0 is accepted, its answer lost, then the provider is down
    expect(await deliverChunk(send.db, send.config, once, send.chunks[0])).toMatchObject({ kind: 'retry' });
    await fake.config({ forceStatus: { status: 503, untilMs: Date.now() + 10 * 60_000 } });
    const start = Date.now();
    expect(await deliverChunk(send.db, send.config, once, send.chunks[0], { now: start + HOUR })).toMatchObject({ kind: 'retry' });
    expect(await deliverChunk(send.db, send.config, once, send.chunks[0], { now: start + RETRY_BUDGET_MS + HOUR })).toMatchObject({ kind: 'done', failed: 100 });
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ status: 'sent', sent: 50, failed: 100, pending: 0 });

    // 409 while a send is under way; then exactly the failed readers, once more.
    await fake.config({ forceStatus: null });
    const retry = await retryFailed(send.db, send.renv, send.slug);
    expect(retry).toEqual({ ok: true, value: { retrying: 100, unknown: 0 } });
    expect(await retryFailed(send.db, send.renv, send.slug)).toMatchObject({ ok: false, status: 409 });
    const reopened = send.chunks.slice(-1)[0];
    expect(reopened).toEqual({ type: 'chunk', sendId: send.sendId, chunk: 0 });
    expect(await send.deliver(reopened)).toMatchObject({ kind: 'done', sent: 100 });
    // The provider still remembered the lost-answer batch: nobody got a second copy.
    const state = await fake.state();
    expect(exactlyOnce(state, await emailsOf(send.ids))).toBe(true);
    expect(state.counters.idempotentReplays).toBeGreaterThanOrEqual(1);
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ status: 'sent', sent: 150, failed: 0, pending: 0 });
  });

  it('retry-failed sends readers refused one by one in an accepted batch again under a new key', async () => {
    const send = await planSend(fake, 100);
    const bad = (await emailsOf(send.ids.slice(0, 3)));
    await fake.config({ invalidRecipients: bad });
    await deliverAll(send);
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ sent: 97, failed: 3 });
    const listed = await adminJson(`/api/issues/${send.slug}/recipients?status=failed`);
    expect(listed.recipients.map((r: { email: string }) => r.email)).toEqual(bad);
    expect(listed.recipients[0].error).toEqual(expect.any(String));
    await fake.config({ invalidRecipients: [] }); // the addresses work again (a provider-side suppression lifted)
    send.chunks.length = 0;
    expect(await retryFailed(send.db, send.renv, send.slug)).toEqual({ ok: true, value: { retrying: 3, unknown: 0 } });
    await deliverAll(send);
    const state = await fake.state();
    expect(exactlyOnce(state, await emailsOf(send.ids))).toBe(true);
    expect(new Set(state.emails.map((e) => e.idempotencyKey)).size).toBe(2);
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ status: 'sent', sent: 100, failed: 0 });
  });
});

describe('counters', () => {
  it('cost at most 2 D1 rows written per delivery event (the record and its counter), 0 for a replay', async () => {
    const send = await planSend(fake, 100);
    await deliverAll(send);
    const at = Date.now();
    const ref = { sendId: send.sendId, subscriberId: send.ids[0] };
    for (const column of ['deliveredAt', 'openedAt', 'clickedAt'] as const) {
      const kind = { deliveredAt: 'email.delivered', openedAt: 'email.opened', clickedAt: 'email.clicked' }[column];
      const effect = { kind: 'delivery' as const, column, error: null, delivery: ref, address: null, at };
      expect(await applyEvent(send.db, send.config, effect, at), kind).toEqual({ changed: true, rowsWritten: 2 });
      expect(await applyEvent(send.db, send.config, effect, at), `${kind} again`).toEqual({ changed: false, rowsWritten: 0 });
    }
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ delivered: 1, opened: 1, clicked: 1 });
  });

  it('equal a count of the delivery records after a send with faults and webhooks, replays included', async () => {
    await fake.config({ faults: { rateLimited: 0.1, serverError: 0.1, lostAnswer: 0.1 }, seed: 7 });
    const send = await planSend(fake, 1000, { RESEND_WEBHOOK_SECRET: WEBHOOK_SECRET }, { serverErrorAttempts: 1 });
    const addresses = await emailsOf(send.ids);
    await fake.config({ webhooks: { secret: WEBHOOK_SECRET, delivered: true, bounce: addresses.slice(0, 5), complain: addresses.slice(5, 6) }, invalidRecipients: addresses.slice(10, 12) });
    await deliverAll(send);
    const hooks = await fake.relayWebhooks();
    expect(hooks).toHaveLength(1000 - 2);
    const { counters, counted, stats } = await countersAndCounts(send.sendId);
    expect(counters).toEqual(counted);
    expect(stats).toMatchObject({ status: 'sent', sent: 998, failed: 2, delivered: 992, bounced: 5, complained: 1, pending: 0 });
    // Resend retries webhooks: the same events again change nothing.
    await fake.relayWebhooks(hooks.slice(0, 50));
    expect(await countersAndCounts(send.sendId)).toEqual({ counters, counted, stats });
  });
});


describe('pacing as the provider also behaves', () => {
  it('holds the refused call at least as long as retry-after, even when ratelimit-reset says 0; the others as the window needs, and for retry-after at a second refusal within it', async () => {
    const db = getDb(env.DB);
    const pacer = createPacer(db, 10);
    const holdLeft = async () => (await env.DB.prepare('SELECT hold_until AS hold FROM pacer WHERE id = 1').first<{ hold: number }>())!.hold - Date.now();
    // A full second of calls, so our own log knows when the window frees.
    for (let i = 0; i < 10; i++) await pacer.observe({ status: 200, headers: { 'ratelimit-limit': '10', 'ratelimit-remaining': '1' } }, await pacer.wait());
    const refused = { status: 429, headers: { 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-reset': '0', 'retry-after': '1' } };
    const warn = vi.spyOn(console, 'warn');
    try {
      const callWaits = await pacer.observe(refused, await pacer.wait());
      // The refused call's follow-up waits the provider's retry-after (the transport sleeps what this says).
      expect(callWaits).toBeGreaterThanOrEqual(1000);
      expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(
        expect.stringMatching(new RegExp(`^pacer: over-rate 429 \\(the provider's window is full\\); the refused call waits ${callWaits} ms, the others \\d+ ms; tight windows were guarded by \\d+ ms$`)),
      );
      // Everyone else: until our log says the window frees (the call ten places back ages out), not a
      // second; nothing long on the shared row.
      expect(await holdLeft()).toBeLessThan(800);
      const askedAt = Date.now();
      const next = await pacer.wait();
      expect(Date.now() - askedAt).toBeLessThan(800);
      // That call, started after the answer and within its retry-after, is refused too: everyone holds it.
      const hold = await pacer.observe(refused, next);
      expect(hold).toBeGreaterThanOrEqual(1000);
      expect(await holdLeft()).toBeGreaterThanOrEqual(800);
      expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringMatching(/^pacer: over-rate 429 again within retry-after \(the provider's window is full\); every call holds \d+ ms/));
    } finally {
      warn.mockRestore();
    }
    // The next call, from this or any consumer, waits for it.
    const before = Date.now();
    await pacer.wait();
    expect(Date.now() - before).toBeGreaterThanOrEqual(850);
  });

  it('waits out retry-after before retrying the refused batch, while the other batches go on at the pace', async () => {
    // Ten requests a second, sliding: the tenth call fills the window, and the provider refuses it
    // anyway (counted, ratelimit-remaining 0, retry-after 1): the same answer as a full window's.
    await fake.config({ ratePerSecond: 10, limiter: 'sliding' });
    const { chunks, ids, deliver } = await planSend(fake, 1200, { SEND_RATE_PER_SECOND: '10' });
    expect(chunks).toHaveLength(12);
    await fake.script([...Array(9).fill('ok'), 'rateLimited']);
    const results = await Promise.all(chunks.map((c) => deliver(c)));
    expect(results.every((r) => r.kind === 'done')).toBe(true);
    const state = await fake.state();
    expect(state.counters).toMatchObject({ injected429: 1, paceLimited429: 0 });
    expect(exactlyOnce(state, await emailsOf(ids))).toBe(true);
    // The accepted requests in the order they came (each request's emails share a time).
    const times = [...new Set(state.emails.map((e) => Date.parse(e.acceptedAt)))].sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    // The refused batch came back last, a second after the ninth (it was the tenth call); the two
    // other batches went within that second, not held for it.
    expect(times[11] - times[8]).toBeGreaterThanOrEqual(1000);
    expect(times[10] - times[8]).toBeLessThan(900);
  });

  it('tells a refusal of the provider’s own (its window counted the call) from a full window, in two answers: only a full one widens the jitter guard', async () => {
    const db = getDb(env.DB);
    const jitter = async () => (await env.DB.prepare('SELECT jitter_ms AS j FROM pacer WHERE id = 1').first<{ j: number }>())!.j;
    const refused = { status: 429, headers: { 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-reset': '0', 'retry-after': '1' } };
    // counted: the provider's own refusal. full: the window was full. late edge: full, and in the
    // first answer after it a call of ours at the window's edge came late (one more in the window:
    // what a counted refusal shows too), in the next ones not. beside another app: counted, but
    // another app's request is in every window, so an extra says nothing: no verdict, a full window's.
    // counted, one answer short: counted, but the second answer after it shows a window surely
    // without it (a call of ours at the far edge counted out early): one answer against one, the
    // next ones decide (the benchmark's faults widened the guard on such an answer, to 100 ms).
    for (const kind of ['counted', 'full', 'late edge', 'beside another app', 'counted, one answer short'] as const) {
      await clearSending(fake);
      forgetLocalPacing();
      const pacer = createPacer(db, 10);
      // A sliding window that holds exactly our calls of the last second (and the refused one if it counted it).
      const starts: number[] = [];
      const answer = async (turn: { startedAt: number; slot: number; ring: number[] }, refusedAt?: number, late = false, short = false) => {
        starts.push(turn.startedAt);
        const counts = kind !== 'full' && kind !== 'late edge';
        // Short: only our calls surely in it (20 ms or more from its edges), without the refused one.
        const inWindow = short
          ? starts.filter((s) => s === turn.startedAt || (s > turn.startedAt - 980 && s <= turn.startedAt - 20 && s !== refusedAt)).length
          : starts.filter((s) => s > turn.startedAt - 1000 && s <= turn.startedAt && (s !== refusedAt || counts)).length + (late ? 1 : 0) + (kind === 'beside another app' ? 1 : 0);
        await pacer.observe({ status: 200, headers: { 'ratelimit-limit': '10', 'ratelimit-remaining': String(10 - inWindow) } }, turn);
      };
      for (let i = 0; i < 12; i++) await answer(await pacer.wait());
      const before = await jitter();
      const warn = vi.spyOn(console, 'warn');
      try {
        const turn = await pacer.wait();
        starts.push(turn.startedAt);
        await pacer.observe(refused, turn);
        // Nothing is judged by the refusal itself; the next calls' windows tell.
        expect(await jitter()).toBe(before);
        for (let i = 0; i < 12; i++) await answer(await pacer.wait(), turn.startedAt, kind === 'late edge' && i === 0, kind === 'counted, one answer short' && i === 1);
        const said = warn.mock.calls.map((c) => String(c[0])).filter((line) => line.includes('counted the call it refused'));
        if (kind === 'counted' || kind === 'counted, one answer short') {
          expect(said).toEqual(["pacer: the provider's window counted the call it refused (a refusal of its own, not of the pace): the guard stays as it was"]);
          // (The short answer may also read as jitter: a call of ours within 20 ms of the edge counted
          // out early, 1.5 times that at most. The guard's widening would add 25 to the 50 of a guard.)
          expect(await jitter()).toBeLessThan(before + (kind === 'counted' ? 25 : 50));
        } else {
          expect(said).toEqual([]);
          expect(await jitter()).toBeGreaterThanOrEqual(before + 25);
        }
      } finally {
        warn.mockRestore();
      }
    }
  });

  it('widens the guard when over-rate 429s keep coming, and relaxes it after a quiet while', async () => {
    const db = getDb(env.DB);
    const pacer = createPacer(db, 1000);
    const turn = await pacer.wait();
    const refused = { status: 429, headers: { 'ratelimit-limit': '1000', 'ratelimit-remaining': '0', 'ratelimit-reset': '0' } };
    const margin = async () => (await env.DB.prepare('SELECT margin FROM pacer WHERE id = 1').first<{ margin: number }>())!.margin;
    for (let i = 0; i < 5; i++) await pacer.observe(refused, turn);
    expect(await margin()).toBeLessThanOrEqual(BASE_MARGIN); // the odd 429 is not the pace's fault
    for (let i = 0; i < 3; i++) await pacer.observe(refused, turn);
    const widened = await margin();
    expect(widened).toBeGreaterThan(BASE_MARGIN);
    // Ten quiet minutes later the next reservation halves the extra guard.
    await env.DB.prepare('UPDATE pacer SET last_429_at = ?1, hold_until = 0').bind(Date.now() - 11 * 60_000).run();
    const relaxed = (await reserveSlot(db, 1000, Date.now()).get())!.margin;
    expect(relaxed).toBeLessThan(widened);
    expect(relaxed).toBeGreaterThanOrEqual(BASE_MARGIN);
  });

  it('reads jitter as the least delay that explains our calls missing from the window: a reordering is not a second late', () => {
    // Calls of ours started at 1181 and 1238 should be in the window when ours (1292) arrived; one is
    // not. Either 1238 had not arrived yet (it was 54 ms slower than ours), or 1181 had aged out
    // (ours 889 ms slower): the reading is the first. (It used to be the second, capped at 250 ms,
    // which guarded every window of the send against a reordering of two calls.)
    expect(jitterReading([1181, 1238, 1292], 1292, 1)).toBe(54);
    // The oldest, at the window's edge, aged out: ours was 30 ms slower than it.
    expect(jitterReading([330, 500, 700, 1300], 1300, 1)).toBe(30);
    // Two missing: one aged out (ours 10 ms slower than it) and one overtaken (it 50 ms slower than
    // ours) is a spread of 60 ms between those two, less than either explanation alone (400, 60).
    expect(jitterReading([310, 360, 900, 1250, 1300], 1300, 2)).toBe(60);
    expect(jitterReading([500, 1300], 1300, 0)).toBe(0);
  });

  it('keeps a window tight that shows only the room its own guard leaves; more room than that is room', async () => {
    const db = getDb(env.DB);
    const pacer = createPacer(db, 10);
    const turn = await pacer.wait();
    const tightUntil = async () => (await env.DB.prepare('SELECT tight_until AS t FROM pacer WHERE id = 1').first<{ t: number }>())!.t;
    await pacer.observe({ status: 200, headers: { 'ratelimit-limit': '10', 'ratelimit-remaining': '5' } }, turn);
    expect(await tightUntil()).toBeLessThan(Date.now() + 5000);
    // 2 places free at 10/s: the guard (50 ms a window) leaves one of them. Without it the window
    // fills again, and jitter pushes calls into it.
    await pacer.observe({ status: 200, headers: { 'ratelimit-limit': '10', 'ratelimit-remaining': '2' } }, turn);
    expect(await tightUntil()).toBeGreaterThan(Date.now() + 8000);
  });

  it('widens the jitter guard after an over-rate 429 where jitter was seen, and lets the widening fade with clean answers', async () => {
    const db = getDb(env.DB);
    const pacer = createPacer(db, 10);
    const jitter = async () => (await env.DB.prepare('SELECT jitter_ms AS j FROM pacer WHERE id = 1').first<{ j: number }>())!.j;
    const room = (remaining: number) => ({ status: 200, headers: { 'ratelimit-limit': '10', 'ratelimit-remaining': String(remaining) } });
    // Two calls of ours, and the provider's window holds one: the second overtook the first.
    const first = await pacer.wait();
    await pacer.observe(room(9), first);
    const second = await pacer.wait();
    await pacer.observe(room(9), second);
    const seen = await jitter();
    expect(seen).toBeGreaterThan(0);
    // Refused as over the rate, with every window guarded by `seen`: the guard was too narrow (the
    // next answer shows the refused call was not counted: its window holds ours but not that one).
    const third = await pacer.wait();
    await pacer.observe({ status: 429, headers: { 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-reset': '0', 'retry-after': '1' } }, third);
    const fourth = await pacer.wait();
    await pacer.observe(room(8), fourth);
    const widened = await jitter();
    expect(widened).toBeGreaterThanOrEqual(seen + 25);
    // The next reservations' windows are guarded by at least that.
    await env.DB.prepare('UPDATE pacer SET hold_until = 0').run();
    const slots: number[] = [];
    for (let i = 0; i < 12; i++) slots.push((await reserveSlot(db, 10, Date.now()).get())!.slot);
    expect(slots[11] - slots[1]).toBeGreaterThanOrEqual(1000 + widened);
    // Clean answers (nobody missing from the window): the widening fades (0.05 ms an answer); this
    // isolate raised the shared guard, so it lowers it as its answers say.
    for (let i = 0; i < 250; i++) await pacer.observe(room(8), fourth);
    expect(await jitter()).toBeLessThan(widened);
  });

  it('keeps the shared guard one consumer raised while another that saw no refusal answers, for a minute', async () => {
    const db = getDb(env.DB);
    const jitter = async () => (await env.DB.prepare('SELECT jitter_ms AS j FROM pacer WHERE id = 1').first<{ j: number }>())!.j;
    const room = (remaining: number) => ({ status: 200, headers: { 'ratelimit-limit': '10', 'ratelimit-remaining': String(remaining) } });
    // One isolate learns jitter (a call overtaken) and then a refusal in a guarded window: it widens.
    const one = createPacer(db, 10);
    await one.observe(room(9), await one.wait());
    await one.observe(room(9), await one.wait());
    await one.observe({ status: 429, headers: { 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-reset': '0', 'retry-after': '1' } }, await one.wait());
    await one.observe(room(8), await one.wait()); // the refused call was not in the window: a full one
    const raised = await jitter();
    expect(raised).toBeGreaterThanOrEqual(25);
    // Another isolate (nothing learnt) sends and sees clean windows: it does not lower the guard.
    forgetLocalPacing();
    await env.DB.prepare('UPDATE pacer SET hold_until = 0').run();
    const other = createPacer(db, 10);
    const turn = await other.wait();
    for (let i = 0; i < 20; i++) await other.observe(room(8), turn);
    expect(await jitter()).toBe(raised);
    // A minute after the raise, what the answers show is the guard again.
    await env.DB.prepare('UPDATE pacer SET jitter_raised_at = ?1').bind(Date.now() - 61_000).run();
    await other.observe(room(8), await other.wait());
    expect(await jitter()).toBeLessThan(raised);
  });

  it('guards the windows against the spread of the round trips, which every answer shows (a window shows jitter only at its edge)', async () => {
    // 40 round trips spread evenly over 20-120 ms: p10-p90 is 80 ms, 0.8 of the whole; the guard is the whole.
    const even = Array.from({ length: 40 }, (_, i) => 20 + i * 2.5);
    expect(roundTripGuard(even)).toBeGreaterThanOrEqual(95);
    expect(roundTripGuard(even)).toBeLessThanOrEqual(105);
    // The same round trip every time: no spread, no guard; too few to say: none either.
    expect(roundTripGuard(Array(40).fill(300))).toBe(0);
    expect(roundTripGuard(even.slice(0, 9))).toBe(0);
    // A provider whose own processing varies by seconds costs at most 120 ms a window (11 % of the pace).
    expect(roundTripGuard(Array.from({ length: 40 }, (_, i) => i * 100))).toBe(120);

    // Through the pacer (100/s): 13 calls start 10 ms apart; the answers of the first 12 show
    // nobody missing from the window, and come back all at once, newest first, so their round trips
    // spread over 100 ms and more. That spread alone guards nothing: no window has shown jitter,
    // and the provider's processing varies too.
    const db = getDb(env.DB);
    const pacer = createPacer(db, 100);
    const guard = async () => (await env.DB.prepare('SELECT jitter_ms AS j FROM pacer WHERE id = 1').first<{ j: number }>())!.j;
    // (An isolate's first call goes alone until its answer: that one first.)
    await pacer.observe({ status: 200, headers: { 'ratelimit-limit': '100', 'ratelimit-remaining': '99' } }, await pacer.wait());
    const turns = [];
    for (let i = 0; i < 13; i++) turns.push(await pacer.wait());
    for (let i = 11; i >= 0; i--) {
      await pacer.observe({ status: 200, headers: { 'ratelimit-limit': '100', 'ratelimit-remaining': String(100 - (i + 2)) } }, turns[i]);
    }
    expect(await guard()).toBe(0);
    // The 13th answer shows a call of ours missing (the 12th, started ~10 ms before, overtaken: a
    // reading of ~10 ms, a guard of ~15). From then on the round trips' spread guards the windows:
    // over 100 ms × 1.25, so the cap (120 ms), or nearly.
    await pacer.observe({ status: 200, headers: { 'ratelimit-limit': '100', 'ratelimit-remaining': String(100 - 13) } }, turns[12]);
    expect(await guard()).toBeGreaterThanOrEqual(100);
    expect(await guard()).toBeLessThanOrEqual(120);
  });

  it('builds the batch request to its bytes before the slot, as the SDK would send it, and sends those very bytes', async () => {
    const client = new ProviderClient(API_KEY, { baseUrl: env.FAKE_RESEND_URL_2 });
    const email = { from: 'Editor <news@example.com>', to: ['reader@example.com'], subject: 'Hi', html: '<p>Hi</p>', text: 'Hi', replyTo: 'editor@example.com' };
    const call = await client.prepareBatch([email], { idempotencyKey: 'prepared-1', batchValidation: 'permissive' });
    // Nothing was sent yet: the fake saw no request.
    expect((await fake.state()).counters.requests).toBe(0);
    expect(call.path).toBe('/emails/batch');
    const headers = new Headers(call.init.headers);
    expect(headers.get('idempotency-key')).toBe('prepared-1');
    expect(headers.get('x-batch-validation')).toBe('permissive');
    expect(headers.get('authorization')).toBe(`Bearer ${API_KEY}`);
    expect(call.init.body).toBeInstanceOf(Uint8Array);
    const body = JSON.parse(new TextDecoder().decode(call.init.body as Uint8Array));
    expect(body[0]).toMatchObject({ to: ['reader@example.com'], reply_to: 'editor@example.com', subject: 'Hi' });
    // Sent twice (a retry): the same bytes under the same key, accepted once, the same ids.
    const first = await client.send<{ data: { id: string }[] }>(call);
    const again = await client.send<{ data: { id: string }[] }>(call);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.data!.data[0]!.id).toBe(first.data!.data[0]!.id);
    const state = await fake.state();
    expect(state.counters.requests).toBe(2);
    expect(state.counters.idempotentReplays).toBe(1);
    expect(state.emails.map((e) => e.idempotencyKey)).toEqual(['prepared-1']);
  });

  it('holds a chunk’s finish until a later call of the isolate has had its time to upload (the pace does not wait)', async () => {
    const pacer = createPacer(getDb(env.DB), 10);
    const first = await pacer.wait();
    await pacer.observe({ status: 200, headers: { 'ratelimit-limit': '10', 'ratelimit-remaining': '9' } }, first);
    const second = await pacer.wait();
    // The first call's answer came while the second one uploads: its finish waits for that.
    await uploadsSettled(first.startedAt);
    expect(Date.now() - second.startedAt).toBeGreaterThanOrEqual(39);
    // The latest call's own answer means its upload is over: nothing waits.
    const before = Date.now();
    await uploadsSettled(second.startedAt);
    expect(Date.now() - before).toBeLessThan(25);
  });

  it('leaves another app on the same Resend team its share of the limit (the limit is per team)', async () => {
    // 20 requests/s for the team, a sliding window; the other app uses 30 % of it.
    await fake.config({ ratePerSecond: 20, limiter: 'sliding', foreignLoad: { share: 0.3 } });
    const send = await planSend(fake, 3000, { SEND_RATE_PER_SECOND: '20' });
    // The other app was at work before our send: our first answers see a window of its usual use,
    // not the part of a second it has been running (a starved machine may keep those first readings
    // alone, when the round trips say the later ones cannot be read: see FOREIGN_MAX_SPREAD).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await deliverAll(send);
    await fake.config({ foreignLoad: null });
    const state = await fake.state();
    const counters = state.counters as unknown as Record<string, number>;
    expect(exactlyOnce(state, await emailsOf(send.ids))).toBe(true);
    const learnt = await env.DB.prepare('SELECT foreign_rate AS f FROM pacer WHERE id = 1').first<{ f: number }>();
    expect(learnt!.f).toBeGreaterThan(3);
    expect(learnt!.f).toBeLessThan(10);
    // Taking the other app's share would refuse a good part of its requests and of ours.
    expect(counters.paceLimited429).toBeLessThanOrEqual(3);
    expect(counters.foreign429).toBeLessThanOrEqual(Math.ceil(counters.foreignRequests * 0.1));
  });

  it('leaves an app whose requests come in bursts its busier seconds, not its median one', async () => {
    const foreignRate = async () => (await env.DB.prepare('SELECT foreign_rate AS f FROM pacer WHERE id = 1').first<{ f: number }>())!.f;
    // One send's calls, each answered at once with a window that holds our calls of the second before
    // it and `others` requests of another app.
    const send = async (others: readonly number[]) => {
      await env.DB.prepare('DELETE FROM pacer').run();
      forgetLocalPacing();
      const pacer = createPacer(getDb(env.DB), 20);
      const starts: number[] = [];
      for (const count of others) {
        const turn = await pacer.wait();
        starts.push(turn.startedAt);
        const inWindow = starts.filter((s) => s > turn.startedAt - 1000 && s <= turn.startedAt).length + count;
        await pacer.observe({ status: 200, headers: { 'ratelimit-limit': '20', 'ratelimit-remaining': String(Math.max(0, 20 - inWindow)), 'ratelimit-policy': '20;w=1' } }, turn);
      }
      return foreignRate();
    };
    // An app at a steady three per window (a queue worker): three, and one of slack (our log and
    // these windows differ by one here and there as the pace changes: a little more at times).
    const even = await send(Array(40).fill(3));
    expect(even).toBeGreaterThanOrEqual(4);
    expect(even).toBeLessThan(4.5);
    // One at the same three on average, but at random moments (password resets): windows of 0 to 6
    // (a Poisson count's spread, mean 3.1, deviation 1.7). Its median is 3; left 4, its busier
    // windows would find ours there and be refused. Left its mean plus two deviations: about 6.6.
    const bursty = [3, 1, 5, 2, 6, 3, 0, 4, 2, 5, 1, 3, 6, 2, 4, 3, 1, 5, 2, 4];
    const left = await send([...bursty, ...bursty]);
    expect(left).toBeGreaterThan(5.5);
    expect(left).toBeLessThan(8);
    // An even app that started with our send (windows of 0 to 2 before its level): both levels
    // among the readings read as a little spread, not a bursty app's.
    expect(await send([0, 1, 2, ...Array(37).fill(3)])).toBeLessThan(5);
  });

  it('keeps the other apps’ share it learnt while our round trips spread too widely to tell which of our calls were in the window', async () => {
    const pacer = createPacer(getDb(env.DB), 20);
    const starts: number[] = [];
    const foreignRate = async () => (await env.DB.prepare('SELECT foreign_rate AS f FROM pacer WHERE id = 1').first<{ f: number }>())!.f;
    // One call, answered after `roundTripMs`, with a window that holds our calls of the second before
    // it and `others` requests of another app.
    const call = async (others: number, roundTripMs = 0) => {
      const turn = await pacer.wait();
      starts.push(turn.startedAt);
      if (roundTripMs > 0) await new Promise((resolve) => setTimeout(resolve, roundTripMs));
      const inWindow = starts.filter((s) => s > turn.startedAt - 1000 && s <= turn.startedAt).length + others;
      await pacer.observe({ status: 200, headers: { 'ratelimit-limit': '20', 'ratelimit-remaining': String(Math.max(0, 20 - inWindow)), 'ratelimit-policy': '20;w=1' } }, turn);
    };
    // Quick answers whose windows hold five requests of another app: its share is learnt (and some slack).
    for (let i = 0; i < 12; i++) await call(5);
    expect(await foreignRate()).toBe(6);
    // Then every other answer takes 600 ms, and the windows show no other app: when a call reached
    // the provider is known only within its round trip, and which of ours were in its window with
    // it, not at all (a starved machine's answers). The share stays: not lowered (the first quick
    // answer, read before the round trips spread, raises it a little: a window of 0 among windows
    // of 5 is a spread, FOREIGN_BURST_SDS, until the median moves).
    const warn = vi.spyOn(console, 'warn');
    try {
      for (let i = 0; i < 12; i++) await call(0, i % 2 ? 600 : 0);
      expect(await foreignRate()).toBeGreaterThanOrEqual(6);
      expect(await foreignRate()).toBeLessThan(8);
      const said = () => warn.mock.calls.map((c) => String(c[0]));
      expect(said()).toContainEqual(expect.stringMatching(/^pacer: our calls' round trips spread \d+ ms .*not read until they steady \(the share learnt, [67]\.\d requests\/s, stays\)$/));
      // Round trips steady again: the readings count, and the other app is gone.
      for (let i = 0; i < 50; i++) await call(0);
      expect(await foreignRate()).toBe(0);
      expect(said()).toContainEqual(expect.stringMatching(/^pacer: our calls' round trips are steady again/));
    } finally {
      warn.mockRestore();
    }
  });
});

describe("Resend's own suppression list and late failures", () => {
  it('email.suppressed: not sent but suppressed, the reader bounced or complained by its reason, counted by the breaker; replays change nothing', async () => {
    const send = await planSend(fake, 200, { RESEND_WEBHOOK_SECRET: WEBHOOK_SECRET });
    const addresses = await emailsOf(send.ids);
    const [bounced, complained] = [addresses[3], addresses[150]];
    await fake.config({ webhooks: { secret: WEBHOOK_SECRET, delivered: true }, suppressed: [bounced], suppressedComplaints: [complained] });
    await deliverAll(send);
    const hooks = await fake.relayWebhooks();
    const { counters, counted, stats } = await countersAndCounts(send.sendId);
    expect(counters).toEqual(counted);
    expect(stats).toMatchObject({ status: 'sent', sent: 198, suppressed: 2, delivered: 198, pending: 0 });
    const statusOf = async (email: string) => (await env.DB.prepare('SELECT status FROM subscribers WHERE email = ?1').bind(email).first<{ status: string }>())!.status;
    expect(await statusOf(bounced)).toBe('bounced');
    expect(await statusOf(complained)).toBe('complained');
    const rows = await deliveryRows(send.sendId);
    expect(rows.find((r) => r.id === send.ids[3])).toMatchObject({ status: 'suppressed' });
    const breaker = await env.DB.prepare('SELECT hard_bounced AS n FROM sends WHERE id = ?1').bind(send.sendId).first<{ n: number }>();
    expect(breaker!.n).toBe(2);
    await fake.relayWebhooks(hooks.filter((h) => h.body.includes('email.suppressed')));
    expect(await countersAndCounts(send.sendId)).toEqual({ counters, counted, stats });
  });

  it('lifting a suppression also removes the address from Resend’s list, first (nothing changes here if Resend cannot)', async () => {
    const send = await planSend(fake, 3);
    const [email] = await emailsOf(send.ids);
    await env.DB.prepare(`UPDATE subscribers SET status = 'bounced' WHERE email = ?1`).bind(email).run();
    await fake.config({ suppressed: [email] });
    expect(await liftAtProvider(send.config, email)).toEqual({ ok: true, provider: 'removed' });
    expect(((await fake.state()) as unknown as { counters: Record<string, number> }).counters.suppressionsRemoved).toBe(1);
    // Not (or no longer) on Resend's list: fine, the lift goes on.
    expect(await liftAtProvider(send.config, email)).toEqual({ ok: true, provider: 'not_listed' });
    // A key Resend refuses: an error that says so, for the route to answer 502 and change nothing.
    const wrongKey = { ...send.config, resendApiKey: 're_wrong' };
    expect(await liftAtProvider(wrongKey, email)).toMatchObject({ ok: false, message: expect.stringMatching(/did not remove .*invalid_api_key/) });
  });

  it('email.failed for a reason of the account halts the send with it; per-reader failures stay failed for retry-failed', async () => {
    const send = await planSend(fake, 300, { RESEND_WEBHOOK_SECRET: WEBHOOK_SECRET });
    await fake.config({ webhooks: { secret: WEBHOOK_SECRET } });
    expect(await send.deliver(send.chunks[0])).toMatchObject({ kind: 'done', sent: 100 });
    await fake.config({ failAccepted: 'reached_daily_quota' });
    expect(await send.deliver(send.chunks[1])).toMatchObject({ kind: 'done', sent: 100 });
    await fake.relayWebhooks();
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ status: 'halted', reason: expect.stringMatching(/reached_daily_quota/), sent: 100, failed: 100 });
    // The rest waits for the probe, as after a synchronous refusal.
    expect(await send.deliver(send.chunks[2])).toMatchObject({ kind: 'waiting' });
  });

  it('email.failed for a reason of the reader only fails that reader (for retry-failed); the send goes on', async () => {
    const send = await planSend(fake, 200, { RESEND_WEBHOOK_SECRET: WEBHOOK_SECRET });
    await fake.config({ webhooks: { secret: WEBHOOK_SECRET }, failAccepted: 'invalid_recipient' });
    expect(await send.deliver(send.chunks[0])).toMatchObject({ kind: 'done', sent: 100 });
    await fake.relayWebhooks();
    await fake.config({ failAccepted: null });
    expect(await send.deliver(send.chunks[1])).toMatchObject({ kind: 'done', sent: 100 });
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ status: 'sent', sent: 100, failed: 100, reason: null });
  });
});

describe('honest figures (D1 rows written, as D1 itself reports them)', () => {
  it('per reader: every statement of a send (claim, plan, pacer, freeze, attempts, finish), not only chunk finishes', async () => {
    const readers = 2000;
    const metered = meteredD1(env.DB);
    const send = await planSend(fake, readers, {}, {}, metered.db);
    await deliverAll(send);
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ status: 'sent', sent: readers });
    const perReader = metered.rowsWritten() / readers;
    console.log(`D1 rows written per reader, every statement of a send of ${readers}: ${perReader.toFixed(3)} (${metered.rowsWritten()} rows, ${metered.statements()} statements)`);
    // One delivery record per reader, plus per chunk of 100: its counters, the send row, the chunk row,
    // its freeze, its pace slot (and the plan's chunk rows, the claim): a few hundredths.
    expect(perReader).toBeGreaterThanOrEqual(1);
    expect(perReader).toBeLessThan(1.1);
  });

  it('per webhook event, by type (a bounce or complaint also moves the reader, and its dashboard counters)', async () => {
    const send = await planSend(fake, 20);
    await deliverAll(send);
    const at = Date.now();
    const addresses = await emailsOf(send.ids);
    const rows: Record<string, number> = {};
    const events: [string, unknown][] = [
      ['email.delivered', {}],
      ['email.opened', {}],
      ['email.clicked', {}],
      ['email.delivery_delayed', {}],
      ['email.bounced (Transient)', { bounce: { type: 'Transient' } }],
      ['email.bounced (Permanent)', { bounce: { type: 'Permanent' } }],
      ['email.complained', {}],
      ['email.failed', { failed: { reason: 'invalid_recipient' } }],
      ['email.failed (account)', { failed: { reason: 'reached_daily_quota' } }],
      ['email.suppressed', { suppressed: { type: 'OnAccountSuppressionList', reason: 'previous_bounce', message: 'm', diagnosticCode: [] } }],
    ];
    for (const [i, [name, extra]] of events.entries()) {
      const type = name.split(' ')[0];
      // Each event on a reader of its own (a delivered one for the opens and clicks).
      const reader = ['email.opened', 'email.clicked'].includes(type) ? 0 : i + 1;
      const payload = { type, created_at: new Date(at).toISOString(), data: { to: [addresses[reader]], tags: { send: String(send.sendId), reader: String(send.ids[reader]) }, ...(extra as object) } };
      const event = interpretEvent(payload, at);
      if (!event.ok) throw new Error(event.message);
      rows[name] = (await applyEvent(send.db, send.config, event.effect, at)).rowsWritten;
      expect((await applyEvent(send.db, send.config, event.effect, at)).rowsWritten, `${name} replayed`).toBe(0);
    }
    console.log(`D1 rows written per webhook event: ${JSON.stringify(rows)}`);
    expect(rows).toMatchObject(PINNED_ROWS);
    for (const name of ['email.bounced (Permanent)', 'email.complained', 'email.suppressed']) {
      expect(rows[name], name).toBeGreaterThanOrEqual(LEAVING_ROWS.min);
      expect(rows[name], name).toBeLessThanOrEqual(LEAVING_ROWS.max);
    }
  });
});
