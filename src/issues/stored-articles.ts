// Articles kept in D1, beside the bundled content/*.md: written in the dashboard's editor or sent to
// `PUT /api/issues/:slug`, and issues imported from another newsletter service. Plain functions over
// one Drizzle client; the catalogue (catalog.ts) merges these with the bundled articles into the one
// list of `Article`s the send path knows, so a stored article is sent exactly as a content file is.
//
// The API, in full:
//   getStoredArticle(db, slug)            the article (with `version`), or undefined
//   listStoredArticles(db)                every stored article without its body, oldest first
//   saveStoredArticle(db, article, opts)  create or replace; guarded by the version and the send
//   deleteStoredArticle(db, slug)         an article never sent (its schedule goes with it)
//   recordImportedIssue(db, issue)        an issue sent elsewhere: `sent` here, never mailed
//   slugTaken(db, slug)                   whether either source (or a send) uses the slug
//
// Invariants, and why they hold:
//  - One slug space. A save refuses a bundled slug and any slug that has a send (an article sent
//    and since removed from content/, or an imported issue); an import refuses a slug an article of
//    either source has. The guards are `NOT EXISTS` inside the writing statement, so a save and a
//    claim or an import racing for one slug cannot both win. (A content file deployed later with a
//    slug the editor already uses: the catalogue keeps the bundled one and logs the other.)
//  - An article whose send started never changes: the send's row is the article as sent (the
//    archive serves it), and every write here is guarded by "no send for this slug".
//  - No lost update: every save names the version it replaces (the caller's If-Match, else the one
//    it just read) and the UPDATE only matches that version, so of two concurrent saves one gets a
//    `version_conflict` instead of silently undoing the other.
//
// Imported issues (recordImportedIssue, for the Substack/Ghost archive import): the issue becomes a
// `sends` row with status `sent`, no readers, and `importedFrom` set. Everything that reads sends
// then treats it as a sent issue with no further code: the archive and the feed list it (dated by
// its `date`), `GET /api/issues` and the dashboard show it `sent`, the weekly send and the scheduler
// never pick it (its slug is claimed), and nobody is ever mailed. Its body is either Markdown
// (rendered like any article) or HTML, shown as given on its archive page: sanitise it first.
import { and, asc, eq, sql } from 'drizzle-orm';
import { selectList } from '../db/batch';
import type { Db } from '../db/client';
import { schedules, sends, storedArticles } from '../db/schema';
import { articles as bundled } from '../generated/articles';
import type { Article } from './article';

export interface StoredArticle extends Article {
  version: number;
  createdAt: number;
  updatedAt: number;
}

export type StoredArticleHead = Omit<StoredArticle, 'markdown'>;

const head = {
  slug: storedArticles.slug,
  title: storedArticles.title,
  date: storedArticles.date,
  summary: storedArticles.summary,
  version: storedArticles.version,
  createdAt: storedArticles.createdAt,
  updatedAt: storedArticles.updatedAt,
};

export function isBundledSlug(slug: string): boolean {
  return bundled.some((a) => a.slug === slug);
}

const noSend = (slug: string) => sql`NOT EXISTS (SELECT 1 FROM ${sends} WHERE ${sends.slug} = ${slug})`;

export function getStoredArticle(db: Db, slug: string): Promise<StoredArticle | undefined> {
  return db.select({ ...head, markdown: storedArticles.markdown }).from(storedArticles).where(eq(storedArticles.slug, slug)).get();
}

export function listStoredArticles(db: Db): Promise<StoredArticleHead[]> {
  return db.select(head).from(storedArticles).orderBy(asc(storedArticles.date), asc(storedArticles.slug));
}

/** Whether a new article or import may not use this slug: a bundled or stored article, or a send, has it. */
export async function slugTaken(db: Db, slug: string): Promise<boolean> {
  if (isBundledSlug(slug)) return true;
  if (await db.select({ slug: storedArticles.slug }).from(storedArticles).where(eq(storedArticles.slug, slug)).get()) return true;
  return (await db.select({ id: sends.id }).from(sends).where(eq(sends.slug, slug)).get()) !== undefined;
}

export interface SaveOptions {
  /**
   * The version this save replaces (If-Match, or the editor form's hidden field): null to say "the
   * article must not exist yet"; undefined for "whatever is there now" (still one winner of two saves
   * racing, the other gets version_conflict).
   */
  expectedVersion?: number | null;
  /** When it goes: a time sets the schedule, null clears it, undefined leaves it as it is. */
  sendAt?: number | null;
  now?: number;
}

export type SaveResult =
  | { ok: true; created: boolean; version: number }
  | { ok: false; reason: 'slug_taken' | 'send_started'; message: string }
  | { ok: false; reason: 'version_conflict'; message: string; currentVersion: number | null };

