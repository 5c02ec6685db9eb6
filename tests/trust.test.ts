// Trust, round three (issue 21), each test written as the attack it stops: eight spellings of one
// inbox, three requesters and one victim, a forwarded link after a move, erase then sign up again,
// a copied cookie after sign-out, 20 wrong bearers a minute, a few hostile readers against the
// breaker, and the security headers SECURITY.md promises. (A public Host with a local config:
// tests/config.test.ts, "the request-time guard".)
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../src/admin/session';
import { SIGN_IN_LIMIT } from '../src/admin/throttle';
import { getConfig } from '../src/config';
import { getDb } from '../src/db/client';
import { subscribers } from '../src/db/schema';
import { resumeSend, tripBreaker } from '../src/issues/send-store';
import { LINKS_PER_HOUR } from '../src/preferences/links';
import { emailHash } from '../src/subscribers/erase';
import { mailboxKey, mailboxKeyOf, mailboxKeySql } from '../src/subscribers/mailbox-key';
import { signPreferencesToken, signUnsubscribeToken } from '../src/subscribers/tokens';
import { sql } from 'drizzle-orm';
import { ADMIN_TOKEN, admin, importCsv, postWebhook, resendEvent } from './support/admin';
import { browser, signedInBrowser } from './support/dashboard';
import { call, linkIn, mailsTo, outbox, postJson, waitFor, waitForMail } from './support/helpers';

const JSON_ACCEPT = { accept: 'application/json' };
const secret = () => getConfig(env).tokenSecret;
const settle = () => new Promise((r) => setTimeout(r, 1500));

let counter = 0;
/** A reader straight in D1, with their (generation 0) preferences token. */
async function reader(status = 'confirmed', email = `trust-${++counter}@readers.example`) {
  const now = Date.now();
  const row = await env.DB.prepare(`INSERT INTO subscribers (email, status, created_at, confirmed_at, left_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id`)
    .bind(email, status, now - 86_400_000, status === 'pending' ? null : now - 86_400_000, status === 'confirmed' || status === 'pending' ? null : now - 3600_000)
    .first<{ id: number }>();
  return { id: row!.id, email, token: await signPreferencesToken(secret(), row!.id) };
}

const page = (token: string) => `/preferences?token=${encodeURIComponent(token)}`;
const act = (token: string, fields: Record<string, unknown>) => postJson(page(token), fields);
const linkMails = async (inbox: string) => (await mailsTo(inbox)).filter((m) => m.subject.startsWith('Your link to'));
/** Asks for an emailed action and returns the link that reached `inbox`. */
async function ask(token: string, inbox: string, fields: Record<string, unknown>): Promise<string> {
  const seen = (await linkMails(inbox)).length;
  const asked = await act(token, fields);
  expect(asked.status).toBe(202);
  expect(await asked.json()).toMatchObject({ status: 'link_sent' });
  const mails = await waitFor(async () => {
    const found = await linkMails(inbox);
    return found.length > seen ? found : null;
  }, `a link to ${inbox}`);
  return linkIn(mails[0], '/preferences/link?token=');
}
const press = (link: string) => call(link, { method: 'POST', headers: JSON_ACCEPT });
const row = (id: number) => env.DB.prepare('SELECT email, status, pending_email AS pendingEmail FROM subscribers WHERE id = ?1').bind(id).first<Record<string, unknown>>();
const mailsToInbox = async (key: string) => (await outbox()).filter((m) => mailboxKey(m.to) === key);

