// The Worker entry: HTTP (Hono), the crons (src/scheduled.ts) and the queue consumers.
import { app } from './app';
import type { Env } from './config';
import type { QueueMessage } from './messages';
import { handleQueue } from './queue';
import { getDb } from './db/client';
import { scheduled } from './scheduled';
import { trackEmissions } from './webhooks/out/notify';

export default {
  // Each invocation runs inside trackEmissions: webhook events it wrote are queued once it is done.
  fetch: (request, env, ctx) => trackEmissions(env, getDb(env.DB), (p) => ctx.waitUntil(p), async () => app.fetch(request, env, ctx)),
  scheduled: (controller, env, ctx) => trackEmissions(env, getDb(env.DB), (p) => ctx.waitUntil(p), () => scheduled(controller, env)),
  queue: (batch, env, ctx) => trackEmissions(env, getDb(env.DB), (p) => ctx.waitUntil(p), () => handleQueue(batch, env)),
} satisfies ExportedHandler<Env, QueueMessage>;
