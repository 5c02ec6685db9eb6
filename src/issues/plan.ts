// Starting a send: claim the article (once, ever), fix who gets it, split them into chunks, enqueue.
//
// Every step is idempotent, so a crash anywhere leaves a `planning` send that the next housekeeping
// run finishes with resumePlanning(); duplicate chunk messages are harmless because delivering a chunk
// is idempotent too (see deliver.ts). With a canary (more than CANARY_MIN_LIST readers and
// CANARY_PERCENT above 0), only the canary's chunks are enqueued here: the consumer that finishes the
// canary enqueues the rest, to go after CANARY_WAIT_MINUTES.
import type { Config, Env } from '../config';
import type { Db } from '../db/client';
import { CHUNK_PHASES } from '../db/schema';
import { MAX_QUEUE_DELAY_SECONDS } from '../mail/retry';
import type { ChunkMessage } from '../messages';
import type { Article } from './article';
import { claimSend, claimWake, countCanary, loadSendForPlanning, markPlanned, openChunks, planPhase, recordPlan, stalePlans } from './send-store';
import { renderIssueTemplate } from './template';

const QUEUE_BATCH = 100; // Queues' sendBatch limit
/** A `planning` send older than this is taken to be abandoned by a crashed invocation. */
export const PLANNING_STALE_MS = 2 * 60 * 1000;
/** Lists of at most this many readers get no canary: a handful of bounces would say nothing. */
export const CANARY_MIN_LIST = 1000;
/** A canary has at least this many readers. */
export const CANARY_MIN_READERS = 100;

export type StartResult = { started: true; sendId: number; recipients: number; chunks: number } | { started: false; reason: 'already_claimed' };

/** Claims the article for sending and plans it; `already_claimed` if it is (or was) sent before. */
export async function startSend(db: Db, env: Env, config: Config, article: Article, now = Date.now()): Promise<StartResult> {
  const template = await renderIssueTemplate(config, article);
  const claimed = await claimSend(db, { ...article, ...template }, now);
  if (!claimed) return { started: false, reason: 'already_claimed' };
  const chunks = await planChunks(db, env, config, claimed.id, now);
  return { started: true, sendId: claimed.id, recipients: claimed.recipients, chunks };
}

/**
 * The canary's modulus: readers whose id is a multiple of it go first, so the canary is spread across
 * the whole list (old and new sign-ups, every import), not its first ids. About CANARY_PERCENT of the
 * list, at least CANARY_MIN_READERS; 0 (no canary) for small lists or CANARY_PERCENT=0.
 */
export function canaryModulusFor(recipients: number, percent: number): number {
  if (percent <= 0 || recipients <= CANARY_MIN_LIST) return 0;
  const target = Math.max(CANARY_MIN_READERS, Math.ceil((recipients * percent) / 100));
  const modulus = Math.floor(recipients / target);
  return modulus >= 2 ? modulus : 0;
}

/** Finishes sends whose planning was cut short (a crash between claim and enqueue). */
export async function resumePlanning(db: Db, env: Env, config: Config, now = Date.now()): Promise<number> {
  const stale = await stalePlans(db, now - PLANNING_STALE_MS);
  for (const { id } of stale) await planChunks(db, env, config, id, now);
  return stale.length;
}

/**
 * Splits the audience into chunks (the canary's first), records them once, enqueues what may go now,
 * then marks the send `sending` (or `sent` if empty). The plan is fixed once: a resumed plan enqueues
 * the stored chunks again and never recomputes them (readers who left meanwhile would shift every
 * boundary after theirs).
 */
async function planChunks(db: Db, env: Env, config: Config, sendId: number, now: number): Promise<number> {
  const send = await loadSendForPlanning(db, sendId);
  if (!send) throw new Error(`send ${sendId} does not exist`);
  if (send.total === 0) {
    let modulus = canaryModulusFor(send.recipients, config.canaryPercent);
    // Ids have gaps (readers who left): make sure the canary really has its minimum.
    while (modulus >= 2 && (await countCanary(db, sendId, modulus)) < CANARY_MIN_READERS) modulus--;
    if (modulus < 2) modulus = 0;
    const canary = modulus ? await planPhase(db, sendId, CHUNK_PHASES.canary, modulus, send.maxId) : [];
    const rest = await planPhase(db, sendId, CHUNK_PHASES.main, modulus, send.maxId);
    await recordPlan(db, sendId, [...canary, ...rest], modulus);
  }
  await enqueueOpenChunks(db, env, sendId, now);
  const done = await markPlanned(db, sendId, now);
  return done?.total ?? 0;
}

/** Enqueues the send's pending chunks that may go: the rest of a send only once its canary is done. */
export async function enqueueOpenChunks(db: Db, env: Env, sendId: number, now: number): Promise<number> {
  const open = await openChunks(db, sendId);
  const main = open.filter((c) => c.phase === CHUNK_PHASES.main);
  const other = open.filter((c) => c.phase !== CHUNK_PHASES.main);
  await enqueueChunks(env, other.map((c) => ({ type: 'chunk', sendId, chunk: c.chunk })));
  if (main.length > 0) {
    const delaySeconds = Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil((main[0].mainAt! - now) / 1000)));
    await enqueueChunks(env, main.map((c) => ({ type: 'chunk', sendId, chunk: c.chunk })), delaySeconds);
  }
  return open.length;
}

/**
 * The provider accepted a chunk it had been failing: chunks backing off (after 5xx or lost answers,
 * each on its own exponential schedule, up to 15 minutes) go now instead of at the end of their
 * backoff, so an outage costs its own length and not a tail after it. Once per outage per send; a
 * chunk's old delayed message, when it comes, finds the chunk done (delivery is idempotent).
 */
export async function wakeBackedOff(db: Db, env: Env, sendId: number, failingSince: number, now: number): Promise<number> {
  const chunks = await claimWake(db, sendId, failingSince, now);
  await enqueueChunks(env, chunks.map((chunk) => ({ type: 'chunk', sendId, chunk })));
  return chunks.length;
}

export async function enqueueChunks(env: Env, messages: ChunkMessage[], delaySeconds = 0): Promise<void> {
  for (let i = 0; i < messages.length; i += QUEUE_BATCH) {
    await env.SEND_QUEUE.sendBatch(
      messages.slice(i, i + QUEUE_BATCH).map((body) => ({ body, contentType: 'json' as const, ...(delaySeconds > 0 ? { delaySeconds } : {}) })),
    );
  }
}
