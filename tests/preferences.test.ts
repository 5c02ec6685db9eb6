// The reader's own page (issue 14), through the real Worker, D1 and queue: the link in every email,
// each action and its edge cases, the token and cross-site rules, and no enumeration through it.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../src/config';
import type { Article } from '../src/issues/article';
import { RESUBSCRIBE_WINDOW_MS } from '../src/preferences/reader';
import { emailHash } from '../src/subscribers/erase';
import { CONFIRM_TOKEN_TTL_MS, signEmailChangeToken, signPreferencesToken, signUnsubscribeToken, verifyToken } from '../src/subscribers/tokens';
import { adminJson } from './support/admin';
import { call, linkIn, mailsTo, postForm, postJson, subscribeAndConfirm, waitFor, waitForMail, weekly as runWeekly } from './support/helpers';

const DAY = 24 * 60 * 60 * 1000;
const WEEK = 7 * DAY;
const JSON_ACCEPT = { accept: 'application/json' };
const secret = () => getConfig(env).tokenSecret;

let counter = 0;
/** A reader straight in D1 (no mail in flight), with their preferences token. */
async function reader(status = 'confirmed', extra: { leftAt?: number; name?: string } = {}) {
  const email = `reader-${++counter}@prefs.example`;
  const now = Date.now();
  const row = await env.DB.prepare(
    `INSERT INTO subscribers (email, name, status, created_at, confirmed_at, left_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id`,
  )
    .bind(email, extra.name ?? null, status, now - 60 * DAY, status === 'pending' ? null : now - 50 * DAY, extra.leftAt ?? (status === 'confirmed' || status === 'pending' ? null : now - DAY))
    .first<{ id: number }>();
  return { id: row!.id, email, token: await signPreferencesToken(secret(), row!.id) };
}

async function stored(id: number) {
  return env.DB.prepare(
    `SELECT email, name, status, confirmed_at AS confirmedAt, left_at AS leftAt, paused_until AS pausedUntil,
            pending_email AS pendingEmail, email_change_sent_at AS emailChangeSentAt FROM subscribers WHERE id = ?1`,
  )
    .bind(id)
    .first<Record<string, string | number | null>>();
}

const url = (token: string) => `/preferences?token=${encodeURIComponent(token)}`;
const getPage = (token: string, headers: Record<string, string> = {}) => call(url(token), { headers });
/** One action as JSON (the default) or as the page's form posts it. */
const act = (token: string, fields: Record<string, unknown>, as: 'json' | 'form' = 'json', headers: Record<string, string> = {}) =>
  as === 'json' ? postJson(url(token), fields, { headers }) : postForm(url(token), fields as Record<string, string>, { headers: { origin: 'http://localhost:8787', 'sec-fetch-site': 'same-origin', ...headers } });

/**
 * An emailed action (export, erase, change_email, resubscribe): the page answers 202 `link_sent` and
 * the link goes to `inbox`; resolves to that link once it is there.
 */
