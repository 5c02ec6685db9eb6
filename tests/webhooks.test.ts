// POST /webhooks/resend through the real Worker and D1, with payloads signed by the real
// `standardwebhooks` library: verification, replays, suppression, and the per-issue stats.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Article } from '../src/issues/article';
import { adminJson, callWithEnv, importCsv, postWebhook, resendEvent, signedWebhookRequest } from './support/admin';
import { call, mailsTo, waitFor, waitForMail, weekly as runWeekly } from './support/helpers';

function article(slug: string, date: string, title: string): Article {
  return { slug, date, title, summary: `Summary of ${slug}.`, markdown: `A paragraph of ${slug}.` };
}

/** Fires the weekly run with these articles and waits until the send it started is finished. */
async function weekly(articles: Article[]) {
  const result = await runWeekly(Date.now(), articles);
  const slug = result.started?.slug;
  if (slug) await waitFor(async () => (await env.DB.prepare('SELECT status FROM sends WHERE slug = ?1').bind(slug).first<{ status: string }>())?.status === 'sent', `send of ${slug}`);
  return result;
}

async function subscriber(email: string) {
  return env.DB.prepare('SELECT id, status, left_at AS leftAt, soft_bounces AS softBounces FROM subscribers WHERE email = ?1')
    .bind(email)
    .first<{ id: number; status: string; leftAt: number | null; softBounces: number }>();
}

async function delivery(slug: string, email: string) {
  return env.DB.prepare(
    `SELECT d.* FROM deliveries d JOIN sends s ON s.id = d.send_id JOIN subscribers u ON u.id = d.subscriber_id WHERE s.slug = ?1 AND u.email = ?2`,
  )
    .bind(slug, email)
    .first<Record<string, string | number | null>>();
}

/** What a Resend event about this delivery carries: the email's id, and the tags the issue email had. */
async function resendId(slug: string, email: string): Promise<{ emailId: string; tags: Record<string, string> }> {
  const row = await delivery(slug, email);
  if (!row?.resend_id) throw new Error(`no delivery of ${slug} to ${email}`);
  return { emailId: row.resend_id as string, tags: { kind: 'issue', slug, send: String(row.send_id), reader: String(row.subscriber_id) } };
}

