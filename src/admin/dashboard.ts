// The operator's dashboard at /admin: server-rendered pages over the same logic as the admin API.
//
// Order in every handler: the session (a signed cookie, src/admin/session.ts) before anything is
// read; then, for a form that changes something, its CSRF token; then the body (the CSV upload gets
// the admin body limit only after the session is known, like /api/* after the bearer token); then
// the work. Pages answer JSON when asked (`Accept: application/json`), like every route.
// Forms that act answer with a redirect to a page (post/redirect/get), so a reload repeats nothing.
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ReactElement } from 'react';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import { type Fields, readFields } from '../http/body';
import { clientKey } from '../http/client';
import { limitBody } from '../http/middleware';
import { page, site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import { catalogue, findArticle, nextDue } from '../issues/catalog';
import { scheduleMap } from '../issues/schedules';
import { startSend } from '../issues/plan';
import { sendTestCopy } from '../issues/test-copy';
import { normalizeEmail } from '../subscribers/address';
import { eraseSubscriber } from '../subscribers/erase';
import { IMPORT_BODY_LIMIT, importSubscribers, type ImportReport } from '../subscribers/import';
import { exportCsv, parseStatus } from '../subscribers/listing';
import { sameSecret } from './auth';
import { readOverview, readStatusCounts } from './overview';
import { percentDone, progressSegments } from './pages/charts';
import { IssuePage, IssuesPage, SendConfirmPage } from './pages/issues';
import { LIVE_PROGRESS_SCRIPT } from './pages/live';
import { OverviewPage } from './pages/overview';
import { SignupFormPage } from './pages/signup-form';
import { SIGNUP_FORM_ADMIN_PATH } from '../embed/origins';
import { signupSnippets } from '../embed/snippets';
import { AdminMessagePage, SignInPage } from './pages/signin';
import { adminStylesheet } from './pages/styles';
import { EraseConfirmPage, ImportResultPage, SubscribersPage, type SubscribersPageProps } from './pages/subscribers';
import { parseSearch, type SubscriberRow, searchSubscribers } from './search';
import {
  csrfMatches,
  csrfToken,
  isLoginNonce,
  LOGIN_COOKIE,
  LOGIN_NONCE_TTL_MS,
  makeSession,
  randomId,
  readSession,
  type Session,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  sessionKey,
} from './session';
import { issueStats } from '../issues/stats';
import { cancelSend, type DashboardStats, dashboardStats, issueList, resumeSend } from './stats';
import { giveBackSignInAttempt, takeSignInAttempt } from './throttle';

export const dashboardRoutes = new Hono<AppEnv>();

/** A wrong token waits this long before the answer: a person barely notices, a script slows down. */
export const WRONG_TOKEN_DELAY_MS = 500;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Where a sign-in may lead: a dashboard path, never another site (`//evil`, `/\evil`). */
const NEXT_PATH = /^\/admin(?:\/[a-z0-9-]+)*$/;

export type Ctx = Context<AppEnv>;

// ---- cookies ------------------------------------------------------------------------------------

/** Secure (and `__Host-` prefixed) outside local dev; plain on http://localhost. */
function cookieOptions(c: Ctx, maxAgeMs: number) {
  const secure = !c.get('config').isLocalDev;
  return { path: '/', httpOnly: true, sameSite: 'Strict' as const, secure, maxAge: Math.floor(maxAgeMs / 1000), ...(secure ? { prefix: 'host' as const } : {}) };
}

function readCookie(c: Ctx, name: string): string | undefined {
  return getCookie(c, name, c.get('config').isLocalDev ? undefined : 'host');
}

function clearCookie(c: Ctx, name: string) {
  const secure = !c.get('config').isLocalDev;
  deleteCookie(c, name, { path: '/', secure, ...(secure ? { prefix: 'host' as const } : {}) });
}

// ---- answers ------------------------------------------------------------------------------------

export function html(c: Ctx, element: ReactElement, status: ContentfulStatusCode = 200): Response {
  return page(c, element, status);
}

export function adminFail(c: Ctx, status: ContentfulStatusCode, code: string, message: string, title: string, csrf: string | null = null): Response {
  if (wantsJson(c)) return c.json({ error: { code, message } }, status);
  return html(c, AdminMessagePage({ site: site(c), csrf, status, title, message }), status);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the session --------------------------------------------------------------------------------

export interface SignedIn {
  session: Session;
  key: CryptoKey;
  csrf: string;
  db: Db;
}

/** The signed-in operator, or the answer for someone who is not (sign in first). */
async function signedIn(c: Ctx): Promise<SignedIn | Response> {
  const token = c.get('config').adminToken;
  const result = token ? await readSession(await sessionKey(token), readCookie(c, SESSION_COOKIE)) : null;
  if (!token || !result?.ok) {
    if (result && !result.ok && result.problem !== 'missing') clearCookie(c, SESSION_COOKIE);
    const message = !token
      ? 'The dashboard is off: no ADMIN_TOKEN is configured. GET /admin says how to set one.'
      : result?.ok === false && result.problem === 'expired'
        ? 'Your session has expired (they last 12 hours). Sign in again at /admin.'
        : 'Sign in at /admin with the admin token first.';
    if (wantsJson(c) || c.req.method !== 'GET') return adminFail(c, 401, 'unauthorized', message, 'Not signed in');
    const next = NEXT_PATH.test(c.req.path) && c.req.path !== '/admin' ? `?next=${encodeURIComponent(c.req.path)}` : '';
    return c.redirect(`/admin${next}`, 303);
  }
  const key = await sessionKey(token);
  return { session: result.session, key, csrf: await csrfToken(key, result.session.sid), db: c.get('db') };
}

type Handler = (c: Ctx, s: SignedIn) => Promise<Response> | Response;

/** A page or action for signed-in operators only. */
export function guarded(handler: Handler) {
  return async (c: Ctx): Promise<Response> => {
    const s = await signedIn(c);
    return s instanceof Response ? s : handler(c, s);
  };
}

/** A form that changes something: its fields, once the CSRF token in them is this session's. */
export function action(handler: (c: Ctx, s: SignedIn, fields: Fields) => Promise<Response> | Response) {
  return guarded(async (c, s) => {
    const body = await readFields(c);
    if (!body.ok) return adminFail(c, body.status, body.code, body.message, 'Something is not right', s.csrf);
    if (!(await csrfMatches(s.key, s.session.sid, body.fields._csrf))) return csrfRefused(c, s.csrf);
    return handler(c, s, body.fields);
  });
}

function csrfRefused(c: Ctx, csrf: string | null): Response {
  return adminFail(c, 403, 'invalid_csrf', 'This form is out of date or did not come from the dashboard. Go back, reload the page and try again.', 'Form expired', csrf);
}

/** Keeps dashboard pages out of caches and search engines (they show people's addresses). */
dashboardRoutes.use('/admin', noStore);
dashboardRoutes.use('/admin/*', noStore);
export async function noStore(c: Ctx, next: () => Promise<void>) {
  await next();
  if (c.req.path === '/admin/admin.css') return; // the stylesheet holds nothing private
  c.header('Cache-Control', 'no-store');
  c.header('X-Robots-Tag', 'noindex, nofollow');
}

dashboardRoutes.get('/admin/admin.css', (c) => c.body(adminStylesheet, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }));

// ---- sign in, sign out ----------------------------------------------------------------------------

const NOTICES: Record<string, string> = {
  'signed-out': 'You are signed out.',
};

async function signInPage(c: Ctx, status: ContentfulStatusCode, error: string | null = null, next: string | null = null): Promise<Response> {
  const token = c.get('config').adminToken;
  if (wantsJson(c)) {
    return token
      ? c.json({ error: { code: 'unauthorized', message: error ?? 'Sign in with the admin token (POST /admin/login, form field "token"), or use the API with a bearer token.' } }, status === 200 ? 401 : status)
      : c.json({ error: { code: 'unauthorized', message: 'The dashboard is off: no ADMIN_TOKEN is configured.' } }, 401);
  }
  let csrf: string | null = null;
  if (token) {
    // One nonce per browser, kept while it is valid, so two open sign-in tabs both work.
    let nonce = readCookie(c, LOGIN_COOKIE);
    if (!isLoginNonce(nonce)) {
      nonce = randomId();
      setCookie(c, LOGIN_COOKIE, nonce, cookieOptions(c, LOGIN_NONCE_TTL_MS));
    }
    csrf = await csrfToken(await sessionKey(token), `login.${nonce}`);
  }
  const notice = NOTICES[c.req.query('done') ?? ''] ?? null;
  return html(c, SignInPage({ site: site(c), configured: token !== null, csrf, error, notice, next }), status);
}

dashboardRoutes.get('/admin', async (c) => {
  const token = c.get('config').adminToken;
  const result = token ? await readSession(await sessionKey(token), readCookie(c, SESSION_COOKIE)) : null;
  if (!result?.ok) {
    const next = c.req.query('next');
    return signInPage(c, 200, null, next && NEXT_PATH.test(next) ? next : null);
  }
  const s = await signedIn(c);
  if (s instanceof Response) return s;
  const data = await readOverview(s.db, c.get('config').weeklySlot);
  if (wantsJson(c)) return c.json(data);
  return html(c, OverviewPage({ site: site(c), csrf: s.csrf, data }));
});

dashboardRoutes.post('/admin/login', async (c) => {
  const adminToken = c.get('config').adminToken;
  if (!adminToken) return signInPage(c, 401);
  const body = await readFields(c);
  if (!body.ok) return signInPage(c, body.status, body.message);
  const fields = body.fields;
  const next = typeof fields.next === 'string' && NEXT_PATH.test(fields.next) ? fields.next : '/admin';
  const key = await sessionKey(adminToken);
  const nonce = readCookie(c, LOGIN_COOKIE);
  if (!isLoginNonce(nonce) || !(await csrfMatches(key, `login.${nonce}`, fields._csrf))) {
    return signInPage(c, 403, 'The sign-in form had expired. It is fresh now: enter the token again.', next);
  }
  const db = c.get('db');
  const attempt = await takeSignInAttempt(db, clientKey(c.req.header('cf-connecting-ip')));
  if (attempt === null) {
    c.header('Retry-After', '60');
    return signInPage(c, 429, 'Too many wrong tokens from here: wait a minute, then try again.', next);
  }
  const presented = typeof fields.token === 'string' ? fields.token : '';
  if (!presented || presented.length > 1000 || !(await sameSecret(presented, adminToken))) {
    await sleep(WRONG_TOKEN_DELAY_MS);
    return signInPage(c, 401, presented ? 'That is not the admin token. Check the ADMIN_TOKEN secret and try again.' : 'Enter the admin token.', next);
  }
  await giveBackSignInAttempt(db, attempt);
  const { cookie } = await makeSession(key);
  setCookie(c, SESSION_COOKIE, cookie, cookieOptions(c, SESSION_TTL_MS));
  clearCookie(c, LOGIN_COOKIE);
  if (wantsJson(c)) return c.json({ signedIn: true });
  return c.redirect(next, 303);
});

dashboardRoutes.post(
  '/admin/logout',
  action((c) => {
    clearCookie(c, SESSION_COOKIE);
    if (wantsJson(c)) return c.json({ signedIn: false });
    return c.redirect('/admin?done=signed-out', 303);
  }),
);

// ---- issues ---------------------------------------------------------------------------------------

const slugOf = (c: Ctx) => c.req.param('slug') ?? '';

function catalogueArticle(db: Db, slug: string) {
  return SLUG.test(slug) && slug.length <= 200 ? findArticle(db, slug) : Promise.resolve(undefined);
}

dashboardRoutes.get(
  '/admin/issues',
  guarded(async (c, s) => {
    const { issues } = await issueList(s.db, c.get('config').weeklySlot);
    if (wantsJson(c)) return c.json({ issues });
    return html(c, IssuesPage({ site: site(c), csrf: s.csrf, issues, notice: noticeFor(c) }));
  }),
);

/** The issue's page; `extra` carries a form's error (and its values) when the page answers a post. */
async function issuePage(c: Ctx, s: SignedIn, slug: string, status: ContentfulStatusCode = 200, extra: Partial<Parameters<typeof IssuePage>[0]> = {}): Promise<Response> {
  const now = Date.now();
  const slot = c.get('config').weeklySlot;
  const { issues, sends } = SLUG.test(slug) ? await issueList(s.db, slot, now) : { issues: [], sends: [] };
  const summary = issues.find((i) => i.slug === slug);
  if (!summary) return adminFail(c, 404, 'not_found', `There is no article "${slug}". The issues page lists every one.`, 'Not found', s.csrf);
  const send = sends.find((r) => r.slug === slug) ?? null;
  const stats = await dashboardStats(s.db, slug, now, send);
  const article = await catalogueArticle(s.db, slug);
  const sentSlugs = new Set(sends.map((r) => r.slug));
  const due = nextDue(await catalogue(s.db), sentSlugs, now, slot, await scheduleMap(s.db));
  // The cron's next pick is the oldest unsent article; any other one waits its turn after that.
  const cronSendsAt = !send && due?.article.slug === slug ? due.sendsAt : null;
  if (wantsJson(c) && status === 200) return c.json({ issue: summary, stats });
  const notice = noticeFor(c);
  return html(
    c,
    IssuePage({
      site: site(c),
      csrf: s.csrf,
      nonce: c.get('secureHeadersNonce') ?? null,
      issue: { slug, title: summary.title, date: summary.date, bundled: article !== undefined },
      stats,
      cronSendsAt,
      scheduledAt: summary.status === 'scheduled' && summary.sendAt ? Date.parse(summary.sendAt) : null,
      notice,
      script: LIVE_PROGRESS_SCRIPT,
      ...extra,
    }),
    status,
  );
}

export function noticeFor(c: Ctx): string | null {
  const done = c.req.query('done');
  const who = (c.req.query('to') ?? '').slice(0, 254);
  if (done === 'test' && who) return `A test copy is on its way to ${who}.`;
  if (done === 'sending') return 'The send has started. The bar below follows it.';
  if (done === 'erased' && who) return `${who} is erased.`;
  if (done === 'saved') return 'Saved.';
  if (done === 'scheduled') return 'Scheduled.';
  if (done === 'unscheduled') return 'Unscheduled: it goes with the weekly slot when its turn comes.';
  if (done === 'deleted') return 'The draft is deleted.';
  return null;
}

dashboardRoutes.get(
  '/admin/issues/:slug',
  guarded((c, s) => issuePage(c, s, slugOf(c))),
);

/** What the live progress bar polls: the contract's stats, plus the bar's geometry. */
export function progressOf(stats: DashboardStats) {
  const percent = percentDone(stats);
  return {
    percent,
    segments: progressSegments(stats),
    text: `${percent} % done: ${stats.sent.toLocaleString('en-US')} sent, ${stats.failed.toLocaleString('en-US')} failed, ${stats.pending.toLocaleString('en-US')} pending of ${stats.recipients.toLocaleString('en-US')}`,
  };
}

dashboardRoutes.get(
  '/admin/issues/:slug/stats',
  guarded(async (c, s) => {
    const slug = slugOf(c);
    // Polled every 1.5 s while a send is under way: one read of the send's counters, no list.
    const stats = SLUG.test(slug) ? await issueStats(s.db, slug) : null;
    if (!stats) return c.json({ error: { code: 'not_found', message: `There is no article "${slug}".` } }, 404);
    return c.json({ ...stats, progress: progressOf(stats) });
  }),
);

dashboardRoutes.post(
  '/admin/issues/:slug/test',
  action(async (c, s, fields) => {
    const slug = slugOf(c);
    const article = await catalogueArticle(s.db, slug);
    if (!article) return adminFail(c, 404, 'not_found', `There is no article "${slug}".`, 'Not found', s.csrf);
    const raw = typeof fields.to === 'string' ? fields.to : '';
    const to = normalizeEmail(fields.to);
    const again = (status: ContentfulStatusCode, code: string, message: string) =>
      wantsJson(c) ? c.json({ error: { code, message } }, status) : issuePage(c, s, slug, status, { error: { form: 'test', message }, values: { to: raw } });
    if (!to.ok) return again(400, to.code, `That address does not work: ${to.message}`);
    const result = await sendTestCopy(s.db, c.env, c.get('config'), article, to.value);
    if (result.kind === 'retry') return again(503, 'provider_unavailable', `The email provider did not take the test copy; try again in a moment (${result.message}).`);
    if (result.kind !== 'accepted') return again(502, 'provider_refused', `The email provider refused the test copy: ${result.message}`);
    const outcome = result.outcomes[0];
    if ('error' in outcome) return again(422, 'recipient_refused', `The email provider refused this address: ${outcome.error}`);
    if (wantsJson(c)) return c.json({ status: 'sent', to: to.value }, 202);
    const back = fields.back === 'edit' ? `/admin/issues/${slug}/edit` : `/admin/issues/${slug}`;
    return c.redirect(`${back}?done=test&to=${encodeURIComponent(to.value)}`, 303);
  }),
);

dashboardRoutes.get(
  '/admin/issues/:slug/send',
  guarded(async (c, s) => {
    const slug = slugOf(c);
    const article = await catalogueArticle(s.db, slug);
    if (!article) return adminFail(c, 404, 'not_found', `There is no article "${slug}".`, 'Not found', s.csrf);
    const stats = await dashboardStats(s.db, slug);
    if (stats.status !== 'draft' && stats.status !== 'ready' && stats.status !== 'scheduled') return c.redirect(`/admin/issues/${slug}`, 303);
    const counts = await readStatusCounts(s.db);
    return html(c, SendConfirmPage({ site: site(c), csrf: s.csrf, issue: article, audience: counts.confirmed }));
  }),
);

dashboardRoutes.post(
  '/admin/issues/:slug/send',
  action(async (c, s) => {
    const slug = slugOf(c);
    const article = await catalogueArticle(s.db, slug);
    if (!article) return adminFail(c, 404, 'not_found', `There is no article "${slug}".`, 'Not found', s.csrf);
    const result = await startSend(s.db, c.env, c.get('config'), article);
    if (!result.started) {
      const message = `“${article.title}” was already sent or is being sent: an article goes out once.`;
      return wantsJson(c) ? c.json({ error: { code: 'already_sent', message } }, 409) : issuePage(c, s, slug, 409, { error: { form: 'send', message } });
    }
    if (wantsJson(c)) return c.json({ slug, recipients: result.recipients, chunks: result.chunks }, 202);
    return c.redirect(`/admin/issues/${slug}?done=sending`, 303);
  }),
);

for (const [verb, run] of [
  ['resume', resumeSend],
  ['cancel', cancelSend],
] as const) {
  dashboardRoutes.post(
    `/admin/issues/:slug/${verb}`,
    action(async (c, s) => {
      const slug = slugOf(c);
      const result = await run(s.db, c.env, slug);
      if (!result.ok) return wantsJson(c) ? c.json({ error: { code: result.code, message: result.message } }, 409) : issuePage(c, s, slug, 409, { error: { form: 'paused', message: result.message } });
      return wantsJson(c) ? c.json({ ok: true }) : c.redirect(`/admin/issues/${slug}`, 303);
    }),
  );
}

// ---- subscribers ----------------------------------------------------------------------------------

async function subscribersPage(c: Ctx, s: SignedIn, status: ContentfulStatusCode = 200, error: string | null = null): Promise<Response> {
  const query = parseSearch({ q: c.req.query('q'), status: c.req.query('status'), cursor: c.req.query('cursor') });
  if (!query.ok) {
    if (wantsJson(c)) return c.json({ error: { code: query.code, message: query.message } }, 400);
    return subscribersView(c, s, 400, { q: '', status: null, paged: false }, [], null, query.message);
  }
  const [counts, found] = await Promise.all([readStatusCounts(s.db), searchSubscribers(s.db, query)]);
  const nextHref = found.nextCursor
    ? `/admin/subscribers?${new URLSearchParams({ ...(query.q ? { q: query.q } : {}), ...(query.status ? { status: query.status } : {}), cursor: found.nextCursor })}`
    : null;
  if (wantsJson(c)) {
    const view = found.rows.map((r) => ({ email: r.email, name: r.name, status: r.status, createdAt: new Date(r.createdAt).toISOString(), confirmedAt: r.confirmedAt === null ? null : new Date(r.confirmedAt).toISOString() }));
    return c.json({ counts, subscribers: view, nextCursor: found.nextCursor });
  }
  return subscribersView(c, s, status, { q: query.q, status: query.status, paged: query.cursor !== null }, found.rows, nextHref, error, counts);
}

async function subscribersView(
  c: Ctx,
  s: SignedIn,
  status: ContentfulStatusCode,
  query: SubscribersPageProps['query'],
  rows: SubscriberRow[],
  nextHref: string | null,
  error: string | null,
  counts?: Awaited<ReturnType<typeof readStatusCounts>>,
): Promise<Response> {
  return html(
    c,
    SubscribersPage({ site: site(c), csrf: s.csrf, counts: counts ?? (await readStatusCounts(s.db)), query, rows, nextHref, notice: noticeFor(c), error }),
    status,
  );
}

dashboardRoutes.get(
  '/admin/subscribers',
  guarded((c, s) => subscribersPage(c, s)),
);

dashboardRoutes.get(
  '/admin/subscribers/export',
  guarded((c, s) => {
    const status = parseStatus(c.req.query('status'));
    if (status === false) return adminFail(c, 400, 'invalid_status', 'status must be one of pending, confirmed, unsubscribed, bounced, complained.', 'Not a status', s.csrf);
    const day = new Date().toISOString().slice(0, 10);
    return c.body(exportCsv(s.db, status), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="subscribers-${status ?? 'all'}-${day}.csv"`,
    });
  }),
);

/** The one place the dashboard calls the importer: the uploaded file, read as a stream like the API's body. */
function runImport(c: Ctx, db: Db, file: File, status: 'pending' | 'confirmed') {
  return importSubscribers(c.env, db, file.stream(), { status });
}

/** The session is checked before the admin body limit lets tens of megabytes in. */
export async function signedInFirst(c: Ctx, next: () => Promise<void>) {
  const s = await signedIn(c);
  if (s instanceof Response) return s;
  await next();
}

dashboardRoutes.post(
  '/admin/subscribers/import',
  signedInFirst,
  // The file plus the multipart envelope around it.
  limitBody(IMPORT_BODY_LIMIT + 64 * 1024),
  action(async (c, s, fields) => {
    const file = fields.file;
    if (!(file instanceof File) || file.size === 0) {
      return wantsJson(c) ? c.json({ error: { code: 'missing_file', message: 'Choose a CSV file to upload.' } }, 400) : subscribersView(c, s, 400, { q: '', status: null, paged: false }, [], null, 'Choose a CSV file to upload.');
    }
    const status = fields.status ?? 'pending';
    if (status !== 'pending' && status !== 'confirmed') {
      return adminFail(c, 400, 'invalid_status', 'Import as "pending" (each gets a confirmation email) or "confirmed" (consent collected elsewhere).', 'Not a status', s.csrf);
    }
    const started = Date.now();
    const outcome = await runImport(c, s.db, file, status);
    if (!outcome.ok) {
      if (wantsJson(c)) return c.json({ error: { code: outcome.code, message: outcome.message } }, outcome.status);
      return subscribersView(c, s, outcome.status, { q: '', status: null, paged: false }, [], null, `Nothing was imported: ${outcome.message}`);
    }
    const report: ImportReport = outcome.report;
    console.log(`dashboard import: ${report.imported} imported, ${report.skipped} skipped, ${report.invalidTotal ?? report.invalid.length} invalid as ${status} in ${Date.now() - started} ms`);
    if (wantsJson(c)) return c.json(report);
    return html(c, ImportResultPage({ site: site(c), csrf: s.csrf, report, status, fileName: file.name.slice(0, 200) }));
  }),
);

dashboardRoutes.get(
  '/admin/subscribers/erase',
  guarded(async (c, s) => {
    const email = normalizeEmail(c.req.query('email'));
    if (!email.ok) return adminFail(c, 400, email.code, `That is not an address: ${email.message}`, 'Not an address', s.csrf);
    const found = await s.db.select({ id: subscribers.id }).from(subscribers).where(eq(subscribers.email, email.value)).get();
    return html(c, EraseConfirmPage({ site: site(c), csrf: s.csrf, email: email.value, found: found !== undefined }));
  }),
);

dashboardRoutes.post(
  '/admin/subscribers/erase',
  action(async (c, s, fields) => {
    const email = normalizeEmail(fields.email);
    if (!email.ok) return adminFail(c, 400, email.code, `That is not an address: ${email.message}`, 'Not an address', s.csrf);
    const { found } = await eraseSubscriber(s.db, email.value);
    if (wantsJson(c)) return c.json({ erased: true, found });
    return c.redirect(`/admin/subscribers?done=erased&to=${encodeURIComponent(email.value)}`, 303);
  }),
);

// ---- the sign-up form on other sites --------------------------------------------------------------

dashboardRoutes.get(
  SIGNUP_FORM_ADMIN_PATH,
  guarded((c, s) => {
    const config = c.get('config');
    const origins = config.signupOrigins;
    // A plain form comes back to the first allowed site's home page; the writer may point it elsewhere.
    const snippets = signupSnippets(config, origins.length > 0 ? `${origins[0]}/` : null);
    if (wantsJson(c)) return c.json({ origins, snippets });
    return html(
      c,
      SignupFormPage({
        site: site(c),
        csrf: s.csrf,
        nonce: c.get('secureHeadersNonce') ?? null,
        publicUrl: config.publicUrl,
        origins,
        snippets,
        turnstile: config.turnstile !== null,
        isLocalDev: config.isLocalDev,
      }),
    );
  }),
);
