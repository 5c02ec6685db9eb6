// The operator's dashboard (/admin) through the real Worker, D1 and queue: the session cookie, CSRF,
// the sign-in throttle, search, the counters behind the overview, and each page's actions.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { percentDone } from '../src/admin/pages/charts';
import { IssuePage } from '../src/admin/pages/issues';
import type { DashboardStats } from '../src/admin/stats';
import { renderPage } from '../src/web/render';
import { weekBuckets, weekStartDay } from '../src/admin/overview';
import { nextDue } from '../src/issues/catalog';
import { nextSlot, type WeeklySlot } from '../src/issues/slot';
import { decodeCursor, encodeCursor, type SearchQuery, searchStatement } from '../src/admin/search';
import { getDb } from '../src/db/client';
import { makeSession, SESSION_COOKIE, SESSION_TTL_MS, sessionKey } from '../src/admin/session';
import { SIGN_IN_LIMIT } from '../src/admin/throttle';
import { WRONG_TOKEN_DELAY_MS } from '../src/admin/dashboard';
import type { Article } from '../src/issues/article';
import { allArticles } from '../src/issues/catalog';
import { ADMIN_TOKEN, callWithEnv, importCsv } from './support/admin';
import { browser, csrfOf, signedInBrowser } from './support/dashboard';
import { call, outbox, waitFor, waitForMail } from './support/helpers';

const [bundled] = allArticles();

async function sessionCookie(now = Date.now(), token = ADMIN_TOKEN): Promise<string> {
  const { cookie } = await makeSession(await sessionKey(token), now);
  return `${SESSION_COOKIE}=${cookie}`;
}

const asJson = { accept: 'application/json' };

async function counters(): Promise<Record<string, number>> {
  const { results } = await env.DB.prepare('SELECT status, n FROM subscriber_counts WHERE n <> 0').all<{ status: string; n: number }>();
  return Object.fromEntries(results.map((r) => [r.status, r.n]));
}

async function counted(): Promise<Record<string, number>> {
  const { results } = await env.DB.prepare('SELECT status, count(*) AS n FROM subscribers GROUP BY status').all<{ status: string; n: number }>();
  return Object.fromEntries(results.map((r) => [r.status, r.n]));
}

