// A battery of hostile requests against every route, through the real Worker, D1 and queue.
// Each row states the status and error code it must get, and proves that nothing changed: the
// subscribers table row for row, and the counts of every other table (outbox, sends, deliveries,
// suppressions, webhook events) are the same after the request as before.
// Then: floods (rate limit, one confirmation per 15 minutes), Turnstile against a fake siteverify,
// security headers, escaping of names in pages and emails, and SQL metacharacters stored as data.
import { getDb } from '../src/db/client';
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../src/app';
import { getConfig } from '../src/config';
import { CONFIRMATION_INTERVAL_MS, signUp } from '../src/subscribers/lifecycle';
import { signConfirmToken, signEmailChangeToken, signPreferencesToken, signUnsubscribeToken } from '../src/subscribers/tokens';
import { allArticles } from '../src/issues/catalog';
import { admin, postWebhook, resendEvent, signedWebhookRequest } from './support/admin';
import { BASE, call, linkIn, mailsTo, outbox, postForm, postJson, subscriberStatus, waitFor, waitForMail } from './support/helpers';

declare global {
  namespace Cloudflare {
    interface Env {
      /** tests/support/node/fake-turnstile.ts, started by the global setup. */
      FAKE_TURNSTILE_URL: string;
    }
  }
}

const DAY = 24 * 60 * 60 * 1000;
const KB = 1024;
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };
const FORM = 'application/x-www-form-urlencoded';
const EVIL = 'https://evil.example';
const SQL_OR = "' OR 1=1 --";
const SQL_DROP = '"; DROP TABLE subscribers; --';
const SCRIPT = '<script>alert(1)</script>';

// ---------------------------------------------------------------------------------------------
// State: what must not change

type Snapshot = Record<string, string | number>;

async function snapshot(): Promise<Snapshot> {
  const count = (table: string) => env.DB.prepare(`SELECT count(*) AS n FROM ${table}`);
  const [subscribers, ...counts] = await env.DB.batch<{ n: number | string }>([
    env.DB.prepare(
      `SELECT coalesce(group_concat(row, char(10)), '') AS n FROM (
         SELECT id || '|' || email || '|' || coalesce(name, '') || '|' || coalesce(pending_name, '') || '|' || status || '|' || coalesce(paused_until, '') || '|' || coalesce(pending_email, '') || '|' || coalesce(email_change_sent_at, '') || '|' || coalesce(confirmed_at, '') || '|' ||
                coalesce(left_at, '') || '|' || coalesce(confirmation_sent_at, '') AS row FROM subscribers ORDER BY id)`,
    ),
    count('outbox'),
    count('sends'),
    count('deliveries'),
    count('suppressions'),
    // A send's counters move with every event a webhook records.
    env.DB.prepare(`SELECT coalesce(sum(sent + failed + unknown + delivered + bounced + complained + opened + clicked), 0) AS n FROM sends`),
  ]);
  const [outboxRows, sends, deliveries, suppressions, counters] = counts.map((r) => Number(r.results[0].n));
  return { subscribers: String(subscribers.results[0].n), outbox: outboxRows, sends, deliveries, suppressions, counters };
}

/** The security headers every answer carries, whatever its status or type. */
function expectSecurityHeaders(response: Response, label: string) {
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp, `${label}: CSP`).toContain("frame-ancestors 'none'");
  expect(csp, `${label}: CSP`).toContain("default-src 'self'");
  expect(csp, `${label}: CSP`).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+' https:\/\/challenges\.cloudflare\.com(;|$)/);
  expect(csp, `${label}: CSP`).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(response.headers.get('x-content-type-options'), `${label}: nosniff`).toBe('nosniff');
  expect(response.headers.get('x-frame-options'), `${label}: X-Frame-Options`).toBe('DENY');
  expect(response.headers.get('referrer-policy'), `${label}: Referrer-Policy`).toBe('strict-origin-when-cross-origin');
  expect(response.headers.get('access-control-allow-origin'), `${label}: no CORS`).toBeNull();
}

// ---------------------------------------------------------------------------------------------
// Fixtures, made straight in D1 so that no queue message is in flight while the battery runs

const fixture = {
  pendingId: 0,
  confirmedId: 0,
  confirmToken: '',
  expiredConfirmToken: '',
  unsubscribeToken: '',
  orphanConfirmToken: '',
  orphanUnsubscribeToken: '',
  /** Suppressed: a bounce without a left_at (as an import stores it) and a complaint, both mailed long ago. */
  bouncedConfirmToken: '',
  preferencesToken: '',
};

beforeAll(async () => {
  const now = Date.now();
  const secret = getConfig(env).tokenSecret;
  const insert = (email: string, status: string) =>
    env.DB.prepare(`INSERT INTO subscribers (email, name, status, created_at, confirmed_at, confirmation_sent_at) VALUES (?1, 'Fixture', ?2, ?3, ?4, ?3) RETURNING id`)
      .bind(email, status, now, status === 'confirmed' ? now : null)
      .first<{ id: number }>();
  fixture.pendingId = (await insert('pending@hostile.example', 'pending'))!.id;
  fixture.confirmedId = (await insert('confirmed@hostile.example', 'confirmed'))!.id;
  fixture.confirmToken = await signConfirmToken(secret, fixture.pendingId, now);
  fixture.expiredConfirmToken = await signConfirmToken(secret, fixture.pendingId, now - 8 * DAY);
  fixture.unsubscribeToken = await signUnsubscribeToken(secret, fixture.confirmedId);
  fixture.orphanConfirmToken = await signConfirmToken(secret, 987654321, now);
  fixture.orphanUnsubscribeToken = await signUnsubscribeToken(secret, 987654321);
  fixture.preferencesToken = await signPreferencesToken(secret, fixture.confirmedId);
  const suppressed = (email: string, status: string, leftAt: number | null) =>
    env.DB.prepare(`INSERT INTO subscribers (email, name, status, created_at, left_at, confirmation_sent_at) VALUES (?1, 'Fixture', ?2, ?3, ?4, ?3) RETURNING id`)
      .bind(email, status, now - 30 * DAY, leftAt)
      .first<{ id: number }>();
  const bouncedId = (await suppressed('bounced@hostile.example', 'bounced', null))!.id;
  await suppressed('complained@hostile.example', 'complained', now - DAY);
  fixture.bouncedConfirmToken = await signConfirmToken(secret, bouncedId, now);
  await env.DB.prepare(
    `INSERT INTO sends (slug, status, started_at, max_subscriber_id, title, article_date, summary, markdown, subject, html, text)
     VALUES ('hostile-issue', 'sent', ?1, 0, 'Fish & <Chips>', '2026-01-05', 'A summary.', 'Body **text**.', 'Fish & <Chips>', '', '')`,
  )
    .bind(now)
    .run();
});

// ---------------------------------------------------------------------------------------------
// The battery

type Expect = {
  status: number;
  /** The contract error code, for error answers (checked in JSON, or by the page's text in HTML). */
  code?: string;
  /** What the message (JSON) or the page (HTML) must say. */
  says?: RegExp;
  /** The answer is an HTML page (else JSON, or another type given by `type`). */
  html?: boolean;
  type?: RegExp;
  /** Text the raw body must never contain (reflected markup). */
  never?: string[];
  /** Extra checks on the response. */
  check?: (response: Response, body: string) => void;
};

type Row = [label: string, request: () => Promise<Response>, expected: Expect];

const post = (path: string, body: BodyInit | null, headers: Record<string, string> = {}) => call(path, { method: 'POST', body, headers });
const json = (path: string, value: unknown, headers: Record<string, string> = {}) => post(path, JSON.stringify(value), { ...JSON_HEADERS, ...headers });
const form = (path: string, fields: Record<string, string> | string, headers: Record<string, string> = {}) =>
  post(path, typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(), { 'content-type': FORM, ...headers });
const get = (path: string, headers: Record<string, string> = { accept: 'application/json' }) => call(path, { headers });
const method = (verb: string, path: string, headers: Record<string, string> = { accept: 'application/json' }) => call(path, { method: verb, headers });
/** A raw URL, so the client does not tidy the path before the Worker sees it. */
const raw = (path: string, init: RequestInit = {}) => call(`${BASE}${path}`, init);
/** A body with no Content-Length: streamed in chunks, as `Transfer-Encoding: chunked` arrives. */
const chunked = (bytes: number, chunk = 4 * KB) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let sent = 0; sent < bytes; sent += chunk) controller.enqueue(new TextEncoder().encode('x'.repeat(Math.min(chunk, bytes - sent))));
      controller.close();
    },
  });
const multipart = (boundary: string, parts: string) => `--${boundary}\r\n${parts}\r\n--${boundary}--\r\n`;

