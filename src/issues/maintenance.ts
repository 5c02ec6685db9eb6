// Housekeeping that keeps sends moving whatever happened to an invocation or a message:
// run by the frequent maintenance cron and by every weekly run.
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Env } from '../config';
import { type Db, getDb } from '../db/client';
import { deliveries, sendChunks, sends, webhookEvents } from '../db/schema';
import type { ChunkMessage } from '../messages';
import { sendOwedConfirmations } from '../subscribers/owed-confirmations';
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

export async function requeueStalledChunks(env: Env, now = Date.now(), db: Db = getDb(env.DB)): Promise<number> {
  // `c`: the chunks to re-enqueue; the unaliased send_chunks in the subquery are all of the send's.
  const c = alias(sendChunks, 'c');
  const stalled = await db.all<Omit<ChunkMessage, 'type'>>(sql`
    SELECT ${c.sendId} AS sendId, ${c.chunk} AS chunk, ${c.fromId} AS fromId, ${c.toId} AS toId
      FROM ${sendChunks} AS ${c} JOIN ${sends} ON ${sends.id} = ${c.sendId}
     WHERE ${sends.status} = 'sending' AND ${c.status} = 'pending'
       AND coalesce((SELECT max(${sendChunks.updatedAt}) FROM ${sendChunks} WHERE ${sendChunks.sendId} = ${sends.id}), ${sends.startedAt}) < ${now - CHUNK_STALL_MS}
     LIMIT ${MAX_REQUEUE}`);
  if (stalled.length === 0) return 0;
  // Stamp them first, so the next sweep gives these messages the full stall time again.
  await db
    .update(sendChunks)
    .set({ updatedAt: now })
    .where(
      and(
        sql`(${sendChunks.sendId}, ${sendChunks.chunk}) IN (SELECT value->>0, value->>1 FROM json_each(${JSON.stringify(stalled.map((r) => [r.sendId, r.chunk]))}))`,
        eq(sendChunks.status, 'pending'),
      ),
    );
  await enqueueChunks(env, stalled.map((r) => ({ type: 'chunk', ...r })));
  console.warn(`maintenance: re-enqueued ${stalled.length} stalled chunk(s)`);
  return stalled.length;
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

export async function pruneOldRecords(env: Env, now = Date.now(), db: Db = getDb(env.DB)): Promise<number> {
  const due = await db
    .select({ id: sends.id })
    .from(sends)
    .where(and(eq(sends.status, 'sent'), lt(sends.finishedAt, now - DELIVERY_RETENTION_MS), isNull(sends.finalStats)));
  for (const { id } of due) {
    const stats = await sendStats(db, id);
    await db
      .update(sends)
      .set({ finalStats: JSON.stringify(stats) })
      .where(and(eq(sends.id, id), isNull(sends.finalStats)));
  }
  let deleted = 0;
  for (let i = 0; i < PRUNE_SLICES_PER_RUN; i++) {
    const result = await db
      .delete(deliveries)
      .where(
        sql`rowid IN (
          SELECT ${deliveries}.rowid FROM ${deliveries} JOIN ${sends} ON ${sends.id} = ${deliveries.sendId}
           WHERE ${sends.finalStats} IS NOT NULL LIMIT ${PRUNE_SLICE})`,
      );
    deleted += result.meta.changes;
    if (result.meta.changes < PRUNE_SLICE) break;
  }
  await db.delete(webhookEvents).where(lt(webhookEvents.receivedAt, now - WEBHOOK_ID_RETENTION_MS));
  if (deleted > 0) console.log(`maintenance: pruned ${deleted} delivery record(s) older than 90 days`);
  return deleted;
}

export interface MaintenanceResult {
  resumedPlans: number;
  requeuedChunks: number;
  prunedDeliveries: number;
}

export async function runMaintenance(env: Env, now = Date.now(), db: Db = getDb(env.DB)): Promise<MaintenanceResult> {
  const resumedPlans = await resumePlanning(env, now, db);
  const requeuedChunks = await requeueStalledChunks(env, now, db);
  const prunedDeliveries = await pruneOldRecords(env, now, db);
  await sendOwedConfirmations(env, db);
  return { resumedPlans, requeuedChunks, prunedDeliveries };
}
