// The weekly run: housekeeping first (unfinished plans, stalled chunks), then the next ready article.
import type { Config, Env } from '../config';
import type { Db } from '../db/client';
import type { Article } from './article';
import { allArticles, nextArticleToSend } from './catalog';
import { type MaintenanceResult, runMaintenance } from './maintenance';
import { type StartResult, startSend } from './plan';
import { claimedSlugs, hasAudience, pausedSend } from './send-store';

export type WeeklyResult = { maintenance: MaintenanceResult; started: (StartResult & { slug: string }) | null };

/** `articles` defaults to the bundled content; tests pass their own. */
export async function runWeekly(db: Db, env: Env, config: Config, now = Date.now(), articles: readonly Article[] = allArticles()): Promise<WeeklyResult> {
  const maintenance = await runMaintenance(db, env, config, now);
  // A send paused by the circuit breaker waits for the operator; another article now would go to
  // the same list whose bounces or complaints stopped it.
  const paused = await pausedSend(db);
  if (paused) {
    console.warn(`weekly: "${paused.slug}" is paused (${paused.reason}); no new article goes out until it is resumed or cancelled (POST /api/issues/${paused.slug}/resume or /cancel)`);
    return { maintenance, started: null };
  }
  const article = nextArticleToSend(articles, new Set(await claimedSlugs(db)), now);
  if (!article) {
    console.log('weekly: no ready article that was never sent; nothing to do');
    return { maintenance, started: null };
  }
  // With nobody to send to, claiming the article would spend it on an empty list: it waits instead.
  if (!(await hasAudience(db, now))) {
    console.log(`weekly: ${article.slug} is ready but nobody is confirmed yet; it waits for the next run`);
    return { maintenance, started: null };
  }
  const result = await startSend(db, env, config, article, now);
  console.log(`weekly: ${article.slug}: ${JSON.stringify(result)}`);
  return { maintenance, started: { ...result, slug: article.slug } };
}
