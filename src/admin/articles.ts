// Admin API, writing and scheduling articles (CONTRACT "Publishing from the browser"):
//   PUT    /api/issues/:slug            text/markdown, the content file format (+ optional send_at)
//   GET    /api/issues/:slug            the article, its state and when it goes
//   DELETE /api/issues/:slug            an editor article never sent
//   POST   /api/issues/:slug/schedule   {"sendAt"}: it goes then (within 5 minutes after)
//   DELETE /api/issues/:slug/schedule   back to the weekly slot
//
// Decisions:
//  - Versions: every answer about an editor article carries `ETag: "N"` (its version). A PUT with
//    `If-Match` replaces only that version (409 version_conflict otherwise); a PUT without it still
//    cannot undo a save that raced it (stored-articles.ts). `If-None-Match: *` means "create only".
//  - A PUT with `send_at` sets the schedule; without it, the schedule stays as it is (DELETE
//    …/schedule clears it), so saving a fix to a scheduled article does not quietly unschedule it.
//  - Articles from content/ can be scheduled and unscheduled here too, never written or deleted.
//  - The article body is limited to MAX_ARTICLE_BYTES: an email must stay under 90 KB of HTML, so
//    anything much larger can only be a mistake (413).
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { apiRoute, asIs, createApiRouter, error, json, z } from '../api/openapi';
import { ErrorBody, Slug, Timestamp } from '../api/schemas';
import type { Db } from '../db/client';
import { sends } from '../db/schema';
import { readFields } from '../http/body';
import { limitBody } from '../http/middleware';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';
import { isSlug, parseInstant } from '../issues/article';
import { findArticle } from '../issues/catalog';
import { reviewArticle } from '../issues/review';
import { clearSchedule, setSchedule } from '../issues/schedules';
import { issueList, issueStats } from '../issues/stats';
import { deleteStoredArticle, isBundledSlug, saveStoredArticle } from '../issues/stored-articles';

export const adminArticleRoutes = createApiRouter();

// The spec's side of these routes (converted as they were: handlers answer through `fail`, see asIs).
const SlugParam = z.object({ slug: Slug.openapi({ param: { name: 'slug', in: 'path' } }) });
const Issue = z
  .object({
    slug: z.string(),
    title: z.string(),
    date: z.string().openapi({ format: 'date' }),
    summary: z.string(),
    status: z.enum(['draft', 'ready', 'scheduled', 'sending', 'halted', 'paused', 'sent']),
    sendAt: Timestamp.nullable(),
    source: z.enum(['content', 'editor']),
    markdown: z.string(),
  })
  .openapi('Issue');
const Problem = z.object({ line: z.number().int(), message: z.string() });
const ArticleError = ErrorBody.extend({ error: ErrorBody.shape.error.extend({ problems: z.array(Problem).optional() }) }).openapi('ArticleError');
const NOT_FOUND = error('No such article', ['not_found']);
const MARKDOWN = { description: 'The content file format: YAML front matter (title, date, summary, optional send_at), then Markdown.', content: { 'text/markdown': { schema: z.string() } } };

/** Far more than any article that fits in an email (90 KB of HTML), far less than the admin limit. */
export const MAX_ARTICLE_BYTES = 512 * 1024;

type Ctx = Context<AppEnv>;

const badSlug = (c: Ctx, slug: string) =>
  fail(c, 400, 'invalid_slug', `"${slug.slice(0, 100)}" is not a slug: use lower-case letters, digits and single dashes (at most 200 characters), like "my-first-issue".`);

export interface IssueView {
  slug: string;
  title: string;
  date: string;
  summary: string;
  status: string;
  sendAt: string | null;
  source: 'content' | 'editor';
  markdown: string;
  /** The editor's version (the ETag), null for content files and sent issues. */
  version: number | null;
}

/** The article as GET /api/issues/:slug shows it: from the catalogue, else as sent (removed or imported). */
export async function issueView(c: Ctx, db: Db, slug: string): Promise<IssueView | null> {
  const article = await findArticle(db, slug);
  const { issues } = await issueList(db, c.get('config').weeklySlot);
  const listed = issues.find((i) => i.slug === slug);
  if (article && listed) {
    return { slug, title: article.title, date: article.date, summary: article.summary, status: listed.status, sendAt: listed.sendAt, source: article.source, markdown: article.markdown, version: article.version };
  }
  const sent = await db
    .select({ title: sends.title, date: sends.articleDate, summary: sends.summary, markdown: sends.markdown, importedFrom: sends.importedFrom })
    .from(sends)
    .where(eq(sends.slug, slug))
    .get();
  if (!sent || !listed) return null;
  return { slug, title: sent.title, date: sent.date, summary: sent.summary, status: listed.status, sendAt: null, source: sent.importedFrom ? 'editor' : 'content', markdown: sent.markdown, version: null };
}

