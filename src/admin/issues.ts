// Admin API, issues: the bundled articles and their state, send now, a test copy, stats, and what an
// operator does to a send under way (retry the failed readers, resume or cancel a paused send).
// Each route's input, answers and scope are declared in its apiRoute (see src/api/openapi.ts).
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
import type { Context } from 'hono';
import { apiRoute, createApiRouter, error, json, problem, z } from '../api/openapi';
import { Cursor, Email, NextCursor, PageLimit, Timestamp } from '../api/schemas';
import type { Db } from '../db/client';
import { sends } from '../db/schema';
import { type CatalogueArticle, findArticle } from '../issues/catalog';
import { cancel, type ControlResult, resume, retryFailed } from '../issues/control';
import { startSend } from '../issues/plan';
import { unresolvedPage } from '../issues/send-store';
import { apiStatus, issueList, issueStats } from '../issues/stats';
import { sendTestCopy } from '../issues/test-copy';
import { encodeCursor } from '../subscribers/listing';

export const adminIssueRoutes = createApiRouter();

const sendRow = { id: sends.id, status: sends.status };

async function sendFor(db: Db, slug: string) {
  return db.select(sendRow).from(sends).where(eq(sends.slug, slug)).get();
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const validSlug = (slug: string) => SLUG.test(slug) && slug.length <= 200;

/** A malformed slug names no article: 404 without a lookup. */
async function article(db: Db, slug: string): Promise<CatalogueArticle | undefined> {
  return validSlug(slug) ? findArticle(db, slug) : undefined;
}

const unknown = (slug: string) => `There is no article "${slug}". GET /api/issues lists every article.`;

/** An unknown or malformed slug is simply not found (404), like any other address. */
const SlugParam = z.object({
  slug: z.string().openapi({ param: { name: 'slug', in: 'path' }, example: 'gut-health-and-skin-clarity', description: 'The article file name without its date prefix and .md.' }),
});
const NOT_FOUND = error('No such article', ['not_found']);
const IssueStatus = z.enum(['draft', 'ready', 'scheduled', 'sending', 'halted', 'paused', 'sent']);

const IssueSummary = z
  .object({
    slug: z.string(),
    title: z.string(),
    date: z.string().openapi({ format: 'date' }),
    status: IssueStatus,
    sendAt: Timestamp.nullable().openapi({ description: 'When it goes: its scheduled time, or the next weekly slot for the article that takes it; else null.' }),
    reason: z.string().nullable(),
  })
  .openapi('IssueSummary');

const Stats = z
  .object({
    status: IssueStatus,
    reason: z.string().nullable().openapi({ description: 'Why a send is halted or paused, else null.' }),
    recipients: z.number().int(),
    sent: z.number().int(),
    failed: z.number().int(),
    unknown: z.number().int().openapi({ description: 'Readers whose outcome cannot be known (never re-sent blindly).' }),
    skipped: z.number().int(),
    paused: z.number().int(),
    suppressed: z.number().int().openapi({ description: 'Readers Resend itself refused (its own suppression list); not counted as sent.' }),
    pending: z.number().int(),
    delivered: z.number().int(),
    bounced: z.number().int(),
    complained: z.number().int(),
    opened: z.number().int(),
    clicked: z.number().int(),
  })
  .openapi('IssueStats');

adminIssueRoutes.openapi(
  apiRoute({
    method: 'get',
    path: '/api/issues',
    scope: 'issues:read',
    tags: ['Issues'],
    summary: 'Every article and the state of its send',
    responses: { 200: json(z.object({ issues: z.array(IssueSummary) }), 'Every article, newest first') },
  }),
  async (c) => c.json({ issues: (await issueList(c.get('db'), c.get('config').weeklySlot)).issues }, 200),
);

adminIssueRoutes.openapi(
  apiRoute({
    method: 'post',
    path: '/api/issues/{slug}/send',
    scope: 'issues:send',
    tags: ['Issues'],
    summary: 'Send this article now (same guarantees as the weekly run)',
    request: { params: SlugParam },
    responses: {
      202: json(z.object({ slug: z.string(), status: z.enum(['sending', 'sent']), recipients: z.number().int(), chunks: z.number().int() }), 'The send started'),
      404: NOT_FOUND,
      409: error('Already sending or sent', ['already_sending', 'already_sent']),
    },
  }),
  async (c) => {
    const { slug } = c.req.valid('param');
    const found = await article(c.get('db'), slug);
    if (!found) return problem(c, 404, 'not_found', unknown(slug));
    const conflict = (status: string) =>
      problem(c, 409, status === 'sent' ? 'already_sent' : 'already_sending', `"${slug}" is ${status === 'sent' ? 'already sent' : `${status} right now`}: an article goes out once.`);
    const db = c.get('db');
    const existing = await sendFor(db, slug);
    if (existing) return conflict(apiStatus(existing.status));
    const result = await startSend(db, c.env, c.get('config'), found);
    if (!result.started) return conflict(apiStatus((await sendFor(db, slug))?.status ?? 'sending'));
    const status = result.chunks === 0 ? ('sent' as const) : ('sending' as const);
    return c.json({ slug, status, recipients: result.recipients, chunks: result.chunks }, 202);
  },
);

adminIssueRoutes.openapi(
  apiRoute({
    method: 'post',
    path: '/api/issues/{slug}/test',
    scope: 'issues:send',
    tags: ['Issues'],
    summary: 'Send one test copy to one address',
    request: { params: SlugParam, body: { content: { 'application/json': { schema: z.object({ to: Email }) } }, required: true } },
    responses: {
      202: json(z.object({ status: z.literal('sent'), to: z.string(), id: z.string() }), 'The provider accepted the copy'),
      404: NOT_FOUND,
      422: error('The provider refused this address', ['recipient_refused']),
      502: error('The provider refused the copy', ['provider_refused']),
      503: error('The provider did not take it; try again shortly', ['provider_unavailable']),
    },
  }),
  async (c) => {
    const { slug } = c.req.valid('param');
    const found = await article(c.get('db'), slug);
    if (!found) return problem(c, 404, 'not_found', unknown(slug));
    const { to } = c.req.valid('json');
    const result = await sendTestCopy(c.get('db'), c.env, c.get('config'), found, to);
    if (result.kind === 'retry') {
      if (result.afterMs !== null) c.header('Retry-After', String(Math.ceil(result.afterMs / 1000)));
      return problem(c, 503, 'provider_unavailable', `The email provider did not take the test copy; try again shortly (${result.message}).`);
    }
    if (result.kind !== 'accepted') return problem(c, 502, 'provider_refused', `The email provider refused the test copy: ${result.message}`);
    const outcome = result.outcomes[0];
    if ('error' in outcome) return problem(c, 422, 'recipient_refused', `The email provider refused this address: ${outcome.error}`);
    return c.json({ status: 'sent' as const, to, id: outcome.id }, 202);
  },
);

adminIssueRoutes.openapi(
  apiRoute({
    method: 'get',
    path: '/api/issues/{slug}/stats',
    scope: 'issues:read',
    tags: ['Issues'],
    summary: "A send's progress and outcome (all 0 for an article never sent)",
    request: { params: SlugParam },
    responses: { 200: json(Stats, 'The counters'), 404: NOT_FOUND },
  }),
  async (c) => {
    const { slug } = c.req.valid('param');
    const stats = await issueStats(c.get('db'), slug);
    return stats ? c.json(stats, 200) : problem(c, 404, 'not_found', unknown(slug));
  },
);

const Recipient = z
  .object({ email: z.string(), name: z.string().nullable(), status: z.enum(['failed', 'unknown']), error: z.string().nullable(), at: Timestamp })
  .openapi('Recipient');

adminIssueRoutes.openapi(
  apiRoute({
    method: 'get',
    path: '/api/issues/{slug}/recipients',
    scope: 'issues:read',
    tags: ['Issues'],
    summary: 'The readers of a send an operator may act on: failed or unknown, a page at a time',
    request: {
      params: SlugParam,
      query: z.object({
        status: z.enum(['failed', 'unknown'], { error: 'status must be failed or unknown: the readers of a send an operator may act on (the stats count the rest).' }),
        limit: PageLimit,
        cursor: Cursor,
      }),
    },
    responses: { 200: json(z.object({ recipients: z.array(Recipient), nextCursor: NextCursor }), 'A page of readers'), 404: NOT_FOUND },
  }),
  async (c) => {
    const { slug } = c.req.valid('param');
    const { status, limit, cursor } = c.req.valid('query');
    const db = c.get('db');
    const send = await sendFor(db, slug);
    if (!send) return (await article(db, slug)) ? c.json({ recipients: [], nextCursor: null }, 200) : problem(c, 404, 'not_found', unknown(slug));
    const rows = await unresolvedPage(db, send.id, status, cursor, limit + 1);
    const page = rows.slice(0, limit);
    return c.json(
      {
        recipients: page.map((r) => ({ email: r.email, name: r.name, status: r.status as 'failed' | 'unknown', error: r.error, at: new Date(r.at).toISOString() })),
        nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
      },
      200,
    );
  },
);

/** An operator's action on a send: 404 unknown slug, 409 wrong state, else 202 with what happens now. */
function acted<T extends object>(c: Context, slug: string, result: ControlResult<T>) {
  if (!result.ok) return result.status === 404 ? problem(c, 404, result.code, result.message) : problem(c, 409, result.code, result.message);
  return c.json({ slug, ...result.value }, 202);
}

const NOT_SENT = error('No such article, or it was never sent', ['not_sent']);
const WRONG_STATE = error('The send is not in a state that allows this', ['send_under_way', 'not_paused']);

adminIssueRoutes.openapi(
  apiRoute({
    method: 'post',
    path: '/api/issues/{slug}/retry-failed',
    scope: 'issues:send',
    tags: ['Issues'],
    summary: 'Send once more to exactly the readers recorded failed',
    request: { params: SlugParam },
    responses: { 202: json(z.object({ slug: z.string(), retrying: z.number().int(), unknown: z.number().int() }), 'Retrying'), 404: NOT_SENT, 409: WRONG_STATE },
  }),
  async (c) => {
    const { slug } = c.req.valid('param');
    return acted(c, slug, await retryFailed(c.get('db'), c.env, slug));
  },
);

adminIssueRoutes.openapi(
  apiRoute({
    method: 'post',
    path: '/api/issues/{slug}/resume',
    scope: 'issues:send',
    tags: ['Issues'],
    summary: 'A paused send continues (everyone still gets it once)',
    request: { params: SlugParam },
    responses: { 202: json(z.object({ slug: z.string(), status: z.literal('sending') }), 'Resumed'), 404: NOT_SENT, 409: WRONG_STATE },
  }),
  async (c) => {
    const { slug } = c.req.valid('param');
    return acted(c, slug, await resume(c.get('db'), c.env, slug));
  },
);

adminIssueRoutes.openapi(
  apiRoute({
    method: 'post',
    path: '/api/issues/{slug}/cancel',
    scope: 'issues:send',
    tags: ['Issues'],
    summary: 'A paused send ends; readers not yet sent become skipped',
    request: { params: SlugParam },
    responses: { 202: json(z.object({ slug: z.string(), status: z.literal('cancelled') }), 'Cancelled'), 404: NOT_SENT, 409: WRONG_STATE },
  }),
  async (c) => {
    const { slug } = c.req.valid('param');
    return acted(c, slug, await cancel(c.get('db'), slug));
  },
);
