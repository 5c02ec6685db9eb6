// The crons and hand-fired triggers, dispatched on the names in src/triggers.ts. One Drizzle client
// per invocation, passed down.
import { type Config, type Env, getConfig } from './config';
import { type Db, getDb } from './db/client';
import { runWeekly } from './issues/cron';
import { runTick } from './issues/tick';
import { CRONS, MANUAL_TRIGGERS } from './triggers';

type Trigger = (db: Db, env: Env, config: Config, now: number) => Promise<unknown>;

export const TRIGGERS: Record<string, Trigger> = {
  [CRONS.tick]: runTick,
  [MANUAL_TRIGGERS.weeklyNow]: runWeekly,
};

export async function scheduled(controller: Pick<ScheduledController, 'cron'>, env: Env): Promise<void> {
  const db = getDb(env.DB);
  const config = getConfig(env); // throws on a missing secret: nothing is sent
  const trigger = TRIGGERS[controller.cron];
  if (trigger) {
    await trigger(db, env, config, Date.now());
    return;
  }
  // A cron string edited in wrangler.toml (or the dashboard) but not here. Throwing would stop every
  // send until someone reads the logs; the tick is safe at any frequency, so it runs, loudly.
  console.error(`unknown cron "${controller.cron}": src/triggers.ts names the crons of wrangler.toml (${Object.values(CRONS).join(', ')}); running the tick anyway`);
  await runTick(db, env, config, Date.now());
}
