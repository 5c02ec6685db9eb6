/**
 * Rate limiters a real email provider is free to use, for the fake Resend. Resend documents
 * "N requests per second" and `ratelimit-*` headers, and promises no particular algorithm, so the
 * sender must hold up against each of these honest readings of "N per second":
 *
 *  - `token`:   a token bucket of capacity N refilled at N per second (bursts of N allowed);
 *  - `sliding`: at most N requests in ANY window of one second (a sliding log);
 *  - `fixed`:   at most N requests in each whole wall-clock second (windows aligned to seconds).
 *
 * Each decision also gives the headers the provider sends: `ratelimit-limit`, `ratelimit-remaining`,
 * `ratelimit-reset` (seconds until a request would be allowed again / the window resets) and, when
 * refused, `retry-after`. Header values are whole seconds, as Resend sends them: `retry-after`
 * rounded up (HTTP's Retry-After: never too early), `ratelimit-reset` rounded down ("0" when the
 * window frees within the second), so a client learns the truth is between the two.
 */

export const LIMITER_KINDS = ['token', 'sliding', 'fixed'] as const;
export type LimiterKind = (typeof LIMITER_KINDS)[number];

export interface LimitDecision {
  ok: boolean;
  headers: Record<string, string>;
}

export interface Limiter {
  /** Counts one request at `nowMs` (a monotonic clock in ms) and says whether it is allowed. */
  take(nowMs: number): LimitDecision;
}

/** Seconds as a header value: whole seconds, rounded up (Retry-After: never too early), never below `min`. */
function seconds(ms: number, min = 0): string {
  return String(Math.max(min, Math.ceil(ms / 1000)));
}

/** `ratelimit-reset`: whole seconds until the window resets, rounded down ("0": within this second). */
function resetSeconds(ms: number): string {
  return String(Math.max(0, Math.floor(ms / 1000)));
}

export function createLimiter(kind: LimiterKind, ratePerSecond: number): Limiter {
  const limit = Math.max(1, Math.floor(ratePerSecond));
  if (kind === 'token') return tokenBucket(ratePerSecond, limit);
  if (kind === 'sliding') return slidingWindow(limit);
  return fixedWindow(limit);
}

function tokenBucket(rate: number, capacity: number): Limiter {
  let tokens = capacity;
  let at: number | null = null;
  return {
    take(now) {
      if (at !== null) tokens = Math.min(capacity, tokens + ((now - at) / 1000) * rate);
      at = now;
      const ok = tokens >= 1;
      if (ok) tokens -= 1;
      const headers: Record<string, string> = {
        'ratelimit-limit': String(capacity),
        'ratelimit-remaining': String(Math.floor(tokens)),
        'ratelimit-reset': resetSeconds(((capacity - tokens) / rate) * 1000),
      };
      if (!ok) headers['retry-after'] = seconds(((1 - tokens) / rate) * 1000, 1);
      return { ok, headers };
    },
  };
}

function slidingWindow(limit: number): Limiter {
  // Arrival times of the allowed requests of the last second, oldest first.
  const log: number[] = [];
  return {
    take(now) {
      while (log.length > 0 && log[0]! <= now - 1000) log.shift();
      const ok = log.length < limit;
      if (ok) log.push(now);
      // The window frees a place when its oldest request is a second old.
      const freesInMs = log.length > 0 ? log[0]! + 1000 - now : 0;
      const headers: Record<string, string> = {
        'ratelimit-limit': String(limit),
        'ratelimit-remaining': String(limit - log.length),
        'ratelimit-reset': resetSeconds(freesInMs),
      };
      if (!ok) headers['retry-after'] = seconds(freesInMs, 1);
      return { ok, headers };
    },
  };
}

function fixedWindow(limit: number): Limiter {
  let second = -1;
  let used = 0;
  return {
    take(now) {
      // Aligned to whole seconds of the wall clock, as a provider keyed on the current second would be.
      const wall = Date.now();
      const current = Math.floor(wall / 1000);
      if (current !== second) {
        second = current;
        used = 0;
      }
      const ok = used < limit;
      if (ok) used++;
      const resetMs = (current + 1) * 1000 - wall;
      void now;
      const headers: Record<string, string> = {
        'ratelimit-limit': String(limit),
        'ratelimit-remaining': String(limit - used),
        'ratelimit-reset': resetSeconds(resetMs),
      };
      if (!ok) headers['retry-after'] = seconds(resetMs, 1);
      return { ok, headers };
    },
  };
}
