// Starting a send without an operator's click: the weekly slot's pick, and an article whose
// scheduled time has come. Both go through startIfClear, which holds the rules that apply to any
// send the clock starts (a paused send holds everything back; nobody to send to: the article waits).
// The frequent cron calls these through tick.ts; `npm run send:weekly` calls runWeekly directly.
import type { Config, Env } from '../config';
import type { Db } from '../db/client';
import type { Article } from './article';
import { catalogue, findArticle, nextArticleToSend } from './catalog';
import { type MaintenanceResult, runMaintenance } from './maintenance';
import { type StartResult, startSend } from './plan';
import { scheduleMap } from './schedules';
import { claimedSlugs, hasAudience, pausedSend } from './send-store';

export type Started = (StartResult & { slug: string }) | null;
export type WeeklyResult = { maintenance: MaintenanceResult; started: Started };

/**
 * The weekly slot comes now: housekeeping first, then the oldest ready, never-sent article that is not
 * scheduled for a later time. `articles` defaults to the catalogue (both sources); tests pass their own.
 */
export async function runWeekly(db: Db, env: Env, config: Config, now = Date.now(), articles?: readonly Article[]): Promise<WeeklyResult> {
  const maintenance = await runMaintenance(db, env, config, now);
  return { maintenance, started: await sendWeeklyPick(db, env, config, now, articles) };
}

/** The weekly slot's pick, without the housekeeping (the tick has just done it). */
export async function sendWeeklyPick(db: Db, env: Env, config: Config, now: number, articles?: readonly Article[]): Promise<Started> {
  const [claimed, scheduled] = await Promise.all([claimedSlugs(db), scheduleMap(db)]);
  const candidates: readonly Pick<Article, 'slug' | 'date'>[] = articles ?? (await catalogue(db));
  const pick = nextArticleToSend(candidates, new Set(claimed), now, scheduled);
  if (!pick) {
    console.log('weekly: no ready article that was never sent; nothing to do');
    return null;
  }
  const article = articles ? articles.find((a) => a.slug === pick.slug) : await findArticle(db, pick.slug);
  if (!article) return null; // deleted between the two reads: the next slot takes the next one
  return startIfClear(db, env, config, article, now, 'weekly');
}

/** Every article whose scheduled time has come and that no send has claimed, earliest first. */
export async function sendDueArticles(db: Db, env: Env, config: Config, now: number, due: readonly { slug: string }[]): Promise<Started[]> {
  const started: Started[] = [];
  for (const { slug } of due) {
    const article = await findArticle(db, slug);
    if (!article) {
      console.warn(`schedule: "${slug}" was scheduled but is no longer an article (removed from content/?); nothing sent`);
      continue;
    }
    const result = await startIfClear(db, env, config, article, now, 'schedule');
    // Held back (a paused send, nobody confirmed): the next tick tries again; the others wait too.
    if (result === null) break;
    started.push(result);
  }
  return started;
}

async function startIfClear(db: Db, env: Env, config: Config, article: Article, now: number, by: 'weekly' | 'schedule'): Promise<Started> {
  // A send paused by the circuit breaker waits for the operator; another article now would go to
  // the same list whose bounces or complaints stopped it.
  const paused = await pausedSend(db);
  if (paused) {
    console.warn(`${by}: "${paused.slug}" is paused (${paused.reason}); "${article.slug}" waits until it is resumed or cancelled (POST /api/issues/${paused.slug}/resume or /cancel)`);
    return null;
  }
  // With nobody to send to, claiming the article would spend it on an empty list: it waits instead.
  if (!(await hasAudience(db, now))) {
    console.log(`${by}: ${article.slug} is due but nobody is confirmed yet; it waits for the next run`);
    return null;
  }
  const result = await startSend(db, env, config, article, now);
  console.log(`${by}: ${article.slug}: ${JSON.stringify(result)}`);
  return { ...result, slug: article.slug };
}
