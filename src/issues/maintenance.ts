// Housekeeping that keeps sends moving whatever happened to an invocation or a message:
// run by the frequent maintenance cron and by every weekly run.
import type { Env } from '../config';
import type { ChunkMessage } from '../messages';
import { enqueueChunks, resumePlanning } from './plan';

/**
 * A chunk no consumer has touched for this long is enqueued again. The queue redelivers on its own
 * (at-least-once), so this only matters if a message was lost for good; a duplicate is harmless
 * because delivering a chunk is idempotent.
 */
/** Must match the second entry of `crons` in wrangler.toml. */
export const MAINTENANCE_CRON = '*/15 * * * *';

export const CHUNK_STALL_MS = 30 * 60 * 1000;
const MAX_REQUEUE = 5000;

export async function requeueStalledChunks(env: Env, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare(
    `SELECT c.send_id AS sendId, c.chunk, c.from_id AS fromId, c.to_id AS toId
       FROM send_chunks c JOIN sends s ON s.id = c.send_id
      WHERE s.status = 'sending' AND c.status = 'pending' AND coalesce(c.updated_at, s.started_at) < ?1
      LIMIT ?2`,
  )
    .bind(now - CHUNK_STALL_MS, MAX_REQUEUE)
    .all<Omit<ChunkMessage, 'type'>>();
  if (results.length === 0) return 0;
  // Stamp them first, so the next sweep gives these messages the full stall time again.
  await env.DB.prepare(
    `UPDATE send_chunks SET updated_at = ?1
      WHERE (send_id, chunk) IN (SELECT value->>0, value->>1 FROM json_each(?2)) AND status = 'pending'`,
  )
    .bind(now, JSON.stringify(results.map((r) => [r.sendId, r.chunk])))
    .run();
  await enqueueChunks(env, results.map((r) => ({ type: 'chunk', ...r })));
  console.warn(`maintenance: re-enqueued ${results.length} stalled chunk(s)`);
  return results.length;
}

export interface MaintenanceResult {
  resumedPlans: number;
  requeuedChunks: number;
}

export async function runMaintenance(env: Env, now = Date.now()): Promise<MaintenanceResult> {
  const resumedPlans = await resumePlanning(env, now);
  const requeuedChunks = await requeueStalledChunks(env, now);
  return { resumedPlans, requeuedChunks };
}
