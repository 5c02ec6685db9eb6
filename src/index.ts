// The Worker entry: HTTP (Hono), the weekly cron, and the queue consumers.
import { app } from './app';
import type { Env } from './config';
import { runWeekly } from './issues/cron';
import { MAINTENANCE_CRON, runMaintenance } from './issues/maintenance';
import type { QueueMessage } from './messages';
import { handleQueue } from './queue';

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    // wrangler.toml has two crons: the weekly send, and a frequent one for housekeeping only.
    if (controller.cron === MAINTENANCE_CRON) await runMaintenance(env);
    else await runWeekly(env);
  },
  queue: handleQueue,
} satisfies ExportedHandler<Env, QueueMessage>;
