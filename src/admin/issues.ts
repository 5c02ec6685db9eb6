// Admin API, issues: the bundled articles and their state, send now, a test copy, stats, and what an
// operator does to a send under way (retry the failed readers, resume or cancel a paused send).
//
// Decisions:
//  - "send now" sends any bundled article, a draft (future date) included: the operator asked for
//    now. The cron never sends it again (one send per slug, ever).
//  - stats for a bundled article that was never sent: 200 with every count 0 (nothing went out);
//    404 only for a slug that is neither bundled nor sent.
//  - the list also shows articles that were sent and have since left content/ (from the stored send).
//  - the readers an operator may act on (`failed`, `unknown`) are listed a page at a time; the many
//    `sent` ones are not (the stats count them, Resend's logs list them).
import { eq } from 'drizzle-orm';
import { type Context, Hono } from 'hono';
import type { Db } from '../db/client';
import { sends } from '../db/schema';
import { readFields } from '../http/body';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';
import { type CatalogueArticle, findArticle } from '../issues/catalog';
import { cancel, type ControlResult, resume, retryFailed } from '../issues/control';
import { startSend } from '../issues/plan';
import { type UnresolvedStatus, unresolvedPage } from '../issues/send-store';
import { apiStatus, issueList, issueStats } from '../issues/stats';
import { sendTestCopy } from '../issues/test-copy';
import { normalizeEmail } from '../subscribers/address';
import { encodeCursor, parseListQuery } from '../subscribers/listing';

export const adminIssueRoutes = new Hono<AppEnv>();

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const sendRow = { id: sends.id, status: sends.status };

async function sendFor(db: Db, slug: string) {
  return db.select(sendRow).from(sends).where(eq(sends.slug, slug)).get();
}

const validSlug = (slug: string) => SLUG.test(slug) && slug.length <= 200;

async function article(db: Db, slug: string): Promise<CatalogueArticle | undefined> {
  return validSlug(slug) ? findArticle(db, slug) : undefined;
}

const unknown = (slug: string) => `There is no article "${slug}". GET /api/issues lists every article.`;

adminIssueRoutes.get('/api/issues', async (c) => c.json({ issues: (await issueList(c.get('db'), c.get('config').weeklySlot)).issues }));

adminIssueRoutes.post('/api/issues/:slug/send', async (c) => {
  const slug = c.req.param('slug');
  const found = await article(c.get('db'), slug);
  if (!found) return fail(c, 404, 'not_found', unknown(slug));
  const conflict = (status: string) =>
    fail(c, 409, status === 'sent' ? 'already_sent' : 'already_sending', `"${slug}" is ${status === 'sent' ? 'already sent' : `${status} right now`}: an article goes out once.`);
  const db = c.get('db');
  const existing = await sendFor(db, slug);
  if (existing) return conflict(apiStatus(existing.status));
  const result = await startSend(db, c.env, c.get('config'), found);
  if (!result.started) return conflict(apiStatus((await sendFor(db, slug))?.status ?? 'sending'));
  const status = result.chunks === 0 ? 'sent' : 'sending';
  return c.json({ slug, status, recipients: result.recipients, chunks: result.chunks }, 202);
});

adminIssueRoutes.post('/api/issues/:slug/test', async (c) => {
  const slug = c.req.param('slug');
  const found = await article(c.get('db'), slug);
  if (!found) return fail(c, 404, 'not_found', unknown(slug));
  const body = await readFields(c);
  if (!body.ok) return fail(c, body.status, body.code, body.message);
  const to = normalizeEmail(body.fields.to);
  if (!to.ok) return fail(c, 400, to.code, `"to": ${to.message}`);
  const result = await sendTestCopy(c.get('db'), c.env, c.get('config'), found, to.value);
  if (result.kind === 'retry') {
    if (result.afterMs !== null) c.header('Retry-After', String(Math.ceil(result.afterMs / 1000)));
    return fail(c, 503, 'provider_unavailable', `The email provider did not take the test copy; try again shortly (${result.message}).`);
  }
  if (result.kind !== 'accepted') return fail(c, 502, 'provider_refused', `The email provider refused the test copy: ${result.message}`);
  const outcome = result.outcomes[0];
  if ('error' in outcome) return fail(c, 422, 'recipient_refused', `The email provider refused this address: ${outcome.error}`);
  return c.json({ status: 'sent', to: to.value, id: outcome.id }, 202);
});

adminIssueRoutes.get('/api/issues/:slug/stats', async (c) => {
  const slug = c.req.param('slug');
  const stats = validSlug(slug) ? await issueStats(c.get('db'), slug) : null;
  return stats ? c.json(stats) : fail(c, 404, 'not_found', unknown(slug));
});

const UNRESOLVED: readonly UnresolvedStatus[] = ['failed', 'unknown'];

adminIssueRoutes.get('/api/issues/:slug/recipients', async (c) => {
  const slug = c.req.param('slug');
  const status = c.req.query('status') as UnresolvedStatus;
  if (!UNRESOLVED.includes(status)) {
    return fail(c, 400, 'invalid_status', 'status must be failed or unknown: the readers of a send an operator may act on (the stats count the rest).');
  }
  const query = parseListQuery({ limit: c.req.query('limit'), cursor: c.req.query('cursor') });
  if (!query.ok) return fail(c, 400, query.code, query.message);
  const db = c.get('db');
  const send = validSlug(slug) ? await sendFor(db, slug) : undefined;
  if (!send) return validSlug(slug) && (await findArticle(db, slug)) ? c.json({ recipients: [], nextCursor: null }) : fail(c, 404, 'not_found', unknown(slug));
  const rows = await unresolvedPage(db, send.id, status, query.afterId, query.limit + 1);
  const page = rows.slice(0, query.limit);
  return c.json({
    recipients: page.map((r) => ({ email: r.email, name: r.name, status: r.status, error: r.error, at: new Date(r.at).toISOString() })),
    nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].id) : null,
  });
});

/** An operator's action on a send: 404 unknown slug, 409 wrong state, else 202 with what happens now. */
function acted<T extends object>(c: Context<AppEnv>, slug: string, result: ControlResult<T>) {
  if (!result.ok) return fail(c, result.status, result.code, result.message);
  return c.json({ slug, ...result.value }, 202);
}

adminIssueRoutes.post('/api/issues/:slug/retry-failed', async (c) => {
  const slug = c.req.param('slug');
  return validSlug(slug) ? acted(c, slug, await retryFailed(c.get('db'), c.env, slug)) : fail(c, 404, 'not_found', unknown(slug));
});
adminIssueRoutes.post('/api/issues/:slug/resume', async (c) => {
  const slug = c.req.param('slug');
  return validSlug(slug) ? acted(c, slug, await resume(c.get('db'), c.env, slug)) : fail(c, 404, 'not_found', unknown(slug));
});
adminIssueRoutes.post('/api/issues/:slug/cancel', async (c) => {
  const slug = c.req.param('slug');
  return validSlug(slug) ? acted(c, slug, await cancel(c.get('db'), slug)) : fail(c, 404, 'not_found', unknown(slug));
});