/** Everything a webhook can change: the subscribers' states and every send's counters. */
async function eventsSeen(): Promise<string> {
  const row = await env.DB.prepare(
    `SELECT (SELECT group_concat(status || soft_bounces) FROM subscribers) || '/' ||
            (SELECT group_concat(sent || failed || delivered || bounced || hard_bounced || complained || opened || clicked) FROM sends) AS n`,
  ).first<{ n: string }>();
  return row!.n;
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

const first = article('webhook-first', '2026-01-05', 'The First Webhook Issue');
const second = article('webhook-second', '2026-01-12', 'The Second Webhook Issue');
const readers = ['hard@hooks.example', 'complains@hooks.example', 'soft@hooks.example', 'happy@hooks.example'];

describe('verification', () => {
  it('sets up: four confirmed readers get the first issue', async () => {
    await importCsv('email\n' + readers.join('\n') + '\n', 'confirmed');
    const result = await weekly([first]);
    expect(result.started).toMatchObject({ started: true, recipients: 4 });
    for (const reader of readers) expect(await resendId(first.slug, reader)).toBeTruthy();
  });

  it('accepts a correctly signed event and records it', async () => {
    const id = await resendId(first.slug, 'happy@hooks.example');
    const response = await postWebhook(resendEvent('email.delivered', { ...id, to: 'happy@hooks.example' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'processed' });
    expect((await delivery(first.slug, 'happy@hooks.example'))!.delivered_at).toEqual(expect.any(Number));
  });

  it('refuses a wrong secret, a stale or future timestamp, a tampered body and missing headers with 401, changing nothing', async () => {
    const id = await resendId(first.slug, 'hard@hooks.example');
    const bounce = resendEvent('email.bounced', { ...id, to: 'hard@hooks.example', bounce: { type: 'Permanent', subType: 'General', message: 'No such user' } });
    const seen = await eventsSeen();
    const attempts: [string, RequestInit][] = [
      ['wrong secret', signedWebhookRequest(bounce, { secret: 'whsec_' + btoa('another-secret-entirely-32-bytes') })],
      ['stale timestamp', signedWebhookRequest(bounce, { timestamp: new Date(Date.now() - 6 * 60 * 1000) })],
      ['future timestamp', signedWebhookRequest(bounce, { timestamp: new Date(Date.now() + 6 * 60 * 1000) })],
      ['tampered body', signedWebhookRequest(bounce, { sendBody: JSON.stringify({ ...bounce, data: { ...bounce.data, to: ['happy@hooks.example'] } }) })],
      ['signature of another id', { ...signedWebhookRequest(bounce), headers: { ...(signedWebhookRequest(bounce).headers as Record<string, string>), 'svix-id': 'msg_other' } }],
      ['no signature', signedWebhookRequest(bounce, { headers: { 'svix-signature': '' } })],
      ['garbage signature', signedWebhookRequest(bounce, { headers: { 'svix-signature': 'v1,AAAA v2,BBBB nonsense' } })],
      ['garbage timestamp', signedWebhookRequest(bounce, { headers: { 'svix-timestamp': 'yesterday' } })],
      ['no headers at all', { method: 'POST', body: JSON.stringify(bounce), headers: { 'content-type': 'application/json' } }],
    ];
    for (const [label, init] of attempts) {
      const response = await call('/webhooks/resend', init);
      expect(response.status, label).toBe(401);
      expect(await errorCode(response), label).toBe('invalid_signature');
    }
    expect(await subscriber('hard@hooks.example')).toMatchObject({ status: 'confirmed', leftAt: null });
    expect((await delivery(first.slug, 'hard@hooks.example'))!.bounced_at).toBeNull();
    expect(await eventsSeen()).toBe(seen);
  });

  it('accepts a timestamp within the 5-minute tolerance', async () => {
    const id = await resendId(first.slug, 'happy@hooks.example');
    const response = await postWebhook(resendEvent('email.opened', { ...id, to: 'happy@hooks.example' }), { timestamp: new Date(Date.now() - 4 * 60 * 1000) });
    expect(response.status).toBe(200);
  });

  it('answers 400 to a validly signed body that is not JSON or not an event, and records nothing', async () => {
    const seen = await eventsSeen();
    for (const body of ['{"type": "email.bounced", ', 'not json at all', '', '[]', '"email.bounced"', '{"type": 42}', '{"type":"email.bounced","data":{}}']) {
      const response = await postWebhook(body);
      expect(response.status, body).toBe(400);
      expect(await errorCode(response), body).toMatch(/^invalid_(json|payload)$/);
    }
    expect(await eventsSeen()).toBe(seen);
  });

  it('answers 401 to everything when no secret is configured, 5xx with a log line for a malformed one', async () => {
    const init = signedWebhookRequest(resendEvent('email.complained', { to: 'happy@hooks.example' }));
    const off = await callWithEnv({ RESEND_WEBHOOK_SECRET: undefined }, '/webhooks/resend', init);
    expect(off.status).toBe(401);
    expect(await errorCode(off)).toBe('webhook_not_configured');
    const broken = await callWithEnv({ RESEND_WEBHOOK_SECRET: 'whsec_!!!not base64!!!' }, '/webhooks/resend', init);
    expect(broken.status).toBe(500);
    expect(await errorCode(broken)).toBe('not_configured');
    expect((await subscriber('happy@hooks.example'))!.status).toBe('confirmed');
  });

  it('is not subject to the cross-site form check', async () => {
    const id = await resendId(first.slug, 'happy@hooks.example');
    const init = signedWebhookRequest(resendEvent('email.clicked', { ...id, to: 'happy@hooks.example', click: { link: 'https://example.org' } }), {
      headers: { origin: 'https://svix.example', 'sec-fetch-site': 'cross-site' },
    });
    expect((await call('/webhooks/resend', init)).status).toBe(200);
  });

  it('ignores unknown event types with a 2xx', async () => {
    for (const type of ['email.sent', 'contact.created', 'domain.updated', 'something.new']) {
      const response = await postWebhook({ type, created_at: new Date().toISOString(), data: { id: 'x' } });
      expect(response.status, type).toBe(200);
      expect(await response.json()).toEqual({ status: 'ignored' });
    }
  });
});

describe('effects', () => {
  it('a transient bounce only counts, once per delivery however often it is replayed or repeated', async () => {
    const id = await resendId(first.slug, 'soft@hooks.example');
    const event = resendEvent('email.bounced', { ...id, to: 'soft@hooks.example', bounce: { type: 'Transient', subType: 'MailboxFull', message: 'Mailbox full' } });
    const init = signedWebhookRequest(event);
    const firstTime = await call('/webhooks/resend', init);
    expect(await firstTime.json()).toEqual({ status: 'processed' });
    for (let i = 0; i < 3; i++) {
      const replay = await call('/webhooks/resend', init);
      expect(replay.status).toBe(200);
      expect(await replay.json()).toEqual({ status: 'duplicate' });
    }
    // Concurrent replays too.
    await Promise.all(Array.from({ length: 5 }, () => call('/webhooks/resend', init)));
    expect(await subscriber('soft@hooks.example')).toMatchObject({ status: 'confirmed', softBounces: 1, leftAt: null });
    // The same bounce sent again as a new event (a new svix-id) is still the same bounce of that email.
    await postWebhook(event);
    expect((await subscriber('soft@hooks.example'))!.softBounces).toBe(1);
  });

  it('a permanent bounce and a complaint stop all further mail; the next issue skips both', async () => {
    const hardId = await resendId(first.slug, 'hard@hooks.example');
    const bounce = await postWebhook(resendEvent('email.bounced', { ...hardId, to: 'Hard@Hooks.Example', bounce: { type: 'Permanent', subType: 'General', message: 'No such user' } }));
    expect(bounce.status).toBe(200);
    expect(await subscriber('hard@hooks.example')).toMatchObject({ status: 'bounced', leftAt: expect.any(Number) });

    // The complaint carries only the email's id and tags: the reader tag leads to the subscriber.
    const complaint = await postWebhook(resendEvent('email.complained', { ...(await resendId(first.slug, 'complains@hooks.example')) }));
    expect(complaint.status).toBe(200);
    expect(await subscriber('complains@hooks.example')).toMatchObject({ status: 'complained', leftAt: expect.any(Number) });

    await weekly([first, second]);
    await waitForMail('happy@hooks.example', second.title);
    await waitForMail('soft@hooks.example', second.title);
    expect((await mailsTo('hard@hooks.example')).some((m) => m.subject === second.title)).toBe(false);
    expect((await mailsTo('complains@hooks.example')).some((m) => m.subject === second.title)).toBe(false);
    expect(await delivery(second.slug, 'hard@hooks.example')).toBeNull();
    expect(await delivery(second.slug, 'complains@hooks.example')).toBeNull();
  });

  it('a complaint matched by address alone (a confirmation email has no delivery row) suppresses too', async () => {
    await importCsv('email\nnew-reader@hooks.example\n', 'pending');
    await waitForMail('new-reader@hooks.example', 'Confirm');
    const response = await postWebhook(resendEvent('email.complained', { emailId: 'not-a-delivery-of-ours', to: 'NEW-READER@hooks.example' }));
    expect(response.status).toBe(200);
    expect((await subscriber('new-reader@hooks.example'))!.status).toBe('complained');
    // A later permanent bounce does not soften a complaint.
    await postWebhook(resendEvent('email.bounced', { to: 'new-reader@hooks.example', bounce: { type: 'Permanent', subType: 'General', message: 'x' } }));
    expect((await subscriber('new-reader@hooks.example'))!.status).toBe('complained');
  });

  it('an event for nobody we know changes nothing and is still a 2xx', async () => {
    const response = await postWebhook(resendEvent('email.bounced', { emailId: 'unknown-id', to: 'stranger@hooks.example', bounce: { type: 'Permanent', subType: 'General', message: 'x' } }));
    expect(response.status).toBe(200);
    expect(await subscriber('stranger@hooks.example')).toBeNull();
  });
});

describe('stats from events', () => {
  it('counts delivered, opened, clicked, bounced, complained and failed per issue, each recipient once', async () => {
    const id = (email: string) => resendId(second.slug, email);
    await postWebhook(resendEvent('email.delivered', { ...(await id('happy@hooks.example')), to: 'happy@hooks.example' }));
    await postWebhook(resendEvent('email.delivered', { ...(await id('soft@hooks.example')), to: 'soft@hooks.example' }));
    await postWebhook(resendEvent('email.delivery_delayed', { ...(await id('soft@hooks.example')), to: 'soft@hooks.example' }));
    // Two opens and two clicks by one reader count once each.
    for (let i = 0; i < 2; i++) {
      await postWebhook(resendEvent('email.opened', { ...(await id('happy@hooks.example')), to: 'happy@hooks.example' }));
      await postWebhook(resendEvent('email.clicked', { ...(await id('happy@hooks.example')), to: 'happy@hooks.example', click: { link: 'https://example.org/read' } }));
    }
    expect(await adminJson(`/api/issues/${second.slug}/stats`)).toEqual({
      status: 'sent',
      reason: null,
      recipients: 2,
      sent: 2,
      failed: 0,
      unknown: 0,
      skipped: 0,
      paused: 0,
      suppressed: 0,
      pending: 0,
      delivered: 2,
      bounced: 0,
      complained: 0,
      opened: 1,
      clicked: 1,
    });
    expect((await delivery(second.slug, 'soft@hooks.example'))!.delayed_at).toEqual(expect.any(Number));

    // Resend reports a failure after accepting: the recipient moves from sent to failed.
    await postWebhook(resendEvent('email.failed', { ...(await id('soft@hooks.example')), to: 'soft@hooks.example', failed: { reason: 'reached_daily_quota' } }));
    expect(await adminJson(`/api/issues/${second.slug}/stats`)).toMatchObject({ recipients: 2, sent: 1, failed: 1, pending: 0 });
    expect((await delivery(second.slug, 'soft@hooks.example'))!.error).toBe('reached_daily_quota');

    // The first issue: one permanent and one transient bounce on record, one complaint, one delivered/opened/clicked.
    expect(await adminJson(`/api/issues/${first.slug}/stats`)).toEqual({
      status: 'sent',
      reason: null,
      recipients: 4,
      sent: 4,
      failed: 0,
      unknown: 0,
      skipped: 0,
      paused: 0,
      suppressed: 0,
      pending: 0,
      delivered: 1,
      bounced: 2,
      complained: 1,
      opened: 1,
      clicked: 1,
    });
    expect((await delivery(first.slug, 'hard@hooks.example'))!.bounce_type).toBe('Permanent');
    expect((await delivery(first.slug, 'soft@hooks.example'))!.bounce_type).toBe('Transient');
  });
});
