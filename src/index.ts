// The Worker entry: HTTP (Hono), the crons and the queue consumers, dispatched on the names in
// src/triggers.ts. One Drizzle client per invocation, passed down.
import { app } from './app';
import { type Env, getConfig } from './config';
import { getDb } from './db/client';
import { runWeekly } from './issues/cron';
import { runMaintenance } from './issues/maintenance';
import type { QueueMessage } from './messages';
import { handleQueue } from './queue';
import { CRONS } from './triggers';
import { trackEmissions } from './webhooks/out/notify';

export default {
  // Each invocation runs inside trackEmissions: webhook events it wrote are queued once it is done.
  fetch: (request, env, ctx) => trackEmissions(env, getDb(env.DB), (p) => ctx.waitUntil(p), async () => app.fetch(request, env, ctx)),
  async scheduled(controller, env, ctx) {
    const db = getDb(env.DB);
    const config = getConfig(env); // throws on a missing secret: nothing is sent
    await trackEmissions(env, db, (p) => ctx.waitUntil(p), async () => {
      if (controller.cron === CRONS.weekly) await runWeekly(db, env, config);
      else if (controller.cron === CRONS.maintenance) await runMaintenance(db, env, config);
      else throw new Error(`unknown cron "${controller.cron}": src/triggers.ts names the crons of wrangler.toml`);
    });
  },
  queue: (batch, env, ctx) => trackEmissions(env, getDb(env.DB), (p) => ctx.waitUntil(p), () => handleQueue(batch, env)),
} satisfies ExportedHandler<Env, QueueMessage>;
