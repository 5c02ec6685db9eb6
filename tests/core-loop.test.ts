// The whole reader loop through the real Worker, D1 and queue (outbox transport):
// subscribe → confirm → weekly issue → one-click unsubscribe → the next issue skips the leaver.
import { getDb } from '../src/db/client';
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Article } from '../src/issues/article';
import { call, linkIn, mailsTo, outbox, postForm, postJson, subscribeAndConfirm, subscriberStatus, tokenOf, waitFor, waitForMail, weekly as runWeekly } from './support/helpers';

const DAY = 24 * 60 * 60 * 1000;
const today = () => new Date().toISOString().slice(0, 10);

function article(slug: string, date = '2026-01-05', title = `Issue ${slug}`): Article {
  return {
    slug,
    date,
    title,
    summary: `Summary of ${slug}.`,
    markdown: `## A heading\n\nA paragraph with *emphasis* and a [link](https://example.org/read).\n\n- one\n- two\n\n> A quote.\n`,
  };
}

async function sendStatus(slug: string): Promise<string | null> {
  const row = await env.DB.prepare('SELECT status FROM sends WHERE slug = ?1').bind(slug).first<{ status: string }>();
  return row?.status ?? null;
}

/** Fires the weekly run with these articles and waits until the send it started is finished. */
async function weekly(articles: Article[], now = Date.now()) {
  const result = await runWeekly(now, articles);
  if (result.started?.started) await waitFor(async () => (await sendStatus(result.started!.slug)) === 'sent', `send of ${result.started.slug} to finish`);
  return result;
}

