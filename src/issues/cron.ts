// The weekly run: housekeeping first (unfinished plans, stalled chunks), then the next ready article.
import { and, eq, lte } from 'drizzle-orm';
import type { Env } from '../config';
import { getConfig } from '../config';
import { getDb } from '../db/client';
import { sends, subscribers } from '../db/schema';
import type { Article } from './article';
import { allArticles, nextArticleToSend } from './catalog';
import { type MaintenanceResult, runMaintenance } from './maintenance';
import { type StartResult, startSend } from './plan';

export type WeeklyResult = { maintenance: MaintenanceResult; started: (StartResult & { slug: string }) | null };

/** `articles` defaults to the bundled content; tests pass their own. */
export async function runWeekly(env: Env, now = Date.now(), articles: readonly Article[] = allArticles()): Promise<WeeklyResult> {
  const config = getConfig(env); // throws on a missing secret: nothing is sent
  const db = getDb(env.DB);
  const maintenance = await runMaintenance(env, now, db);
  const sent = await db.select({ slug: sends.slug }).from(sends);
  const article = nextArticleToSend(articles, new Set(sent.map((r) => r.slug)), now);
  if (!article) {
    console.log('weekly: no ready article that was never sent; nothing to do');
    return { maintenance, started: null };
  }
  // With nobody to send to, claiming the article would spend it on an empty list: it waits instead.
  const audience = await db
    .select({ id: subscribers.id })
    .from(subscribers)
    .where(and(eq(subscribers.status, 'confirmed'), lte(subscribers.confirmedAt, now)))
    .limit(1)
    .get();
  if (!audience) {
    console.log(`weekly: ${article.slug} is ready but nobody is confirmed yet; it waits for the next run`);
    return { maintenance, started: null };
  }
  const result = await startSend(env, config, article, now, db);
  console.log(`weekly: ${article.slug}: ${JSON.stringify(result)}`);
  return { maintenance, started: { ...result, slug: article.slug } };
}