const invalidEmail = (label: string, email: unknown): Row => [`subscribe: ${label}`, () => json('/subscribe', { email, name: 'Hostile' }), { status: 400, code: 'invalid_email' }];
const invalidName = (label: string, name: unknown): Row => [`subscribe: name ${label}`, () => json('/subscribe', { email: 'valid-but-named@hostile.example', name }), { status: 400, code: 'invalid_name' }];
const badToken = (label: string, request: () => Promise<Response>, says?: RegExp): Row => [label, request, { status: 400, code: 'invalid_token', says }];
const notAllowed = (verb: string, path: string, allow: string): Row => [
  `${verb} ${path}`,
  () => method(verb, path),
  { status: 405, code: 'method_not_allowed', check: (r) => expect(r.headers.get('allow')).toBe(allow) },
];
const notFound = (label: string, request: () => Promise<Response>, extra: Partial<Expect> = {}): Row => [label, request, { status: 404, code: 'not_found', ...extra }];

const rows: Row[] = [
  // --- POST /subscribe: the body as a whole --------------------------------------------------
  ['subscribe: broken JSON', () => post('/subscribe', '{"email":', JSON_HEADERS), { status: 400, code: 'invalid_json', says: /not valid JSON/ }],
  ['subscribe: JSON array', () => post('/subscribe', '["a@example.com"]', JSON_HEADERS), { status: 400, code: 'invalid_json', says: /must be an object/ }],
  ['subscribe: JSON null', () => post('/subscribe', 'null', JSON_HEADERS), { status: 400, code: 'invalid_json' }],
  ['subscribe: JSON string', () => post('/subscribe', '"a@example.com"', JSON_HEADERS), { status: 400, code: 'invalid_json' }],
  ['subscribe: empty JSON body', () => post('/subscribe', '', JSON_HEADERS), { status: 400, code: 'invalid_json' }],
  ['subscribe: JSON nested 20,000 deep', () => post('/subscribe', '['.repeat(20_000) + ']'.repeat(20_000), JSON_HEADERS), { status: 400, code: 'invalid_json' }],
  ['subscribe: __proto__ smuggling', () => post('/subscribe', '{"__proto__":{"email":"proto@hostile.example"}}', JSON_HEADERS), { status: 400, code: 'invalid_email' }],
  ['subscribe: text/xml', () => post('/subscribe', '<email>x@hostile.example</email>', { 'content-type': 'text/xml', accept: 'application/json' }), { status: 415, code: 'unsupported_media_type', says: /application\/json/ }],
  ['subscribe: no content type', () => post('/subscribe', new TextEncoder().encode('email=x@hostile.example'), { accept: 'application/json' }), { status: 415, code: 'unsupported_media_type' }],
  ['subscribe: text/plain without Origin', () => post('/subscribe', '{"email":"x@hostile.example"}', { 'content-type': 'text/plain', accept: 'application/json' }), { status: 415, code: 'unsupported_media_type' }],
  ['subscribe: 70 KB JSON with Content-Length', () => post('/subscribe', JSON.stringify({ email: 'big@hostile.example', name: 'x'.repeat(70 * KB) }), JSON_HEADERS), { status: 413, code: 'payload_too_large', says: /64 KB/ }],
  ['subscribe: 70 KB chunked, no Content-Length', () => call('/subscribe', { method: 'POST', body: chunked(70 * KB), headers: JSON_HEADERS, duplex: 'half' } as RequestInit), { status: 413, code: 'payload_too_large' }],
  ['subscribe: 1 MB chunked form (HTML)', () => call('/subscribe', { method: 'POST', body: chunked(1024 * KB, 64 * KB), headers: { 'content-type': FORM }, duplex: 'half' } as RequestInit), { status: 413, html: true, says: /larger than 64 KB/ }],
  ['subscribe: just under 64 KB is read (and refused for its content)', () => post('/subscribe', JSON.stringify({ email: 'not-an-email', pad: 'x'.repeat(63 * KB) }), JSON_HEADERS), { status: 400, code: 'invalid_email' }],
  ['subscribe: multipart without boundary', () => post('/subscribe', 'garbage', { 'content-type': 'multipart/form-data', accept: 'application/json' }), { status: 400, code: 'invalid_form' }],
  [
    'subscribe: multipart with a file as the email',
    () => post('/subscribe', multipart('xx', 'Content-Disposition: form-data; name="email"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfile@hostile.example'), { 'content-type': 'multipart/form-data; boundary=xx', accept: 'application/json' }),
    { status: 400, code: 'invalid_email', says: /must be a string/ },
  ],
  ['subscribe: form with broken percent-encoding', () => form('/subscribe', 'email=%E0%A4%A&name=%', { accept: 'application/json' }), { status: 400, code: 'invalid_email' }],
  ['subscribe: form with email[]', () => form('/subscribe', 'email[]=array@hostile.example', { accept: 'application/json' }), { status: 400, code: 'invalid_email' }],

  // --- POST /subscribe: the email -----------------------------------------------------------
  invalidEmail('missing', undefined),
  invalidEmail('empty', ''),
  invalidEmail('blank', '   \t '),
  invalidEmail('a number', 42),
  invalidEmail('an object', { address: 'obj@hostile.example' }),
  invalidEmail('an array', ['arr@hostile.example']),
  invalidEmail('true', true),
  invalidEmail('255 characters', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`),
  invalidEmail('local part of 65', `${'a'.repeat(65)}@hostile.example`),
  invalidEmail('no at sign', 'hostile.example'),
  invalidEmail('two at signs', 'a@b@hostile.example'),
  invalidEmail('no dot in the domain', 'root@localhost'),
  invalidEmail('an IP literal', 'root@[127.0.0.1]'),
  invalidEmail('a bare IP', 'root@127.0.0.1'),
  invalidEmail('a domain starting with a hyphen', 'a@-hostile.example'),
  invalidEmail('a trailing dot', 'a@hostile.example.'),
  invalidEmail('CRLF header injection', 'victim@hostile.example\r\nBcc: everyone@hostile.example'),
  invalidEmail('a NUL byte', 'nul\u0000@hostile.example'),
  invalidEmail('<script>', `${SCRIPT}@hostile.example`),
  invalidEmail(`SQL "${SQL_OR}"`, `${SQL_OR}@hostile.example`),
  invalidEmail(`SQL '${SQL_DROP}'`, `${SQL_DROP}@hostile.example`),
  invalidEmail('a quoted local part', '"john doe"@hostile.example'),
  invalidEmail('a path in the domain', 'a@hostile.example/../../etc'),
  invalidEmail('a 60 KB string', 'a'.repeat(60 * KB)),

  // --- POST /subscribe: the name ------------------------------------------------------------
  invalidName('of 201 characters', 'n'.repeat(201)),
  invalidName('with CRLF', 'Ann\r\nBcc: everyone@hostile.example'),
  invalidName('with a bare LF', 'Ann\nReader'),
  invalidName('with a NUL', 'Ann\u0000'),
  invalidName('with a tab', 'Ann\tReader'),
  invalidName('with a bidi override', 'Ann \u202Eredaer'),
  invalidName('with a lone surrogate', 'Ann \ud800'),
  invalidName('as a number', 7),
  invalidName('as an array', ['Ann']),
  [
    'subscribe form: CRLF name shows the form again, escaped',
    () => form('/subscribe', { email: 'crlf-form@hostile.example', name: `Ann\r\n${SCRIPT}`, website: '' }),
    { status: 400, html: true, says: /one line/, never: [SCRIPT], check: (_r, body) => expect(body).toContain('value="crlf-form@hostile.example"') },
  ],
  [
    'subscribe form: <script> email shows the form again, escaped',
    () => form('/subscribe', { email: `"><svg onload=alert(1)>${SCRIPT}`, website: '' }),
    { status: 400, html: true, says: /role="alert"/, never: [SCRIPT, '<svg onload'] },
  ],

  // --- POST /subscribe: bots ----------------------------------------------------------------
  ['subscribe: honeypot filled (form)', () => form('/subscribe', { email: 'honeypot-form@hostile.example', website: 'http://spam.example' }), { status: 202, html: true, says: /check your inbox/i }],
  ['subscribe: honeypot filled (JSON)', () => json('/subscribe', { email: 'honeypot-json@hostile.example', website: 'spam' }), { status: 202, check: (_r, body) => expect(JSON.parse(body)).toEqual({ status: 'pending' }) }],
  ['subscribe: honeypot as a number', () => json('/subscribe', { email: 'honeypot-number@hostile.example', website: 1 }), { status: 202 }],
  ['subscribe: honeypot as an object', () => json('/subscribe', { email: 'honeypot-object@hostile.example', website: {} }), { status: 202 }],

  // --- POST /subscribe: suppressed addresses get no mail of any kind, and the same answer ------
  ['subscribe: a bounced address (JSON): 202 pending, no mail, nothing stored', () => json('/subscribe', { email: 'bounced@hostile.example', name: 'Let me back' }), { status: 202, check: (_r, body) => expect(JSON.parse(body)).toEqual({ status: 'pending' }) }],
  ['subscribe: a complained address (form, other spelling): the same page, no mail', () => form('/subscribe', { email: ' Complained@HOSTILE.example ', name: 'URGENT restore your account at https://evil.example', website: '' }), { status: 202, html: true, says: /check your inbox/i }],

  // --- POST /subscribe: from another site ---------------------------------------------------
  ['subscribe: form with a foreign Origin', () => form('/subscribe', { email: 'csrf@hostile.example' }, { origin: EVIL }), { status: 403, html: true, says: /posted from another site/ }],
  ['subscribe: form with a foreign Origin (JSON answer)', () => form('/subscribe', { email: 'csrf@hostile.example' }, { origin: EVIL, accept: 'application/json' }), { status: 403, code: 'cross_site_request' }],
  ['subscribe: form with Origin null', () => form('/subscribe', { email: 'csrf@hostile.example' }, { origin: 'null', accept: 'application/json' }), { status: 403, code: 'cross_site_request' }],
  ['subscribe: Sec-Fetch-Site cross-site, no Origin', () => form('/subscribe', { email: 'csrf@hostile.example' }, { 'sec-fetch-site': 'cross-site', accept: 'application/json' }), { status: 403, code: 'cross_site_request' }],
  ['subscribe: a sibling origin (same-site)', () => form('/subscribe', { email: 'csrf@hostile.example' }, { origin: 'http://evil.localhost:8787', 'sec-fetch-site': 'same-site', accept: 'application/json' }), { status: 403, code: 'cross_site_request' }],
  ['subscribe: same host, other scheme', () => form('/subscribe', { email: 'csrf@hostile.example' }, { origin: 'https://localhost:8787', accept: 'application/json' }), { status: 403, code: 'cross_site_request' }],
  ['subscribe: JSON smuggled as text/plain cross-site', () => post('/subscribe', '{"email":"csrf@hostile.example"}', { 'content-type': 'text/plain', origin: EVIL, accept: 'application/json' }), { status: 403, code: 'cross_site_request' }],
  ['subscribe: multipart cross-site', () => post('/subscribe', multipart('b', 'Content-Disposition: form-data; name="email"\r\n\r\ncsrf@hostile.example'), { 'content-type': 'multipart/form-data; boundary=b', origin: EVIL, accept: 'application/json' }), { status: 403, code: 'cross_site_request' }],
  // Only SIGNUP_ORIGINS get a preflight answer (none here); tests/embed.test.ts covers the allowed ones.
  ['subscribe: CORS preflight from another site', () => call('/subscribe', { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST', accept: 'application/json' } }), { status: 403, code: 'cross_site_request' }],

  // --- /subscribe: other methods ------------------------------------------------------------
  notAllowed('GET', '/subscribe', 'POST'),
  notAllowed('HEAD', '/subscribe', 'POST'),
  notAllowed('PUT', '/subscribe', 'POST'),
  notAllowed('DELETE', '/subscribe', 'POST'),
  notAllowed('PATCH', '/subscribe', 'POST'),

  // --- /confirm -----------------------------------------------------------------------------
  badToken('GET /confirm without a token', () => get('/confirm'), /incomplete or broken/),
  badToken('GET /confirm?token=garbage', () => get('/confirm?token=garbage')),
  badToken('GET /confirm with broken percent-encoding', () => raw('/confirm?token=%E0%A4%A', { headers: { accept: 'application/json' } })),
  badToken('GET /confirm with a 10 KB token', () => get(`/confirm?token=${'c.1.2.'.repeat(2000)}`)),
  badToken(`GET /confirm with SQL in the token`, () => get(`/confirm?token=${encodeURIComponent(SQL_OR)}`)),
  badToken('GET /confirm with an unsubscribe token', () => get(`/confirm?token=${fixture.unsubscribeToken}`), /not meant for this page/),
  badToken('GET /confirm with an id past 2^53', () => get(`/confirm?token=c.99999999999999999999.1.${'A'.repeat(43)}`)),
  badToken('POST /confirm with a changed signature', () => call(`/confirm?token=${flipLast(fixture.confirmToken)}`, { method: 'POST', headers: { accept: 'application/json' } })),
  badToken('POST /confirm with a non-canonical signature', () => call(`/confirm?token=${bumpSpareBits(fixture.confirmToken)}`, { method: 'POST', headers: { accept: 'application/json' } })),
  badToken('POST /confirm with another id', () => call(`/confirm?token=${fixture.confirmToken.replace(/^c\.\d+/, `c.${fixture.confirmedId}`)}`, { method: 'POST', headers: { accept: 'application/json' } })),
  badToken('POST /confirm with an expired token', () => call(`/confirm?token=${fixture.expiredConfirmToken}`, { method: 'POST', headers: { accept: 'application/json' } }), /expired/),
  badToken('POST /confirm for a subscriber that does not exist', () => call(`/confirm?token=${fixture.orphanConfirmToken}`, { method: 'POST', headers: { accept: 'application/json' } }), /no longer exists/),
  badToken('POST /confirm for a bounced address, even with a fresh link', () => call(`/confirm?token=${fixture.bouncedConfirmToken}`, { method: 'POST', headers: { accept: 'application/json' } }), /bounced, or was reported as spam/),
  ['GET /confirm with a valid link: a button, no script, nothing confirmed', () => get(`/confirm?token=${fixture.confirmToken}`, {}), { status: 200, html: true, says: /Confirm my subscription/, never: ['<script', 'http-equiv'] }],
  ['GET /confirm with a valid link (JSON): says to POST, confirms nothing', () => get(`/confirm?token=${fixture.confirmToken}`), { status: 200, check: (_r, body) => expect(JSON.parse(body)).toMatchObject({ status: 'confirmation_required', method: 'POST' }) }],
  badToken('POST /confirm with two garbage tokens', () => call('/confirm?token=c.1.2.3&token=u.1.2', { method: 'POST', headers: { accept: 'application/json' } })),
  badToken('POST /confirm with broken JSON and a bad token', () => post('/confirm?token=x', '{', JSON_HEADERS)),
  ['POST /confirm cross-site, even with a valid token', () => form(`/confirm?token=${fixture.confirmToken}`, '', { origin: EVIL, accept: 'application/json' }), { status: 403, code: 'cross_site_request' }],
  ['POST /confirm with 70 KB', () => post(`/confirm?token=${fixture.confirmToken}`, 'x'.repeat(70 * KB), JSON_HEADERS), { status: 413, code: 'payload_too_large' }],
  notAllowed('PUT', '/confirm', 'GET, HEAD, POST'),
  notAllowed('DELETE', '/confirm', 'GET, HEAD, POST'),
  notAllowed('OPTIONS', '/confirm', 'GET, HEAD, POST'),

  // --- /unsubscribe -------------------------------------------------------------------------
  badToken('GET /unsubscribe?token=garbage', () => get('/unsubscribe?token=garbage')),
  badToken('GET /unsubscribe with %ZZ', () => raw('/unsubscribe?token=%ZZ', { headers: { accept: 'application/json' } })),
  badToken('POST /unsubscribe without a token (one-click body)', () => form('/unsubscribe', 'List-Unsubscribe=One-Click', { accept: 'application/json' })),
  badToken('POST /unsubscribe with a confirm token', () => call(`/unsubscribe?token=${fixture.confirmToken}`, { method: 'POST', headers: { accept: 'application/json' } }), /not meant for this page/),
  badToken('POST /unsubscribe relabelled from a confirm token', () => call(`/unsubscribe?token=u.${fixture.pendingId}.${fixture.confirmToken.split('.')[3]}`, { method: 'POST', headers: { accept: 'application/json' } })),
  badToken('POST /unsubscribe with a changed signature', () => form(`/unsubscribe?token=${flipLast(fixture.unsubscribeToken)}`, 'List-Unsubscribe=One-Click', { accept: 'application/json' })),
  badToken('POST /unsubscribe with SQL in the token', () => call(`/unsubscribe?token=${encodeURIComponent(SQL_DROP)}`, { method: 'POST', headers: { accept: 'application/json' } })),
  [
    'POST /unsubscribe, valid signature, nobody with that id: 200, nothing changes',
    () => form(`/unsubscribe?token=${fixture.orphanUnsubscribeToken}`, 'List-Unsubscribe=One-Click', { accept: 'application/json' }),
    { status: 200, check: (_r, body) => expect(JSON.parse(body)).toEqual({ status: 'unsubscribed' }) },
  ],
  ['POST /unsubscribe with a 70 KB body', () => form(`/unsubscribe?token=${fixture.unsubscribeToken}`, `List-Unsubscribe=One-Click&pad=${'x'.repeat(70 * KB)}`, { accept: 'application/json' }), { status: 413, code: 'payload_too_large' }],
  notAllowed('PUT', '/unsubscribe', 'GET, HEAD, POST'),
  notAllowed('DELETE', '/unsubscribe', 'GET, HEAD, POST'),

  // --- /preferences ---------------------------------------------------------------------------
  badToken('GET /preferences without a token', () => get('/preferences'), /incomplete or broken/),
  badToken('GET /preferences?token=garbage', () => get('/preferences?token=garbage')),
  badToken('GET /preferences with an unsubscribe token', () => get(`/preferences?token=${fixture.unsubscribeToken}`), /not meant for this page/),
  badToken('GET /preferences relabelled from an unsubscribe token', () => get(`/preferences?token=p.${fixture.confirmedId}.${fixture.unsubscribeToken.split('.')[2]}`)),
  badToken('POST /preferences with a changed signature', () => json(`/preferences?token=${flipLast(fixture.preferencesToken)}`, { action: 'unsubscribe' })),
  badToken('POST /preferences erase with another id', () => json(`/preferences?token=${fixture.preferencesToken.replace(/^p\.\d+/, `p.${fixture.pendingId}`)}`, { action: 'erase', confirm: 'yes' })),
  badToken('POST /preferences with a confirm token', () => json(`/preferences?token=${fixture.confirmToken}`, { action: 'unsubscribe' }), /not meant for this page/),
  ['GET /preferences with a valid link: the page, no script', () => get(`/preferences?token=${fixture.preferencesToken}`, {}), { status: 200, html: true, says: /confirmed@hostile\.example/, never: ['<script'] }],
  ['POST /preferences cross-site, even with a valid token', () => form(`/preferences?token=${fixture.preferencesToken}`, { action: 'unsubscribe' }, { origin: EVIL, accept: 'application/json' }), { status: 403, code: 'cross_site_request' }],
  ['POST /preferences cross-site by Sec-Fetch-Site (HTML)', () => form(`/preferences?token=${fixture.preferencesToken}`, { action: 'erase', confirm: 'yes' }, { 'sec-fetch-site': 'cross-site' }), { status: 403, html: true, says: /posted from another site/ }],
  ['POST /preferences pause for 3 weeks', () => json(`/preferences?token=${fixture.preferencesToken}`, { action: 'pause', weeks: 3 }), { status: 400, code: 'invalid_weeks', says: /2, 4 or 8/ }],
  ['POST /preferences pause with SQL as weeks', () => json(`/preferences?token=${fixture.preferencesToken}`, { action: 'pause', weeks: `2; ${SQL_DROP}` }), { status: 400, code: 'invalid_weeks' }],
  ['POST /preferences pause for 1e9 weeks (form)', () => form(`/preferences?token=${fixture.preferencesToken}`, { action: 'pause', weeks: '1000000000' }), { status: 400, html: true, says: /2, 4 or 8/ }],
  ['POST /preferences an unknown action', () => json(`/preferences?token=${fixture.preferencesToken}`, { action: 'delete_everyone' }), { status: 400, code: 'invalid_action' }],
  ['POST /preferences change_email to a CRLF address', () => json(`/preferences?token=${fixture.preferencesToken}`, { action: 'change_email', email: 'a@hostile.example\r\nBcc: all@hostile.example' }), { status: 400, code: 'invalid_email' }],
  ['POST /preferences change_email to <script> (HTML, escaped)', () => form(`/preferences?token=${fixture.preferencesToken}`, { action: 'change_email', email: `${SCRIPT}@hostile.example` }), { status: 400, html: true, says: /role="alert"/, never: [SCRIPT] }],
  ['POST /preferences change_email to its own address', () => json(`/preferences?token=${fixture.preferencesToken}`, { action: 'change_email', email: 'CONFIRMED@hostile.example' }), { status: 400, code: 'same_email' }],
  ['POST /preferences erase without the confirmation: asks, erases nothing', () => json(`/preferences?token=${fixture.preferencesToken}`, { action: 'erase' }), { status: 200, check: (_r, body) => expect(JSON.parse(body)).toMatchObject({ status: 'confirmation_required' }) }],
  ['POST /preferences erase without the confirmation (HTML): the confirmation step', () => form(`/preferences?token=${fixture.preferencesToken}`, { action: 'erase' }), { status: 200, html: true, says: /Erase your data\?/ }],
  ['POST /preferences export changes nothing', () => json(`/preferences?token=${fixture.preferencesToken}`, { action: 'export' }), { status: 200, check: (_r, body) => expect(JSON.parse(body).subscriber.email).toBe('confirmed@hostile.example') }],
  ['POST /preferences with 70 KB', () => json(`/preferences?token=${fixture.preferencesToken}`, { action: 'pause', pad: 'x'.repeat(70 * KB) }), { status: 413, code: 'payload_too_large' }],
  ['POST /preferences as text/plain', () => post(`/preferences?token=${fixture.preferencesToken}`, 'action=unsubscribe', { 'content-type': 'text/plain', accept: 'application/json' }), { status: 415, code: 'unsupported_media_type' }],
  notAllowed('PUT', '/preferences', 'GET, HEAD, POST'),
  notAllowed('DELETE', '/preferences', 'GET, HEAD, POST'),
  badToken('GET /preferences/confirm-email?token=garbage', () => get('/preferences/confirm-email?token=garbage')),
  badToken('POST /preferences/confirm-email with a preferences token', () => call(`/preferences/confirm-email?token=${fixture.preferencesToken}`, { method: 'POST', headers: { accept: 'application/json' } }), /not meant for this page/),
  badToken('POST /preferences/confirm-email with nothing asked for', async () => call(`/preferences/confirm-email?token=${await signEmailChangeToken(getConfig(env).tokenSecret, fixture.confirmedId, Date.now())}`, { method: 'POST', headers: { accept: 'application/json' } }), /used already/),

  // --- /archive and /archive/:slug ----------------------------------------------------------
  notFound('GET /archive/%00', () => raw('/archive/%00', { headers: { accept: 'application/json' } })),
  notFound('GET /archive/..%2F..%2Fetc%2Fpasswd', () => raw('/archive/..%2F..%2Fetc%2Fpasswd', { headers: { accept: 'application/json' } })),
  notFound('GET /archive/%2e%2e/wrangler.toml', () => raw('/archive/%2e%2e/wrangler.toml', { headers: { accept: 'application/json' } })),
  notFound('GET /archive/%E0%A4%A', () => raw('/archive/%E0%A4%A', { headers: { accept: 'application/json' } })),
  notFound(`GET /archive/ with SQL ${SQL_OR}`, () => get(`/archive/${encodeURIComponent(SQL_OR)}`)),
  notFound(`GET /archive/ with SQL ${SQL_DROP}`, () => get(`/archive/${encodeURIComponent(SQL_DROP)}`)),
  notFound('GET /archive/<script> (HTML)', () => get(`/archive/${encodeURIComponent(SCRIPT)}`, {}), { html: true, never: [SCRIPT] }),
  notFound('GET /archive/ with a 5,000-character slug', () => get(`/archive/${'a'.repeat(5000)}`)),
  notFound('GET /archive/HOSTILE-ISSUE (upper case)', () => get('/archive/HOSTILE-ISSUE')),
  notFound('GET /archive/hostile-issue/extra', () => get('/archive/hostile-issue/extra')),
  notFound('GET /archive/hostile-issue%00', () => raw('/archive/hostile-issue%00', { headers: { accept: 'application/json' } })),
  ['GET /archive?cursor=garbage&limit=-1', () => get('/archive?cursor=%E0%A4%A&limit=-1'), { status: 200, check: (_r, body) => expect(JSON.parse(body).issues.length).toBeGreaterThan(0) }],
  ['GET /archive/hostile-issue escapes its title', () => get('/archive/hostile-issue', {}), { status: 200, html: true, says: /Fish &amp; &lt;Chips&gt;/, never: ['<Chips>'] }],
  notAllowed('POST', '/archive', 'GET, HEAD'),
  notAllowed('PUT', '/archive/hostile-issue', 'GET, HEAD'),
  notAllowed('DELETE', '/archive/hostile-issue', 'GET, HEAD'),

  // --- the rest of the site -----------------------------------------------------------------
  ['GET / with a 16 KB query string', () => get(`/?q=${'a'.repeat(16 * KB)}`, {}), { status: 200, html: true }],
  ['GET / does not reflect its query', () => get(`/?email=${encodeURIComponent(SCRIPT)}&name=${encodeURIComponent(SCRIPT)}`, {}), { status: 200, html: true, never: [SCRIPT] }],
  notAllowed('POST', '/', 'GET, HEAD'),
  notAllowed('PUT', '/', 'GET, HEAD'),
  notAllowed('OPTIONS', '/', 'GET, HEAD'),
  notFound('GET //', () => raw('//', { headers: { accept: 'application/json' } })),
  notFound('GET ///archive//', () => raw('///archive//', { headers: { accept: 'application/json' } })),
  notFound('GET /%E0%A4%A', () => raw('/%E0%A4%A', { headers: { accept: 'application/json' } })),
  notFound('GET /%00', () => raw('/%00', { headers: { accept: 'application/json' } })),
  notFound('GET /%', () => raw('/%', { headers: { accept: 'application/json' } })),
  notFound('GET /..%2f..%2fetc%2fpasswd', () => raw('/..%2f..%2fetc%2fpasswd', { headers: { accept: 'application/json' } })),
  notFound('GET /.env', () => get('/.env')),
  notFound('GET /wrangler.toml', () => get('/wrangler.toml')),
  notFound('GET /nowhere (HTML)', () => get('/nowhere', {}), { html: true, says: /nothing at this address/ }),
  ['GET /feed.xml?x=<script>', () => get(`/feed.xml?x=${encodeURIComponent(SCRIPT)}`, {}), { status: 200, type: /application\/rss\+xml/, never: [SCRIPT, '<Chips>'] }],
  notAllowed('POST', '/feed.xml', 'GET, HEAD'),
  ['GET /health?x=%00', () => raw('/health?x=%00'), { status: 200, check: (_r, body) => expect(JSON.parse(body)).toEqual({ ok: true }) }],
  notAllowed('DELETE', '/health', 'GET, HEAD'),
  notAllowed('POST', '/health', 'GET, HEAD'),
  ['GET /dev/outbox.json?limit=-1&cursor=%E0%A4%A', () => raw('/dev/outbox.json?limit=-1&cursor=%E0%A4%A'), { status: 200, type: /application\/json/ }],
  notAllowed('POST', '/dev/outbox.json', 'GET, HEAD'),
  notFound('GET /dev/outbox.json asked for under a LAN address, not this machine', () => call('http://192.168.1.5:8787/dev/outbox.json', { headers: { accept: 'application/json' } }), { says: /opened at localhost/ }),
  notFound('GET /dev/outbox asked for under a private name (HTML)', () => call('http://newsletter.test/dev/outbox'), { html: true, says: /only in local dev/ }),
  notAllowed('DELETE', '/dev/outbox', 'GET, HEAD'),
  notFound('GET /dev/outbox/../../etc/passwd (encoded)', () => raw('/dev/outbox/..%2F..%2Fetc%2Fpasswd', { headers: { accept: 'application/json' } })),
  ['a made-up method on /subscribe', () => method('PROPFIND', '/subscribe'), { status: 405, code: 'method_not_allowed' }],

  // --- the admin API: the token first, then the input -----------------------------------------
  unauthorized('GET /api/subscribers without a token', () => get('/api/subscribers')),
  unauthorized('GET /api/subscribers with a wrong token', () => get('/api/subscribers', { authorization: 'Bearer not-the-token' })),
  unauthorized('GET /api/subscribers with Basic auth', () => get('/api/subscribers', { authorization: `Basic ${btoa('admin:test-admin-token-0123456789abcdef')}` })),
  unauthorized('GET /api/subscribers with the token in the query', () => get(`/api/subscribers?token=${env.ADMIN_TOKEN}&access_token=${env.ADMIN_TOKEN}`)),
  unauthorized('GET /api/subscribers with a 10 KB Authorization', () => get('/api/subscribers', { authorization: `Bearer ${'x'.repeat(10 * KB)}` })),
  unauthorized('GET /api/subscribers with SQL as the token', () => get('/api/subscribers', { authorization: `Bearer ${SQL_OR}` })),
  unauthorized('POST 200 KB to the import without a token (not read)', () => post('/api/subscribers/import', 'email\n' + 'a@b.example\n'.repeat(20_000), { 'content-type': 'text/csv' })),
  unauthorized('DELETE /api/subscribers/:email without a token', () => method('DELETE', '/api/subscribers/confirmed%40hostile.example')),
  unauthorized('PUT /api/subscribers without a token: 401 before 405', () => method('PUT', '/api/subscribers')),
  ['GET /api/subscribers?cursor=%E0%A4%A', () => admin('/api/subscribers?cursor=%E0%A4%A'), { status: 400, code: 'invalid_cursor' }],
  ['GET /api/subscribers with a forged cursor', () => admin(`/api/subscribers?cursor=${btoa('v1:-1')}`), { status: 400, code: 'invalid_cursor' }],
  ['GET /api/subscribers with SQL as the cursor', () => admin(`/api/subscribers?cursor=${encodeURIComponent(SQL_OR)}`), { status: 400, code: 'invalid_cursor' }],
  ['GET /api/subscribers?limit=10^20', () => admin('/api/subscribers?limit=100000000000000000000'), { status: 400, code: 'invalid_limit' }],
  ['GET /api/subscribers?limit=-5', () => admin('/api/subscribers?limit=-5'), { status: 400, code: 'invalid_limit' }],
  ['GET /api/subscribers?status=admin', () => admin('/api/subscribers?status=admin'), { status: 400, code: 'invalid_status' }],
  ['GET /api/subscribers/export?status=%00', () => admin('/api/subscribers/export?status=%00'), { status: 400, code: 'invalid_status' }],
  ['POST import without a content type', () => admin('/api/subscribers/import', { method: 'POST', body: new TextEncoder().encode('email\nx@hostile.example\n') }), { status: 415, code: 'unsupported_media_type' }],
  ['POST import as JSON', () => admin('/api/subscribers/import', { method: 'POST', body: '{"email":"x@hostile.example"}', headers: { 'content-type': 'application/json' } }), { status: 415, code: 'unsupported_media_type' }],
  ['POST import with an unknown charset', () => admin('/api/subscribers/import', { method: 'POST', body: 'email\n', headers: { 'content-type': 'text/csv; charset=klingon' } }), { status: 415, code: 'unsupported_charset' }],
  ['POST import with broken UTF-8', () => admin('/api/subscribers/import', { method: 'POST', body: new Uint8Array([0x65, 0x6d, 0x61, 0xff, 0xfe, 0x0a]), headers: { 'content-type': 'text/csv' } }), { status: 400, code: 'invalid_encoding' }],
  ['POST import of an empty CSV', () => admin('/api/subscribers/import', { method: 'POST', body: '', headers: { 'content-type': 'text/csv' } }), { status: 400, code: 'empty_csv' }],
  ['POST import without a header row', () => admin('/api/subscribers/import', { method: 'POST', body: 'x@hostile.example\n', headers: { 'content-type': 'text/csv' } }), { status: 400, code: 'missing_email_column' }],
  ['POST import?status=bounced', () => admin('/api/subscribers/import?status=bounced', { method: 'POST', body: 'email\nx@hostile.example\n', headers: { 'content-type': 'text/csv' } }), { status: 400, code: 'invalid_status' }],
  [
    'POST import of only broken rows: reported, nothing stored',
    () => admin('/api/subscribers/import', { method: 'POST', body: `email,name\n"unclosed@hostile.example,x\n${SQL_DROP},x\n\u0000,\u0000\n`, headers: { 'content-type': 'text/csv' } }),
    { status: 200, check: (_r, body) => expect(JSON.parse(body)).toMatchObject({ imported: 0, skipped: 0 }) },
  ],
  ['DELETE /api/subscribers/%E0%A4%A', () => admin('/api/subscribers/%E0%A4%A', { method: 'DELETE' }), { status: 400, code: 'invalid_email' }],
  unauthorized('DELETE …/suppression without a token', () => method('DELETE', '/api/subscribers/bounced%40hostile.example/suppression')),
  ['DELETE …/suppression of a confirmed address: 404, nothing to lift', () => admin('/api/subscribers/confirmed%40hostile.example/suppression', { method: 'DELETE' }), { status: 404, code: 'not_suppressed', says: /not bounced or complained/ }],
  ['DELETE …/suppression of a pending address: 404', () => admin('/api/subscribers/pending%40hostile.example/suppression', { method: 'DELETE' }), { status: 404, code: 'not_suppressed' }],
  ['DELETE …/suppression of an address nobody has: 404', () => admin('/api/subscribers/nobody%40hostile.example/suppression', { method: 'DELETE' }), { status: 404, code: 'not_suppressed' }],
  ['DELETE …/suppression of a non-address', () => admin(`/api/subscribers/${encodeURIComponent(`${SQL_OR}@x.example`)}/suppression`, { method: 'DELETE' }), { status: 400, code: 'invalid_email' }],
  ['GET …/suppression', () => admin('/api/subscribers/bounced%40hostile.example/suppression'), { status: 405, code: 'method_not_allowed', check: (r) => expect(r.headers.get('allow')).toBe('DELETE') }],
  [`DELETE /api/subscribers/ with SQL`, () => admin(`/api/subscribers/${encodeURIComponent(`${SQL_OR}@x.example`)}`, { method: 'DELETE' }), { status: 400, code: 'invalid_email' }],
  ['PUT /api/subscribers', () => admin('/api/subscribers', { method: 'PUT' }), { status: 405, code: 'method_not_allowed', check: (r) => expect(r.headers.get('allow')).toBe('GET, HEAD') }],
  ['POST /api/issues', () => admin('/api/issues', { method: 'POST' }), { status: 405, code: 'method_not_allowed' }],
  ['POST /api/issues/..%2F..%2Fetc/send', () => admin('/api/issues/..%2F..%2Fetc/send', { method: 'POST' }), { status: 404, code: 'not_found' }],
  ['POST /api/issues/<5,000 characters>/send', () => admin(`/api/issues/${'a'.repeat(5000)}/send`, { method: 'POST' }), { status: 404, code: 'not_found' }],
  [`GET /api/issues/ with SQL /stats`, () => admin(`/api/issues/${encodeURIComponent(SQL_DROP)}/stats`), { status: 404, code: 'not_found' }],
  ['GET /api/issues/%00/stats', () => admin('/api/issues/%00/stats'), { status: 404, code: 'not_found' }],
  ['POST /api/issues/:slug/test with broken JSON', () => admin(`/api/issues/${allArticles()[0].slug}/test`, { method: 'POST', body: '{"to":', headers: JSON_HEADERS }), { status: 400, code: 'invalid_json' }],
  ['POST /api/issues/:slug/test to a CRLF address', () => admin(`/api/issues/${allArticles()[0].slug}/test`, { method: 'POST', body: JSON.stringify({ to: 'a@hostile.example\r\nBcc: all@hostile.example' }), headers: JSON_HEADERS }), { status: 400, code: 'invalid_email' }],
  ['POST /api/issues/:slug/test as XML', () => admin(`/api/issues/${allArticles()[0].slug}/test`, { method: 'POST', body: '<to/>', headers: { 'content-type': 'text/xml' } }), { status: 415, code: 'unsupported_media_type' }],
  ['GET /api/nothing with the token', () => admin('/api/nothing'), { status: 404, code: 'not_found' }],

  // --- the Resend webhook -------------------------------------------------------------------
  ['webhook without a signature', () => post('/webhooks/resend', JSON.stringify(resendEvent('email.bounced', { to: 'confirmed@hostile.example', bounce: { type: 'Permanent' } })), { 'content-type': 'application/json' }), { status: 401, code: 'invalid_signature' }],
  ['webhook with garbage signature headers', () => post('/webhooks/resend', '{}', { 'content-type': 'application/json', 'svix-id': 'msg_x', 'svix-timestamp': 'abc', 'svix-signature': 'v1,???' }), { status: 401, code: 'invalid_signature' }],
  ['webhook with a timestamp of 10^22', () => post('/webhooks/resend', '{}', { 'content-type': 'application/json', 'svix-id': 'msg_x', 'svix-timestamp': '9'.repeat(22), 'svix-signature': 'v1,abc' }), { status: 401, code: 'invalid_signature' }],
  ['webhook signed an hour ago (replayed later)', () => postWebhook(resendEvent('email.complained', { to: 'confirmed@hostile.example' }), { timestamp: new Date(Date.now() - 3600_000) }), { status: 401, code: 'invalid_signature', says: /too old/ }],
  ['webhook with another body than was signed', () => postWebhook({ type: 'email.opened' }, { sendBody: JSON.stringify(resendEvent('email.complained', { to: 'confirmed@hostile.example' })) }), { status: 401, code: 'invalid_signature' }],
  ['webhook signed with another secret', () => postWebhook(resendEvent('email.complained', { to: 'confirmed@hostile.example' }), { secret: 'whsec_' + btoa('another-secret-another-secret-00') }), { status: 401, code: 'invalid_signature' }],
  ['webhook, signed, not JSON', () => postWebhook('not json'), { status: 400, code: 'invalid_json' }],
  ['webhook, signed, an array', () => postWebhook([1, 2, 3]), { status: 400, code: 'invalid_payload' }],
  ['webhook, signed, a bounce for nobody', () => postWebhook({ type: 'email.bounced', data: {} }), { status: 400, code: 'invalid_payload' }],
  ['webhook, signed, a bounce for an SQL address', () => postWebhook(resendEvent('email.bounced', { to: `${SQL_OR}@hostile.example`, bounce: { type: 'Permanent' } })), { status: 400, code: 'invalid_payload' }],
  ['webhook, signed, a 300-character svix-id', () => postWebhook({ type: 'email.opened' }, { id: 'i'.repeat(300) }), { status: 400, code: 'invalid_payload' }],
  ['webhook of 70 KB', () => call('/webhooks/resend', signedWebhookRequest({ type: 'email.opened', pad: 'x'.repeat(70 * KB) })), { status: 413, code: 'payload_too_large' }],
  ['webhook as a cross-site form post (no CSRF check, still needs a signature)', () => form('/webhooks/resend', 'type=email.complained', { origin: EVIL }), { status: 401, code: 'invalid_signature' }],
  notAllowed('GET', '/webhooks/resend', 'POST'),
];

function unauthorized(label: string, request: () => Promise<Response>): Row {
  return [label, request, { status: 401, code: 'unauthorized', check: (r) => expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/) }];
}

describe('a battery of hostile requests', () => {
  it(`has at least 60 rows (${rows.length})`, () => {
    expect(rows.length).toBeGreaterThanOrEqual(60);
    expect(new Set(rows.map(([label]) => label)).size).toBe(rows.length);
  });

  it.each(rows)('%s', async (label, request, expected) => {
    const before = await snapshot();
    const response = await request();
    const body = await response.text();
    const context = `${label}: ${response.status} ${body.slice(0, 300)}`;

    expect(response.status, context).toBe(expected.status);
    expectSecurityHeaders(response, label);
    const type = response.headers.get('content-type') ?? '';
    if (expected.html) {
      expect(type, context).toMatch(/^text\/html/);
    } else if (expected.type) {
      expect(type, context).toMatch(expected.type);
    } else if (!(response.status === 405 && label.startsWith('HEAD'))) {
      expect(type, context).toMatch(/^application\/json/);
    }
    if (expected.code && !expected.html && body) {
      const parsed = JSON.parse(body) as { error: { code: string; message: string } };
      expect(parsed.error.code, context).toBe(expected.code);
      expect(parsed.error.message.length, context).toBeGreaterThan(15);
      if (expected.says) expect(parsed.error.message, context).toMatch(expected.says);
    } else if (expected.says) {
      expect(body, context).toMatch(expected.says);
    }
    for (const text of expected.never ?? []) expect(body, context).not.toContain(text);
    expected.check?.(response, body);

    expect(await snapshot(), `${label}: D1 must not change`).toEqual(before);
  });

  it('left no subscriber, and no mail, for any address it used', async () => {
    await new Promise((r) => setTimeout(r, 1500)); // any wrongly queued confirmation would land by now
    const fixtures = ['pending@hostile.example', 'confirmed@hostile.example', 'bounced@hostile.example', 'complained@hostile.example'];
    const strays = await env.DB.prepare(`SELECT email FROM subscribers WHERE email LIKE '%hostile.example' AND email NOT IN (SELECT value FROM json_each(?1))`).bind(JSON.stringify(fixtures)).all();
    expect(strays.results).toEqual([]);
    expect((await outbox()).filter((m) => m.to.includes('hostile.example'))).toEqual([]);
    expect(await subscriberStatus('pending@hostile.example')).toBe('pending');
    expect(await subscriberStatus('confirmed@hostile.example')).toBe('confirmed');
    expect(await subscriberStatus('bounced@hostile.example')).toBe('bounced');
    expect(await subscriberStatus('complained@hostile.example')).toBe('complained');
    // Every table is still there after the SQL metacharacters.
    const tables = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('subscribers', 'sends', 'outbox')`).all();
    expect(tables.results).toHaveLength(3);
  });
});

/** The token with its last signature character replaced by another canonical one. */
function flipLast(token: string): string {
  return token.slice(0, -1) + (token.endsWith('A') ? 'Q' : 'A');
}

/** The same signature bytes, spelt with the last character's two spare bits set: must not verify. */
function bumpSpareBits(token: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) + 1];
}

// ---------------------------------------------------------------------------------------------

describe('floods', () => {
  it('allows 10 sign-up posts a minute from one client, then answers 429 with Retry-After and stores nothing', async () => {
    const ip = '203.0.113.77';
    for (let i = 0; i < 10; i++) {
      // Ten posts that store nothing (honeypot), to use up the allowance without queueing mail.
      const response = await postJson('/subscribe', { email: `flood-${i}@hostile.example`, website: 'x' }, { ip });
      expect(response.status, `post ${i + 1}`).toBe(202);
    }
    const before = await snapshot();
    const limited = await postJson('/subscribe', { email: 'flood-victim@example.org' }, { ip });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expectSecurityHeaders(limited, '429');
    const body = (await limited.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/too many sign-up attempts.*wait a minute/i);
    // The HTML answer says it on the page, with the same header.
    const page = await postForm('/subscribe', { email: 'flood-victim@example.org', website: '' }, { ip });
    expect(page.status).toBe(429);
    expect(page.headers.get('retry-after')).toBe('60');
    expect(await page.text()).toMatch(/Too many sign-up attempts/);
    // Broken posts count too: nothing about a post gets it past the limit.
    expect((await post('/subscribe', '{', { ...JSON_HEADERS, 'cf-connecting-ip': ip })).status).toBe(429);
    expect(await snapshot()).toEqual(before);
    expect(await subscriberStatus('flood-victim@example.org')).toBeNull();
    // Another client is not affected.
    expect((await postJson('/subscribe', { email: 'other@hostile.example', website: 'x' }, { ip: '203.0.113.78' })).status).toBe(202);
  });

  it('counts one IPv6 /64 as one client', async () => {
    for (let i = 0; i < 10; i++) {
      const ip = `2001:db8:77:1::${(i + 1).toString(16)}`;
      expect((await postJson('/subscribe', { email: `v6-${i}@hostile.example`, website: 'x' }, { ip })).status).toBe(202);
    }
    expect((await postJson('/subscribe', { email: 'v6@hostile.example', website: 'x' }, { ip: '2001:db8:77:1:ffff:ffff:ffff:fffe' })).status).toBe(429);
    expect((await postJson('/subscribe', { email: 'v6@hostile.example', website: 'x' }, { ip: '2001:db8:77:2::1' })).status).toBe(202);
  });

  it('sends at most one confirmation per address per 15 minutes, however the address is spelt and whoever asks', async () => {
    const spellings = ['Flood.Target@Example.org', ' flood.target@example.org ', 'FLOOD.TARGET@EXAMPLE.ORG', 'flood.target@example.org'];
    for (const email of spellings) expect((await postJson('/subscribe', { email })).status).toBe(202);
    await waitForMail('flood.target@example.org', 'Confirm');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await mailsTo('flood.target@example.org')).toHaveLength(1);
    const rows = await env.DB.prepare(`SELECT count(*) AS n FROM subscribers WHERE email = 'flood.target@example.org'`).first<{ n: number }>();
    expect(rows!.n).toBe(1);
  });

  it('claims the next confirmation only once 15 minutes have passed (the boundary, in lifecycle)', async () => {
    const email = 'interval@hostile-interval.example';
    const t0 = Date.now();
    expect(await signUp(getDb(env.DB), env, email, null, t0)).toBe('confirmation_queued');
    expect(await signUp(getDb(env.DB), env, email, null, t0 + 1)).toBe('nothing_to_do');
    expect(await signUp(getDb(env.DB), env, email, null, t0 + CONFIRMATION_INTERVAL_MS - 1)).toBe('nothing_to_do');
    expect(await signUp(getDb(env.DB), env, email, null, t0 + CONFIRMATION_INTERVAL_MS)).toBe('confirmation_queued');
    expect(await signUp(getDb(env.DB), env, email, null, t0 + CONFIRMATION_INTERVAL_MS + 1000)).toBe('nothing_to_do');
    // A confirmed address is never mailed again, however long it waits.
    await env.DB.prepare(`UPDATE subscribers SET status = 'confirmed', confirmed_at = ?2 WHERE email = ?1`).bind(email, t0).run();
    expect(await signUp(getDb(env.DB), env, email, null, t0 + 10 * CONFIRMATION_INTERVAL_MS)).toBe('nothing_to_do');
    // Two requests in the same millisecond: one claim between them.
    const racer = 'race@hostile-interval.example';
    const outcomes = await Promise.all([signUp(getDb(env.DB), env, racer, null, t0), signUp(getDb(env.DB), env, racer, null, t0), signUp(getDb(env.DB), env, racer, null, t0)]);
    expect(outcomes.filter((o) => o === 'confirmation_queued')).toHaveLength(1);
  });

  it('changes a known address only when the sign-up claims a confirmation, keeping its name aside (the upsert WHERE decides)', async () => {
    const email = 'named@hostile-interval.example';
    const stored = () =>
      env.DB.prepare('SELECT name, pending_name AS pendingName, confirmation_sent_at AS sentAt FROM subscribers WHERE email = ?1').bind(email).first<{ name: string | null; pendingName: string | null; sentAt: number }>();
    const t0 = Date.now();
    expect(await signUp(getDb(env.DB), env, email, 'First', t0)).toBe('confirmation_queued');
    expect(await signUp(getDb(env.DB), env, email, 'Second', t0 + 1)).toBe('nothing_to_do');
    expect(await stored()).toEqual({ name: null, pendingName: 'First', sentAt: t0 });
    // Each claim keeps aside exactly what its own sign-up typed: nothing carries over from an earlier one.
    expect(await signUp(getDb(env.DB), env, email, null, t0 + CONFIRMATION_INTERVAL_MS)).toBe('confirmation_queued');
    expect(await stored()).toEqual({ name: null, pendingName: null, sentAt: t0 + CONFIRMATION_INTERVAL_MS });
    expect(await signUp(getDb(env.DB), env, email, 'Third', t0 + 2 * CONFIRMATION_INTERVAL_MS)).toBe('confirmation_queued');
    expect(await stored()).toEqual({ name: null, pendingName: 'Third', sentAt: t0 + 2 * CONFIRMATION_INTERVAL_MS });
  });

  it('never mails a bounced or complained address through the form, however long ago its last confirmation was', async () => {
    for (const status of ['bounced', 'complained']) {
      const email = `${status}@hostile-interval.example`;
      const t0 = Date.now() - 30 * DAY;
      await env.DB.prepare(`INSERT INTO subscribers (email, status, created_at, confirmation_sent_at) VALUES (?1, ?2, ?3, ?3)`).bind(email, status, t0).run();
      expect(await signUp(getDb(env.DB), env, email, 'Again', Date.now()), status).toBe('nothing_to_do');
      const row = await env.DB.prepare('SELECT status, pending_name AS pendingName, confirmation_sent_at AS sentAt FROM subscribers WHERE email = ?1').bind(email).first();
      expect(row, status).toEqual({ status, pendingName: null, sentAt: t0 });
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('Turnstile (against a fake siteverify on loopback)', () => {
  const SECRET = 'fake-turnstile-secret-0123456789abcdef'; // FAKE_TURNSTILE_SECRET in fake-turnstile.ts
  const SITE_KEY = '1x00000000000000000000AA';
  let ipCounter = 0;
  const turnstileEnv = () => ({
    ...env,
    TURNSTILE_SITE_KEY: SITE_KEY,
    TURNSTILE_SECRET_KEY: SECRET,
    TURNSTILE_VERIFY_URL: `${env.FAKE_TURNSTILE_URL}/turnstile/v0/siteverify`,
  });
  const on = turnstileEnv();

  async function fetchWith(environment: Cloudflare.Env, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (!headers.has('cf-connecting-ip')) headers.set('cf-connecting-ip', `198.51.100.${++ipCounter}`);
    const ctx = createExecutionContext();
    const response = await app.fetch(new Request(new URL(path, BASE), { ...init, headers }), environment, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }
  const subscribe = (fields: Record<string, unknown>, headers: Record<string, string> = {}, environment: Cloudflare.Env = on) =>
    fetchWith(environment, '/subscribe', { method: 'POST', body: JSON.stringify(fields), headers: { ...JSON_HEADERS, ...headers } });
  type Call = { secret: string; response: string; remoteip: string | null };
  const calls = async (): Promise<Call[]> => (await fetch(`${env.FAKE_TURNSTILE_URL}/__control/calls`)).json();
  const callsFor = async (token: string) => (await calls()).filter((c) => c.response === token);

  it('puts the widget on the subscribe page and the article page, its script allowed by the CSP nonce', async () => {
    for (const path of ['/', '/archive/hostile-issue']) {
      const response = await fetchWith(on, path);
      expect(response.status, path).toBe(200);
      const html = await response.text();
      expect(html, path).toContain(`class="cf-turnstile" data-sitekey="${SITE_KEY}"`);
      const nonce = /script-src 'nonce-([^']+)'/.exec(response.headers.get('content-security-policy') ?? '')?.[1];
      expect(nonce, path).toBeTruthy();
      expect(html, path).toMatch(new RegExp(`<script src="https://challenges\\.cloudflare\\.com/turnstile/v0/api\\.js"[^>]*nonce="${escapeRegExp(nonce!)}"`));
      expect(response.headers.get('content-security-policy'), path).toContain('frame-src https://challenges.cloudflare.com');
    }
    // Off (the default): no widget, no script.
    expect(await (await call('/')).text()).not.toContain('cf-turnstile');
  });

  it('accepts a sign-up whose token siteverify passes, passing the secret and the client IP', async () => {
    const token = `pass-${crypto.randomUUID()}`;
    const response = await subscribe({ email: 'turnstile-ok@example.org', 'cf-turnstile-response': token }, { 'cf-connecting-ip': '198.51.100.200' });
    expect(response.status).toBe(202);
    expect(await subscriberStatus('turnstile-ok@example.org')).toBe('pending');
    expect(await callsFor(token)).toEqual([{ secret: SECRET, response: token, remoteip: '198.51.100.200' }]);
  });

  it('refuses a token used twice (single use) and stores nothing the second time', async () => {
    const token = `pass-${crypto.randomUUID()}`;
    expect((await subscribe({ email: 'turnstile-first@example.org', 'cf-turnstile-response': token })).status).toBe(202);
    const before = await snapshot();
    const replay = await subscribe({ email: 'turnstile-replay@example.org', 'cf-turnstile-response': token });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: { code: 'turnstile_failed', message: expect.stringMatching(/anti-bot check did not pass/) } });
    expect(await snapshot()).toEqual(before);
    expect(await callsFor(token)).toHaveLength(2);
  });

  it.each([
    ['no token', {}],
    ['an empty token', { 'cf-turnstile-response': '' }],
    ['a token siteverify rejects', { 'cf-turnstile-response': 'forged-token' }],
    ['a token as a number', { 'cf-turnstile-response': 12345 }],
    ['a 3,000-character token', { 'cf-turnstile-response': `pass-${'x'.repeat(3000)}` }],
  ])('refuses a sign-up with %s: 400, nothing stored', async (_label, extra) => {
    const before = await snapshot();
    const response = await subscribe({ email: 'turnstile-refused@example.org', ...extra });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'turnstile_failed' } });
    expect(await snapshot()).toEqual(before);
  });

  it('shows the form again, with the widget, when a form post fails the check', async () => {
    const response = await fetchWith(on, '/subscribe', { method: 'POST', body: new URLSearchParams({ email: 'turnstile-form@example.org', website: '', 'cf-turnstile-response': 'nope' }), headers: { 'content-type': FORM } });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('value="turnstile-form@example.org"');
    expect(html).toContain('class="cf-turnstile"');
    expect(await subscriberStatus('turnstile-form@example.org')).toBeNull();
  });

  it('fails closed when siteverify is down or refuses our secret: 503 with Retry-After, nothing stored', async () => {
    const before = await snapshot();
    for (const [environment, token] of [
      [on, 'http-500'],
      [on, 'internal-error'],
      [{ ...on, TURNSTILE_SECRET_KEY: 'wrong-secret' }, `pass-${crypto.randomUUID()}`],
      [{ ...on, TURNSTILE_VERIFY_URL: `${env.FAKE_TURNSTILE_URL}/no-such-endpoint` }, `pass-${crypto.randomUUID()}`],
    ] as const) {
      const response = await subscribe({ email: 'turnstile-down@example.org', 'cf-turnstile-response': token }, {}, environment as Cloudflare.Env);
      expect(response.status, token).toBe(503);
      expect(response.headers.get('retry-after')).toBe('30');
      expect(await response.json()).toMatchObject({ error: { code: 'turnstile_unavailable', message: expect.stringMatching(/Nothing was stored/) } });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('lets the honeypot drop a bot before siteverify is ever asked', async () => {
    const token = `pass-${crypto.randomUUID()}`;
    const response = await subscribe({ email: 'turnstile-bot@example.org', website: 'spam', 'cf-turnstile-response': token });
    expect(response.status).toBe(202);
    expect(await subscriberStatus('turnstile-bot@example.org')).toBeNull();
    expect(await callsFor(token)).toEqual([]);
  });

  it('is on only when both keys are set', async () => {
    const { TURNSTILE_SECRET_KEY: _omit, ...siteKeyOnly } = turnstileEnv();
    const response = await subscribe({ email: 'turnstile-half@example.org' }, {}, siteKeyOnly as Cloudflare.Env);
    expect(response.status).toBe(202);
  });
});

// ---------------------------------------------------------------------------------------------

describe('security headers', () => {
  it('sends a strict CSP, nosniff and no framing on pages, JSON, errors, 404s, the feed and the stylesheet', async () => {
    const answers: [string, Response][] = [
      ['home', await call('/')],
      ['archive JSON', await call('/archive', { headers: { accept: 'application/json' } })],
      ['404 page', await call('/nope')],
      ['404 JSON', await call('/nope', { headers: { accept: 'application/json' } })],
      ['400 page', await call('/confirm?token=x')],
      ['405', await call('/subscribe')],
      ['feed', await call('/feed.xml')],
      ['stylesheet', await call('/styles.css')],
      ['health', await call('/health')],
      ['outbox JSON', await call('/dev/outbox.json')],
    ];
    for (const [label, response] of answers) expectSecurityHeaders(response, label);
  });

  it('puts no script on any page, the confirm page included (loading a link must do nothing), and a fresh nonce in each CSP', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const response = await call(`/confirm?token=${fixture.confirmToken}`);
      expect(response.status).toBe(200);
      nonces.add(/'nonce-([^']+)'/.exec(response.headers.get('content-security-policy')!)![1]);
    }
    expect(nonces.size).toBe(2);
    for (const path of ['/', '/archive', '/archive/hostile-issue', '/nope', '/dev/outbox', `/confirm?token=${fixture.confirmToken}`, `/unsubscribe?token=${fixture.unsubscribeToken}`, `/preferences?token=${fixture.preferencesToken}`]) {
      const html = await (await call(path)).text();
      expect(html, path).not.toMatch(/<script\b/);
      expect(html, path).not.toMatch(/\son[a-z]+="/i);
      expect(html, path).not.toMatch(/\sstyle="/i);
      expect(html, path).not.toMatch(/http-equiv="refresh"/i);
    }
    expect(await subscriberStatus('pending@hostile.example')).toBe('pending');
  });

  it('answers HEAD on every page without a body and with the same headers', async () => {
    for (const path of ['/', '/archive', '/feed.xml', '/health']) {
      const response = await call(path, { method: 'HEAD' });
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toBe('');
      expectSecurityHeaders(response, `HEAD ${path}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('names and odd but valid input', () => {
  it('keeps a hostile name out of the confirmation email, and escapes it in the welcome and the outbox page, never in a header', async () => {
    const email = 'escaped-name@example.org';
    const name = `${SCRIPT} "Quotes" & <b>bold</b>`;
    expect((await postJson('/subscribe', { email, name })).status).toBe(202);
    const [mail] = await waitForMail(email, 'Confirm');
    for (const part of [mail.html, mail.text, mail.subject, JSON.stringify(mail.headers)]) {
      expect(part).not.toContain('alert');
      expect(part).not.toContain('Quotes');
      expect(part).not.toContain('bold');
    }
    const stored = () => env.DB.prepare('SELECT name, pending_name AS pendingName FROM subscribers WHERE email = ?1').bind(email).first<{ name: string | null; pendingName: string | null }>();
    expect(await stored()).toEqual({ name: null, pendingName: name });

    // Confirmed through its own link: now it is the reader's name, escaped wherever it shows.
    expect((await call(linkIn(mail, '/confirm?token='), { method: 'POST' })).status).toBe(200);
    expect(await stored()).toEqual({ name, pendingName: null });
    const [welcome] = await waitForMail(email, 'Welcome');
    expect(welcome.html).not.toContain(SCRIPT);
    expect(welcome.html).not.toContain('<b>bold</b>');
    expect(welcome.html).toContain('&lt;script&gt;');
    expect(welcome.text).toContain('"Quotes"');
    expect(welcome.to).toBe(email);
    for (const header of [welcome.subject, welcome.from, JSON.stringify(welcome.headers)]) {
      expect(header).not.toContain('alert');
      expect(header).not.toContain('Quotes');
    }
    const page = await (await call('/dev/outbox')).text();
    expect(page).not.toContain(SCRIPT);
    expect(page).not.toContain('<b>bold</b>');
  });

  it('stores SQL metacharacters as data', async () => {
    const email = "o'brien+sql@example.org"; // an apostrophe is valid in a local part
    expect((await postJson('/subscribe', { email, name: SQL_DROP })).status).toBe(202);
    const stored = await env.DB.prepare('SELECT email, pending_name AS name FROM subscribers WHERE email = ?1').bind(email).first();
    expect(stored).toEqual({ email, name: SQL_DROP });
    expect((await postJson('/subscribe', { email: `x@example.org`, name: SQL_OR })).status).toBe(202);
    expect(await subscriberStatus('x@example.org')).toBe('pending');
  });

  it('accepts plus addresses, international domain names and trims, storing one lower-case ASCII record', async () => {
    for (const email of ['  Ann+News@Bücher.Example  ', 'ann+news@xn--bcher-kva.example', 'ANN+NEWS@BÜCHER.EXAMPLE']) {
      expect((await postJson('/subscribe', { email })).status, email).toBe(202);
    }
    const rows = await env.DB.prepare(`SELECT email FROM subscribers WHERE email LIKE 'ann+news@%'`).all<{ email: string }>();
    expect(rows.results.map((r) => r.email)).toEqual(['ann+news@xn--bcher-kva.example']);
  });

  it('accepts a name of exactly 200 characters, emoji counted as one each', async () => {
    expect((await postJson('/subscribe', { email: 'long-name@example.org', name: '😀'.repeat(200) })).status).toBe(202);
    expect((await postJson('/subscribe', { email: 'too-long-name@example.org', name: '😀'.repeat(201) })).status).toBe(400);
  });

  it('takes a same-origin form post and a header-less one (curl), and an RFC 8058 one-click POST without Origin', async () => {
    const same = await postForm('/subscribe', { email: 'same-origin@example.org', website: '' }, { headers: { origin: 'http://localhost:8787', 'sec-fetch-site': 'same-origin' } });
    expect(same.status).toBe(202);
    const curl = await postForm('/subscribe', { email: 'curl@example.org' });
    expect(curl.status).toBe(202);
    const oneClick = await call(`/unsubscribe?token=${fixture.unsubscribeToken}`, { method: 'POST', headers: { 'content-type': FORM }, body: 'List-Unsubscribe=One-Click' });
    expect(oneClick.status).toBe(200);
    expect(await subscriberStatus('confirmed@hostile.example')).toBe('unsubscribed');
    // A webmail page posting the one-click from its own origin is fine too: the token is the authority.
    const webmail = await call(`/unsubscribe?token=${fixture.unsubscribeToken}`, { method: 'POST', headers: { 'content-type': FORM, origin: 'https://mail.example.net' }, body: 'List-Unsubscribe=One-Click' });
    expect(webmail.status).toBe(200);
    await waitFor(async () => (await subscriberStatus('curl@example.org')) === 'pending', 'curl sign-up');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