describe('the reader loop', () => {
  it('subscribe, confirm, receive the issue with every header and link, unsubscribe in one click, skip the next issue', async () => {
    const reader = 'reader@example.com';
    const stays = 'stays@example.com';

    // Subscribe through the real form.
    const form = await postForm('/subscribe', { email: 'Reader@Example.com', name: 'Ann Reader', website: '' });
    expect(form.status).toBe(202);
    expect(form.headers.get('content-type')).toMatch(/text\/html/);
    expect(await form.text()).toMatch(/check your inbox/i);
    expect(await subscriberStatus(reader)).toBe('pending');

    // The confirmation email links to /confirm; GET shows a page that POSTs, so scanners do not confirm.
    const [confirmation] = await waitForMail(reader, 'Confirm your subscription');
    const confirmUrl = linkIn(confirmation, '/confirm?token=');
    const page = await call(confirmUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<form[^>]+method="post"/i);
    expect(await subscriberStatus(reader)).toBe('pending');

    const confirmed = await call(confirmUrl, { method: 'POST' });
    expect(confirmed.status).toBe(200);
    expect(await subscriberStatus(reader)).toBe('confirmed');
    // Confirming again is harmless.
    expect((await call(confirmUrl, { method: 'POST' })).status).toBe(200);
    await waitForMail(reader, 'Welcome');
    expect((await mailsTo(reader)).filter((m) => m.subject.startsWith('Welcome'))).toHaveLength(1);

    await subscribeAndConfirm(stays);

    // The weekly run sends the first article.
    const first = article('first-issue', '2026-01-05', 'The First Issue');
    const result = await weekly([first]);
    expect(result.started).toMatchObject({ started: true, slug: 'first-issue', recipients: 2 });
    const [issue] = await waitForMail(reader, 'The First Issue');
    expect(issue.subject).toBe('The First Issue');
    expect(issue.html).toContain('<h2');
    expect(issue.html).toMatch(/<em[^>]*>emphasis<\/em>/);
    expect(issue.html).toContain('https://example.org/read');
    expect(issue.html).toMatch(/<(li)[^>]*>/);
    expect(issue.html).toMatch(/<blockquote/);
    expect(issue.text).toContain('A paragraph with');
    expect(new TextEncoder().encode(issue.html).length).toBeLessThan(100 * 1024);

    const unsubscribeUrl = linkIn(issue, '/unsubscribe?token=');
    expect(issue.headers['List-Unsubscribe']).toBe(`<${unsubscribeUrl}>`);
    expect(issue.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(issue.headers['List-Id']).toMatch(/^".+" <[a-z0-9-]+\.localhost>$/);
    expect(issue.html).toContain(unsubscribeUrl.replace(/&/g, '&amp;'));
    expect(issue.html).toContain('http://localhost:8787/archive/first-issue');
    expect(issue.text).toContain('http://localhost:8787/archive/first-issue');
    // The "view in browser" page is live as soon as the issue goes out.
    const web = await call('/archive/first-issue');
    expect(web.status).toBe(200);
    expect(await web.text()).toContain('The First Issue');

    // RFC 8058 one-click: the mail client POSTs List-Unsubscribe=One-Click, no Origin, no cookies.
    const oneClick = await call(unsubscribeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect(await subscriberStatus(reader)).toBe('unsubscribed');
    expect((await call(unsubscribeUrl, { method: 'POST' })).status).toBe(200); // idempotent

    // The next article reaches the one who stayed, not the one who left.
    const second = article('second-issue', '2026-01-12', 'The Second Issue');
    await weekly([first, second]);
    await waitForMail(stays, 'The Second Issue');
    expect((await mailsTo(reader)).some((m) => m.subject === 'The Second Issue')).toBe(false);
  });

  it('sends nothing to an address that never confirmed', async () => {
    const response = await postJson('/subscribe', { email: 'pending-only@example.com' });
    expect(response.status).toBe(202);
    await waitForMail('pending-only@example.com', 'Confirm');
    await weekly([article('for-confirmed-only', '2026-02-02')]);
    const mails = await mailsTo('pending-only@example.com');
    expect(mails.map((m) => m.subject)).toEqual(['Confirm your subscription to ' + (await newsletterName())]);
  });

  it('sends an article once, however often the cron fires', async () => {
    await subscribeAndConfirm('twice@example.com');
    const once = article('only-once', '2026-03-02', 'Only Once');
    const first = await weekly([once]);
    expect(first.started?.started).toBe(true);
    const again = await weekly([once]);
    expect(again.started).toBeNull();
    await Promise.all([runWeekly(Date.now(), [once]), runWeekly(Date.now(), [once])]);
    await new Promise((r) => setTimeout(r, 1500)); // give any wrongly queued chunk time to land
    expect((await mailsTo('twice@example.com')).filter((m) => m.subject === 'Only Once')).toHaveLength(1);
    const rows = await env.DB.prepare(`SELECT count(*) AS n FROM sends WHERE slug = 'only-once'`).first<{ n: number }>();
    expect(rows!.n).toBe(1);
  });

  it('waits with a future-dated article until its day, and sends the oldest ready one first', async () => {
    await subscribeAndConfirm('patient@example.com');
    const tomorrow = new Date(Date.now() + DAY).toISOString().slice(0, 10);
    const future = article('from-the-future', tomorrow, 'From The Future');
    expect((await weekly([future])).started).toBeNull();
    expect(await sendStatus('from-the-future')).toBeNull();

    const older = article('older-ready', '2026-04-01', 'Older Ready');
    const newer = article('newer-ready', today(), 'Newer Ready');
    expect((await weekly([older, newer, future])).started?.slug).toBe('older-ready');
    // A week later the future article's day has come.
    expect((await weekly([older, newer, future])).started?.slug).toBe('newer-ready');
    expect((await weekly([older, newer, future], Date.now() + 2 * DAY)).started?.slug).toBe('from-the-future');
  });

  it('does not give a later sign-up an issue that was already under way', async () => {
    const late = article('before-you-came', '2026-05-04', 'Before You Came');
    await subscribeAndConfirm('early@example.com');
    await weekly([late]);
    await subscribeAndConfirm('late@example.com');
    await weekly([late]);
    expect((await mailsTo('late@example.com')).some((m) => m.subject === 'Before You Came')).toBe(false);
    expect((await mailsTo('early@example.com')).some((m) => m.subject === 'Before You Came')).toBe(true);
  });
});

describe('tokens', () => {
  async function confirmationToken(address: string): Promise<string> {
    await postJson('/subscribe', { email: address });
    const [mail] = await waitForMail(address, 'Confirm');
    return tokenOf(linkIn(mail, '/confirm?token='));
  }

  it('refuses an altered confirmation token and changes nothing', async () => {
    const token = await confirmationToken('altered@example.com');
    const [kind, id, issued, signature] = token.split('.');
    const tampered = [
      `${kind}.${Number(id) + 1}.${issued}.${signature}`,
      `${kind}.${id}.${Number(issued) + 1}.${signature}`,
      `${kind}.${id}.${issued}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
      `${token}x`,
      '',
      'garbage',
      'c.1.2.3',
    ];
    for (const bad of tampered) {
      const response = await call(`/confirm?token=${encodeURIComponent(bad)}`, { method: 'POST', headers: { accept: 'application/json' } });
      expect(response.status, bad).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    }
    expect(await subscriberStatus('altered@example.com')).toBe('pending');
  });

  it('refuses a confirmation token older than 7 days', async () => {
    const token = await confirmationToken('expired@example.com');
    const { confirm } = await import('../src/subscribers/lifecycle');
    const { getConfig } = await import('../src/config');
    const outcome = await confirm(getDb(env.DB), env, getConfig(env), token, Date.now() + 7 * DAY + 60_000);
    expect(outcome).toMatchObject({ ok: false, message: expect.stringMatching(/expired/) });
    expect(await subscriberStatus('expired@example.com')).toBe('pending');
  });

  it('never accepts a token for the other purpose', async () => {
    await subscribeAndConfirm('purpose@example.com');
    const id = (await env.DB.prepare(`SELECT id FROM subscribers WHERE email = 'purpose@example.com'`).first<{ id: number }>())!.id;
    const { signUnsubscribeToken, signConfirmToken } = await import('../src/subscribers/tokens');
    const { getConfig } = await import('../src/config');
    const secret = getConfig(env).tokenSecret;
    const unsub = await signUnsubscribeToken(secret, id);
    const confirmResponse = await call(`/confirm?token=${unsub}`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(confirmResponse.status).toBe(400);
    // The confirm token's body, re-labelled as an unsubscribe token, fails its signature.
    const confirmToken = await signConfirmToken(secret, id, Date.now());
    const [, , , sig] = confirmToken.split('.');
    const relabelled = `u.${id}.${sig}`;
    for (const bad of [confirmToken, relabelled]) {
      expect((await call(`/unsubscribe?token=${bad}`, { method: 'POST' })).status).toBe(400);
    }
    expect(await subscriberStatus('purpose@example.com')).toBe('confirmed');
  });

  it('does not let an old confirmation link undo an unsubscribe', async () => {
    const address = 'changed-mind@example.com';
    const token = await confirmationToken(address);
    await call(`/confirm?token=${token}`, { method: 'POST' });
    const [welcome] = await waitForMail(address, 'Welcome');
    await call(linkIn(welcome, '/unsubscribe?token='), { method: 'POST' });
    expect(await subscriberStatus(address)).toBe('unsubscribed');
    expect((await call(`/confirm?token=${token}`, { method: 'POST' })).status).toBe(400);
    expect(await subscriberStatus(address)).toBe('unsubscribed');
  });
});

describe('signing up', () => {
  it('answers the same whatever the address state, and mails a confirmed address nothing', async () => {
    await subscribeAndConfirm('known@example.com');
    await waitForMail('known@example.com', 'Welcome');
    const before = (await mailsTo('known@example.com')).length;
    const known = await postJson('/subscribe', { email: 'known@example.com' });
    const fresh = await postJson('/subscribe', { email: 'fresh@example.com' });
    expect(known.status).toBe(fresh.status);
    expect(await known.json()).toEqual(await fresh.json());
    await waitForMail('fresh@example.com', 'Confirm');
    expect((await mailsTo('known@example.com')).length).toBe(before);
  });

  it('sends at most one confirmation per address per 15 minutes', async () => {
    for (let i = 0; i < 3; i++) expect((await postJson('/subscribe', { email: 'again@example.com' })).status).toBe(202);
    await waitForMail('again@example.com', 'Confirm');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await mailsTo('again@example.com')).toHaveLength(1);
  });

  it('treats addresses case-insensitively: one person, one record', async () => {
    await postJson('/subscribe', { email: 'Case@Example.COM' });
    await postJson('/subscribe', { email: ' case@example.com ' });
    const rows = await env.DB.prepare(`SELECT count(*) AS n FROM subscribers WHERE email = 'case@example.com'`).first<{ n: number }>();
    expect(rows!.n).toBe(1);
  });

  it.each([
    ['no at sign', 'not-an-email'],
    ['two at signs', 'a@b@example.com'],
    ['no dot in the domain', 'someone@localhost'],
    ['empty', ''],
    ['too long', `${'a'.repeat(60)}@${'b'.repeat(200)}.com`],
    ['local part over 64', `${'a'.repeat(65)}@example.com`],
    ['spaces inside', 'some one@example.com'],
    ['a number instead of a string', 42],
    ['CRLF header injection', 'victim@example.com\r\nBcc: all@example.com'],
  ])('refuses an invalid email (%s) with 400 and stores nothing', async (_label, email) => {
    const before = await env.DB.prepare('SELECT count(*) AS n FROM subscribers').first<{ n: number }>();
    const response = await postJson('/subscribe', { email });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_email');
    expect(body.error.message.length).toBeGreaterThan(10);
    const after = await env.DB.prepare('SELECT count(*) AS n FROM subscribers').first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
  });

  it('accepts plus addresses and international domain names', async () => {
    expect((await postJson('/subscribe', { email: 'ann+news@example.com' })).status).toBe(202);
    expect((await postJson('/subscribe', { email: 'ann@bücher.example' })).status).toBe(202);
    expect(await subscriberStatus('ann+news@example.com')).toBe('pending');
    expect(await subscriberStatus('ann@xn--bcher-kva.example')).toBe('pending');
  });

  it('shows the form again with the problem when a form post is invalid', async () => {
    const response = await postForm('/subscribe', { email: 'nope', website: '' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('value="nope"');
  });

  it('drops a post whose honeypot is filled: the normal answer, nothing stored, no mail', async () => {
    const response = await postForm('/subscribe', { email: 'bot-victim@example.com', website: 'http://spam.example' });
    expect(response.status).toBe(202);
    expect(await subscriberStatus('bot-victim@example.com')).toBeNull();
    await new Promise((r) => setTimeout(r, 1200));
    expect(await mailsTo('bot-victim@example.com')).toHaveLength(0);
  });
});

describe('pages and feeds', () => {
  it('lists sent issues in the archive and the RSS feed, with absolute links', async () => {
    await subscribeAndConfirm('archive-reader@example.com');
    await weekly([article('archived-one', '2026-06-01', 'Archived & <Escaped>')]);
    const archive = await (await call('/archive')).text();
    expect(archive).toContain('/archive/archived-one');
    expect(archive).toContain('Archived &amp; &lt;Escaped&gt;');
    const feed = await call('/feed.xml');
    expect(feed.headers.get('content-type')).toMatch(/xml/);
    const xml = await feed.text();
    expect(xml).toContain('<rss version="2.0"');
    expect(xml).toContain('<link>http://localhost:8787/archive/archived-one</link>');
    expect(xml).toContain('<title>Archived &amp; &lt;Escaped&gt;</title>');
  });

  it('answers 404 for an article that was never sent', async () => {
    expect((await call('/archive/never-sent-here')).status).toBe(404);
    expect((await call('/archive/..%2F..%2Fetc')).status).toBe(404);
  });

  it('reports health as JSON', async () => {
    const response = await call('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('answers JSON errors in the contract shape', async () => {
    const response = await call('/nowhere', { headers: { accept: 'application/json' } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('shows captured mail at /dev/outbox', async () => {
    expect((await outbox()).length).toBeGreaterThan(0);
    const page = await call('/dev/outbox');
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/outbox/i);
    const json = await call('/dev/outbox', { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type')).toMatch(/json/);
    expect(await json.json()).toEqual(await outbox());
  });

  it('answers JSON on the reader routes when the request asks for it', async () => {
    const asJson = (path: string) => call(path, { headers: { accept: 'application/json' } });
    expect(await (await asJson('/')).json()).toMatchObject({ subscribe: { method: 'POST', url: '/subscribe' } });
    const { issues } = (await (await asJson('/archive')).json()) as { issues: { slug: string; date: string }[] };
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.map((i) => i.date)).toEqual([...issues.map((i) => i.date)].sort().reverse()); // newest first
    expect(await (await asJson(`/archive/${issues[0].slug}`)).json()).toMatchObject({ slug: issues[0].slug, html: expect.stringContaining('<') });
    // A browser's Accept lists both: it gets the page.
    expect((await call('/archive', { headers: { accept: 'text/html,application/json;q=0.9' } })).headers.get('content-type')).toMatch(/html/);
  });
});

async function newsletterName(): Promise<string> {
  const { getConfig } = await import('../src/config');
  return getConfig(env).newsletterName;
}
