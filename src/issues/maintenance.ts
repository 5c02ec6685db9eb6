// Housekeeping that keeps sends moving whatever happened to an invocation or a message:
// run by the frequent maintenance cron and by every weekly run.
import type { Env } from '../config';
import type { ChunkMessage } from '../messages';
import { enqueueChunks, resumePlanning } from './plan';
import { sendStats } from './stats';

/**
 * A send none of whose chunks has moved for this long gets its pending chunks enqueued again. The
 * queue redelivers on its own (at-least-once), so this matters when a message was lost for good, or
 * when chunks were halted because the provider refused every batch (bad key, unverified domain):
 * then they are retried this often until the configuration is fixed. Progress on any chunk of the
 * send (a long send at a low rate) means nothing is stalled. A duplicate message is harmless:
 * delivering a chunk is idempotent.
 */
export const CHUNK_STALL_MS = 30 * 60 * 1000;

/** Must match the second entry of `crons` in wrangler.toml. */
export const MAINTENANCE_CRON = '*/15 * * * *';
const MAX_REQUEUE = 5000;

export async function requeueStalledChunks(env: Env, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare(
    `SELECT c.send_id AS sendId, c.chunk, c.from_id AS fromId, c.to_id AS toId
       FROM send_chunks c JOIN sends s ON s.id = c.send_id
      WHERE s.status = 'sending' AND c.status = 'pending'
        AND coalesce((SELECT max(updated_at) FROM send_chunks WHERE send_id = s.id), s.started_at) < ?1
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

/**
 * Delivery records are one row per reader per issue (1M readers × 52 issues a year = 52M rows), so
 * they are kept while they are useful (webhook events, stats, support questions) and then pruned;
 * the send keeps its final stats. Webhook ids only need to outlive the provider's retries.
 */
export const DELIVERY_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;
export const WEBHOOK_ID_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;
/** Rows deleted per statement and per run: small steps keep each statement short. */
const PRUNE_SLICE = 5000;
const PRUNE_SLICES_PER_RUN = 20;

export async function pruneOldRecords(env: Env, now = Date.now()): Promise<number> {
  const db = env.DB;
  const { results: due } = await db
    .prepare(`SELECT id FROM sends WHERE status = 'sent' AND finished_at < ?1 AND final_stats IS NULL`)
    .bind(now - DELIVERY_RETENTION_MS)
    .all<{ id: number }>();
  for (const { id } of due) {
    const stats = await sendStats(db, id);
    await db.prepare('UPDATE sends SET final_stats = ?2 WHERE id = ?1 AND final_stats IS NULL').bind(id, JSON.stringify(stats)).run();
  }
  let deleted = 0;
  for (let i = 0; i < PRUNE_SLICES_PER_RUN; i++) {
    const result = await db
      .prepare(
        `DELETE FROM deliveries WHERE rowid IN (
           SELECT d.rowid FROM deliveries d JOIN sends s ON s.id = d.send_id WHERE s.final_stats IS NOT NULL LIMIT ?1)`,
      )
      .bind(PRUNE_SLICE)
      .run();
    deleted += result.meta.changes;
    if (result.meta.changes < PRUNE_SLICE) break;
  }
  await db.prepare('DELETE FROM webhook_events WHERE received_at < ?1').bind(now - WEBHOOK_ID_RETENTION_MS).run();
  if (deleted > 0) console.log(`maintenance: pruned ${deleted} delivery record(s) older than 90 days`);
  return deleted;
}

export interface MaintenanceResult {
  resumedPlans: number;
  requeuedChunks: number;
  prunedDeliveries: number;
}

export async function runMaintenance(env: Env, now = Date.now()): Promise<MaintenanceResult> {
  const resumedPlans = await resumePlanning(env, now);
  const requeuedChunks = await requeueStalledChunks(env, now);
  const prunedDeliveries = await pruneOldRecords(env, now);
  return { resumedPlans, requeuedChunks, prunedDeliveries };
}