const etag = (version: number) => `"${version}"`;

/** `If-Match: "3"` (or W/"3") → 3; `*` → 'any'; absent → undefined; anything else → 'invalid'. */
function ifMatch(header: string | undefined): number | 'any' | 'invalid' | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return 'any';
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(value);
  return m ? Number(m[1]) : 'invalid';
}

function viewResponse(c: Ctx, view: IssueView, status: 200 | 201 = 200, extra: object = {}) {
  if (view.version !== null) c.header('ETag', etag(view.version));
  const { version: _, ...body } = view;
  return c.json({ ...body, ...extra }, status);
}

adminArticleRoutes.openapi(
  apiRoute({
    method: 'get',
    path: '/api/issues/{slug}',
    scope: 'issues:read',
    tags: ['Issues'],
    summary: 'One article: its text, state and when it goes',
    request: { params: SlugParam },
    responses: { 200: json(Issue, 'The article (ETag: its version, for an editor article)'), 404: NOT_FOUND },
  }),
  asIs(async (c) => {
  const slug = c.req.param('slug')!;
  if (!isSlug(slug)) return badSlug(c, slug);
  const view = await issueView(c, c.get('db'), slug);
  if (!view) return fail(c, 404, 'not_found', `There is no article "${slug}". GET /api/issues lists every article.`);
  return viewResponse(c, view);
  }),
);

adminArticleRoutes.use('/api/issues/:slug', (c, next) => (c.req.method === 'PUT' ? limitBody(MAX_ARTICLE_BYTES)(c, next) : next()));
adminArticleRoutes.openapi(
  apiRoute({
    method: 'put',
    path: '/api/issues/{slug}',
    scope: 'issues:write',
    tags: ['Issues'],
    summary: 'Write an article (create or replace; If-Match for its version)',
    request: { params: SlugParam, body: { ...MARKDOWN, required: true } },
    responses: {
      200: json(Issue.extend({ warnings: z.array(Problem).optional() }), 'Replaced'),
      201: json(Issue.extend({ warnings: z.array(Problem).optional() }), 'Created'),
      409: error('The slug is a content file, the send started, or the version changed', ['slug_taken', 'already_sent', 'version_conflict']),
      422: { description: 'The article checks failed (`invalid_article`, with `problems`)', content: { 'application/json': { schema: ArticleError } } },
    },
  }),
  asIs(async (c) => {
  const slug = c.req.param('slug')!;
  if (!isSlug(slug)) return badSlug(c, slug);
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (!type.startsWith('text/markdown') && !type.startsWith('text/plain')) {
    return fail(c, 415, 'unsupported_media_type', 'Send the article as text/markdown: YAML front matter (title, date, summary, optional send_at) between two "---" lines, then the Markdown body.');
  }
  const db = c.get('db');
  if (isBundledSlug(slug)) return fail(c, 409, 'slug_taken', `"${slug}" is an article in content/: change it there (and deploy), or choose another slug.`);
  const match = ifMatch(c.req.header('if-match'));
  if (match === 'invalid') return fail(c, 400, 'invalid_if_match', 'If-Match must be the ETag of the article as you read it, like "3" (with the quotes), or *.');
  const createOnly = c.req.header('if-none-match')?.trim() === '*';

  const review = await reviewArticle(c.get('config'), slug, await c.req.text());
  if (!review.ok) {
    const count = review.problems.length;
    return c.json(
      { error: { code: 'invalid_article', message: `The article has ${count} problem${count === 1 ? '' : 's'} to fix: ${review.problems.map((p) => `line ${p.line}: ${p.message}`).join(' ')}`, problems: review.problems } },
      422,
    );
  }
  let expectedVersion: number | null | undefined = createOnly ? null : typeof match === 'number' ? match : undefined;
  if (match === 'any') {
    const current = await findArticle(db, slug);
    if (!current || current.source !== 'editor') return fail(c, 409, 'version_conflict', `"${slug}" does not exist yet; If-Match: * asks to replace an existing article.`);
    expectedVersion = current.version!;
  }
  const saved = await saveStoredArticle(db, review.article, { expectedVersion, ...(review.sendAt !== null ? { sendAt: review.sendAt } : {}) });
  if (!saved.ok) {
    const code = saved.reason === 'send_started' ? 'already_sent' : saved.reason;
    return fail(c, 409, code, saved.message);
  }
  const view = await issueView(c, db, slug);
  return viewResponse(c, view!, saved.created ? 201 : 200, { warnings: review.warnings });
  }),
);

