// Canary-first sends and the bounce/complaint circuit breaker, with the fake Resend posting signed
// bounce and complaint webhooks back to the Worker for chosen addresses.
import { createMessageBatch, env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { cancel, resume } from '../src/issues/control';
import { canaryModulusFor } from '../src/issues/plan';
import { sendStats } from '../src/issues/stats';
import type { ChunkMessage, QueueMessage } from '../src/messages';
import { handleQueue } from '../src/queue';
import { adminJson } from './support/admin';
import { waitFor, weekly } from './support/helpers';
import { seedConfirmed } from './support/d1';
import { clearSending, emailsOf, exactlyOnce, fakeAt, type PlannedSend, planSend, sendRow, WEBHOOK_SECRET } from './support/sending';

const fake = fakeAt(env.FAKE_RESEND_URL_3);
const CANARY = { CANARY_PERCENT: '2', CANARY_WAIT_MINUTES: '0.05', RESEND_WEBHOOK_SECRET: WEBHOOK_SECRET }; // a 3-second wait

beforeEach(() => clearSending(fake));

/** Hands messages to the real consumer (with the send's captured queue), as the queue would. */
async function consume(send: PlannedSend, messages: ChunkMessage[]): Promise<void> {
  const batch = createMessageBatch<QueueMessage>('newsletter-send', messages.map((body, i) => ({ id: `m${i}-${body.chunk}`, timestamp: new Date(), attempts: 1, body })));
  await handleQueue(batch, send.renv);
}

/** What the plan and the consumer enqueued since `from`, by chunk. */
function enqueuedSince(send: PlannedSend, from: number) {
  return send.queued.slice(from);
}

describe('the canary', () => {
  it('is about CANARY_PERCENT of the list, at least 100 readers, and none below 1,000 readers', () => {
    expect(canaryModulusFor(1000, 2)).toBe(0);
    expect(canaryModulusFor(1001, 2)).toBe(10); // at least 100 readers: every 10th
    expect(canaryModulusFor(100_000, 2)).toBe(50); // 2 %
    expect(canaryModulusFor(100_000, 0)).toBe(0);
  });

  it('goes first, spread across the whole list; the rest waits CANARY_WAIT_MINUTES after it, not longer', async () => {
    const send = await planSend(fake, 5000, CANARY);
    const canaryIds = send.ids.filter((id) => id % 50 === 0);
    expect(canaryIds.length).toBeGreaterThanOrEqual(100);
    // Only the canary's chunks are enqueued at first; they cover the list from its first ids to its last.
    const canary = [...send.chunks];
    expect(canary).toHaveLength(Math.ceil(canaryIds.length / 100));
    await consume(send, canary);
    expect(exactlyOnce(await fake.state(), await emailsOf(canaryIds))).toBe(true);
    expect(canaryIds[0] - send.ids[0]).toBeLessThan(50);
    expect(send.ids[send.ids.length - 1] - canaryIds[canaryIds.length - 1]).toBeLessThan(50);
    // The consumer that finished the canary enqueued the rest, delayed by exactly the wait.
    const rest = enqueuedSince(send, canary.length);
    expect(rest.length).toBe(Math.ceil((5000 - canaryIds.length) / 100));
    expect(new Set(rest.map((r) => r.delaySeconds))).toEqual(new Set([3]));
    // Arriving early (a redelivery), a chunk of the rest waits; after the wait it goes.
    await consume(send, [rest[0].body]);
    expect((await fake.state()).emails).toHaveLength(canaryIds.length);
    await new Promise((r) => setTimeout(r, 3100));
    await consume(send, rest.map((r) => r.body));
    expect(exactlyOnce(await fake.state(), await emailsOf(send.ids))).toBe(true);
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ status: 'sent', sent: 5000, pending: 0 });
  });

  it('is skipped for small lists: everything goes at once', async () => {
    const send = await planSend(fake, 900, CANARY);
    expect(send.chunks).toHaveLength(9);
    expect(send.queued.every((q) => q.delaySeconds === 0)).toBe(true);
  });

  it('also works through the real queue and Worker: the canary readers get the issue first, the rest after the wait', async () => {
    // vitest.config.ts sets CANARY_WAIT_MINUTES to 0.02 (1.2 s) for the Worker; CANARY_PERCENT is the default 2.
    const ids = await seedConfirmed(env.DB, 'canary-e2e', 1200);
    const started = await weekly(Date.now(), [{ slug: 'canary-e2e', title: 'Canary end to end', date: '2026-01-01', summary: 'x', markdown: 'y' }]);
    expect(started.started).toMatchObject({ started: true, recipients: 1200 });
    const status = async () => (await env.DB.prepare(`SELECT status FROM sends WHERE slug = 'canary-e2e'`).first<{ status: string }>())?.status;
    await waitFor(async () => (await status()) === 'sent', 'the canary send to finish', 60_000);
    const { results: mails } = await env.DB.prepare(`SELECT "to", created_at AS createdAt FROM outbox WHERE subject = 'Canary end to end'`).all<{ to: string; createdAt: number }>();
    expect(new Set(mails.map((m) => m.to)).size).toBe(1200);
    expect(mails).toHaveLength(1200);
    // Every k-th reader (at least 100 of 1,200) was mailed before anyone else, and the rest a wait later.
    const { k } = (await env.DB.prepare(`SELECT canary_modulus AS k FROM sends WHERE slug = 'canary-e2e'`).first<{ k: number }>())!;
    expect(k).toBe(12);
    const canary = new Set(await emailsOf(ids.filter((id) => id % k === 0)));
    expect(canary.size).toBeGreaterThanOrEqual(100);
    const at = (m: { createdAt: number }) => m.createdAt;
    const lastCanary = Math.max(...mails.filter((m) => canary.has(m.to)).map(at));
    const firstRest = Math.min(...mails.filter((m) => !canary.has(m.to)).map(at));
    expect(firstRest - lastCanary).toBeGreaterThanOrEqual(1100);
  });
});

