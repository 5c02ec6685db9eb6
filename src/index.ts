// The Worker entry: HTTP (Hono), the crons (src/scheduled.ts) and the queue consumers.
import { app } from './app';
import type { Env } from './config';
import type { QueueMessage } from './messages';
import { handleQueue } from './queue';
import { scheduled } from './scheduled';

export default {
  fetch: app.fetch,
  scheduled,
  queue: handleQueue,
} satisfies ExportedHandler<Env, QueueMessage>;
