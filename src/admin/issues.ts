// Admin API, issues: the bundled articles and their state, send now, a test copy, stats.
//
// Decisions:
//  - "send now" sends any bundled article, a draft (future date) included: the operator asked for
//    now. The cron never sends it again (one send per slug, ever).
//  - stats for a bundled article that was never sent: 200 with every count 0 (nothing went out);
//    404 only for a slug that is neither bundled nor sent.
//  - the list also shows articles that were sent and have since left content/ (from the stored send).
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { type Db, getDb } from '../db/client';
import { sends } from '../db/schema';
import { readFields } from '../http/body';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';
import type { Article } from '../issues/article';
import { allArticles, findArticle, issueStatus } from '../issues/catalog';
import { startSend } from '../issues/plan';
import { sendStats, type IssueStats } from '../issues/stats';
import { sendTestCopy } from '../issues/test-copy';
import { normalizeEmail } from '../subscribers/address';

export const adminIssueRoutes = new Hono<AppEnv>();

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const sendRow = { id: sends.id, slug: sends.slug, status: sends.status, title: sends.title, date: sends.articleDate };

async function sendFor(db: Db, slug: string) {
  return db.select(sendRow).from(sends).where(eq(sends.slug, slug)).get();
}

function article(slug: string): Article | undefined {
  return SLUG.test(slug) && slug.length <= 200 ? findArticle(slug) : undefined;
}

const unknown = (slug: string) => `There is no article "${slug}" in content/. GET /api/issues lists every article.`;

adminIssueRoutes.get('/api/issues', async (c) => {
  const now = Date.now();
  const stored = await getDb(c.env.DB).select(sendRow).from(sends);
  const bySlug = new Map(stored.map((s) => [s.slug, s]));
  const issues = allArticles().map((a) => ({ slug: a.slug, title: a.title, date: a.date, status: issueStatus(a, bySlug.get(a.slug)?.status, now) }));
  const bundled = new Set(issues.map((i) => i.slug));
  for (const s of stored) {
    if (!bundled.has(s.slug)) issues.push({ slug: s.slug, title: s.title, date: s.date, status: s.status === 'sent' ? 'sent' : 'sending' });
  }
  issues.sort((a, b) => b.date.localeCompare(a.date) || a.slug.localeCompare(b.slug));
  return c.json({ issues });
});

adminIssueRoutes.post('/api/issues/:slug/send', async (c) => {
  const slug = c.req.param('slug');
  const found = article(slug);
  if (!found) return fail(c, 404, 'not_found', unknown(slug));
  const conflict = (status: string) =>
    fail(c, 409, status === 'sent' ? 'already_sent' : 'already_sending', `"${slug}" is ${status === 'sent' ? 'already sent' : 'being sent right now'}: an article goes out once.`);
  const db = getDb(c.env.DB);
  const existing = await sendFor(db, slug);
  if (existing) return conflict(existing.status);
  const result = await startSend(c.env, c.get('config'), found);
  if (!result.started) return conflict((await sendFor(db, slug))?.status ?? 'sending');
  const status = result.chunks === 0 ? 'sent' : 'sending';
  return c.json({ slug, status, recipients: result.recipients, chunks: result.chunks }, 202);
});

adminIssueRoutes.post('/api/issues/:slug/test', async (c) => {
  const slug = c.req.param('slug');
  const found = article(slug);
  if (!found) return fail(c, 404, 'not_found', unknown(slug));
  const body = await readFields(c);
  if (!body.ok) return fail(c, body.status, body.code, body.message);
  const to = normalizeEmail(body.fields.to);
  if (!to.ok) return fail(c, 400, to.code, `"to": ${to.message}`);
  const result = await sendTestCopy(c.env, c.get('config'), found, to.value);
  if (!result.ok) {
    if (result.retryable) {
      if (result.retryAfterMs !== null) c.header('Retry-After', String(Math.ceil(result.retryAfterMs / 1000)));
      return fail(c, 503, 'provider_unavailable', `The email provider did not take the test copy; try again shortly (${result.message}).`);
    }
    return fail(c, 502, 'provider_refused', `The email provider refused the test copy: ${result.message}`);
  }
  const outcome = result.outcomes[0];
  if ('error' in outcome) return fail(c, 422, 'recipient_refused', `The email provider refused this address: ${outcome.error}`);
  return c.json({ status: 'sent', to: to.value, id: outcome.id }, 202);
});

const ZERO: IssueStats = { recipients: 0, sent: 0, failed: 0, pending: 0, delivered: 0, bounced: 0, complained: 0, opened: 0, clicked: 0 };

adminIssueRoutes.get('/api/issues/:slug/stats', async (c) => {
  const slug = c.req.param('slug');
  const db = getDb(c.env.DB);
  const send = SLUG.test(slug) ? await sendFor(db, slug) : null;
  if (!send) return article(slug) ? c.json(ZERO) : fail(c, 404, 'not_found', unknown(slug));
  return c.json((await sendStats(db, send.id)) ?? ZERO);
});