async function ask(token: string, inbox: string, fields: Record<string, unknown>, as: 'json' | 'form' = 'json'): Promise<string> {
  const seen = (await linkMails(inbox)).length;
  const asked = await act(token, fields, as);
  expect(asked.status).toBe(202);
  if (as === 'json') expect(await asked.json()).toMatchObject({ status: 'link_sent', message: expect.stringContaining(inbox) });
  const mails = await waitFor(async () => {
    const found = await linkMails(inbox);
    return found.length > seen ? found : null;
  }, `a one-time link to ${inbox}`);
  return linkIn(mails[0], '/preferences/link?token=');
}
const linkMails = async (inbox: string) => (await mailsTo(inbox)).filter((m) => m.subject.startsWith('Your link to'));
/** The press of an emailed link's button (JSON unless a form post is asked for). */
const press = (link: string, as: 'json' | 'form' = 'json') => call(link, { method: 'POST', headers: as === 'json' ? JSON_ACCEPT : { origin: 'http://localhost:8787' } });
/** Asks for a change of address and presses the link in the reader's own inbox. */
async function askToMove(token: string, inbox: string, to: unknown, as: 'json' | 'form' = 'json') {
  return press(await ask(token, inbox, { action: 'change_email', email: to }, as));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON answer, checked by the assertions
const body = async (response: Response): Promise<Record<string, any>> => (await response.json()) as Record<string, any>;

function article(slug: string, date: string): Article {
  return { slug, date, title: `Issue ${slug}`, summary: `Summary of ${slug}.`, markdown: `A paragraph of ${slug}.` };
}

async function weekly(a: Article) {
  const result = await runWeekly(Date.now(), [a]);
  expect(result.started?.started).toBe(true);
  await waitFor(async () => (await env.DB.prepare('SELECT status FROM sends WHERE slug = ?1').bind(a.slug).first<{ status: string }>())?.status === 'sent', `send of ${a.slug}`);
}

describe('the link in every email', () => {
  it('is in the welcome email and every newsletter email (HTML and text), signed for that reader, with its own purpose', async () => {
    const email = 'linked@prefs.example';
    await subscribeAndConfirm(email, 'Lin');
    const [welcome] = await waitForMail(email, 'Welcome');
    const fromWelcome = linkIn(welcome, '/preferences?token=');
    expect(welcome.text).toContain(`Manage your subscription: ${fromWelcome}`);
    expect(welcome.html).toContain(`href="${fromWelcome}"`);

    await weekly(article('prefs-linked', '2026-01-05'));
    const [issue] = await waitForMail(email, 'Issue prefs-linked');
    const fromIssue = linkIn(issue, '/preferences?token=');
    expect(issue.text).toContain(`Manage your subscription: ${fromIssue}`);
    expect(issue.html).toMatch(new RegExp(`<a href="${fromIssue.replace(/[.?]/g, '\\$&')}"[^>]*>Manage your subscription</a>`));
    expect(issue.html).not.toContain('__PREFERENCES_TOKEN__');
    expect(fromIssue).toBe(fromWelcome); // one link per reader, never expiring

    const id = (await env.DB.prepare('SELECT id FROM subscribers WHERE email = ?1').bind(email).first<{ id: number }>())!.id;
    const token = new URL(fromIssue).searchParams.get('token')!;
    expect(await verifyToken(getConfig(env).tokenSecrets, 'preferences', token, Date.now())).toEqual({ ok: true, subscriberId: id, issuedAt: null, generation: 0 });
    // Neither link works as the other.
    const unsubscribeToken = new URL(linkIn(issue, '/unsubscribe?token=')).searchParams.get('token')!;
    expect((await call(`/unsubscribe?token=${token}`, { method: 'POST', headers: JSON_ACCEPT })).status).toBe(400);
    expect((await getPage(unsubscribeToken, JSON_ACCEPT)).status).toBe(400);
    expect((await stored(id))!.status).toBe('confirmed');

    const page = await call(fromIssue);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(email);
    expect(html).toContain('Lin');
  });
});

describe('the page', () => {
  it('shows the address, since when it is subscribed, and a POST form for each action, with no script', async () => {
    const r = await reader('confirmed', { name: 'Ada <b>Lovelace</b>' });
    const response = await getPage(r.token);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toContain(r.email);
    expect(html).toContain('Ada &lt;b&gt;Lovelace&lt;/b&gt;');
    expect(html).toContain('Subscribed since');
    expect(html).not.toMatch(/<script\b/);
    for (const action of ['pause', 'change_email', 'export', 'erase', 'unsubscribe']) {
      expect(html, action).toMatch(new RegExp(`<form action="/preferences\\?token=${r.token}" method="post"[^>]*><input type="hidden" name="action" value="${action}"/>`));
    }
    expect(html).not.toContain('value="resume"');
    expect(html).not.toContain('value="resubscribe"');
    expect(html).toMatch(/<meta name="referrer" content="no-referrer"\/>/);
  });

  it('answers JSON with Accept: application/json', async () => {
    const r = await reader('confirmed', { name: 'Ada' });
    const response = await getPage(r.token, JSON_ACCEPT);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      email: r.email,
      name: 'Ada',
      status: 'confirmed',
      subscribedSince: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      leftAt: null,
      pausedUntil: null,
      pendingEmail: null,
      resubscribeUntil: null,
      actions: ['pause', 'change_email', 'export', 'erase', 'unsubscribe'],
    });
  });

  it('refuses an altered, truncated, wrong-purpose or missing token with 400, and changes nothing', async () => {
    const r = await reader();
    const before = await stored(r.id);
    const flipped = r.token.slice(0, -1) + (r.token.endsWith('A') ? 'Q' : 'A');
    const other = r.token.replace(/^p\.\d+/, `p.${r.id + 1}`);
    const unsubscribe = await signUnsubscribeToken(secret(), r.id);
    for (const token of [flipped, other, r.token.slice(0, -3), unsubscribe, 'garbage', '']) {
      for (const response of [await getPage(token, JSON_ACCEPT), await act(token, { action: 'unsubscribe' }), await act(token, { action: 'erase', confirm: 'yes' })]) {
        expect(response.status, token).toBe(400);
        expect(await response.json()).toMatchObject({ error: { code: 'invalid_token' } });
      }
    }
    expect((await call('/preferences', { headers: JSON_ACCEPT })).status).toBe(400);
    expect((await getPage(flipped)).headers.get('content-type')).toMatch(/text\/html/);
    expect(await stored(r.id)).toEqual(before);
  });

  it('answers 404 for a valid link whose reader was erased', async () => {
    const token = await signPreferencesToken(secret(), 987_654_321);
    const response = await getPage(token, JSON_ACCEPT);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found', message: expect.stringMatching(/erased/) } });
    expect((await act(token, { action: 'pause', weeks: 2 })).status).toBe(404);
  });

  it('refuses cross-site form posts with 403, and changes nothing', async () => {
    const r = await reader();
    const before = await stored(r.id);
    for (const headers of [{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
      const response = await postForm(url(r.token), { action: 'unsubscribe' }, { headers: { ...headers, accept: 'application/json' } });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'cross_site_request' } });
    }
    expect(await stored(r.id)).toEqual(before);
  });

  it('refuses an unknown action, a broken body and the wrong method, changing nothing', async () => {
    const r = await reader();
    const before = await stored(r.id);
    for (const action of [undefined, '', 'PAUSE', 'delete', 42, ['pause'], 'pause ']) {
      const response = await act(r.token, { action, weeks: 2 });
      expect(response.status, String(action)).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_action', message: expect.stringMatching(/pause, resume, change_email, export, erase, unsubscribe, resubscribe/) } });
    }
    expect((await call(url(r.token), { method: 'POST', body: '{"action":', headers: { 'content-type': 'application/json', ...JSON_ACCEPT } })).status).toBe(400);
    expect((await call(url(r.token), { method: 'POST', body: 'action=pause', headers: { 'content-type': 'text/plain', ...JSON_ACCEPT } })).status).toBe(415);
    expect((await call(url(r.token), { method: 'POST', body: JSON.stringify({ action: 'pause', pad: 'x'.repeat(70 * 1024) }), headers: { 'content-type': 'application/json', ...JSON_ACCEPT } })).status).toBe(413);
    const put = await call(url(r.token), { method: 'PUT', headers: JSON_ACCEPT });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(await stored(r.id)).toEqual(before);
  });
});