describe('one inbox, however it is spelt', () => {
  it('derives the same mailbox key in TypeScript, in SQL and in the index, and sign-ups find it through the index', async () => {
    const cases: [string, string][] = [
      ['victim@gmail.com', 'victim@gmail.com'],
      ['V.Ictim+News@GoogleMail.com', 'victim@gmail.com'],
      ['v.i.c.t.i.m+a+b@gmail.com', 'victim@gmail.com'],
      ['ann.lee+x@example.org', 'ann.lee@example.org'],
      ['+tagonly@example.org', '+tagonly@example.org'],
      ['ann@xn--bcher-kva.example', 'ann@xn--bcher-kva.example'],
    ];
    const db = getDb(env.DB);
    for (const [address, key] of cases) {
      expect(mailboxKey(address), address).toBe(key);
      const [inSql] = await db.all<{ k: string }>(sql`SELECT ${mailboxKeySql(sql`${address}`)} AS k`);
      expect(inSql.k, address).toBe(key);
    }
    const query = db.select({ id: subscribers.id }).from(subscribers).where(eq(mailboxKeyOf(subscribers.email), 'victim@gmail.com')).toSQL();
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).bind(...query.params).all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join(' ')).toMatch(/USING (COVERING )?INDEX subscribers_mailbox_key/);
  });

  it('agrees between TypeScript and SQL for any address the form accepts (fast-check)', async () => {
    const db = getDb(env.DB);
    const local = fc.stringMatching(/^[A-Za-z0-9+._-]{1,20}$/).filter((l) => !l.startsWith('.') && !l.endsWith('.') && !l.includes('..'));
    const domain = fc.constantFrom('gmail.com', 'GoogleMail.com', 'example.org', 'mail.example.net', 'xn--bcher-kva.example');
    await fc.assert(
      fc.asyncProperty(local, domain, async (l, d) => {
        const address = `${l}@${d}`;
        const [row] = await db.all<{ k: string }>(sql`SELECT ${mailboxKeySql(sql`${address}`)} AS k`);
        expect(row.k, address).toBe(mailboxKey(address));
      }),
      { numRuns: 200 },
    );
  });

  it('eight spellings of one Gmail inbox make one row and one confirmation email', async () => {
    const spellings = ['victim@gmail.com', 'Victim@Gmail.com', 'victim+1@gmail.com', 'v.ictim@gmail.com', 'vic.tim+news@googlemail.com', 'VICTIM+x@GMAIL.COM', 'v.i.c.t.i.m@gmail.com', 'victim+2@googlemail.com'];
    for (const email of spellings) expect((await postJson('/subscribe', { email })).status, email).toBe(202);
    await waitForMail('victim@gmail.com', 'Confirm');
    await settle();
    expect(await mailsToInbox('victim@gmail.com')).toHaveLength(1);
    const { results } = await env.DB.prepare("SELECT email FROM subscribers WHERE email LIKE '%gmail.com' OR email LIKE '%googlemail.com'").all<{ email: string }>();
    expect(results.filter((r) => mailboxKey(r.email) === 'victim@gmail.com')).toEqual([{ email: 'victim@gmail.com' }]);
  });

  it('keeps the address as typed (tag and dots), and limits tags on any domain', async () => {
    expect((await postJson('/subscribe', { email: 'Ann.Lee+News@Example.org' })).status).toBe(202);
    expect((await postJson('/subscribe', { email: 'ann.lee@example.org' })).status).toBe(202);
    await waitForMail('ann.lee+news@example.org', 'Confirm');
    await settle();
    expect(await mailsToInbox('ann.lee@example.org')).toHaveLength(1);
    expect(await env.DB.prepare("SELECT email FROM subscribers WHERE email LIKE 'ann.lee%'").all()).toMatchObject({ results: [{ email: 'ann.lee+news@example.org' }] });
  });

  it('mails no other spelling of an inbox that is subscribed already, or that bounced or complained', async () => {
    await reader('confirmed', 'subscribed@gmail.com');
    await reader('bounced', 'gone+old@example.net');
    await reader('complained', 'angry@example.net');
    for (const email of ['sub.scribed@gmail.com', 'subscribed+2@googlemail.com', 'gone@example.net', 'gone+new@example.net', 'angry+1@example.net']) {
      expect((await postJson('/subscribe', { email })).status, email).toBe(202);
    }
    await settle();
    for (const key of ['subscribed@gmail.com', 'gone@example.net', 'angry@example.net']) expect(await mailsToInbox(key), key).toHaveLength(0);
  });
});

