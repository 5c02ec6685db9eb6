// When to try a provider call again, and when to stop: the one home of the retry policy.
//
//  - A 429 never spends anything: it comes back after `retry-after` as often as it takes.
//  - A 5xx, no answer or a concurrent use of the key comes back with exponential backoff (2 s, 4 s …
//    at most 15 min) for as long as the retry budget lasts: RETRY_BUDGET_MS from the chunk's first
//    such failure (an outage of 6 hours is ridden out). Then the chunk's readers are recorded
//    `failed`, and `POST /api/issues/:slug/retry-failed` can send to exactly them once more.
//  - Resend remembers an idempotency key for 24 hours. An attempt it may have accepted (a lost
//    answer) can be repeated safely only while it remembers it, so after BLIND_AFTER_MS (an hour of
//    margin) such a chunk is never called again: its readers are recorded `unknown`.

export const RETRY_BUDGET_MS = 12 * 60 * 60 * 1000;
export const BLIND_AFTER_MS = 23 * 60 * 60 * 1000;
const MAX_BACKOFF_SECONDS = 15 * 60;
/** Queues delay a message by at most 12 hours. */
export const MAX_QUEUE_DELAY_SECONDS = 12 * 60 * 60;

/** Seconds until a handed-back message is tried again (queues count delays in whole seconds). */
export function retryDelaySeconds(afterMs: number | null, retries: number): number {
  if (afterMs !== null) return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(1, Math.ceil(afterMs / 1000)));
  return Math.min(MAX_BACKOFF_SECONDS, 2 ** Math.max(1, retries));
}