describe('pause and resume', () => {
  it.each([2, 4, 8])('pauses for %i weeks (form), says until when, and resumes at once', async (weeks) => {
    const r = await reader();
    const t0 = Date.now();
    const response = await act(r.token, { action: 'pause', weeks: String(weeks) }, 'form');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/role="status">Paused for \d weeks, until \d{1,2} \w+ \d{4}, \d{2}:\d{2} UTC/);
    expect(html).toContain('value="resume"');
    const until = (await stored(r.id))!.pausedUntil as number;
    expect(until).toBeGreaterThanOrEqual(t0 + weeks * WEEK);
    expect(until).toBeLessThanOrEqual(Date.now() + weeks * WEEK);
    const view = await (await getPage(r.token, JSON_ACCEPT)).json();
    expect(view).toMatchObject({ status: 'confirmed', pausedUntil: new Date(until).toISOString(), actions: ['pause', 'resume', 'change_email', 'export', 'erase', 'unsubscribe'] });

    const resumed = await act(r.token, { action: 'resume' });
    expect(resumed.status).toBe(200);
    expect(await resumed.json()).toMatchObject({ pausedUntil: null, message: expect.stringMatching(/Resumed/) });
    expect((await stored(r.id))!.pausedUntil).toBeNull();
  });

  it('shows in the admin listing as confirmed with pausedUntil (the status values stay the contract\'s)', async () => {
    const r = await reader();
    expect((await act(r.token, { action: 'pause', weeks: 4 })).status).toBe(200);
    const until = new Date((await stored(r.id))!.pausedUntil as number).toISOString();
    const listed = (await adminJson('/api/subscribers?status=confirmed&limit=1000')).subscribers as { email: string; status: string; pausedUntil: string | null }[];
    expect(listed.find((s) => s.email === r.email)).toMatchObject({ status: 'confirmed', pausedUntil: until });
    expect(listed.filter((s) => s.email !== r.email).every((s) => s.pausedUntil === null || Date.parse(s.pausedUntil) > Date.now())).toBe(true);
    // A pause that has run out shows as none.
    await env.DB.prepare('UPDATE subscribers SET paused_until = ?2 WHERE id = ?1').bind(r.id, Date.now() - 1).run();
    const after = (await adminJson('/api/subscribers?status=confirmed&limit=1000')).subscribers as { email: string; pausedUntil: string | null }[];
    expect(after.find((s) => s.email === r.email)!.pausedUntil).toBeNull();
  });

  it('takes weeks as a JSON number too, and a second pause replaces the first', async () => {
    const r = await reader();
    expect((await act(r.token, { action: 'pause', weeks: 8 })).status).toBe(200);
    expect((await act(r.token, { action: 'pause', weeks: 2 })).status).toBe(200);
    expect((await stored(r.id))!.pausedUntil as number).toBeLessThanOrEqual(Date.now() + 2 * WEEK);
  });

  it('refuses any other length with 400 invalid_weeks, and changes nothing', async () => {
    const r = await reader();
    const before = await stored(r.id);
    for (const weeks of [undefined, null, '', 0, 1, 3, 5, 16, -2, 2.5, '2.0', 'two', ' 4x', [2], { weeks: 2 }, true, '9'.repeat(400)]) {
      const response = await act(r.token, { action: 'pause', weeks });
      expect(response.status, JSON.stringify(weeks)).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_weeks', message: expect.stringMatching(/2, 4 or 8/) } });
    }
    const page = await act(r.token, { action: 'pause', weeks: '3' }, 'form');
    expect(page.status).toBe(400);
    expect(await page.text()).toMatch(/id="weeks-error" role="alert">Choose how long to pause/);
    expect(await stored(r.id)).toEqual(before);
  });

  it('is not there for a reader who is not subscribed (409), and changes nothing', async () => {
    for (const status of ['unsubscribed', 'bounced', 'complained', 'pending']) {
      const r = await reader(status);
      const before = await stored(r.id);
      for (const fields of [{ action: 'pause', weeks: 2 }, { action: 'resume' }, { action: 'change_email', email: `new-${status}@prefs.example` }]) {
        const response = await act(r.token, fields);
        expect(response.status, `${status} ${fields.action}`).toBe(409);
        expect(await response.json()).toMatchObject({ error: { code: 'not_available' } });
      }
      expect(await stored(r.id)).toEqual(before);
    }
  });
});