describe('erasure keeps a bounced or complained address suppressed', () => {
  it('erase then sign up again: no mail for a bounced or complained address (any spelling), nor through an import; a reader who merely left may come back', async () => {
    for (const [status, email] of [['bounced', 'bounced-then-erased@example.net'], ['complained', 'complained.then.erased@gmail.com']] as const) {
      await reader(status, email);
      expect((await admin(`/api/subscribers/${encodeURIComponent(email)}`, { method: 'DELETE' })).status).toBeLessThan(300);
      expect(await env.DB.prepare('SELECT reason FROM suppressions WHERE email_hash = ?1').bind(await emailHash(email)).first()).toEqual({ reason: status });
      const other = email.replace('@', '+again@');
      for (const again of [email, other]) expect((await postJson('/subscribe', { email: again })).status).toBe(202);
      const report = await importCsv(`email\n${other}\n`, 'confirmed');
      expect(report).toMatchObject({ imported: 0, skipped: 1 });
    }
    await settle();
    expect(await mailsToInbox('bounced-then-erased@example.net')).toHaveLength(0);
    expect(await mailsToInbox('complainedthenerased@gmail.com')).toHaveLength(0);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM subscribers WHERE email LIKE '%erased%'").first()).toEqual({ n: 0 });

    // Erased after unsubscribing: the form is their own new consent.
    const left = await reader('unsubscribed', 'left-then-erased@example.net');
    expect((await admin(`/api/subscribers/${encodeURIComponent(left.email)}`, { method: 'DELETE' })).status).toBeLessThan(300);
    expect((await postJson('/subscribe', { email: left.email })).status).toBe(202);
    await waitForMail(left.email, 'Confirm');
  });
});

