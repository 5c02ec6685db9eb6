// Node-side programs (tsconfig.node.json) that import Worker modules, like scripts/render-email.tsx
// importing src/issues/template.ts, meet the binding types those modules name. The Workers type
// library cannot join the Node + DOM program as globals, so its module form provides just these.
import type { D1Database as WorkersD1Database, Queue as WorkersQueue, R2Bucket as WorkersR2Bucket, RateLimit as WorkersRateLimit } from '@cloudflare/workers-types/index.ts';

declare global {
  type D1Database = WorkersD1Database;
  type Queue<Body = unknown> = WorkersQueue<Body>;
  type RateLimit = WorkersRateLimit;
  type R2Bucket = WorkersR2Bucket;
}
