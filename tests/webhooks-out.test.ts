// Outgoing webhooks: events written in the same D1 batch as the state change, delivered by the
// WEBHOOK_QUEUE consumer to a real HTTP receiver on loopback, signed per Standard Webhooks (checked
// with the `standardwebhooks` library), retried on failure, and an endpoint failing for 24 hours is
// disabled.
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { getDb } from '../src/db/client';
import { allArticles } from '../src/issues/catalog';
import { subscribers, webhookDeliveries } from '../src/db/schema';
import { deliverWebhook, GIVE_UP_AFTER_MS, RETRY_DELAYS_S } from '../src/webhooks/out/deliver';
import { subscriberEvent, WEBHOOK_EVENTS } from '../src/webhooks/out/events';
import { admin, adminJson, postWebhook, resendEvent } from './support/admin';
import { call, linkIn, postJson, subscribeAndConfirm, waitFor, waitForMail } from './support/helpers';

const SINK = env.WEBHOOK_SINK_URL;
type Received = { headers: Record<string, string>; body: string; at: number };
type Endpoint = { id: string; url: string; events: string[]; secret: string };

async function received(name: string): Promise<Received[]> {
  return (await fetch(`${SINK}/received/${name}`)).json();
}

async function register(name: string, events: readonly string[] = WEBHOOK_EVENTS): Promise<Endpoint> {
  const response = await admin('/api/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `${SINK}/hook/${name}`, events }) });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json();
}

/** The events that reached the receiver, each verified with the endpoint's secret. */
async function verifiedEvents(name: string, secret: string): Promise<{ id: string; type: string; data: Record<string, unknown>; timestamp: string }[]> {
  const verifier = new Webhook(secret);
  return (await received(name)).map((r) => {
    const event = verifier.verify(r.body, r.headers) as { type: string; data: Record<string, unknown>; timestamp: string };
    return { id: r.headers['webhook-id'], ...event };
  });
}

describe('outgoing webhooks', () => {
  it('reports a reader from sign-up to erasure, signed, each event once, erasure by id only', async () => {
    const hook = await register('lifecycle');
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const address = 'hooked@webhooks.example';
    await subscribeAndConfirm(address);
    const events = await waitFor(async () => {
      const list = await verifiedEvents('lifecycle', hook.secret);
      return list.length >= 2 && list;
    }, 'created and confirmed');
    const id = (await env.DB.prepare('SELECT id FROM subscribers WHERE email = ?1').bind(address).first<{ id: number }>())!.id;
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['subscriber.created', { id, email: address }],
      ['subscriber.confirmed', { id, email: address }],
    ]);
    expect(new Date(events[0].timestamp).getTime()).toBeGreaterThan(Date.now() - 60_000);

    // A repeated sign-up of a confirmed reader changes nothing and reports nothing.
    await postJson('/subscribe', { email: address });
    expect((await admin(`/api/subscribers/${encodeURIComponent(address)}`, { method: 'DELETE' })).status).toBe(200);
    const all = await waitFor(async () => {
      const list = await verifiedEvents('lifecycle', hook.secret);
      return list.length >= 3 && list;
    }, 'erased');
    expect(all.map((e) => e.type)).toEqual(['subscriber.created', 'subscriber.confirmed', 'subscriber.erased']);
    expect(all[2].data).toEqual({ id });
    expect(JSON.stringify(all[2])).not.toContain('hooked');
    expect(new Set(all.map((e) => e.id)).size).toBe(3);

    const log = await adminJson<{ deliveries: any[] }>(`/api/webhooks/${hook.id}/deliveries`);
    expect(log.deliveries.map((d) => [d.type, d.status, d.attempts, d.lastStatus])).toEqual([
      ['subscriber.erased', 'delivered', 1, 200],
      ['subscriber.confirmed', 'delivered', 1, 200],
      ['subscriber.created', 'delivered', 1, 200],
    ]);
  });

  it('sends only the chosen events, and unsubscribes, bounces and complaints as they happen', async () => {
    const hook = await register('leaving', ['subscriber.unsubscribed', 'subscriber.bounced', 'subscriber.complained']);
    await subscribeAndConfirm('leaver@webhooks.example');
    const [welcome] = await waitForMail('leaver@webhooks.example', 'Welcome');
    const unsubscribe = await call(linkIn(welcome, '/unsubscribe?token='), { method: 'POST', headers: { accept: 'application/json' } });
    expect(unsubscribe.status).toBe(200);
    await subscribeAndConfirm('bouncer@webhooks.example');
    await subscribeAndConfirm('complainer@webhooks.example');
    expect((await postWebhook(resendEvent('email.bounced', { to: 'bouncer@webhooks.example', bounce: { type: 'Permanent', subType: 'General', message: 'no such user' } }))).status).toBe(200);
    expect((await postWebhook(resendEvent('email.complained', { to: 'complainer@webhooks.example' }))).status).toBe(200);
    const events = await waitFor(async () => {
      const list = await verifiedEvents('leaving', hook.secret);
      return list.length >= 3 && list;
    }, 'three events');
    expect(events.map((e) => [e.type, e.data.email])).toEqual([
      ['subscriber.unsubscribed', 'leaver@webhooks.example'],
      ['subscriber.bounced', 'bouncer@webhooks.example'],
      ['subscriber.complained', 'complainer@webhooks.example'],
    ]);
  });

  it('reports a send: issue.sending when it starts, issue.sent when every chunk is done', async () => {
    const hook = await register('issues', ['issue.sending', 'issue.sent', 'issue.paused', 'issue.halted']);
    await subscribeAndConfirm('issue-reader@webhooks.example');
    const article = allArticles()[0];
    expect((await admin(`/api/issues/${article.slug}/send`, { method: 'POST' })).status).toBe(202);
    const events = await waitFor(async () => {
      const list = await verifiedEvents('issues', hook.secret);
      return list.length >= 2 && list;
    }, 'issue.sending and issue.sent', 30_000);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['issue.sending', { slug: article.slug, title: article.title, reason: null }],
      ['issue.sent', { slug: article.slug, title: article.title, reason: null }],
    ]);
  });

  it('writes the event in the same batch as the change: a failed batch leaves neither, a repeated one adds nothing', async () => {
    const hook = await register('atomic', ['subscriber.unsubscribed']);
    const db = getDb(env.DB);
    const now = Date.now();
    const [{ id }] = await db.insert(subscribers).values({ email: 'atomic@webhooks.example', status: 'confirmed', createdAt: now, confirmedAt: now }).returning({ id: subscribers.id });
    const change = () => db.update(subscribers).set({ status: 'unsubscribed', leftAt: now }).where(sql`${subscribers.id} = ${id} AND ${subscribers.status} = 'confirmed'`);
    const event = () => subscriberEvent(db, 'subscriber.unsubscribed', sql`${subscribers.id} = ${id}`, now);
    const deliveriesFor = async () => (await db.select().from(webhookDeliveries).where(sql`${webhookDeliveries.endpointId} = ${hook.id}`)).length;
    // A crash inside the batch (a statement that fails after both): nothing of either is kept.
    await expect(db.batch([change(), event(), db.insert(subscribers).values({ email: 'atomic@webhooks.example', status: 'pending', createdAt: now })])).rejects.toThrow();
    expect((await db.select({ status: subscribers.status }).from(subscribers).where(sql`${subscribers.id} = ${id}`))[0].status).toBe('confirmed');
    expect(await deliveriesFor()).toBe(0);
    // The batch again, whole: one change, one event; once more: no change, so no second event.
    await db.batch([change(), event()]);
    await db.batch([change(), event()]);
    expect(await deliveriesFor()).toBe(1);
  });

  it('retries a failing endpoint (first within a minute, then backing off, same webhook-id), then disables it after 24 hours', async () => {
    const hook = await register('failing', ['subscriber.created']);
    await fetch(`${SINK}/status/failing?code=500`, { method: 'POST' });
    const db = getDb(env.DB);
    const t0 = Date.now() + 3_600_000; // ahead of the queue's own attempts, which then find nothing due
    await db.update(webhookDeliveries).set({ nextAttemptAt: t0 }).where(sql`${webhookDeliveries.endpointId} = ${hook.id}`);
    await db.batch([
      db.insert(subscribers).values({ email: 'failing@webhooks.example', status: 'pending', createdAt: t0 }),
      subscriberEvent(db, 'subscriber.created', sql`${subscribers.email} = 'failing@webhooks.example'`, t0),
    ]);
    const [row] = await db.select().from(webhookDeliveries).where(sql`${webhookDeliveries.endpointId} = ${hook.id}`);
    let now = t0;
    const first = await deliverWebhook(db, row.id, now);
    expect(first).toMatchObject({ kind: 'retry', afterSeconds: RETRY_DELAYS_S[0] });
    expect(RETRY_DELAYS_S[0]).toBeLessThanOrEqual(60);
    // Not due yet: a duplicate message does nothing.
    expect(await deliverWebhook(db, row.id, now + 1000)).toEqual({ kind: 'skipped' });
    const waits: number[] = [];
    let result = first;
    while (result.kind === 'retry') {
      waits.push(result.afterSeconds);
      now += result.afterSeconds * 1000;
      result = await deliverWebhook(db, row.id, now);
    }
    expect(result.kind).toBe('failed');
    expect(waits).toEqual([...waits].sort((a, b) => a - b)); // never shorter than the one before
    expect(now - t0).toBeGreaterThanOrEqual(GIVE_UP_AFTER_MS - RETRY_DELAYS_S.at(-1)! * 1000);
    const attempts = await received('failing');
    const ours = attempts.filter((a) => a.headers['webhook-id'] === row.webhookId);
    expect(ours.length).toBe(waits.length + 1);
    // Simulated time: verify() would refuse timestamps hours ahead, so check each signature by signing
    // the same id, timestamp and body with the library.
    for (const attempt of ours) {
      const at = new Date(Number(attempt.headers['webhook-timestamp']) * 1000);
      expect(attempt.headers['webhook-signature']).toBe(new Webhook(hook.secret).sign(attempt.headers['webhook-id'], at, attempt.body));
    }

    // The endpoint has failed for 24 hours now: one more failure disables it, and the API says so.
    await db.batch([
      db.insert(subscribers).values({ email: 'failing2@webhooks.example', status: 'pending', createdAt: now }),
      subscriberEvent(db, 'subscriber.created', sql`${subscribers.email} = 'failing2@webhooks.example'`, now),
    ]);
    const [second] = await db.select().from(webhookDeliveries).where(sql`${webhookDeliveries.endpointId} = ${hook.id} AND ${webhookDeliveries.id} <> ${row.id}`);
    expect(await deliverWebhook(db, second.id, t0 + GIVE_UP_AFTER_MS)).toMatchObject({ kind: 'failed' });
    const listed = (await adminJson<{ webhooks: any[] }>('/api/webhooks')).webhooks.find((w) => w.id === hook.id);
    expect(listed.disabledAt).not.toBeNull();
    expect(listed.lastError).toContain('HTTP 500');
    expect(JSON.stringify(listed)).not.toContain(hook.secret);
    // Disabled: new events are not even written for it.
    await db.batch([
      db.insert(subscribers).values({ email: 'failing3@webhooks.example', status: 'pending', createdAt: now + 1 }),
      subscriberEvent(db, 'subscriber.created', sql`${subscribers.email} = 'failing3@webhooks.example'`, now + 1),
    ]);
    expect((await db.select().from(webhookDeliveries).where(sql`${webhookDeliveries.endpointId} = ${hook.id}`)).length).toBe(2);
    const log = await adminJson<{ deliveries: any[] }>(`/api/webhooks/${hook.id}/deliveries`);
    expect(log.deliveries[1]).toMatchObject({ webhookId: row.webhookId, status: 'failed', attempts: waits.length + 1, lastStatus: 500 });
  });

  it('an attempt that dies after posting is tried again with the same webhook-id (at least once)', async () => {
    const hook = await register('crashy', ['subscriber.created']);
    const db = getDb(env.DB);
    const t0 = Date.now() + 3_600_000;
    await db.batch([
      db.insert(subscribers).values({ email: 'crashy@webhooks.example', status: 'pending', createdAt: t0 }),
      subscriberEvent(db, 'subscriber.created', sql`${subscribers.email} = 'crashy@webhooks.example'`, t0),
    ]);
    const [row] = await db.select().from(webhookDeliveries).where(sql`${webhookDeliveries.endpointId} = ${hook.id}`);
    // The receiver gets it, then the invocation dies before recording the answer.
    const dying: typeof fetch = async (input, init) => {
      await fetch(input, init);
      throw new Error('the Worker was evicted');
    };
    expect((await deliverWebhook(db, row.id, t0, dying)).kind).toBe('retry');
    // Its lease and the retry wait are over: the next attempt goes, same id, and is recorded.
    expect((await deliverWebhook(db, row.id, t0 + 61_000)).kind).toBe('delivered');
    const got = await received('crashy');
    expect(got.map((r) => r.headers['webhook-id'])).toEqual([row.webhookId, row.webhookId]);
  });

  it('checks endpoint URLs and events, and 404s unknown endpoints', async () => {
    const cases: [unknown, string][] = [
      [{ url: 'ftp://example.com/x', events: ['issue.sent'] }, 'invalid_url'],
      [{ url: 'http://example.com/hook', events: ['issue.sent'] }, 'invalid_url'],
      [{ url: 'https://user:pw@example.com/hook', events: ['issue.sent'] }, 'invalid_url'],
      [{ url: 'https://10.0.0.1/hook', events: ['issue.sent'] }, 'invalid_url'],
      [{ url: 'not a url', events: ['issue.sent'] }, 'invalid_url'],
      [{ url: 'https://example.com/hook', events: ['issue.exploded'] }, 'invalid_events'],
      [{ url: 'https://example.com/hook', events: [] }, 'invalid_events'],
    ];
    for (const [body, code] of cases) {
      const response = await admin('/api/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect([response.status, (await response.json<any>()).error.code], JSON.stringify(body)).toEqual([400, code]);
    }
    expect((await admin('/api/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://hooks.example.com/x', events: ['issue.sent'] }) })).status).toBe(201);
    expect((await admin('/api/webhooks/whe_nope/deliveries')).status).toBe(404);
    expect((await admin('/api/webhooks/whe_nope', { method: 'DELETE' })).status).toBe(404);
  });
});
