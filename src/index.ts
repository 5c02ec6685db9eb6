// The Worker entry: HTTP (Hono), the weekly cron, and the queue consumers.
import { app } from './app';
import type { Env } from './config';
import { runWeekly } from './issues/cron';
import type { QueueMessage } from './messages';
import { handleQueue } from './queue';

export default {
  fetch: app.fetch,
  async scheduled(_controller, env) {
    await runWeekly(env);
  },
  queue: handleQueue,
} satisfies ExportedHandler<Env, QueueMessage>;
