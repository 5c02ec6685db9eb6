// The dashboard's editor: write, check, preview, save, schedule and delete articles in the browser
// (pages in pages/editor.tsx). Same session, CSRF and post/redirect/get as the rest of the dashboard
// (dashboard.ts), and the same rules as the API (admin/articles.ts): the article goes through the
// store (issues/stored-articles.ts) and the checks (issues/review.ts), nothing of its own.
//
// The form's fields become the content-file document (front matter, then the body as typed), so a
// problem's line maps back to a field, or to a line of the body textarea.
//
// Mounted before dashboardRoutes (admin/routes.ts), whose `/admin/issues/:slug` would take `new`.
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { sends } from '../db/schema';
import type { Fields } from '../http/body';
import { limitBody } from '../http/middleware';
import { site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import { type Article, isSlug } from '../issues/article';
import { findArticle } from '../issues/catalog';
import { reviewArticle } from '../issues/review';
import { clearSchedule, scheduleOf, setSchedule } from '../issues/schedules';
import { describeInstant, describeSlot, instantToZonedTime, zonedTimeToInstant } from '../issues/slot';
import { issueList } from '../issues/stats';
import { deleteStoredArticle, getStoredArticle, saveStoredArticle, slugTaken } from '../issues/stored-articles';
import { personalize, renderIssueTemplate } from '../issues/template';
import { MAX_IMAGE_BYTES } from '../media/image';
import { storeImage } from '../media/routes';
import { emailTags } from '../mail/tags';
import { readerTokens } from '../subscribers/tokens';
import { MAX_ARTICLE_BYTES } from './articles';
import { action, adminFail, type Ctx, guarded, html, noStore, noticeFor, type SignedIn, signedInFirst } from './dashboard';
import { DeleteConfirmPage, type EditorFields, EditorPage, type EditorPageProps, type EditorProblem } from './pages/editor';
import { EDITOR_SCRIPT } from './pages/editor-script';
import { csrfMatches } from './session';

export const editorRoutes = new Hono<AppEnv>();

/** An article and an image in one multipart post, with room for the envelope. */
export const EDITOR_BODY_LIMIT = MAX_ARTICLE_BYTES + MAX_IMAGE_BYTES + 64 * 1024;
const bigBody = [signedInFirst, limitBody(EDITOR_BODY_LIMIT)] as const;

editorRoutes.use('/admin/issues/*', noStore);
editorRoutes.use('/admin/media', noStore);

const text = (v: unknown) => (typeof v === 'string' ? v : '');

function fieldsOf(form: Fields, slug?: string): EditorFields {
  return {
    slug: slug ?? text(form.slug).trim(),
    title: text(form.title),
    date: text(form.date).trim(),
    summary: text(form.summary),
    markdown: text(form.markdown).replace(/\r\n?/g, '\n'),
  };
}

/** The document the form's fields make: four lines of front matter, then the body as typed (line 6 on). */
function documentOf(f: EditorFields): string {
  return `---\ntitle: ${JSON.stringify(f.title)}\ndate: ${JSON.stringify(f.date)}\nsummary: ${JSON.stringify(f.summary)}\n---\n${f.markdown}`;
}
const BODY_FIRST_LINE = 6;

function toEditorProblem(p: { line: number; message: string }): EditorProblem {
  if (p.line === 2) return { field: 'title', message: p.message };
  if (p.line === 3) return { field: 'date', message: p.message };
  if (p.line === 4) return { field: 'summary', message: p.message };
  if (p.line >= BODY_FIRST_LINE) return { field: 'body', line: p.line - BODY_FIRST_LINE + 1, message: p.message };
  return { field: 'body', message: p.message };
}

type FieldReview = { ok: true; article: Article; warnings: EditorProblem[] } | { ok: false; problems: EditorProblem[]; warnings: EditorProblem[] };

/** The API's checks, on the form's fields; a new article's slug too. */
async function reviewFields(db: Db, config: Config, f: EditorFields, isNew: boolean): Promise<FieldReview> {
  const problems: EditorProblem[] = [];
  if (isNew) {
    if (!isSlug(f.slug)) problems.push({ field: 'slug', message: 'Use lower-case letters, digits and single dashes (at most 200 characters), like "my-first-issue".' });
    else if (await slugTaken(db, f.slug)) problems.push({ field: 'slug', message: `"${f.slug}" is already used by another issue: choose another.` });
  }
  const review = await reviewArticle(config, isSlug(f.slug) ? f.slug : 'new-issue', documentOf(f));
  const warnings = review.ok ? review.warnings.map(toEditorProblem) : [];
  if (!review.ok) problems.push(...review.problems.map(toEditorProblem));
  if (problems.length > 0 || !review.ok) return { ok: false, problems, warnings };
  return { ok: true, article: { ...review.article, slug: f.slug }, warnings };
}

/** What the page needs besides the fields: state, schedule, the weekly slot. */
async function editorState(c: Ctx, db: Db, slug: string) {
  const config = c.get('config');
  const zone = config.weeklySlot.timeZone;
  const { issues } = await issueList(db, config.weeklySlot);
  const listed = issues.find((i) => i.slug === slug);
  const at = await scheduleOf(db, slug);
  const scheduled = listed?.status === 'scheduled' && at !== null;
  return {
    status: listed?.status ?? 'draft',
    schedule: scheduled ? { at, text: describeInstant(at, zone), local: instantToZonedTime(at, zone) } : null,
    weeklyText: !scheduled && listed?.sendAt ? describeInstant(Date.parse(listed.sendAt), zone) : null,
    slotText: describeSlot(config.weeklySlot),
    timeZone: zone,
  };
}

type PageExtra = Partial<Pick<EditorPageProps, 'problems' | 'warnings' | 'error' | 'notice' | 'testTo'>> & { fields?: EditorFields };

async function newPage(c: Ctx, s: SignedIn, status: ContentfulStatusCode = 200, extra: PageExtra = {}) {
  const config = c.get('config');
  const today = new Date().toISOString().slice(0, 10);
  const fields = extra.fields ?? { slug: '', title: '', date: today, summary: '', markdown: '' };
  return html(
    c,
    EditorPage({
      site: site(c),
      csrf: s.csrf,
      nonce: c.get('secureHeadersNonce') ?? null,
      script: EDITOR_SCRIPT,
      mode: 'new',
      fields,
      version: null,
      status: 'draft',
      schedule: null,
      weeklyText: null,
      slotText: describeSlot(config.weeklySlot),
      timeZone: config.weeklySlot.timeZone,
      previewSaved: false,
      ...extra,
    }),
    status,
  );
}

async function editPage(c: Ctx, s: SignedIn, slug: string, status: ContentfulStatusCode = 200, extra: PageExtra = {}) {
  const db = s.db;
  const article = isSlug(slug) ? await findArticle(db, slug) : undefined;
  const sent = isSlug(slug) ? await db.select({ title: sends.title, date: sends.articleDate, summary: sends.summary, markdown: sends.markdown }).from(sends).where(eq(sends.slug, slug)).get() : undefined;
  if (!article && !sent) return adminFail(c, 404, 'not_found', `There is no article "${slug}". The issues page lists every one.`, 'Not found', s.csrf);
  const mode: EditorPageProps['mode'] = sent ? 'started' : article!.source === 'content' ? 'content' : 'edit';
  const saved = sent ?? article!;
  const fields = extra.fields ?? { slug, title: saved.title, date: saved.date, summary: saved.summary, markdown: saved.markdown };
  return html(
    c,
    EditorPage({
      site: site(c),
      csrf: s.csrf,
      nonce: c.get('secureHeadersNonce') ?? null,
      script: EDITOR_SCRIPT,
      mode,
      fields,
      version: article?.version ?? null,
      ...(await editorState(c, db, slug)),
      previewSaved: true,
      notice: noticeFor(c),
      ...extra,
    }),
    status,
  );
}

editorRoutes.get('/admin/issues/new', guarded((c, s) => newPage(c, s)));
editorRoutes.get('/admin/issues/:slug/edit', guarded((c, s) => editPage(c, s, c.req.param('slug') ?? '')));

/** An uploaded image from the form, stored; its Markdown goes at the end of the body (not saved yet). */
async function uploadFromForm(c: Ctx, form: Fields): Promise<{ ok: true; markdown: string } | { ok: false; message: string }> {
  const file = form.image;
  if (!(file instanceof File) || file.size === 0) return { ok: false, message: 'Choose an image file first, then press "Upload image".' };
  const stored = await storeImage(c.env.MEDIA, c.get('config').publicUrl, new Uint8Array(await file.arrayBuffer()), file.type);
  if (!stored.ok) return { ok: false, message: `The image was not uploaded: ${stored.message}` };
  return { ok: true, markdown: `![Describe this image](${stored.image.url})` };
}

async function saveFromForm(c: Ctx, s: SignedIn, form: Fields, slug: string | undefined): Promise<Response> {
  const isNew = slug === undefined;
  const fields = fieldsOf(form, slug);
  const again = (status: ContentfulStatusCode, extra: PageExtra) => (isNew ? newPage(c, s, status, { fields, ...extra }) : editPage(c, s, slug, status, { fields, ...extra }));

  if (form.intent === 'upload') {
    const uploaded = await uploadFromForm(c, form);
    if (!uploaded.ok) return again(422, { error: uploaded.message });
    const markdown = `${fields.markdown.replace(/\s+$/, '')}${fields.markdown.trim() ? '\n\n' : ''}${uploaded.markdown}\n`;
    return again(200, { fields: { ...fields, markdown }, notice: 'The image is uploaded and added at the end of the body: describe it between the square brackets, then save.' });
  }

  const review = await reviewFields(s.db, c.get('config'), fields, isNew);
  if (!review.ok) return wantsJson(c) ? c.json({ error: { code: 'invalid_article', message: 'The article has problems to fix.', problems: review.problems } }, 422) : again(422, { problems: review.problems, warnings: review.warnings });
  const version = text(form.version);
  const expectedVersion = isNew ? null : /^\d+$/.test(version) ? Number(version) : undefined;
  const saved = await saveStoredArticle(s.db, review.article, { expectedVersion });
  if (!saved.ok) {
    const message =
      saved.reason === 'version_conflict'
        ? `${saved.message} Your text is still below: copy what you need before reloading.`
        : saved.message;
    return wantsJson(c) ? c.json({ error: { code: saved.reason, message } }, 409) : again(409, { error: message });
  }
  if (wantsJson(c)) return c.json({ slug: fields.slug, version: saved.version }, saved.created ? 201 : 200);
  return c.redirect(`/admin/issues/${fields.slug}/edit?done=saved`, 303);
}

editorRoutes.post('/admin/issues/new', ...bigBody, action((c, s, form) => saveFromForm(c, s, form, undefined)));
editorRoutes.post('/admin/issues/:slug/edit', ...bigBody, action((c, s, form) => saveFromForm(c, s, form, c.req.param('slug') ?? '')));

/** The live checks (the editor's script): the same review as a save, nothing stored. */
editorRoutes.post(
  '/admin/issues/check',
  ...bigBody,
  action(async (c, s, form) => {
    const slug = text(form.slug).trim();
    const isNew = !(isSlug(slug) && (await getStoredArticle(s.db, slug)));
    const review = await reviewFields(s.db, c.get('config'), fieldsOf(form), isNew);
    return c.json({ problems: review.ok ? [] : review.problems, warnings: review.warnings });
  }),
);

// ---- the preview: the email exactly as a reader gets it, as its own document ---------------------
// Served with a CSP of its own (src/http/middleware.ts): the email's inline styles and its images
// from anywhere, no script, framed only by the dashboard.

async function emailHtml(c: Ctx, article: Article, scheme: string): Promise<string> {
  const config = c.get('config');
  const template = await renderIssueTemplate(config, article);
  const email = personalize(config, template, 'preview@localhost', await readerTokens(config.tokenSecret, 0), emailTags('test', article.slug));
  // Dark: the email's own dark rules, applied as a client in dark mode applies them.
  const themed = scheme === 'dark' ? email.html.replace('@media (prefers-color-scheme:dark){', '@media all{') : email.html;
  return themed.replace(/<head>/i, '<head><base target="_blank">');
}

editorRoutes.post(
  '/admin/issues/preview',
  ...bigBody,
  action(async (c, _s, form) => {
    const f = fieldsOf(form);
    const article = { slug: isSlug(f.slug) ? f.slug : 'new-issue', title: f.title.trim() || 'Untitled', date: /^\d{4}-\d{2}-\d{2}$/.test(f.date) ? f.date : new Date().toISOString().slice(0, 10), summary: f.summary.trim(), markdown: f.markdown.trim() || '*(The body is empty.)*' };
    return c.html(await emailHtml(c, article, c.req.query('scheme') ?? 'light'));
  }),
);

editorRoutes.get(
  '/admin/issues/:slug/preview',
  guarded(async (c, s) => {
    const slug = c.req.param('slug') ?? '';
    const sent = isSlug(slug) ? await s.db.select({ slug: sends.slug, title: sends.title, date: sends.articleDate, summary: sends.summary, markdown: sends.markdown }).from(sends).where(eq(sends.slug, slug)).get() : undefined;
    const article = sent ?? (isSlug(slug) ? await findArticle(s.db, slug) : undefined);
    if (!article) return adminFail(c, 404, 'not_found', `There is no article "${slug}".`, 'Not found', s.csrf);
    return c.html(await emailHtml(c, article, c.req.query('scheme') ?? 'light'));
  }),
);

// ---- images pasted or dropped (the script): the session's CSRF token in a header, the body the image

editorRoutes.post(
  '/admin/media',
  signedInFirst,
  limitBody(MAX_IMAGE_BYTES),
  guarded(async (c, s) => {
    if (!(await csrfMatches(s.key, s.session.sid, c.req.header('x-csrf-token')))) {
      return c.json({ error: { code: 'invalid_csrf', message: 'Reload the page and try again.' } }, 403);
    }
    const stored = await storeImage(c.env.MEDIA, c.get('config').publicUrl, new Uint8Array(await c.req.arrayBuffer()), c.req.header('content-type'));
    if (!stored.ok) return c.json({ error: { code: stored.code, message: stored.message } }, stored.status);
    return c.json(stored.image, 201);
  }),
);

// ---- schedule, unschedule, delete --------------------------------------------------------------

editorRoutes.post(
  '/admin/issues/:slug/schedule',
  action(async (c, s, form) => {
    const slug = c.req.param('slug') ?? '';
    const article = isSlug(slug) ? await findArticle(s.db, slug) : undefined;
    if (!article) return adminFail(c, 404, 'not_found', `There is no article "${slug}".`, 'Not found', s.csrf);
    const zone = c.get('config').weeklySlot.timeZone;
    const at = zonedTimeToInstant(text(form.send_at), zone);
    const now = Date.now();
    if (at === null) return editPage(c, s, slug, 422, { error: `"Send at" must be a day and a time (${zone}).` });
    if (at <= now) return editPage(c, s, slug, 422, { error: `${describeInstant(at, zone)} is in the past: choose a time ahead.` });
    if (!(await setSchedule(s.db, slug, at, now))) return editPage(c, s, slug, 409, { error: 'This article has started sending: its time can no longer change.' });
    return c.redirect(`/admin/issues/${slug}/edit?done=scheduled`, 303);
  }),
);

editorRoutes.post(
  '/admin/issues/:slug/unschedule',
  action(async (c, s) => {
    const slug = c.req.param('slug') ?? '';
    if (!isSlug(slug) || !(await findArticle(s.db, slug))) return adminFail(c, 404, 'not_found', `There is no article "${slug}".`, 'Not found', s.csrf);
    if (!(await clearSchedule(s.db, slug))) return editPage(c, s, slug, 409, { error: 'This article has started sending: its time can no longer change.' });
    return c.redirect(`/admin/issues/${slug}/edit?done=unscheduled`, 303);
  }),
);

editorRoutes.get(
  '/admin/issues/:slug/delete',
  guarded(async (c, s) => {
    const slug = c.req.param('slug') ?? '';
    const article = isSlug(slug) ? await getStoredArticle(s.db, slug) : undefined;
    if (!article) return adminFail(c, 404, 'not_found', `There is no draft "${slug}" written in the editor.`, 'Not found', s.csrf);
    return html(c, DeleteConfirmPage({ site: site(c), csrf: s.csrf, slug, title: article.title }));
  }),
);

editorRoutes.post(
  '/admin/issues/:slug/delete',
  action(async (c, s) => {
    const slug = c.req.param('slug') ?? '';
    const result = isSlug(slug) ? await deleteStoredArticle(s.db, slug) : ({ ok: false, reason: 'not_found', message: `There is no article "${slug}".` } as const);
    if (!result.ok) return adminFail(c, result.reason === 'not_found' ? 404 : 409, result.reason, result.message, 'Not deleted', s.csrf);
    return c.redirect('/admin/issues?done=deleted', 303);
  }),
);