describe('changing the address', () => {
  it('confirms at the new address first; the old one keeps receiving until then; then one record moves, history kept; the link works once', async () => {
    const old = 'mover@prefs.example';
    const fresh = 'Mover.New@Prefs.Example';
    await subscribeAndConfirm(old, 'Mo');
    const [welcome] = await waitForMail(old, 'Welcome');
    const token = new URL(linkIn(welcome, '/preferences?token=')).searchParams.get('token')!;
    const id = (await env.DB.prepare('SELECT id FROM subscribers WHERE email = ?1').bind(old).first<{ id: number }>())!.id;

    const asked = await askToMove(token, old, fresh);
    expect(asked.status).toBe(202);
    expect(await asked.json()).toMatchObject({ status: 'confirmation_sent', message: expect.stringMatching(/If mover\.new@prefs\.example can take this subscription/) });
    expect(await stored(id)).toMatchObject({ email: old, pendingEmail: 'mover.new@prefs.example' });
    const [mail] = await waitForMail('mover.new@prefs.example', 'Confirm your new address');
    expect(mail.text).not.toContain(old); // nothing from the requester in it
    expect(mail.text).not.toContain('Mo,');
    const link = linkIn(mail, '/preferences/confirm-email?token=');

    // Until the link is used, the old address is the subscription: a send goes there.
    expect((await call(link, { headers: JSON_ACCEPT })).status).toBe(200); // GET: a button, nothing moves
    expect((await stored(id))!.email).toBe(old);
    await weekly(article('prefs-before-move', '2026-02-02'));
    await waitForMail(old, 'Issue prefs-before-move');
    expect(await mailsTo('mover.new@prefs.example')).toHaveLength(1);

    const moved = await call(link, { method: 'POST', headers: JSON_ACCEPT });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toEqual({ status: 'moved', email: 'mover.new@prefs.example' });
    expect(await stored(id)).toMatchObject({ email: 'mover.new@prefs.example', status: 'confirmed', name: 'Mo', pendingEmail: null });
    expect(await env.DB.prepare('SELECT count(*) AS n FROM subscribers WHERE email = ?1').bind(old).first()).toEqual({ n: 0 });
    // History kept: the delivery record is the same reader's.
    expect(await env.DB.prepare('SELECT count(*) AS n FROM deliveries WHERE subscriber_id = ?1').bind(id).first()).toEqual({ n: 1 });
    // Works once.
    const again = await call(link, { method: 'POST', headers: JSON_ACCEPT });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: { code: 'invalid_token', message: expect.stringMatching(/used already/) } });

    await weekly(article('prefs-after-move', '2026-02-09'));
    await waitForMail('mover.new@prefs.example', 'Issue prefs-after-move');
    expect((await mailsTo(old)).some((m) => m.subject === 'Issue prefs-after-move')).toBe(false);
    // Links issued before the move no longer open the page (whoever had one, had it from the old inbox);
    // the newest email's link does.
    const stale = await getPage(token, JSON_ACCEPT);
    expect(stale.status).toBe(410);
    expect(await stale.json()).toMatchObject({ error: { code: 'link_replaced', message: expect.stringMatching(/newest email/) } });
    const [issueAfter] = await waitForMail('mover.new@prefs.example', 'Issue prefs-after-move');
    expect(await (await call(linkIn(issueAfter, '/preferences?token='), { headers: JSON_ACCEPT })).json()).toMatchObject({ email: 'mover.new@prefs.example', pendingEmail: null });
    // The old address was told, with an undo.
    const [notice] = await waitForMail(old, 'subscription moved to another address');
    expect(notice.text).toContain('Undo the move: http://localhost:8787/preferences/link?token=');
  });

  it('gives an address already on the list the same answer, sends it nothing, and moves nothing (no enumeration)', async () => {
    const taken = await reader('unsubscribed');
    const a = await reader();
    const b = await reader();
    const toTaken = await askToMove(a.token, a.email, taken.email);
    const toFree = await askToMove(b.token, b.email, 'free-address@prefs.example');
    expect(toTaken.status).toBe(toFree.status);
    const [bodyTaken, bodyFree] = [await body(toTaken), await body(toFree)];
    // Only the two readers' own addresses differ.
    const neutral = (body: Record<string, unknown>, reader: { email: string }, target: string) =>
      JSON.parse(JSON.stringify(body).replaceAll(reader.email, 'READER').replaceAll(target, 'TARGET'));
    expect(neutral(bodyTaken, a, taken.email)).toEqual(neutral(bodyFree, b, 'free-address@prefs.example'));
    // The same kind of state either way: the request is recorded, nothing else.
    expect(await stored(a.id)).toMatchObject({ email: a.email, status: 'confirmed', pendingEmail: taken.email });
    expect(await stored(b.id)).toMatchObject({ email: b.email, status: 'confirmed', pendingEmail: 'free-address@prefs.example' });
    await waitForMail('free-address@prefs.example', 'Confirm your new address');
    expect(await mailsTo(taken.email)).toHaveLength(0);
    // A link made for that request anyway (as if the mail had gone out) cannot take the address.
    const forged = await signEmailChangeToken(secret(), a.id, (await stored(a.id))!.emailChangeSentAt as number);
    const response = await call(`/preferences/confirm-email?token=${forged}`, { method: 'POST', headers: JSON_ACCEPT });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: 'address_taken' } });
    expect(await stored(a.id)).toMatchObject({ email: a.email });
    expect(await stored(taken.id)).toMatchObject({ email: taken.email, status: 'unsubscribed' });
  });

  it('refuses a bad address or the same one with 400 (form shows it again), and changes nothing', async () => {
    const r = await reader();
    const before = await stored(r.id);
    for (const email of [undefined, '', 'not-an-address', 'a@b', 'x@y.example\r\nBcc: all@y.example', 42, ['a@b.example'], `${'a'.repeat(65)}@prefs.example`]) {
      const response = await act(r.token, { action: 'change_email', email });
      expect(response.status, JSON.stringify(email)).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_email' } });
    }
    const same = await act(r.token, { action: 'change_email', email: r.email.toUpperCase() });
    expect(same.status).toBe(400);
    expect(await same.json()).toMatchObject({ error: { code: 'same_email' } });
    const page = await act(r.token, { action: 'change_email', email: '"><script>x</script>' }, 'form');
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toContain('aria-invalid="true"');
    expect(html).not.toContain('<script>x');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(await stored(r.id)).toEqual(before);
  });

  it('sends at most one link per 15 minutes (429 with Retry-After), and only the latest link works', async () => {
    const r = await reader();
    expect((await askToMove(r.token, r.email, 'first-choice@prefs.example')).status).toBe(202);
    const [first] = await waitForMail('first-choice@prefs.example', 'Confirm your new address');
    const soon = await askToMove(r.token, r.email, 'second-choice@prefs.example');
    expect(soon.status).toBe(429);
    expect(soon.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await soon.json()).toMatchObject({ error: { code: 'too_soon', message: expect.stringMatching(/15 minutes/) } });
    expect((await stored(r.id))!.pendingEmail).toBe('first-choice@prefs.example');

    // 15 minutes on, a new request replaces the first: the first link no longer moves anything.
    await env.DB.prepare('UPDATE subscribers SET email_change_sent_at = email_change_sent_at - 16 * 60000 WHERE id = ?1').bind(r.id).run();
    expect((await askToMove(r.token, r.email, 'second-choice@prefs.example')).status).toBe(202);
    const [second] = await waitForMail('second-choice@prefs.example', 'Confirm your new address');
    const stale = await call(linkIn(first, '/preferences/confirm-email?token='), { method: 'POST', headers: JSON_ACCEPT });
    expect(stale.status).toBe(400);
    expect((await stored(r.id))!.email).toBe(r.email);
    expect((await call(linkIn(second, '/preferences/confirm-email?token='), { method: 'POST', headers: JSON_ACCEPT })).status).toBe(200);
    expect((await stored(r.id))!.email).toBe('second-choice@prefs.example');
  });

  it('refuses an expired, altered or wrong-purpose confirmation link with 400, and moves nothing', async () => {
    const r = await reader();
    expect((await askToMove(r.token, r.email, 'expiring@prefs.example')).status).toBe(202);
    const sentAt = (await stored(r.id))!.emailChangeSentAt as number;
    const good = await signEmailChangeToken(secret(), r.id, sentAt);
    const expired = await signEmailChangeToken(secret(), r.id, sentAt - CONFIRM_TOKEN_TTL_MS - 2000);
    for (const [token, says] of [
      [expired, /expired/],
      [good.slice(0, -1) + (good.endsWith('A') ? 'Q' : 'A'), /not valid/],
      [r.token, /not meant for this page/],
      [good.replace(/^e\./, 'c.'), /not meant for this page|not valid/],
    ] as const) {
      for (const method of ['GET', 'POST']) {
        const response = await call(`/preferences/confirm-email?token=${encodeURIComponent(token)}`, { method, headers: JSON_ACCEPT });
        expect(response.status, `${method} ${token}`).toBe(400);
        expect(await response.json()).toMatchObject({ error: { code: 'invalid_token', message: expect.stringMatching(says) } });
      }
    }
    expect((await stored(r.id))!.email).toBe(r.email);
  });

  it('does not move a reader who left after asking', async () => {
    const r = await reader();
    expect((await askToMove(r.token, r.email, 'after-leaving@prefs.example')).status).toBe(202);
    const [mail] = await waitForMail('after-leaving@prefs.example', 'Confirm your new address');
    expect((await act(r.token, { action: 'unsubscribe' })).status).toBe(200);
    const response = await call(linkIn(mail, '/preferences/confirm-email?token='), { method: 'POST', headers: JSON_ACCEPT });
    expect(response.status).toBe(409);
    expect((await stored(r.id))!.email).toBe(r.email);
  });

  it('shows the new address its own page with one button, no script, and moves only on the press (form)', async () => {
    const r = await reader();
    expect((await askToMove(r.token, r.email, 'button@prefs.example', 'form')).status).toBe(202);
    const [mail] = await waitForMail('button@prefs.example', 'Confirm your new address');
    const link = linkIn(mail, '/preferences/confirm-email?token=');
    const html = await (await call(link)).text();
    expect(html).toMatch(/<form action="\/preferences\/confirm-email\?token=[^"]+" method="post"><button type="submit" class="button">Move my subscription here<\/button><\/form>/);
    expect(html).not.toMatch(/<script\b/);
    expect((await stored(r.id))!.email).toBe(r.email);
    const moved = await call(link, { method: 'POST', headers: { origin: 'http://localhost:8787' } });
    expect(moved.status).toBe(200);
    expect(await moved.text()).toMatch(/Your subscription moved/);
    // Cross-site posts of the link are refused like every form post.
    expect((await call(link, { method: 'POST', headers: { origin: 'https://evil.example', ...JSON_ACCEPT } })).status).toBe(403);
  });
});