describe('the circuit breaker', () => {
  it('pauses a send whose canary bounces past MAX_BOUNCE_RATE: at most the canary is mailed, and no new article starts', async () => {
    const send = await planSend(fake, 5000, CANARY);
    // 5 % of the list bounces, spread like any bad import.
    const bad = (await emailsOf(send.ids.filter((id) => id % 20 === 0)));
    await fake.config({ webhooks: { secret: WEBHOOK_SECRET, bounce: bad } });
    const canary = [...send.chunks];
    await consume(send, canary);
    const canaryMailed = (await fake.state()).emails.length;
    expect(await fake.relayWebhooks()).not.toHaveLength(0);
    const stats = await sendStats(send.db, send.sendId);
    expect(stats).toMatchObject({ status: 'paused', reason: expect.stringMatching(/^Paused by the circuit breaker: \d+ hard bounces \([\d.]+%\)/) });
    const { issues } = await adminJson<{ issues: { slug: string; status: string; reason: string }[] }>('/api/issues');
    expect(issues.find((i) => i.slug === send.slug)).toMatchObject({ status: 'paused', reason: stats!.reason });

    // The rest arrives after the wait and sends nothing.
    await new Promise((r) => setTimeout(r, 3100));
    await consume(send, enqueuedSince(send, canary.length).map((r) => r.body));
    expect((await fake.state()).emails).toHaveLength(canaryMailed);
    expect(canaryMailed).toBeLessThanOrEqual(Math.ceil(5000 * 0.02) + 100);

    // The weekly run does not start another article while this one is paused.
    const next = await weekly(Date.now(), [{ slug: 'next-week', title: 'Next', date: '2026-01-02', summary: 'x', markdown: 'y' }]);
    expect(next.started).toBeNull();
  });

  it('resume continues where it stopped, exactly once for everyone, with faults', async () => {
    const send = await planSend(fake, 3000, CANARY);
    const bad = await emailsOf(send.ids.filter((id) => id % 10 === 0).slice(0, 10));
    await fake.config({ webhooks: { secret: WEBHOOK_SECRET, complain: bad } });
    const canary = [...send.chunks];
    await consume(send, canary);
    await fake.relayWebhooks();
    expect(await sendRow(send.sendId)).toMatchObject({ status: 'paused' });
    expect(await resume(send.db, send.renv, send.slug)).toEqual({ ok: true, value: { status: 'sending' } });
    expect(await resume(send.db, send.renv, send.slug)).toMatchObject({ ok: false, status: 409 });
    await fake.config({ webhooks: null, faults: { rateLimited: 0.1, serverError: 0.1, lostAnswer: 0.1 } });
    await new Promise((r) => setTimeout(r, 3100));
    // Everything the plan and the resume enqueued, duplicates included, until nothing is left.
    let from = canary.length;
    for (let round = 0; round < 50 && (await sendStats(send.db, send.sendId))!.pending > 0; round++) {
      const next = enqueuedSince(send, from);
      from = send.queued.length;
      await consume(send, next.map((q) => q.body));
    }
    const complained = await env.DB.prepare(`SELECT count(*) AS n FROM subscribers WHERE status = 'complained'`).first<{ n: number }>();
    expect(complained!.n).toBeGreaterThan(0); // the complainers of the canary, mailed once and never again
    expect(exactlyOnce(await fake.state(), await emailsOf(send.ids))).toBe(true);
    expect(await sendStats(send.db, send.sendId)).toMatchObject({ status: 'sent', sent: 3000, pending: 0 });
  });

  it('cancel ends a paused send: the readers not yet sent are skipped, never mailed by this send', async () => {
    const send = await planSend(fake, 3000, CANARY);
    // Enough bounces in the canary to pass MIN_BOUNCES_TO_PAUSE (5) as well as the rate.
    const bad = await emailsOf(send.ids.filter((id) => id % 10 === 0).slice(0, 30));
    await fake.config({ webhooks: { secret: WEBHOOK_SECRET, bounce: bad } });
    const canary = [...send.chunks];
    await consume(send, canary);
    await fake.relayWebhooks();
    const mailed = (await fake.state()).emails.length;
    expect(await cancel(send.db, send.slug)).toEqual({ ok: true, value: { status: 'cancelled' } });
    expect(await cancel(send.db, send.slug)).toMatchObject({ ok: false, status: 409 });
    await new Promise((r) => setTimeout(r, 3100));
    await consume(send, enqueuedSince(send, canary.length).map((q) => q.body));
    expect((await fake.state()).emails).toHaveLength(mailed);
    const stats = await sendStats(send.db, send.sendId);
    expect(stats).toMatchObject({ status: 'sent', sent: mailed, skipped: 3000 - mailed, pending: 0, reason: expect.stringMatching(/cancelled by the operator/) });
    expect(await adminJson(`/api/issues/${send.slug}/stats`)).toMatchObject({ skipped: 3000 - mailed });
  });
});

