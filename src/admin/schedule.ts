// When the weekly cron fires next, for the overview's "next article due". Cloudflare runs crons in
// UTC; croner reads the same five-field expression.
import { Cron } from 'croner';
import type { Article } from '../issues/article';
import { nextArticleToSend } from '../issues/catalog';

/**
 * Must match the first entry of `crons` in wrangler.toml (the weekly send; the other is
 * MAINTENANCE_CRON in src/issues/maintenance.ts, and scripts/send-weekly.ts fires this one).
 */
export const WEEKLY_CRON = '0 9 * * 4';

const weekly = new Cron(WEEKLY_CRON, { utcOffset: 0, paused: true });

/** The first firing of the weekly cron strictly after `after`. */
export function nextWeeklyRun(after: number): number {
  return weekly.nextRun(new Date(after))!.getTime();
}

export interface NextDue {
  article: Pick<Article, 'slug' | 'title' | 'date'>;
  /** When the cron will send it: its first firing on or after the article's date, and after now. */
  sendsAt: number;
}

/**
 * The article the cron will send next: the oldest never sent whose date has come, else the oldest
 * whose date is still ahead (it goes at the first firing on or after its day). Null when every
 * bundled article was sent.
 */
export function nextDue(articles: readonly Article[], sentSlugs: ReadonlySet<string>, now: number): NextDue | null {
  const ready = nextArticleToSend(articles, sentSlugs, now);
  const article = ready ?? articles.find((a) => !sentSlugs.has(a.slug));
  if (!article) return null;
  const dayStart = Date.parse(`${article.date}T00:00:00Z`);
  return { article: { slug: article.slug, title: article.title, date: article.date }, sendsAt: nextWeeklyRun(Math.max(now, dayStart - 1)) };
}