adminArticleRoutes.openapi(
  apiRoute({
    method: 'delete',
    path: '/api/issues/{slug}',
    scope: 'issues:write',
    tags: ['Issues'],
    summary: 'Delete an editor article never sent',
    request: { params: SlugParam },
    responses: { 204: { description: 'Deleted' }, 404: NOT_FOUND, 409: error('A content file, or sent', ['content_article', 'already_sent']) },
  }),
  asIs(async (c) => {
  const slug = c.req.param('slug')!;
  if (!isSlug(slug)) return badSlug(c, slug);
  const result = await deleteStoredArticle(c.get('db'), slug);
  if (result.ok) return c.body(null, 204);
  if (result.reason === 'not_found') return fail(c, 404, 'not_found', result.message);
  return fail(c, 409, result.reason === 'bundled' ? 'content_article' : 'already_sent', result.message);
  }),
);

adminArticleRoutes.openapi(
  apiRoute({
    method: 'post',
    path: '/api/issues/{slug}/schedule',
    scope: 'issues:write',
    tags: ['Issues'],
    summary: 'Send it at a time (within 5 minutes after)',
    request: {
      params: SlugParam,
      // Checked by the handler (parseInstant: 422 invalid_send_at), so declared as plain JSON Schema.
      body: { content: { 'application/json': { schema: { type: 'object', properties: { sendAt: { type: 'string', format: 'date-time', example: '2026-12-10T09:00:00-05:00' } }, required: ['sendAt'] } } }, required: true },
    },
    responses: { 200: json(Issue, 'Scheduled'), 404: NOT_FOUND, 409: error('Its send started', ['already_sent']), 422: error('Not a time with an offset, or in the past', ['invalid_send_at']) },
  }),
  asIs(async (c) => {
  const slug = c.req.param('slug')!;
  if (!isSlug(slug)) return badSlug(c, slug);
  const body = await readFields(c);
  if (!body.ok) return fail(c, body.status, body.code, body.message);
  const db = c.get('db');
  const when = parseInstant(body.fields.sendAt);
  if (!when.ok) return fail(c, 422, 'invalid_send_at', `"sendAt" ${when.message}`);
  const now = Date.now();
  if (when.at <= now) return fail(c, 422, 'invalid_send_at', `"sendAt" ${new Date(when.at).toISOString()} is in the past: choose a time ahead (or POST /api/issues/${slug}/send to send it now).`);
  if (!(await findArticle(db, slug))) return notFoundOrSent(c, db, slug);
  if (!(await setSchedule(db, slug, when.at, now))) return startedConflict(c, slug);
  return viewResponse(c, (await issueView(c, db, slug))!);
  }),
);

adminArticleRoutes.openapi(
  apiRoute({
    method: 'delete',
    path: '/api/issues/{slug}/schedule',
    scope: 'issues:write',
    tags: ['Issues'],
    summary: 'Back to the weekly slot',
    request: { params: SlugParam },
    responses: { 200: json(Issue, 'Unscheduled'), 404: NOT_FOUND, 409: error('Its send started', ['already_sent']) },
  }),
  asIs(async (c) => {
  const slug = c.req.param('slug')!;
  if (!isSlug(slug)) return badSlug(c, slug);
  const db = c.get('db');
  if (!(await findArticle(db, slug))) return notFoundOrSent(c, db, slug);
  if (!(await clearSchedule(db, slug))) return startedConflict(c, slug);
  return viewResponse(c, (await issueView(c, db, slug))!);
  }),
);

async function notFoundOrSent(c: Ctx, db: Db, slug: string) {
  const stats = await issueStats(db, slug);
  return stats ? startedConflict(c, slug) : fail(c, 404, 'not_found', `There is no article "${slug}". GET /api/issues lists every article.`);
}

const startedConflict = (c: Ctx, slug: string) => fail(c, 409, 'already_sent', `"${slug}" has started sending (or was sent): its time can no longer change.`);