describe('the session cookie', () => {
  it('signing in through the form sets an HttpOnly, SameSite=Strict cookie (not Secure on localhost) and opens the overview', async () => {
    const b = browser();
    const form = await b.get('/admin');
    expect(form.status).toBe(200);
    const page = await form.text();
    expect(page).toContain('action="/admin/login"');
    expect(page).toContain('name="token"');
    const login = await b.post('/admin/login', { token: ADMIN_TOKEN, _csrf: csrfOf(page) });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/admin');
    const set = login.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toMatch(/Max-Age=43200/);
    expect(set).not.toMatch(/Secure/i);
    const overview = await b.get('/admin');
    expect(await overview.text()).toContain('<h1>Overview</h1>');
    expect(overview.headers.get('cache-control')).toBe('no-store');
  });

  it('outside local dev the cookie is Secure and __Host- prefixed', async () => {
    const overrides = { PUBLIC_URL: 'https://news.example.com', TOKEN_SECRET: 'a-real-random-secret-for-this-test-0123456789abcdef', EMAIL_TRANSPORT: 'outbox', POSTAL_ADDRESS: 'Example Ltd, 1 Main Street, Springfield', FROM_EMAIL: 'The Letter <letter@news.example.net.invalid>' };
    const form = await callWithEnv(overrides, 'https://news.example.com/admin');
    const nonce = form.headers.getSetCookie().find((l) => l.startsWith('__Host-admin_login='))!;
    expect(nonce).toMatch(/Secure/);
    const login = await callWithEnv(overrides, 'https://news.example.com/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: nonce.split(';')[0], origin: 'https://news.example.com' },
      body: new URLSearchParams({ token: ADMIN_TOKEN, _csrf: csrfOf(await form.text()) }).toString(),
    });
    expect(login.status).toBe(303);
    const set = login.headers.getSetCookie().find((l) => l.startsWith(`__Host-${SESSION_COOKIE}=`))!;
    expect(set).toMatch(/Secure/);
    expect(set).toMatch(/Path=\//);
    expect(set).toMatch(/HttpOnly/i);
  });

  it('a valid cookie opens every page; a forged, altered or expired one opens none', async () => {
    const good = await sessionCookie();
    expect((await call('/admin/issues', { headers: { cookie: good } })).status).toBe(200);

    const [body, signature] = [good.slice(0, good.lastIndexOf('.')), good.slice(good.lastIndexOf('.') + 1)];
    const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    const forged = [
      `${body}.${flipped}`, // another signature
      good.replace(/\.(\d+)\.(\d+)\./, (_, a, b) => `.${a}.${Number(b) + 3600}.`), // a later expiry, same signature
      await sessionCookie(Date.now(), 'not-the-admin-token-but-long-enough-0123'), // signed with another key
      `${SESSION_COOKIE}=v1.AAAAAAAAAAAAAAAAAAAAAA.1.99999999999.${'A'.repeat(43)}`,
      `${SESSION_COOKIE}=garbage`,
      await sessionCookie(Date.now() - SESSION_TTL_MS - 1000), // expired
    ];
    for (const [i, cookie] of forged.entries()) {
      const page = await call('/admin/issues', { headers: { cookie }, redirect: 'manual' });
      expect(page.status, `${i}: ${cookie}`).toBe(303);
      expect(page.headers.get('location')).toBe('/admin?next=%2Fadmin%2Fissues');
      const json = await call('/admin/issues', { headers: { cookie, ...asJson } });
      expect(json.status, cookie).toBe(401);
      const overview = await call('/admin', { headers: { cookie } });
      expect(await overview.text()).toContain('<h1>Sign in</h1>');
    }
  });

  it('expires 12 hours after sign-in, whatever the browser keeps', async () => {
    const almost = await sessionCookie(Date.now() - SESSION_TTL_MS + 60_000);
    expect((await call('/admin/issues', { headers: { cookie: almost, ...asJson } })).status).toBe(200);
    const expired = await sessionCookie(Date.now() - SESSION_TTL_MS);
    const answer = await call('/admin/issues', { headers: { cookie: expired, ...asJson } });
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/expired/);
  });

  it('stops working when ADMIN_TOKEN changes', async () => {
    const cookie = await sessionCookie();
    expect((await callWithEnv({}, '/admin/issues', { headers: { cookie, ...asJson } })).status).toBe(200);
    const rotated = await callWithEnv({ ADMIN_TOKEN: 'a-brand-new-admin-token-0123456789abcdef' }, '/admin/issues', { headers: { cookie, ...asJson } });
    expect(rotated.status).toBe(401);
  });

  it('without ADMIN_TOKEN the page says how to set one, and nobody gets in', async () => {
    const page = await callWithEnv({ ADMIN_TOKEN: undefined }, '/admin');
    const text = await page.text();
    expect(text).toContain('no admin token is set');
    expect(text).toContain('.dev.vars');
    expect(text).toContain('wrangler secret put ADMIN_TOKEN');
    expect(text).not.toContain('action="/admin/login"');
    const cookie = await sessionCookie();
    expect((await callWithEnv({ ADMIN_TOKEN: undefined }, '/admin/issues', { headers: { cookie, ...asJson } })).status).toBe(401);
    const login = await callWithEnv({ ADMIN_TOKEN: undefined }, '/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: '' }).toString(),
    });
    expect(login.status).toBe(401);
    expect(login.headers.getSetCookie().some((l) => l.startsWith(SESSION_COOKIE))).toBe(false);
  });

  it('signing out clears the cookie and leads back to the sign-in form', async () => {
    const b = await signedInBrowser();
    const out = await b.post('/admin/logout', { _csrf: b.csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/admin?done=signed-out');
    expect(b.jar.has(SESSION_COOKIE)).toBe(false);
    const page = await b.get('/admin?done=signed-out');
    const text = await page.text();
    expect(text).toContain('You are signed out.');
    expect(text).toContain('<h1>Sign in</h1>');
  });

  it('after sign-in goes back to the page asked for, and never off the dashboard', async () => {
    const b = browser();
    const asked = await b.get('/admin/subscribers');
    expect(asked.headers.get('location')).toBe('/admin?next=%2Fadmin%2Fsubscribers');
    const form = await (await b.get('/admin?next=%2Fadmin%2Fsubscribers')).text();
    expect(form).toContain('name="next" value="/admin/subscribers"');
    const login = await b.post('/admin/login', { token: ADMIN_TOKEN, _csrf: csrfOf(form), next: '/admin/subscribers' });
    expect(login.headers.get('location')).toBe('/admin/subscribers');
    for (const next of ['//evil.example', 'https://evil.example/admin', '/admin/../api', '/\\evil.example']) {
      const again = browser();
      const page = await (await again.get('/admin')).text();
      const answer = await again.post('/admin/login', { token: ADMIN_TOKEN, _csrf: csrfOf(page), next });
      expect(answer.headers.get('location'), next).toBe('/admin');
    }
  });
});

