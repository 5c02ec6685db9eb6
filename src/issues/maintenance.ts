// Housekeeping that keeps sends moving whatever happened to an invocation or a message, run by the
// frequent maintenance cron and by every weekly run. Each step reads only what is due, through the
// primary keys: `sends` has one row per issue ever sent, and a send's chunks and delivery records are
// found by its id. Nothing here grows with the size of a healthy send.
import type { Config, Env } from '../config';
import type { Db } from '../db/client';
import { enqueueChunks, enqueueOpenChunks, resumePlanning } from './plan';
import { haltedSends, probeChunk, pruneSlice, sendsToPrune, settleFinished, stalledSends, touchSend } from './send-store';
import { sendOwedConfirmations } from '../subscribers/owed-confirmations';
import { pruneSessions } from '../admin/sessions';
import { pruneLinks } from '../preferences/links';
import { queueDueDeliveries } from '../webhooks/out/notify';
import { issueEvent } from '../webhooks/out/events';

/**
 * A send none of whose chunks has moved for this long gets its pending chunks enqueued again. The
 * queue redelivers on its own (at-least-once), so this matters when a message was lost for good.
 * Progress on any chunk (a long send at a low rate) means nothing is stalled. A duplicate message
 * is harmless: delivering a chunk is idempotent.
 */
export const CHUNK_STALL_MS = 30 * 60 * 1000;

export async function requeueStalledChunks(db: Db, env: Env, now = Date.now()): Promise<number> {
  let requeued = 0;
  for (const send of await stalledSends(db, now - CHUNK_STALL_MS)) {
    if (send.chunksFinished >= send.chunksTotal) {
      await db.batch([settleFinished(db, send.id, now), issueEvent(db, 'issue.sent', send.id, now)]); // a retry round cut short before its chunks existed
      continue;
    }
    // Stamp it first, so the next sweep gives these messages the full stall time again.
    await touchSend(db, send.id, now);
    const n = await enqueueOpenChunks(db, env, send.id, now);
    if (n > 0) console.warn(`maintenance: re-enqueued ${n} chunk(s) of send ${send.id}, which had not moved for ${CHUNK_STALL_MS / 60_000} minutes`);
    requeued += n;
  }
  return requeued;
}

/** A halted send gets one probe per run: when the provider accepts it, the send moves again by itself. */
export async function probeHaltedSends(db: Db, env: Env): Promise<number> {
  let probes = 0;
  for (const send of await haltedSends(db)) {
    const first = await probeChunk(db, send.id);
    if (!first) continue;
    await enqueueChunks(env, [{ type: 'chunk', sendId: send.id, chunk: first.chunk, probe: true }]);
    probes++;
  }
  return probes;
}

/**
 * Delivery records are one row per reader per issue (1M readers × 52 issues a year = 52M rows), so
 * they are kept while they are useful (webhook events, support questions) and then pruned; the send's
 * counters keep the numbers.
 */
export const DELIVERY_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;
/** Rows deleted per statement and per run: small steps keep each statement short. */
const PRUNE_SLICE = 5000;
const PRUNE_SLICES_PER_RUN = 20;

export async function pruneOldRecords(db: Db, now = Date.now()): Promise<number> {
  let deleted = 0;
  let slices = 0;
  for (const { id } of await sendsToPrune(db, now - DELIVERY_RETENTION_MS)) {
    while (slices++ < PRUNE_SLICES_PER_RUN) {
      const result = await pruneSlice(db, id, PRUNE_SLICE);
      deleted += result.meta.changes;
      if (result.meta.changes < PRUNE_SLICE) break;
    }
  }
  if (deleted > 0) console.log(`maintenance: pruned ${deleted} delivery record(s) older than 90 days`);
  return deleted;
}

export interface MaintenanceResult {
  resumedPlans: number;
  requeuedChunks: number;
  probes: number;
  prunedDeliveries: number;
  /** Confirmations of pending imports a crash left unqueued, queued now. */
  owedConfirmations: number;
  /** Outgoing webhook deliveries due for a minute or more (a lost message, an attempt that died), queued again. */
  webhookDeliveries: number;
}

export async function runMaintenance(db: Db, env: Env, config: Config, now = Date.now()): Promise<MaintenanceResult> {
  const resumedPlans = await resumePlanning(db, env, config, now);
  const requeuedChunks = await requeueStalledChunks(db, env, now);
  const probes = await probeHaltedSends(db, env);
  const prunedDeliveries = await pruneOldRecords(db, now);
  const owedConfirmations = await sendOwedConfirmations(env, db);
  // Spent or expired one-time links and dashboard sessions: nothing reads them any more.
  await Promise.all([pruneLinks(db, now), pruneSessions(db, now)]);
  const webhookDeliveries = await queueDueDeliveries(env, db, now - 60_000);
  return { resumedPlans, requeuedChunks, probes, prunedDeliveries, owedConfirmations, webhookDeliveries };
}