describe('export', () => {
  it("gives the reader's own data as JSON, with what happened to each issue, and nothing about anyone else", async () => {
    const email = 'exporter@prefs.example';
    await subscribeAndConfirm(email, 'Ex');
    await subscribeAndConfirm('someone-else@prefs.example', 'Other');
    await weekly(article('prefs-export', '2026-03-02'));
    const id = (await env.DB.prepare('SELECT id FROM subscribers WHERE email = ?1').bind(email).first<{ id: number }>())!.id;
    await env.DB.prepare('UPDATE deliveries SET opened_at = ?2 WHERE subscriber_id = ?1').bind(id, Date.now()).run();
    const token = await signPreferencesToken(secret(), id);

    const response = await press(await ask(token, email, { action: 'export' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="[a-z0-9-]+-my-data\.json"$/);
    const text = await response.text();
    expect(text).not.toContain('someone-else');
    expect(text).not.toContain('Other');
    const data = JSON.parse(text);
    expect(data.subscriber).toMatchObject({ email, name: 'Ex', status: 'confirmed', createdAt: expect.any(String), confirmedAt: expect.any(String), leftAt: null, pausedUntil: null });
    const issue = data.issues.find((i: { slug: string }) => i.slug === 'prefs-export');
    expect(issue).toMatchObject({ title: 'Issue prefs-export', status: 'sent', sentAt: expect.any(String), openedAt: expect.any(String), bouncedAt: null, url: 'http://localhost:8787/archive/prefs-export' });

    // The page's form asks the same way, and the link's button gets the same document as a download.
    const link = await ask(token, email, { action: 'export' }, 'form');
    expect(await (await call(link)).text()).toMatch(/<form action="\/preferences\/link\?token=[^"]+" method="post"><button type="submit" class="button">Download my data \(JSON\)<\/button><\/form>/);
    const form = await press(link, 'form');
    expect(form.status).toBe(200);
    expect(form.headers.get('content-type')).toMatch(/^application\/json/);
    expect(form.headers.get('content-disposition')).toMatch(/^attachment/);
    expect((await body(form)).subscriber.email).toBe(email);
  });

  it('works for a reader who left or bounced, too', async () => {
    for (const status of ['unsubscribed', 'bounced']) {
      const r = await reader(status);
      const response = await press(await ask(r.token, r.email, { action: 'export' }));
      expect(response.status).toBe(200);
      expect((await body(response)).subscriber).toMatchObject({ email: r.email, status, leftAt: expect.any(String) });
    }
  });
});

describe('erase', () => {
  it('asks first (page and JSON), changing nothing; then erases as the admin API does', async () => {
    const email = 'eraser@prefs.example';
    await subscribeAndConfirm(email, 'Er');
    await weekly(article('prefs-erase', '2026-03-09'));
    const id = (await env.DB.prepare('SELECT id FROM subscribers WHERE email = ?1').bind(email).first<{ id: number }>())!.id;
    const token = await signPreferencesToken(secret(), id);
    const before = await stored(id);

    const link = await ask(token, email, { action: 'erase' }, 'form');
    expect(await stored(id)).toEqual(before); // asking changes nothing
    // The link's page is the confirmation step: one button, no script; loading it erases nothing.
    const html = await (await call(link)).text();
    expect(html).toMatch(/<h1>Erase your data\?<\/h1>/);
    expect(html).toMatch(/<form action="\/preferences\/link\?token=[^"]+" method="post"><button type="submit" class="button button--danger">Yes, erase my data<\/button><\/form>/);
    expect(html).not.toMatch(/<script\b/);
    expect(await stored(id)).toEqual(before);

    const erased = await press(link, 'form');
    expect(erased.status).toBe(200);
    expect(await erased.text()).toMatch(/Your data is erased/);
    expect(await stored(id)).toBeNull();
    expect(await env.DB.prepare('SELECT count(*) AS n FROM deliveries WHERE subscriber_id = ?1').bind(id).first()).toEqual({ n: 0 });
    expect(await env.DB.prepare('SELECT count(*) AS n FROM outbox WHERE "to" = ?1').bind(email).first()).toEqual({ n: 0 });
    expect(await env.DB.prepare('SELECT count(*) AS n FROM suppressions WHERE email_hash = ?1').bind(await emailHash(email)).first()).toEqual({ n: 1 });
    expect((await getPage(token, JSON_ACCEPT)).status).toBe(404);
    // As with the admin API, the person may still subscribe again through the form.
    expect((await postJson('/subscribe', { email })).status).toBe(202);
  });

  it('answers JSON too, and the link works once', async () => {
    const r = await reader();
    const link = await ask(r.token, r.email, { action: 'erase' });
    expect(await (await call(link, { headers: JSON_ACCEPT })).json()).toMatchObject({ status: 'confirmation_required', action: 'erase', method: 'POST' });
    const response = await press(link);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'erased' });
    expect(await stored(r.id)).toBeNull();
    const again = await press(link);
    expect(again.status).toBe(404);
  });
});