describe('CSRF', () => {
  it('every form that changes something needs this session\'s token', async () => {
    const b = await signedInBrowser();
    const other = await signedInBrowser();
    const forms: [string, Record<string, string>][] = [
      ['/admin/logout', {}],
      [`/admin/issues/${bundled.slug}/test`, { to: 'csrf@dash.example' }],
      [`/admin/issues/${bundled.slug}/send`, {}],
      [`/admin/issues/${bundled.slug}/resume`, {}],
      [`/admin/issues/${bundled.slug}/cancel`, {}],
      ['/admin/subscribers/erase', { email: 'csrf@dash.example' }],
    ];
    for (const [path, fields] of forms) {
      for (const token of [undefined, '', 'x'.repeat(43), other.csrf]) {
        const answer = await b.post(path, token === undefined ? fields : { ...fields, _csrf: token });
        expect(answer.status, `${path} with ${token}`).toBe(403);
        expect(await answer.text()).toContain('This form is out of date');
      }
    }
    const upload = new FormData();
    upload.set('file', new File(['email\ncsrf@dash.example\n'], 'list.csv', { type: 'text/csv' }));
    expect((await b.post('/admin/subscribers/import', upload)).status).toBe(403);
    // Nothing happened: still signed in, nothing sent, nothing sent now, nobody imported.
    expect((await b.get('/admin/issues')).status).toBe(200);
    expect((await outbox()).some((m) => m.to === 'csrf@dash.example')).toBe(false);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM sends').first('n')).toBe(0);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM subscribers WHERE email = 'csrf@dash.example'").first('n')).toBe(0);
  });

  it('the sign-in form needs its own token, bound to its nonce cookie', async () => {
    const b = browser();
    const page = await (await b.get('/admin')).text();
    const noCookie = await call('/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN, _csrf: csrfOf(page) }).toString(),
    });
    expect(noCookie.status).toBe(403);
    expect(noCookie.headers.getSetCookie().some((l) => l.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    const wrong = await b.post('/admin/login', { token: ADMIN_TOKEN, _csrf: 'not-the-token' });
    expect(wrong.status).toBe(403);
    expect(b.jar.has(SESSION_COOKIE)).toBe(false);
  });

  it('a form posted from another site is refused before anything runs', async () => {
    const b = await signedInBrowser();
    const answer = await b.post('/admin/logout', { _csrf: b.csrf }, { headers: { origin: 'https://evil.example' } });
    expect(answer.status).toBe(403);
    expect(b.jar.has(SESSION_COOKIE)).toBe(true);
  });
});

describe('the sign-in throttle', () => {
  it('a wrong token gets a clear message after a short delay', async () => {
    const b = browser();
    const page = await (await b.get('/admin')).text();
    const started = Date.now();
    const answer = await b.post('/admin/login', { token: 'wrong-token', _csrf: csrfOf(page) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(WRONG_TOKEN_DELAY_MS - 50);
    expect(answer.status).toBe(401);
    const text = await answer.text();
    expect(text).toContain('That is not the admin token');
    expect(text).toContain('aria-invalid="true"');
    expect(b.jar.has(SESSION_COOKIE)).toBe(false);
  });

  it(`${SIGN_IN_LIMIT} failures a minute from one client, then 429 even for the right token; other clients are not affected`, async () => {
    const b = browser('198.51.100.7');
    const csrf = csrfOf(await (await b.get('/admin')).text());
    // Parallel guesses: each takes its place before any token is checked.
    const answers = await Promise.all(Array.from({ length: SIGN_IN_LIMIT + 5 }, () => b.post('/admin/login', { token: 'guess', _csrf: csrf })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(SIGN_IN_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    const right = await b.post('/admin/login', { token: ADMIN_TOKEN, _csrf: csrf });
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).toBe('60');
    expect(await right.text()).toContain('Too many wrong tokens');
    expect(b.jar.has(SESSION_COOKIE)).toBe(false);

    expect((await signedInBrowser('198.51.100.8')).csrf).toBeTruthy();
    // A minute later the client may try again (the window slides: old rows stop counting).
    await env.DB.prepare("UPDATE admin_sign_in_attempts SET at = at - 61000 WHERE client = 'ip4:198.51.100.7'").run();
    expect((await b.post('/admin/login', { token: ADMIN_TOKEN, _csrf: csrf })).status).toBe(303);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM admin_sign_in_attempts WHERE client = 'ip4:198.51.100.7'").first('n')).toBe(0);
  });

  it('right tokens do not count', async () => {
    for (let i = 0; i < SIGN_IN_LIMIT + 2; i++) await signedInBrowser('198.51.100.9');
    expect(await env.DB.prepare("SELECT count(*) AS n FROM admin_sign_in_attempts WHERE client = 'ip4:198.51.100.9'").first('n')).toBe(0);
  });
});

describe('search', () => {
  it('finds by address prefix, case-insensitive, with a status filter, a page at a time', async () => {
    const addresses = Array.from({ length: 7 }, (_, i) => `ann.${i}@search.example`);
    await importCsv(`email\n${addresses.join('\n')}\nanm@search.example\nano@search.example\nbob@search.example\n`, 'confirmed');
    await importCsv('email,status\nann.x@search.example,unsubscribed\n');
    const b = await signedInBrowser();
    const get = async (query: string) => (await b.get(`/admin/subscribers?${query}`, { headers: asJson })).json() as Promise<{ subscribers: { email: string; status: string }[]; nextCursor: string | null }>;

    const all = await get('q=ANN');
    expect(all.subscribers.map((s) => s.email)).toEqual([...addresses, 'ann.x@search.example'].sort());
    expect((await get('q=ann.x')).subscribers.map((s) => s.email)).toEqual(['ann.x@search.example']);
    expect((await get('q=ann&status=unsubscribed')).subscribers.map((s) => s.email)).toEqual(['ann.x@search.example']);
    expect((await get('q=ann&status=confirmed')).subscribers).toHaveLength(7);
    expect((await get('q=zzz')).subscribers).toEqual([]);
    expect((await get('q=%25')).subscribers).toEqual([]); // no LIKE wildcards
  });

  it('pages through everyone without repeats or gaps, by address or newest first', async () => {
    const emails = Array.from({ length: 120 }, (_, i) => `page-${String(i).padStart(3, '0')}@paging.example`);
    await importCsv(`email\n${emails.join('\n')}\n`, 'confirmed');
    const b = await signedInBrowser();
    for (const base of ['q=page-', 'status=confirmed']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const answer = (await (await b.get(`/admin/subscribers?${base}${cursor ? `&cursor=${cursor}` : ''}`, { headers: asJson })).json()) as { subscribers: { email: string }[]; nextCursor: string | null };
        seen.push(...answer.subscribers.map((s) => s.email));
        cursor = answer.nextCursor;
      } while (cursor);
      const ours = seen.filter((e) => e.endsWith('@paging.example'));
      expect(new Set(ours).size).toBe(ours.length);
      expect(ours.length).toBe(120);
      if (base.startsWith('q=')) expect(ours).toEqual(emails);
      else expect(ours).toEqual([...emails].reverse());
    }
    // The HTML page links to the next page.
    expect(await (await b.get('/admin/subscribers?q=page-')).text()).toContain('Next page →');
  });

  it('refuses a made-up cursor, a cursor of the other order, and an unknown status with a 400', async () => {
    const b = await signedInBrowser();
    const idCursor = encodeCursor({ by: 'id', id: 5 });
    for (const query of ['cursor=abc', 'cursor=' + 'A'.repeat(500), `q=a&cursor=${idCursor}`, `cursor=${encodeCursor({ by: 'email', email: 'a@b.example' })}`, 'status=sleeping', `q=${'a'.repeat(300)}`]) {
      const json = await b.get(`/admin/subscribers?${query}`, { headers: asJson });
      expect(json.status, query).toBe(400);
      const page = await b.get(`/admin/subscribers?${query}`);
      expect(page.status, query).toBe(400);
      expect(await page.text()).toContain('role="alert"');
    }
    expect(decodeCursor(idCursor)).toEqual({ by: 'id', id: 5 });
    expect(decodeCursor(idCursor + 'A')).toBeNull();
  });

  it('every search reads its page through an index, with no sort of its own', async () => {
    const db = getDb(env.DB);
    const cases: [SearchQuery, RegExp][] = [
      [{ q: 'ann', status: null, cursor: null }, /USING INDEX subscribers_email_unique \(email>\? AND email<\?\)/],
      [{ q: 'ann', status: 'confirmed', cursor: null }, /USING INDEX subscribers_email_unique \(email>\? AND email<\?\)/],
      [{ q: 'ann', status: 'confirmed', cursor: { by: 'email', email: 'ann@x.example' } }, /USING INDEX subscribers_email_unique \(email>\? AND email<\?\)/],
      [{ q: '', status: 'pending', cursor: { by: 'id', id: 50 } }, /USING (COVERING )?INDEX subscribers_status_id \(status=\? AND id<\?\)/],
      [{ q: '', status: null, cursor: { by: 'id', id: 50 } }, /USING INTEGER PRIMARY KEY \(rowid<\?\)/],
    ];
    for (const [query, expected] of cases) {
      const statement = searchStatement(db, query).toSQL();
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
        .bind(...statement.params)
        .all<{ detail: string }>();
      const details = plan.results.map((r) => r.detail).join(' | ');
      expect(details, JSON.stringify(query)).toMatch(expected);
      expect(details, JSON.stringify(query)).not.toMatch(/TEMP B-TREE|SCAN/);
    }
  });
});

describe('the counters behind the overview', () => {
  it('match a full count after sign-ups, imports, confirmations, unsubscribes, bounces and erasures', async () => {
    await importCsv('email\nc1@count.example\nc2@count.example\nc3@count.example\n', 'confirmed');
    await importCsv('email\np1@count.example\np2@count.example\n');
    await env.DB.prepare("UPDATE subscribers SET status = 'confirmed', confirmed_at = ?1 WHERE email = 'p1@count.example'").bind(Date.now()).run();
    await env.DB.prepare("UPDATE subscribers SET status = 'unsubscribed', left_at = ?1 WHERE email = 'c1@count.example'").bind(Date.now()).run();
    await env.DB.prepare("UPDATE subscribers SET status = 'bounced', left_at = ?1 WHERE email = 'c2@count.example'").bind(Date.now()).run();
    await env.DB.prepare("UPDATE subscribers SET name = 'Only a name' WHERE email = 'c3@count.example'").run();
    const b = await signedInBrowser();
    const erase = await b.post('/admin/subscribers/erase', { email: 'c3@count.example', _csrf: b.csrf });
    expect(erase.status).toBe(303);
    expect(await counters()).toEqual(await counted());

    const overview = (await (await b.get('/admin', { headers: asJson })).json()) as { counts: Record<string, number>; weeks: { confirmed: number; left: number }[] };
    expect(overview.counts).toMatchObject(await counted());
    expect(overview.weeks).toHaveLength(12);
    const thisWeek = overview.weeks[11];
    expect(thisWeek.confirmed).toBeGreaterThanOrEqual(4); // c1, c2, c3 imported confirmed; p1 confirmed
    expect(thisWeek.left).toBeGreaterThanOrEqual(3); // c1 unsubscribed, c2 bounced, c3 erased
  });

  it('weeks start on Monday (UTC) and the chart covers the 12 weeks ending now', () => {
    const thursday = Date.parse('2026-12-03T10:00:00Z');
    expect(new Date(weekStartDay(thursday) * 86_400_000).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    const day = (iso: string) => Date.parse(iso) / 86_400_000;
    const weeks = weekBuckets(
      [
        { day: day('2026-11-30'), confirmed: 2, left: 1 },
        { day: day('2026-12-06'), confirmed: 3, left: 0 },
        { day: day('2026-09-07'), confirmed: 5, left: 5 }, // 12 weeks before the current one: the first bucket
        { day: day('2026-09-06'), confirmed: 9, left: 9 }, // before the chart
      ],
      thursday,
    );
    expect(weeks).toHaveLength(12);
    expect(new Date(weeks[0].start).toISOString()).toBe('2026-09-14T00:00:00.000Z');
    expect(weeks[11]).toMatchObject({ confirmed: 5, left: 1 });
    expect(weeks.reduce((a, w) => a + w.confirmed, 0)).toBe(5);
  });
});

describe('the next article due', () => {
  const thursdayNine: WeeklySlot = { days: [4], hour: 9, minute: 0, timeZone: 'UTC' };
  const article = (slug: string, date: string): Article => ({ slug, title: slug, date, summary: 's', markdown: 'm' });

  it('is the oldest unsent article whose date has come, sent at the next Thursday 09:00 UTC', () => {
    const now = Date.parse('2026-12-01T12:00:00Z'); // a Tuesday
    const due = nextDue([article('a', '2026-11-01'), article('b', '2026-11-20'), article('c', '2027-01-10')], new Set(['a']), now, thursdayNine);
    expect(due?.article.slug).toBe('b');
    expect(new Date(due!.sendsAt).toISOString()).toBe('2026-12-03T09:00:00.000Z');
    expect(new Date(nextSlot(thursdayNine, Date.parse('2026-12-03T09:00:00Z'))).toISOString()).toBe('2026-12-10T09:00:00.000Z');
  });

  it('a future article waits for the first firing on or after its date; none left is null', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const due = nextDue([article('a', '2026-11-01'), article('c', '2027-01-14')], new Set(['a']), now, thursdayNine);
    expect(new Date(due!.sendsAt).toISOString()).toBe('2027-01-14T09:00:00.000Z');
    expect(nextDue([article('a', '2026-11-01')], new Set(['a']), now, thursdayNine)).toBeNull();
  });
});

describe('the pages and their actions', () => {
  it('overview, issues, an issue and subscribers render for a signed-in operator; unknown slugs are 404', async () => {
    const b = await signedInBrowser();
    for (const [path, heading] of [
      ['/admin', 'Overview'],
      ['/admin/issues', 'Issues'],
      [`/admin/issues/${bundled.slug}`, bundled.title],
      ['/admin/subscribers', 'Subscribers'],
      [`/admin/issues/${bundled.slug}/send`, `Send “${bundled.title}” now?`],
    ]) {
      const page = await b.get(path);
      expect(page.status, path).toBe(200);
      const text = await page.text();
      expect(text, path).toContain(`<h1>${heading.replace(/&/g, '&amp;')}</h1>`);
      expect(text).toContain('action="/admin/logout"');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    const overview = await (await b.get('/admin')).text();
    expect(overview).toContain('data-chart="weekly"');
    expect(overview).toMatch(/<path class="chart__line chart__line--confirmed" d="M[0-9.,]+/);
    for (const path of ['/admin/issues/no-such-article', '/admin/issues/..%2Fetc', `/admin/issues/no-such-article/stats`]) {
      expect((await b.get(path)).status, path).toBe(404);
    }
    expect((await b.get('/admin/admin.css')).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('a test copy goes to the typed address only; a bad address is shown on the form and nothing is sent', async () => {
    const b = await signedInBrowser();
    const bad = await b.post(`/admin/issues/${bundled.slug}/test`, { to: 'not-an-address', _csrf: b.csrf });
    expect(bad.status).toBe(400);
    const badPage = await bad.text();
    expect(badPage).toContain('That address does not work');
    expect(badPage).toContain('value="not-an-address"');
    const sent = await b.post(`/admin/issues/${bundled.slug}/test`, { to: 'Editor@Dash.Example', _csrf: b.csrf });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toBe(`/admin/issues/${bundled.slug}?done=test&to=editor%40dash.example`);
    const [copy] = await waitForMail('editor@dash.example', bundled.title);
    expect(copy.subject).toBe(`[TEST] ${bundled.title}`);
    expect(await (await b.get(sent.headers.get('location')!)).text()).toContain('A test copy is on its way to editor@dash.example.');
    expect(await env.DB.prepare('SELECT count(*) AS n FROM sends').first('n')).toBe(0);
  });

  it('imports an uploaded CSV and shows imported, skipped and each invalid line with its reason', async () => {
    await importCsv('email\nalready@upload.example\n', 'confirmed');
    const b = await signedInBrowser();
    const form = new FormData();
    form.set('_csrf', b.csrf);
    form.set('status', 'confirmed');
    form.set('file', new File(['email,name\nnew1@upload.example,One\nalready@upload.example,\nnot-an-address,Bad\nnew2@upload.example,Two\n'], 'list.csv', { type: 'text/csv' }));
    const answer = await b.post('/admin/subscribers/import', form);
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(text).toContain('<dd data-field="imported">2</dd>');
    expect(text).toContain('<dd data-field="skipped">1</dd>');
    expect(text).toContain('<dd data-field="invalid">1</dd>');
    expect(text).toMatch(/<td class="num">4<\/td><td>[^<]*address/);
    expect(await env.DB.prepare("SELECT status FROM subscribers WHERE email = 'new1@upload.example'").first('status')).toBe('confirmed');

    for (const [file, message] of [
      [new File([''], 'empty.csv'), 'Choose a CSV file'],
      [new File(['name\nAnn\n'], 'noemail.csv'), 'Nothing was imported'],
      [new File([new Uint8Array([0xff, 0xfe, 0x65, 0x6d, 0x61, 0x69, 0x6c, 0x0a])], 'latin.csv'), 'UTF-8'],
    ] as const) {
      const bad = new FormData();
      bad.set('_csrf', b.csrf);
      bad.set('file', file);
      const refused = await b.post('/admin/subscribers/import', bad);
      expect(refused.status, file.name).toBe(400);
      expect(await refused.text()).toContain(message);
    }
  });

  it('an upload is refused before it is read when nobody is signed in', async () => {
    const form = new FormData();
    form.set('file', new File(['email\nsneaky@upload.example\n'], 'list.csv'));
    const answer = await browser().post('/admin/subscribers/import', form);
    expect(answer.status).toBe(401);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM subscribers WHERE email = 'sneaky@upload.example'").first('n')).toBe(0);
  });

  it('exports CSV for a signed-in operator only', async () => {
    await importCsv('email,name\nexport@dash.example,Ex Port\n', 'confirmed');
    const b = await signedInBrowser();
    const csv = await b.get('/admin/subscribers/export?status=confirmed');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await csv.text();
    expect(text.startsWith('email,name,status,created_at,confirmed_at\r\n')).toBe(true);
    expect(text).toContain('"export@dash.example","Ex Port","confirmed"');
    expect((await browser().get('/admin/subscribers/export')).status).toBe(303);
    expect((await b.get('/admin/subscribers/export?status=nope')).status).toBe(400);
  });

  it('erases a subscriber after a confirmation step', async () => {
    await importCsv('email\nerase-me@dash.example\n', 'confirmed');
    const b = await signedInBrowser();
    const confirm = await b.get('/admin/subscribers/erase?email=Erase-Me%40Dash.Example');
    expect(confirm.status).toBe(200);
    const text = await confirm.text();
    expect(text).toContain('Erase erase-me@dash.example?');
    expect(text).toContain('name="email" value="erase-me@dash.example"');
    expect(await env.DB.prepare("SELECT count(*) AS n FROM subscribers WHERE email = 'erase-me@dash.example'").first('n')).toBe(1);
    const erased = await b.post('/admin/subscribers/erase', { email: 'erase-me@dash.example', _csrf: b.csrf });
    expect(erased.status).toBe(303);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM subscribers WHERE email = 'erase-me@dash.example'").first('n')).toBe(0);
    expect(await (await b.get(erased.headers.get('location')!)).text()).toContain('erase-me@dash.example is erased.');
    expect((await b.get('/admin/subscribers/erase?email=nope')).status).toBe(400);
  });

  it('send now asks first, then sends; the stats route follows it to 100 %; a second send is 409', async () => {
    await importCsv(`email\n${Array.from({ length: 150 }, (_, i) => `send-${i}@dash.example`).join('\n')}\n`, 'confirmed');
    const b = await signedInBrowser();
    const issue = await (await b.get(`/admin/issues/${bundled.slug}`)).text();
    expect(issue).toContain(`href="/admin/issues/${bundled.slug}/send"`);
    const ask = await (await b.get(`/admin/issues/${bundled.slug}/send`)).text();
    expect(ask).toMatch(/every reader confirmed at this moment: <strong>\d+/);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM sends').first('n')).toBe(0);

    const started = await b.post(`/admin/issues/${bundled.slug}/send`, { _csrf: b.csrf });
    expect(started.status).toBe(303);
    const sending = await (await b.get(started.headers.get('location')!)).text();
    expect(sending).toContain('role="progressbar"');
    type Polled = { status: string; pending: number; recipients: number; sent: number; unknown: number; skipped: number; reason: null; progress: { percent: number } };
    const done = await waitFor(async () => {
      const stats = (await (await b.get(`/admin/issues/${bundled.slug}/stats`)).json()) as Polled;
      return stats.status === 'sent' ? stats : null;
    }, 'the send to finish', 30_000);
    expect(done).toMatchObject({ pending: 0, unknown: 0, skipped: 0, reason: null, progress: { percent: 100 } });
    expect(done.sent).toBe(done.recipients);
    const results = await (await b.get(`/admin/issues/${bundled.slug}`)).text();
    expect(results).toContain('Opened (overstated)');
    expect(results).toContain('aria-valuenow="100"');

    const again = await b.post(`/admin/issues/${bundled.slug}/send`, { _csrf: b.csrf });
    expect(again.status).toBe(409);
    const overview = (await (await b.get('/admin', { headers: asJson })).json()) as { lastSend: { slug: string; stats: { sent: number } } };
    expect(overview.lastSend).toMatchObject({ slug: bundled.slug, stats: { sent: done.sent } });
  });

  it('resume and cancel answer 409 while no send is paused', async () => {
    const b = await signedInBrowser();
    for (const verb of ['resume', 'cancel']) {
      const answer = await b.post(`/admin/issues/${bundled.slug}/${verb}`, { _csrf: b.csrf });
      expect(answer.status).toBe(409);
      expect(await answer.text()).toContain('not paused');
    }
  });

  it('the progress bar reports settled readers as a whole percentage', () => {
    const base = { status: 'sending' as const, reason: null, sent: 0, failed: 0, unknown: 0, skipped: 0, paused: 0, delivered: 0, bounced: 0, complained: 0, opened: 0, clicked: 0 };
    expect(percentDone({ ...base, recipients: 0, pending: 0 })).toBe(100);
    expect(percentDone({ ...base, recipients: 3, pending: 2 })).toBe(33);
    expect(percentDone({ ...base, recipients: 1000, pending: 1 })).toBe(99);
  });

  it('a halted send shows the provider\'s reason and what to fix; a paused one its reason with resume and cancel', () => {
    const stats = (status: DashboardStats['status'], reason: string): DashboardStats => ({
      status, reason, recipients: 100, sent: 40, failed: 0, unknown: 0, skipped: 0, paused: 0, suppressed: 0, pending: 60, delivered: 0, bounced: 0, complained: 0, opened: 0, clicked: 0,
    });
    const render = (s: DashboardStats) =>
      renderPage(IssuePage({ site: { name: 'N', tagline: '' }, csrf: 'tok', nonce: null, issue: { slug: 'a', title: 'A', date: '2026-11-24', bundled: true }, stats: s, cronSendsAt: null, script: '' }));
    const halted = render(stats('halted', 'The API key is invalid <script>'));
    expect(halted).toContain('The email provider refuses this send');
    expect(halted).toContain('The API key is invalid &lt;script&gt;');
    expect(halted).toContain('RESEND_API_KEY');
    expect(halted).toContain('FROM_EMAIL');
    expect(halted).toContain('aria-valuenow="40"');
    const paused = render(stats('paused', 'Bounces passed 2 %'));
    expect(paused).toContain('Bounces passed 2 %');
    expect(paused).toContain('action="/admin/issues/a/resume"');
    expect(paused).toContain('action="/admin/issues/a/cancel"');
    expect(paused).not.toContain('The email provider refuses');
  });
});
