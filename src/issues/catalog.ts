// The catalogue: every article, whichever its source: the bundled content/*.md (validated at build
// time) and the editor's articles in D1 (stored-articles.ts), in one slug space and one list. The
// send path, the scheduler, the admin API and the dashboard all read articles through here, so a
// stored article is sent exactly as a content file is: one code path, not two.
//
// Also here, as plain functions of data: what state an article is in, which one the weekly slot
// takes, and when each unsent article goes.
import { articles } from '../generated/articles';
import type { Db } from '../db/client';
import type { SendStatus } from '../db/schema';
import { type Article, isReady } from './article';
import { nextSlot, type WeeklySlot } from './slot';
import { apiStatus, type IssueSendStatus } from './stats';
import { getStoredArticle, listStoredArticles } from './stored-articles';

export type IssueStatus = 'draft' | 'ready' | 'scheduled' | IssueSendStatus;
export type ArticleSource = 'content' | 'editor';

/** An article of the catalogue without its body (lists); `version` is the editor's, null for content. */
export interface CatalogueEntry extends Omit<Article, 'markdown'> {
  source: ArticleSource;
  version: number | null;
}

export type CatalogueArticle = Article & CatalogueEntry;

/** The bundled articles alone (content/*.md), oldest first. */
export function allArticles(): readonly Article[] {
  return articles;
}

export function findBundledArticle(slug: string): Article | undefined {
  return articles.find((a) => a.slug === slug);
}

/** Every article of both sources, oldest first, without bodies. */
export async function catalogue(db: Db): Promise<CatalogueEntry[]> {
  const entries: CatalogueEntry[] = articles.map(({ markdown: _, ...a }) => ({ ...a, source: 'content', version: null }));
  const bundled = new Set(articles.map((a) => a.slug));
  for (const s of await listStoredArticles(db)) {
    if (bundled.has(s.slug)) {
      // A content file deployed with a slug the editor already used: the file wins; the editor's
      // article stays in D1, unreachable until the file is renamed.
      console.warn(`catalogue: "${s.slug}" is both a content file and an editor article; the content file is used`);
      continue;
    }
    entries.push({ slug: s.slug, title: s.title, date: s.date, summary: s.summary, source: 'editor', version: s.version });
  }
  return entries.sort((a, b) => a.date.localeCompare(b.date) || a.slug.localeCompare(b.slug));
}

/** One article with its body, from either source. */
export async function findArticle(db: Db, slug: string): Promise<CatalogueArticle | undefined> {
  const file = findBundledArticle(slug);
  if (file) return { ...file, source: 'content', version: null };
  const stored = await getStoredArticle(db, slug);
  if (!stored) return undefined;
  return { slug: stored.slug, title: stored.title, date: stored.date, summary: stored.summary, markdown: stored.markdown, source: 'editor', version: stored.version };
}

/**
 * The article the weekly slot takes: the oldest (candidates are sorted oldest first) whose date has
 * come, that no send has claimed, and that is not scheduled for a later time (a scheduled article
 * whose time has passed may go with the slot: it was due anyway).
 */
export function nextArticleToSend<T extends Pick<Article, 'slug' | 'date'>>(
  candidates: readonly T[],
  sentSlugs: ReadonlySet<string>,
  now: number,
  scheduled: ReadonlyMap<string, number> = new Map(),
): T | undefined {
  return candidates.find((a) => isReady(a, now) && !sentSlugs.has(a.slug) && !((scheduled.get(a.slug) ?? -Infinity) > now));
}

export function issueStatus(article: Pick<Article, 'date'>, sendStatus: SendStatus | undefined, now: number, sendAt: number | null = null): IssueStatus {
  if (sendStatus) return apiStatus(sendStatus);
  if (sendAt !== null) return 'scheduled';
  return isReady(article, now) ? 'ready' : 'draft';
}

export interface NextDue {
  article: Pick<Article, 'slug' | 'title' | 'date'>;
  /** When the weekly slot sends it: its first slot on or after the article's date, and after now. */
  sendsAt: number;
}

/**
 * The article the weekly slot sends next: the oldest never sent and not scheduled whose date has
 * come, else the oldest whose date is still ahead (it goes at the first slot on or after its day).
 * Null when none is left. Scheduled articles go at their own time, not here.
 */
export function nextDue<T extends Pick<Article, 'slug' | 'title' | 'date'>>(
  entries: readonly T[],
  sentSlugs: ReadonlySet<string>,
  now: number,
  slot: WeeklySlot,
  scheduled: ReadonlyMap<string, number> = new Map(),
): NextDue | null {
  const waiting = entries.filter((a) => !sentSlugs.has(a.slug) && !scheduled.has(a.slug));
  const article = nextArticleToSend(waiting, sentSlugs, now) ?? waiting[0];
  if (!article) return null;
  const dayStart = Date.parse(`${article.date}T00:00:00Z`);
  return { article: { slug: article.slug, title: article.title, date: article.date }, sendsAt: nextSlot(slot, Math.max(now, dayStart - 1)) };
}