describe('the change-of-address email cannot be turned into mail-bombing', () => {
  it('three requesters, one victim: one email in 24 hours, tagged, with "I did not ask for this", which blocks the rest', async () => {
    const victim = 'bomb-victim@target.example';
    const requesters = [await reader(), await reader(), await reader()];
    for (const r of requesters) {
      const pressed = await press(await ask(r.token, r.email, { action: 'change_email', email: victim }));
      expect(pressed.status).toBe(202);
    }
    const [mail] = await waitForMail(victim, 'Confirm your new address');
    await settle();
    expect(await mailsTo(victim)).toHaveLength(1);
    expect(mail.tags).toMatchObject({ kind: 'email_change' });
    const notMe = linkIn(mail, '/preferences/not-me?token=');
    expect(mail.headers).toMatchObject({ 'List-Unsubscribe': `<${notMe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    expect(mail.text).toContain(`I did not ask for this: ${notMe}`);

    // Gmail's own unsubscribe button: a one-click POST from the provider, no Origin.
    const oneClick = await call(notMe, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded', ...JSON_ACCEPT } });
    expect(oneClick.status).toBe(200);
    expect(await oneClick.json()).toMatchObject({ status: 'blocked' });

    // A day later, another requester: nothing, ever, for this inbox (any spelling).
    await env.DB.prepare('UPDATE mailboxes SET change_sent_at = change_sent_at - 25 * 3600000').run();
    const late = await reader();
    expect((await press(await ask(late.token, late.email, { action: 'change_email', email: 'Bomb-Victim+2@Target.example' }))).status).toBe(202);
    await settle();
    expect(await mailsToInbox('bomb-victim@target.example')).toHaveLength(1);
  });

  it('a bounce or complaint on a change-of-address email blocks that target; a suppressed target gets none at all', async () => {
    for (const [type, target, extra] of [
      ['email.bounced', 'bounces-on-change@target.example', { bounce: { type: 'Permanent' } }],
      ['email.complained', 'complains-on-change@target.example', {}],
    ] as const) {
      const first = await reader();
      expect((await press(await ask(first.token, first.email, { action: 'change_email', email: target }))).status).toBe(202);
      await waitForMail(target, 'Confirm your new address');
      expect((await postWebhook(resendEvent(type, { to: target, tags: { kind: 'email_change' }, ...extra }))).status).toBe(200);
      await env.DB.prepare('UPDATE mailboxes SET change_sent_at = change_sent_at - 25 * 3600000').run();
      const second = await reader();
      expect((await press(await ask(second.token, second.email, { action: 'change_email', email: target }))).status).toBe(202);
    }
    const bounced = await reader('bounced', 'suppressed-target@target.example');
    const asker = await reader();
    expect((await press(await ask(asker.token, asker.email, { action: 'change_email', email: bounced.email.replace('@', '+x@') }))).status).toBe(202);
    await settle();
    expect(await mailsTo('bounces-on-change@target.example')).toHaveLength(1);
    expect(await mailsTo('complains-on-change@target.example')).toHaveLength(1);
    expect(await mailsToInbox('suppressed-target@target.example')).toHaveLength(0);
  });
});

describe('a forwarded preferences link', () => {
  it('pauses, resumes and unsubscribes at once, but export, erase, move and resubscribe only email a link to the reader', async () => {
    const r = await reader();
    const exported = await act(r.token, { action: 'export' });
    expect(exported.status).toBe(202);
    const text = await exported.text();
    expect(text).not.toContain('"issues"');
    expect(text).toContain('link_sent');
    expect((await act(r.token, { action: 'erase', confirm: 'yes' })).status).toBe(202);
    expect(await row(r.id)).toMatchObject({ status: 'confirmed' });
    await waitFor(async () => (await linkMails(r.email)).length === 2, 'two links');
    expect((await act(r.token, { action: 'pause', weeks: 2 })).status).toBe(200);
    expect((await act(r.token, { action: 'unsubscribe' })).status).toBe(200);
    expect(await row(r.id)).toMatchObject({ status: 'unsubscribed' });
  });

  it('gets one-time links that work once, for an hour, at most a few an hour', async () => {
    const r = await reader();
    const link = await ask(r.token, r.email, { action: 'export' });
    expect((await call(link, { headers: JSON_ACCEPT })).status).toBe(200); // GET: a button only
    expect((await press(link)).status).toBe(200);
    const again = await press(link);
    expect(again.status).toBe(410);
    expect(await again.json()).toMatchObject({ error: { code: 'link_used' } });

    const stale = await ask(r.token, r.email, { action: 'export' });
    await env.DB.prepare('UPDATE reader_links SET created_at = created_at - 3601000 WHERE used_at IS NULL').run();
    const expired = await press(stale);
    // The token still says it is new; the row says it is over an hour old.
    expect([400, 410]).toContain(expired.status);
    await env.DB.prepare('DELETE FROM reader_links').run();
    for (let i = 0; i < LINKS_PER_HOUR; i++) expect((await act(r.token, { action: 'export' })).status).toBe(202);
    const flood = await act(r.token, { action: 'export' });
    expect(flood.status).toBe(429);
    expect(await flood.json()).toMatchObject({ error: { code: 'too_many_links' } });
  });

  it('stops working after a move; links emailed before it die; the old address is told and can undo; old unsubscribe links still unsubscribe', async () => {
    const r = await reader();
    // The unsubscribe link of an email sent before the move (the same link every email carries).
    const unsubscribeBefore = `/unsubscribe?token=${encodeURIComponent(await signUnsubscribeToken(secret(), r.id))}`;
    const exportBefore = await ask(r.token, r.email, { action: 'export' });
    // The holder of the forwarded link moves the subscription to their own address.
    const thief = 'thief@elsewhere.example';
    expect((await press(await ask(r.token, r.email, { action: 'change_email', email: thief }))).status).toBe(202);
    const [confirmation] = await waitForMail(thief, 'Confirm your new address');
    expect((await call(linkIn(confirmation, '/preferences/confirm-email?token='), { method: 'POST', headers: JSON_ACCEPT })).status).toBe(200);
    expect(await row(r.id)).toMatchObject({ email: thief });

    const old = await call(page(r.token), { headers: JSON_ACCEPT });
    expect(old.status).toBe(410);
    expect(await old.json()).toMatchObject({ error: { code: 'link_replaced', message: expect.stringMatching(/unsubscribe link/) } });
    expect(await (await call(page(r.token))).text()).toMatch(/newest email/);
    const replaced = await press(exportBefore);
    expect(replaced.status).toBe(410);
    expect(await replaced.json()).toMatchObject({ error: { code: 'link_replaced' } });

    // The old address is told, and undoes it: the thief's links die in turn.
    const [notice] = await waitForMail(r.email, 'subscription moved to another address');
    const undo = linkIn(notice, '/preferences/link?token=');
    const thiefToken = await signPreferencesToken(secret(), r.id, 1);
    expect((await call(page(thiefToken), { headers: JSON_ACCEPT })).status).toBe(200);
    const undone = await press(undo);
    expect(undone.status).toBe(200);
    expect(await undone.json()).toMatchObject({ status: 'move_undone' });
    expect(await row(r.id)).toMatchObject({ email: r.email, status: 'confirmed' });
    expect((await call(page(thiefToken), { headers: JSON_ACCEPT })).status).toBe(410);
    expect((await call(page(await signPreferencesToken(secret(), r.id, 2)), { headers: JSON_ACCEPT })).status).toBe(200);
    expect((await press(undo)).status).toBe(410); // once

    // An unsubscribe link from any email ever sent still unsubscribes that subscription.
    const out = await call(unsubscribeBefore, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(out.status).toBe(200);
    expect(await row(r.id)).toMatchObject({ status: 'unsubscribed' });
  });
});

describe('dashboard sessions end on the server', () => {
  it('a copied cookie stops working when its session signs out', async () => {
    const operator = await signedInBrowser();
    const copied = `${SESSION_COOKIE}=${operator.jar.get(SESSION_COOKIE)}`;
    expect((await call('/admin/issues', { headers: { cookie: copied, ...JSON_ACCEPT } })).status).toBe(200);
    expect((await operator.post('/admin/logout', { _csrf: operator.csrf })).status).toBe(303);
    const after = await call('/admin/issues', { headers: { cookie: copied, ...JSON_ACCEPT } });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: { message: expect.stringMatching(/signed out/) } });
  });

  it('lists the open sessions with when and from where, and "sign out everywhere" ends them all', async () => {
    const here = await signedInBrowser('10.55.0.1');
    const there = await signedInBrowser('10.55.0.2');
    const list = await here.get('/admin/sessions', { headers: JSON_ACCEPT });
    const { sessions } = (await list.json()) as { sessions: { current: boolean; ip: string; createdAt: string; lastSeenAt: string }[] };
    expect(sessions.map((s) => s.ip)).toEqual(expect.arrayContaining(['10.55.0.1', '10.55.0.2']));
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    const html = await (await here.get('/admin/sessions')).text();
    expect(html).toContain('10.55.0.2');
    expect(html).toContain('Sign out everywhere');

    expect((await here.post('/admin/sessions/revoke-all', { _csrf: here.csrf })).status).toBe(303);
    expect((await there.get('/admin/issues', { headers: JSON_ACCEPT })).status).toBe(401);
    expect((await here.get('/admin/issues', { headers: JSON_ACCEPT })).status).toBe(401);
  });

  it('accepts only the canonical spelling of a cookie signature', async () => {
    const operator = await signedInBrowser();
    const cookie = operator.jar.get(SESSION_COOKIE)!;
    const last = cookie.at(-1)!;
    // The last character carries 2 spare bits: a neighbour that decodes to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) + 1];
    const response = await call('/admin/issues', { headers: { cookie: `${SESSION_COOKIE}=${cookie.slice(0, -1)}${twin}`, ...JSON_ACCEPT } });
    expect(response.status).toBe(401);
  });
});

describe('the bearer API', () => {
  it('throttles 20 wrong bearers a minute from one client like the sign-in (429 before any token is checked); right tokens do not count', async () => {
    const ip = '10.66.0.1';
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await call('/api/subscribers', { ip, headers: { authorization: `Bearer wrong-guess-${i}` } })).status);
    expect(statuses.slice(0, SIGN_IN_LIMIT)).toEqual(new Array(SIGN_IN_LIMIT).fill(401));
    expect(statuses.slice(SIGN_IN_LIMIT)).toEqual(new Array(20 - SIGN_IN_LIMIT).fill(429));
    const limited = await call('/api/subscribers', { ip, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(limited.status).toBe(429); // the 21st attempt is not even checked
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // Another client is not held up, and its right tokens never count.
    for (let i = 0; i < SIGN_IN_LIMIT + 5; i++) expect((await call('/api/subscribers', { ip: '10.66.0.2', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    // A minute later the client may try again.
    await env.DB.prepare("UPDATE admin_sign_in_attempts SET at = at - 61000 WHERE client LIKE 'bearer:%'").run();
    expect((await call('/api/subscribers', { ip, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
  });
});

describe('the circuit breaker', () => {
  async function send(slug: string, counters: { sent: number; hardBounced?: number; complained?: number }) {
    const result = await env.DB.prepare(
      `INSERT INTO sends (slug, status, started_at, max_subscriber_id, recipients, sent, hard_bounced, complained, title, article_date, summary, markdown, subject, html, text)
       VALUES (?1, 'sending', ?2, 1000, 1000, ?3, ?4, ?5, 't', '2026-01-01', 's', 'm', 't', '', '') RETURNING id`,
    )
      .bind(slug, Date.now(), counters.sent, counters.hardBounced ?? 0, counters.complained ?? 0)
      .first<{ id: number }>();
    return result!.id;
  }
  const status = async (id: number) => (await env.DB.prepare('SELECT status FROM sends WHERE id = ?1').bind(id).first<{ status: string }>())!.status;
  const trip = (id: number) => tripBreaker(getDb(env.DB), id, 0.02, 0.001, 5, 3);

  it('does not pause for a few hostile readers: past the rate alone is not enough, the count must be reached too', async () => {
    // One complaint among 999 readers is over 0.1 %: it used to pause the send.
    const few = await send('breaker-few', { sent: 999, complained: 2, hardBounced: 4 });
    await trip(few);
    expect(await status(few)).toBe('sending');
    const many = await send('breaker-many', { sent: 999, complained: 3 });
    await trip(many);
    expect(await status(many)).toBe('paused');
    const bounces = await send('breaker-bounces', { sent: 200, hardBounced: 5 });
    await trip(bounces);
    expect(await status(bounces)).toBe('paused');
  });

  it('re-arms after a resume with a fresh baseline: the old complaints are not judged again; new ones past the limits pause it again', async () => {
    const id = await send('breaker-rearm', { sent: 500, complained: 3 });
    await trip(id);
    expect(await status(id)).toBe('paused');
    const db = getDb(env.DB);
    expect(await resumeSend(db, id, Date.now())).toBeTruthy();
    await trip(id);
    expect(await status(id)).toBe('sending');
    expect(await env.DB.prepare('SELECT breaker_armed AS armed, breaker_base_sent AS base FROM sends WHERE id = ?1').bind(id).first()).toEqual({ armed: 1, base: 500 });
    // 100 more sent, 2 more complaints: under the count. A third: paused again.
    await env.DB.prepare('UPDATE sends SET sent = 600, complained = 5 WHERE id = ?1').bind(id).run();
    await trip(id);
    expect(await status(id)).toBe('sending');
    await env.DB.prepare('UPDATE sends SET complained = 6 WHERE id = ?1').bind(id).run();
    await trip(id);
    expect(await status(id)).toBe('paused');
    expect((await env.DB.prepare('SELECT reason FROM sends WHERE id = ?1').bind(id).first<{ reason: string }>())!.reason).toMatch(/3 complaints .* among the 100 readers sent since the last resume/);
  });
});

describe('the security headers SECURITY.md lists', () => {
  it('are on pages, the API, the dashboard, errors and JSON alike', async () => {
    const operator = await signedInBrowser();
    const answers = [
      await call('/'),
      await call('/archive'),
      await call('/preferences?token=garbage'),
      await call('/api/subscribers', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
      await call('/api/subscribers'),
      await operator.get('/admin/issues'),
      await browser().get('/admin'),
      await call('/no-such-page'),
    ];
    for (const response of answers) {
      const h = (name: string) => response.headers.get(name) ?? '';
      const where = `${response.status} ${response.url}`;
      const csp = h('content-security-policy');
      for (const directive of ["default-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'", 'frame-src https://challenges.cloudflare.com']) {
        expect(csp, where).toContain(directive);
      }
      expect(csp, where).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+' https:\/\/challenges\.cloudflare\.com/);
      expect(csp, where).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(h('strict-transport-security'), where).toMatch(/max-age=\d+/);
      expect(h('cross-origin-opener-policy'), where).toBe('same-origin');
      expect(h('cross-origin-resource-policy'), where).toBe('same-origin');
      expect(h('x-frame-options'), where).toBe('DENY');
      expect(h('x-content-type-options'), where).toBe('nosniff');
      expect(h('referrer-policy'), where).toBe('strict-origin-when-cross-origin');
      const permissions = h('permissions-policy');
      for (const feature of ['camera=()', 'microphone=()', 'geolocation=()', 'payment=()', 'usb=()']) expect(permissions, where).toContain(feature);
    }
  });
});