/** Creates or replaces an editor article (the rules in the header); the schedule in the same batch. */
export async function saveStoredArticle(db: Db, article: Article, options: SaveOptions = {}): Promise<SaveResult> {
  const now = options.now ?? Date.now();
  const { slug } = article;
  if (isBundledSlug(slug)) {
    return { ok: false, reason: 'slug_taken', message: `"${slug}" is an article in content/: change it there (and deploy), or choose another slug.` };
  }
  const existing = await db.select({ version: storedArticles.version }).from(storedArticles).where(eq(storedArticles.slug, slug)).get();
  const sent = await db.select({ status: sends.status, importedFrom: sends.importedFrom }).from(sends).where(eq(sends.slug, slug)).get();
  if (sent) return startedOrTaken(slug, existing !== undefined);

  const expected = options.expectedVersion;
  if (expected !== undefined && expected !== (existing?.version ?? null)) return conflict(slug, existing?.version ?? null);

  const fields = { title: article.title, date: article.date, summary: article.summary, markdown: article.markdown, updatedAt: now };
  const version = existing ? existing.version + 1 : 1;
  const write = existing
    ? db
        .update(storedArticles)
        .set({ ...fields, version })
        .where(and(eq(storedArticles.slug, slug), eq(storedArticles.version, existing.version), noSend(slug)))
    : db
        .insert(storedArticles)
        .select(sql`SELECT ${selectList(storedArticles, { slug, ...fields, version, createdAt: now })} WHERE ${noSend(slug)}`)
        .onConflictDoNothing({ target: storedArticles.slug });
  const scheduleWritten = sql`EXISTS (SELECT 1 FROM ${storedArticles} WHERE ${storedArticles.slug} = ${slug} AND ${storedArticles.version} = ${version} AND ${storedArticles.updatedAt} = ${now})`;
  const [result] =
    options.sendAt === undefined
      ? await db.batch([write])
      : options.sendAt === null
        ? await db.batch([write, db.delete(schedules).where(and(eq(schedules.slug, slug), scheduleWritten))])
        : await db.batch([
            write,
            db
              .insert(schedules)
              .select(sql`SELECT ${selectList(schedules, { slug, sendAt: options.sendAt, updatedAt: now })} WHERE ${scheduleWritten}`)
              .onConflictDoUpdate({ target: schedules.slug, set: { sendAt: options.sendAt, updatedAt: now } }),
          ]);
  if (result.meta.changes === 1) return { ok: true, created: !existing, version };

  // Someone else wrote between our read and our write: say what happened instead.
  const now2 = await db.select({ version: storedArticles.version }).from(storedArticles).where(eq(storedArticles.slug, slug)).get();
  if (await db.select({ id: sends.id }).from(sends).where(eq(sends.slug, slug)).get()) return startedOrTaken(slug, now2 !== undefined);
  return conflict(slug, now2?.version ?? null);
}

function startedOrTaken(slug: string, isEditorArticle: boolean): SaveResult {
  return isEditorArticle
    ? { ok: false, reason: 'send_started', message: `"${slug}" has started sending: an article that went out (or is going out) can no longer change.` }
    : { ok: false, reason: 'slug_taken', message: `"${slug}" is the slug of an issue already sent: choose another slug.` };
}

function conflict(slug: string, currentVersion: number | null): SaveResult {
  return {
    ok: false,
    reason: 'version_conflict',
    currentVersion,
    message:
      currentVersion === null
        ? `"${slug}" does not exist (any more): it was deleted since you opened it. Save it again without If-Match to create it.`
        : `"${slug}" was changed by someone else since you opened it (it is now version ${currentVersion}): reload it, apply your change again, and save.`,
  };
}

export type DeleteResult = { ok: true } | { ok: false; reason: 'not_found' | 'send_started' | 'bundled'; message: string };

/** Deletes an editor article that was never sent, and its schedule. */
export async function deleteStoredArticle(db: Db, slug: string): Promise<DeleteResult> {
  if (isBundledSlug(slug)) return { ok: false, reason: 'bundled', message: `"${slug}" is an article in content/: remove the file there (and deploy).` };
  const [deleted] = await db.batch([
    db.delete(storedArticles).where(and(eq(storedArticles.slug, slug), noSend(slug))),
    db.delete(schedules).where(and(eq(schedules.slug, slug), noSend(slug))),
  ]);
  if (deleted.meta.changes === 1) return { ok: true };
  const sent = await db.select({ id: sends.id }).from(sends).where(eq(sends.slug, slug)).get();
  if (sent) return { ok: false, reason: 'send_started', message: `"${slug}" has started sending (or was sent): it stays, in the archive and the stats.` };
  return { ok: false, reason: 'not_found', message: `There is no article "${slug}" written in the editor.` };
}

export interface ImportedIssue {
  slug: string;
  title: string;
  /** `YYYY-MM-DD`: the day it was first sent, which dates it in the archive and the feed. */
  date: string;
  summary: string;
  /** When it was sent (ms): the send's start and finish. */
  sentAt: number;
  /** Where it comes from, e.g. `substack` or `ghost` (shown to the operator). */
  from: string;
  /** The body: Markdown (rendered like any article), or HTML shown as given (sanitise it first). */
  body: { markdown: string } | { html: string };
}

/**
 * Records an issue sent by another service as sent here, never mailed: see the header. `slug_taken`
 * when an article of either source or a send already has the slug (an import run twice skips it).
 */
export async function recordImportedIssue(db: Db, issue: ImportedIssue): Promise<'recorded' | 'slug_taken'> {
  if (isBundledSlug(issue.slug)) return 'slug_taken';
  const markdown = 'markdown' in issue.body ? issue.body.markdown : '';
  const html = 'html' in issue.body ? issue.body.html : '';
  const row = await db
    .insert(sends)
    .select(
      sql`SELECT ${selectList(sends, {
        slug: issue.slug,
        status: 'sent',
        startedAt: issue.sentAt,
        finishedAt: issue.sentAt,
        touchedAt: issue.sentAt,
        maxSubscriberId: 0,
        title: issue.title,
        articleDate: issue.date,
        summary: issue.summary,
        markdown,
        subject: issue.title,
        html,
        text: '',
        importedFrom: issue.from,
      })} WHERE NOT EXISTS (SELECT 1 FROM ${storedArticles} WHERE ${storedArticles.slug} = ${issue.slug})`,
    )
    .onConflictDoNothing({ target: sends.slug })
    .returning({ id: sends.id })
    .get();
  return row ? 'recorded' : 'slug_taken';
}