describe('unsubscribe and resubscribe', () => {
  it('unsubscribes at once; for 30 days the page offers Resubscribe, which needs no confirmation email', async () => {
    const email = 'returner@prefs.example';
    await subscribeAndConfirm(email);
    const id = (await env.DB.prepare('SELECT id FROM subscribers WHERE email = ?1').bind(email).first<{ id: number }>())!.id;
    const token = await signPreferencesToken(secret(), id);
    const mailsBefore = (await mailsTo(email)).length;

    const out = await act(token, { action: 'unsubscribe' }, 'form');
    expect(out.status).toBe(200);
    const html = await out.text();
    expect(html).toMatch(/You are unsubscribed/);
    expect(html).toContain('value="resubscribe"');
    expect(await stored(id)).toMatchObject({ status: 'unsubscribed', leftAt: expect.any(Number) });
    expect((await act(token, { action: 'unsubscribe' })).status).toBe(200); // idempotent
    const view = await body(await getPage(token, JSON_ACCEPT));
    expect(view.actions).toEqual(['export', 'erase', 'resubscribe']);
    expect(Date.parse(view.resubscribeUntil)).toBeGreaterThan(Date.now() + 29 * DAY);

    const link = await ask(token, email, { action: 'resubscribe' });
    expect(await stored(id)).toMatchObject({ status: 'unsubscribed' }); // asking alone brings nobody back
    const back = await press(link);
    expect(back.status).toBe(200);
    expect(await back.json()).toMatchObject({ status: 'resubscribed', message: expect.stringMatching(/subscribed again/) });
    expect(await stored(id)).toMatchObject({ status: 'confirmed', confirmedAt: expect.any(Number) });
    await new Promise((r) => setTimeout(r, 1200));
    expect((await mailsTo(email)).length).toBe(mailsBefore + 1); // the link only: no confirmation email, no welcome
    expect((await act(token, { action: 'resubscribe' })).status).toBe(200); // idempotent: subscribed already
    expect((await press(link)).status).toBe(410); // the link worked once
  });

  it('after 30 days, points to the form instead (409), and changes nothing', async () => {
    const r = await reader('unsubscribed', { leftAt: Date.now() - RESUBSCRIBE_WINDOW_MS - 60_000 });
    const before = await stored(r.id);
    const response = await act(r.token, { action: 'resubscribe' });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: 'not_available', message: expect.stringMatching(/more than 30 days.*home page/) } });
    expect(await (await getPage(r.token)).text()).toMatch(/more than 30 days since you left/);
    expect(await stored(r.id)).toEqual(before);
  });

  it('never brings back a bounced or complained address (409)', async () => {
    for (const status of ['bounced', 'complained']) {
      const r = await reader(status);
      const before = await stored(r.id);
      expect((await act(r.token, { action: 'resubscribe' })).status).toBe(409);
      // Unsubscribing keeps the stronger status, as the one-click link does.
      expect((await act(r.token, { action: 'unsubscribe' })).status).toBe(200);
      expect(await stored(r.id)).toEqual(before);
    }
  });

  it('starts a resubscribed reader with the next send, not one already under way', async () => {
    const r = await reader('unsubscribed');
    const started = Date.now();
    await env.DB.prepare(
      `INSERT INTO sends (slug, status, started_at, max_subscriber_id, title, article_date, summary, markdown, subject, html, text)
       VALUES ('prefs-under-way', 'sending', ?1, ?2, 't', '2026-01-01', 's', 'm', 't', '', '')`,
    )
      .bind(started - 1000, r.id + 1000)
      .run();
    expect((await press(await ask(r.token, r.email, { action: 'resubscribe' }))).status).toBe(200);
    expect((await stored(r.id))!.confirmedAt as number).toBeGreaterThan(started - 1000);
  });
});
