// The shared pace of provider requests: at most the provider's rate across every consumer together,
// whatever limiter the provider runs. One D1 row holds a log of the last requests' slots; each request
// reserves the next one atomically (`UPDATE … RETURNING`, see reserveSlot), sleeps until it, and checks
// nobody was told to hold meanwhile.
//
// Resend promises "N requests per second", not an algorithm. A token bucket forgives a request that
// arrives a little early; a sliding one-second window or a fixed window aligned to whole seconds does
// not, and timer and network jitter then push an N+1st request into some window. So the pacer keeps
// at most N requests in any window of a second by its own clock, and learns from every answer's headers:
//  - `ratelimit-limit` below SEND_RATE_PER_SECOND: the account's real limit; the pace follows it
//    (and the log says to lower the setting);
//  - `ratelimit-remaining` no higher than the room our own guard leaves: the window is tight (not a
//    bucket with room to spare), so for the next while each window gets a guard against jitter; with
//    more room than that requests go at the full rate;
//  - a 429 that says the window is spent: the refused call waits at least `retry-after` (a floor);
//    this isolate's other calls hold until the window's reset and its own log say it frees (the
//    shared log already spaces everyone's next slots by that window), and when a second
//    such 429 comes within that `retry-after`, everyone holds for it too, so a provider
//    that punishes calls inside `retry-after` costs one more refusal (per isolate: each counts its
//    own strikes), not a run of them. The same
//    answer comes from a provider that refused a call of its own accord in a window we filled to
//    its last place (it counted the call); the next answers tell the two apart (judgeRefusals: the
//    window holds the refused call or not). Only a refusal the window did not count was the pace's:
//    in a guarded window it widens the jitter guard 25 ms beyond the one that failed, fading over a
//    few hundred answers; when such 429s keep coming the shared margin widens too, and it relaxes
//    after a quiet while;
//  - an outage (5xx or no answer, several in a row): everyone holds, 1 s, then 2, 4 … 30 s between
//    probes, so a provider that is down is not called at the full rate for as long as it is down; the
//    first answer that is not a server error ends it;
//  - jitter it cannot see: a request reaches the provider's limiter tens of ms after it starts (the
//    SDK serialises 2 MB, the network, a gateway that reads the body before the limiter stamps it),
//    and by a varying amount. With J ms of spread a strict window allows at most 1000/(1000+J) of
//    the rate. The one-way delay is invisible, and the round trip's spread alone is no measure of it
//    (on a busy machine the provider's own processing varies by hundreds of ms). But every answer of a
//    sliding window says how many requests it held when ours arrived, and a difference from our own
//    start times has a least delay that explains it (jitterReading): a reading, a lower bound. Such
//    readings come only from calls at a window's edge, about as rarely as the refusals they warn
//    of; so once a window has shown jitter, the round trips' spread (every answer has one;
//    roundTripGuard) says how wide it is. The larger of that, 1.5 times the largest recent reading
//    and what an over-rate 429 taught is the jitter every tight window is guarded against (`jitter_ms`).
//    A limiter that counts otherwise (a fixed window resetting at whole seconds, a token bucket)
//    shows two or more missing (or extra) at once in many answers, which jitter below two spacings cannot do
//    (a stall now and then can): then these readings are ignored. Part of the spread is our own: the
//    isolate's work delays the upload of a call in flight, so a chunk's finish waits for it
//    (uploadsSettled);
//  - the limit is the team's, not ours (Resend's rate-limit docs: "This limit applies across all API
//    keys associated with your team"): when `ratelimit-remaining` says the provider's window holds
//    more requests than our own log put there, another app is using the budget. What it needs is left
//    to it (`foreign_rate`): the median of those readings plus some slack, or, for an app whose use
//    comes in bursts, its mean plus two standard deviations: we take what is left, instead of taking
//    its share and blaming our pace.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { pacer } from '../db/schema';

/** Spacing added while the provider's window is tight: covers tens of ms of jitter per second. */
export const BASE_MARGIN = 0.05;
const MAX_MARGIN = 0.5;
/** Each over-rate 429 adds this much margin, while they are persistent (below). */
const MARGIN_STEP = 0.02;
/** Over-rate 429s are persistent when more than this share of the last RECENT_ANSWERS answers were. */
const PERSISTENT_429_SHARE = 0.1;
const RECENT_ANSWERS = 50;
/** Server errors in a row (5xx, no answer) that make an outage rather than a random fault. */
const OUTAGE_AFTER = 3;
const OUTAGE_FIRST_HOLD_MS = 1000;
const OUTAGE_MAX_HOLD_MS = 30_000;
/** How long an answer that shows a tight window (tightRemaining) keeps the guard on. */
const TIGHT_FOR_MS = 10_000;
/**
 * Slots follow a uniform grid of the average spacing (the window rule adds the guard every `count`
 * slots): uniform spacing leaves the busy isolate time to build each 2 MB batch between calls, so
 * calls leave on time. Within the isolate, real start times are checked against the window with a
 * smaller guard (the grid already carries the full one: a call that left a little late does not push
 * the next ones later, so lateness does not pile up; the full guard here cost the fixed window 2 % of
 * its pace in the benchmark), and never closer than half the spacing.
 */
const LOCAL_GUARD_SHARE = 0.7;
/**
 * An isolate's first windows of calls leave with uneven delays (cold code, first reads and renders,
 * and after a pause every waiting chunk at once): the provider's arrival log showed 11 calls inside
 * 934-998 ms there. For its first WARM_UP_WINDOWS windows (and again after IDLE_REWARM_MS without a
 * call) an isolate checks real start times with this many guards, tight or not.
 */
const WARM_UP_GUARDS = 3;
const WARM_UP_WINDOWS = 2;
/** Calls that start after this long without one warm up again. */
const IDLE_REWARM_MS = 2000;
const LOCAL_MIN_GAP_SHARE = 0.5;
/** A new pacer (or a new setting) assumes a tight window until the provider's answers show room. */
const ASSUME_TIGHT_MS = 2000;
/** How long before its slot a call's batch is built (reading who still receives, personalising). */
const PREPARE_LEAD_MS = 60;
/** How long a call's batch is given to upload before this isolate's other work goes on (uploadsSettled). */
const UPLOAD_QUIET_MS = 40;
/** A slot further ahead than this is checked again before it is used (it may have been voided). */
const LONG_WAIT_MS = 500;
/** After this long without an over-rate 429, extra margin halves. */
const RELAX_AFTER_MS = 10 * 60_000;

/** What one provider answer says about its rate limit (headers, lower-cased names). */
export interface RateSignal {
  status: number | null;
  headers: Record<string, string> | null;
}

/** One call's turn: when it really started, its slot, and the pace log as its reservation left it. */
export interface Turn {
  startedAt: number;
  slot: number;
  ring: number[];
}

export interface Pacer {
  /**
   * Waits for this request's slot. `prepare` runs once, just before the slot and before the request's
   * start is counted (building the batch: it varies, and the provider must not see that variance).
   */
  wait(prepare?: () => Promise<void>): Promise<Turn>;
  /**
   * Learns from an answer (to the call of `turn`). Returns null, or ms: for an over-rate 429, how long
   * the refused call waits before it tries again (everyone else holds as long as the pacer decided);
   * after an outage's server errors, how long everyone holds.
   */
  observe(signal: RateSignal, turn?: Turn): Promise<number | null>;
}

interface Reserved {
  slot: number;
  epoch: number;
  holdUntil: number;
  tightUntil: number;
  providerRate: number | null;
  margin: number;
  jitterMs: number;
  foreignRate: number;
  ring: string;
}

/** Answers whose jitter readings count (the guard is READING_SCALE times the largest among them). */
const JITTER_READINGS = 40;
/**
 * A reading above this is a stall (a busy isolate, a paused process), not jitter: guarding every
 * window against it would cost a quarter of the pace for the rare 429 it causes, which the over-rate
 * hold absorbs.
 */
const MAX_JITTER_MS = 250;
/**
 * A reading is a lower bound, and only a call near a window's edge gives one, so the largest of 40
 * understates the spread of arrival delays (traced against the fake with 0-50 ms of jitter: readings
 * up to 55 ms, delays spread over 110 ms). The guard is this multiple of the largest (the round
 * trips' spread covers the rest: at 2, with it, 0-100 ms of jitter was guarded by 140 ms,
 * bench/results/trials-20261206/tr100.txt).
 */
const READING_SCALE = 1.5;
/**
 * How much wider the guard gets after an over-rate 429 in a guarded window, at most how far beyond
 * the margin and readings, and how fast that fades (per answer). A refusal costs the refused batch
 * its `retry-after`, a whole second, and a second one within it every call that second (ten calls at
 * 10/s); 25 ms more guard costs 2.5 ms a call: worth it if it spares one refusal in 400 calls, so it
 * fades over a few hundred.
 */
const OVER_RATE_STEP_MS = 25;
const OVER_RATE_MAX_EXTRA_MS = 50;
const OVER_RATE_DECAY_MS = 0.05;
/**
 * The round trips' spread: a reading that comes with every answer. A window's count shows jitter
 * only when a call at the window's edge goes missing, which is about as rare as the refusal it
 * warns of (with a guard of G, a call is missing when ours came more than G later than the call
 * before the edge, refused when it came more than G earlier). The round trip (start to answer)
 * carries the outbound delay, so its spread bounds the jitter from above when the provider's own
 * processing and the way back vary little (the fake: 0-50 ms of jitter spread its round trips
 * p10-p90 over 61 ms, 0-100 ms over 87, none over 30: bench/results/trials-20261206/rtt*.txt). The
 * p10-p90 range of a uniform spread is 0.8 of the whole: times RTT_SPREAD_SCALE. (The fake draws
 * its jitter uniformly; a spread with a long tail is wider than this says, and refusals widen the
 * guard beyond it.) A provider whose processing varies by hundreds of ms
 * would make it wide for nothing: it never guards more than RTT_GUARD_MAX_MS (11 % of the pace of a
 * one-second window).
 */
const RTT_SPREAD_SCALE = 1.25;
const RTT_GUARD_MAX_MS = 120;
/** Round trips (accepted answers) whose spread counts, and how many before it counts at all. */
const RTT_SAMPLES = 40;
const RTT_MIN_SAMPLES = 10;
/** The round trips guard the windows for this long after a window showed jitter (a reading above 0, or an over-rate 429). */
const JITTER_SEEN_FOR_MS = 60_000;
/**
 * Our calls started this close to a window's edge may be in the provider's window or not, by the
 * arrival delays' differences (or by the jitter this isolate measured, when wider): judgeRefusals
 * does not count on them.
 * Without jitter the readings of the benchmark's fake stay at 0-3 ms.
 */
const VERDICT_EDGE_MS = 20;
/**
 * Answers (of different calls, so with different calls at the window's edge) that must show the
 * window holding a refused call before it counts as the provider's own: one call of ours that came
 * late at the edge looks the same in one answer.
 */
const COUNTED_VOTES = 2;
/** A refusal not judged within this long is dropped unjudged (no answer came to judge it by). */
const STALE_REFUSAL_MS = 5000;
/** A limiter whose answers miss two or more of ours this often is not a sliding log. */
const NOT_SLIDING_SHARE = 0.2;
/** Readings of a limiter that is not a sliding window are ignored for this long. */
const NOT_SLIDING_FOR_MS = 60_000;
/**
 * After one isolate raised the shared guard, no other lowers it for this long: each consumer isolate
 * learns from its own answers, and one that saw no refusal would otherwise undo another's widening
 * at once (the widening itself fades over about 50 s at 10/s). The isolate that raised it lowers it
 * as its own answers say.
 */
const JITTER_RAISE_HOLD_MS = 60_000;
/** The pacer row's jitter or foreign share is rewritten only when it moved at least this much. */
const JITTER_WRITE_STEP_MS = 8;
const FOREIGN_WRITE_STEP = 0.2;
/** Readings of the other apps' use whose median counts. */
const FOREIGN_READINGS = 15;
/** Readings whose spread counts (FOREIGN_BURST_SDS): more than the median's, as a spread needs. */
const FOREIGN_SPREAD_READINGS = 40;
/**
 * Below this many requests per window the readings are noise (our log and the provider's window
 * differ by one now and then); above it, the others' share, plus this much slack for their own
 * unevenness, is left to them.
 */
const FOREIGN_NOISE = 0.5;
const FOREIGN_SLACK = 1;
/**
 * ... or, when more, their mean use per window plus this many standard deviations of it. An app
 * whose requests come evenly (a queue worker) reads about the same in every window, and the slack
 * covers it; one whose requests come at random moments (password resets: a Poisson process) holds
 * three in one window and six in the next, and left its median plus one it saw 12 % of its requests
 * refused (the benchmark's bursty other app at 30 % of the limit, 0-50 ms of jitter; 7 % of ours were
 * refused too: bench/results/foreign-bursty-20261207/). Two deviations is what keeps such an app
 * near 5 % in a simulation of the feedback, where a refused request of theirs is missing from our
 * readings (bench/results/foreign-burst-sim.mjs: 1.65 left it at 8-10 %). The price: an even app
 * is left a little more than its slack (the benchmark's log said 4.1 and 4.4 places where 4 would
 * do: its readings differ by one now and then), and a change of an app's level reads as a spread for as
 * long as both levels are among the readings (some seconds). A robust spread (the
 * median absolute deviation) did not have that, but is coarse on counts this small: it jumped
 * between 3 and 6 places of slack, and left the bursty app 5.3 % refused (bench/results/
 * check-foreign-mad-20261207T0252.log).
 */
const FOREIGN_BURST_SDS = 2;
/** A call that started this much after its slot: the isolate is busy, and the slots say little about real starts. */
const LATE_START_MS = 250;
/**
 * A reading of other apps' use counts only while our calls' round trips (start to answer, 10th to
 * 90th percentile) spread less than this share of the window, and this call's own is no more than
 * that above the fastest: when a request may have reached the provider anywhere in a span that
 * long, our log cannot say which of ours were in its window (a starved machine's round trips took
 * 0.01-2.4 s, and its readings ran from -10 to 9 where the truth was 6; the full test suite's
 * busiest test spread them 220-250 ms: bench/results/ci-foreign-starved-20261207/). Until readings
 * count again, the share learnt stays as it was.
 */
const FOREIGN_MAX_SPREAD = 0.4;
/** We never pace below this share of the limit because of others (their share is an estimate). */
const MIN_OWN_SHARE = 0.3;

/** The effective rate: the configured, the provider's, what other apps on the team leave us. */
function effectiveRate(configured: number, providerRate: number | null, learned: number | null, foreign: number): number {
  const limit = Math.min(configured, providerRate ?? Infinity, learned ?? Infinity);
  return Math.max(limit * MIN_OWN_SHARE, limit - foreign);
}

/**
 * What this isolate knows first-hand: when its own requests really started, and what its own answers
 * taught (a lower limit, a tight window, a hold) before D1 tells the others. Slots are D1 timestamps,
 * and a busy isolate wakes tens of milliseconds late now and then (a batch of 100 emails is 2 MB of
 * JSON to build), so within the isolate the window rule is checked again on the real start times.
 */
const local = {
  starts: [] as number[],
  learnedRate: null as number | null,
  tightUntil: 0,
  holdUntil: 0,
  answers: [] as boolean[],
  /** Server errors in a row, and the outage hold in force (doubled each time a probe fails too). */
  serverErrors: 0,
  outageHoldMs: 0,
  /** Calls this isolate has started: its first windows are its warm-up. */
  startsEver: 0,
  /** Recent jitter readings (ms, 0 when an answer showed none), and the guard they give. */
  jitterReadings: [] as number[],
  jitterMs: 0,
  /** The guard an over-rate 429 showed was needed (wider than the readings'), fading with each answer. */
  overRateJitterMs: 0,
  /** When the guard was last widened after an over-rate 429. */
  widenedAt: 0,
  /** Until then the provider's window does not count like a sliding log (jitter readings ignored). */
  notSlidingUntil: 0,
  severalMissing: [] as boolean[],
  /** Other apps' requests per provider window: the median of recent readings (below 0 when our log over-counts a fixed window). */
  foreignAvg: 0,
  /** What is left to other apps (requests/s), their mean use, and the share last said in the log. */
  foreignRate: 0,
  foreignUse: 0,
  foreignSaid: 0,
  foreignReadings: [] as number[],
  /** Whether our round trips last spread too widely for those readings (FOREIGN_MAX_SPREAD); said once when it changes. */
  foreignUnreadable: false,
  /** Recent round trips of accepted calls (ms from start to answer). */
  roundTrips: [] as number[],
  /** When this isolate last raised the shared row's guard (`jitter_raised_at` still says so while nobody else has). */
  jitterRaisedAt: 0,
  /** When a window last showed jitter (a reading, an over-rate 429 in a guarded window). */
  jitterSeenAt: -Infinity,
  /** Starts and slots of calls the provider refused before counting them (over-rate 429, a storm): not in its window. */
  uncounted: new Set<number>(),
  uncountedSlots: new Set<number>(),
  /**
   * Over-rate 429s not yet judged (judgeRefusals): the call's start and slot, the guard every tight
   * window had when it started, and whether it was guarded at all.
   */
  refusals: [] as PendingRefusal[],
  /** The slots of this isolate's calls (the shared log's other slots are other isolates'). */
  slots: new Set<number>(),
  /**
   * The latest over-rate 429 not known to be the provider's own (a first strike): until `strikeUntil`
   * (its `retry-after`), another one from a call started after `strikeAt` holds everyone for its own.
   */
  strikeAt: 0,
  strikeUntil: 0,
  strikeStartedAt: -1,
};

interface PendingRefusal {
  startedAt: number;
  slot: number;
  failed: { windowMs: number; guard: number };
  guarded: boolean;
  /** Calls (their starts) whose answers showed the window holding it. */
  votes: number[];
  /** Calls whose answers showed the window surely without it. */
  notCounted: number[];
}
/**
 * Until this isolate has seen one answer it knows nothing of the provider's real limit: the first
 * request goes alone (the others wait for its answer, a second at most), so a setting above the
 * account's limit does not send a whole batch of early requests into a 429.
 */
let firstAnswer: { promise: Promise<void>; resolve: () => void } | null = null;
let seenAnswer = false;
const FIRST_ANSWER_WAIT_MS = 2000;

/** Forgets what this isolate learnt (tests start each case against a fresh provider and pacer row). */
export function forgetLocalPacing(): void {
  local.starts = [];
  local.learnedRate = null;
  local.tightUntil = 0;
  local.holdUntil = 0;
  local.answers = [];
  local.serverErrors = 0;
  local.outageHoldMs = 0;
  local.startsEver = 0;
  local.jitterReadings = [];
  local.jitterMs = 0;
  local.overRateJitterMs = 0;
  local.widenedAt = 0;
  local.notSlidingUntil = 0;
  local.severalMissing = [];
  local.foreignAvg = 0;
  local.foreignRate = 0;
  local.foreignUse = 0;
  local.foreignSaid = 0;
  local.foreignReadings = [];
  local.foreignUnreadable = false;
  local.roundTrips = [];
  local.jitterSeenAt = -Infinity;
  local.jitterRaisedAt = 0;
  local.uncounted = new Set();
  local.uncountedSlots = new Set();
  local.refusals = [];
  local.slots = new Set();
  local.strikeAt = 0;
  local.strikeUntil = 0;
  local.strikeStartedAt = -1;
  firstAnswer = null;
  seenAnswer = false;
}

/** The window rule on this isolate's real start times; returns when a request may start now (and counts it). */
async function startLocally(configuredRate: number, from: Reserved): Promise<number> {
  for (;;) {
    const now = Date.now();
    const { count, windowMs } = windowGuard(configuredRate, from);
    const starts = local.starts;
    // After a pause (an outage's holds, a canary's wait) calls start again all at once: warm up again.
    if (starts.length > 0 && now - starts[starts.length - 1]! > IDLE_REWARM_MS) local.startsEver = 0;
    const warming = local.startsEver < WARM_UP_WINDOWS * count;
    const tight = warming || from.tightUntil > now || local.tightUntil > now;
    const share = warming ? WARM_UP_GUARDS : LOCAL_GUARD_SHARE;
    // Jitter measured on real round trips is a guard on real start times in full.
    const guard = tight ? Math.max(Math.max(BASE_MARGIN, from.margin) * windowMs * share, Math.max(from.jitterMs, local.jitterMs)) : 0;
    const at = Math.max(
      local.holdUntil,
      starts.length >= count ? starts[starts.length - count]! + windowMs + guard : 0,
      starts.length > 0 ? starts[starts.length - 1]! + (windowMs / count) * LOCAL_MIN_GAP_SHARE : 0,
    );
    if (at <= now) {
      starts.push(now);
      local.startsEver++;
      if (starts.length > 1000) starts.splice(0, starts.length - 1000);
      return now;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(at - now)));
  }
}

export function createPacer(db: Db, configuredRate: number, options: { outageMaxHoldMs?: number } = {}): Pacer {
  const outageMaxHoldMs = options.outageMaxHoldMs ?? OUTAGE_MAX_HOLD_MS;
  /** What the row said at this instance's latest reservation (one instance serves concurrent calls). */
  let last: Reserved | null = null;
  return {
    async wait(prepare) {
      if (!seenAnswer) {
        if (firstAnswer) await Promise.race([firstAnswer.promise, new Promise((resolve) => setTimeout(resolve, FIRST_ANSWER_WAIT_MS))]);
        else {
          let resolve!: () => void;
          firstAnswer = { promise: new Promise<void>((r) => (resolve = r)), resolve };
        }
      }
      for (;;) {
        const reservedAt = Date.now();
        const mine = (await reserveSlot(db, configuredRate, reservedAt).get())!;
        last = mine;
        // This isolate's from the moment it is reserved: a slot given up below (its wait was voided),
        // or one whose call is still held back, is no other isolate's in the shared log.
        local.slots.add(mine.slot);
        if (local.slots.size > 1000) local.slots.delete(local.slots.values().next().value!);
        // Prepared just before the slot, so the call leaves on time (and who left is known late).
        await sleepUntil(mine.slot - PREPARE_LEAD_MS);
        // A slot reserved well ahead may have been voided meanwhile (a 429 told everyone to hold, or a
        // lower rate was learnt): check, and take a new one if so.
        if (mine.slot - reservedAt > LONG_WAIT_MS) {
          const row = await db.select({ epoch: pacer.epoch, holdUntil: pacer.holdUntil }).from(pacer).where(eq(pacer.id, 1)).get();
          if (row && (row.epoch !== mine.epoch || row.holdUntil > Date.now())) continue;
        }
        if (prepare) {
          await prepare();
          prepare = undefined;
        }
        await sleepUntil(mine.slot);
        const startedAt = await startLocally(configuredRate, mine);
        return { startedAt, slot: mine.slot, ring: JSON.parse(mine.ring) as number[] };
      }
    },
    async observe({ status, headers }, turn) {
      const now = Date.now();
      if (!seenAnswer && local.starts.length === 1) {
        // The first call of an isolate leaves slowly (cold code): when it reached the provider is
        // known only to be before its answer, so the window counts it from then.
        local.starts[0] = now;
      }
      seenAnswer = true;
      // Whether every window was guarded when this call started (before this answer says anything).
      const guarded = turn !== undefined && (local.tightUntil > turn.startedAt || (last?.tightUntil ?? 0) > turn.startedAt);
      firstAnswer?.resolve();
      const limit = perSecondLimit(headers);
      const remaining = headerNumber(headers, 'ratelimit-remaining');
      const overRate = status === 429 && (remaining === null || remaining === 0);
      const updates: Partial<typeof pacer.$inferInsert> = {};
      const known = last?.providerRate ?? null;
      if (limit !== null) local.learnedRate = limit < configuredRate ? limit : null;
      const tightWindow = remaining !== null && remaining <= tightRemaining(configuredRate, last);
      if (tightWindow) local.tightUntil = now + TIGHT_FOR_MS;
      // A call refused because the window was full was not counted in it; any other answer was (a
      // 429 that shows room left was counted and refused for a reason of the provider's own).
      if (turn && overRate) {
        local.uncounted.add(turn.startedAt);
        local.uncountedSlots.add(turn.slot);
        if (local.uncounted.size > 100) local.uncounted.delete(local.uncounted.values().next().value!);
        if (local.uncountedSlots.size > 100) local.uncountedSlots.delete(local.uncountedSlots.values().next().value!);
      }
      // Refusals of the last second, judged by this answer's window: counted (the provider's own) or not (ours).
      judgeRefusals(status !== null && status < 400 ? headers : null, turn, now);
      if (turn && status !== null && status < 400) learnForeign(headers, turn, now);
      if (turn && status !== null && status < 400) learnJitter(headers, turn, now);
      // An over-rate 429 while every window was guarded: the jitter is wider than the guard (the
      // readings are lower bounds, and only calls near a window's edge give one at all), unless the
      // next answers show the provider counted the call (judgeRefusals): then it refused for a reason
      // of its own, and the guard was enough.
      const guardInForce = windowGuard(configuredRate, last);
      if (overRate && turn) local.refusals.push({ startedAt: turn.startedAt, slot: turn.slot, failed: guardInForce, guarded, votes: [], notCounted: [] });
      // The row's guard is every consumer's: raised by whoever learnt more, lowered by the isolate
      // that raised it, or by anyone once nobody has raised it for a while (another isolate may not
      // have seen what raised it). `last` is the row as this call's reservation left it, which may
      // be a second old: it only says whether to write; the statement decides on the row as it is.
      const shared = last?.jitterMs ?? 0;
      const jitter = Math.round(local.jitterMs);
      let wroteJitter = false;
      if (jitter >= shared + JITTER_WRITE_STEP_MS) {
        updates.jitterMs = sql`max(${pacer.jitterMs}, ${jitter})` as unknown as number;
        updates.jitterRaisedAt = sql`CASE WHEN ${jitter} > ${pacer.jitterMs} THEN ${now} ELSE ${pacer.jitterRaisedAt} END` as unknown as number;
        local.jitterRaisedAt = now;
        wroteJitter = true;
      } else if (jitter <= shared - JITTER_WRITE_STEP_MS) {
        updates.jitterMs = sql`CASE WHEN ${pacer.jitterRaisedAt} = ${local.jitterRaisedAt} OR ${pacer.jitterRaisedAt} < ${now - JITTER_RAISE_HOLD_MS} THEN ${jitter} ELSE ${pacer.jitterMs} END` as unknown as number;
        wroteJitter = true;
      }
      if (Math.abs(local.foreignRate - (last?.foreignRate ?? 0)) >= FOREIGN_WRITE_STEP || (local.foreignRate === 0 && (last?.foreignRate ?? 0) > 0)) {
        // Said when it moved a whole request/s from what was last said (the row follows in smaller steps).
        if (local.foreignRate >= 1 && Math.abs(local.foreignRate - local.foreignSaid) >= 1) {
          console.warn(`pacer: other apps on the same Resend team use about ${local.foreignUse.toFixed(1)} requests/s of its limit; this send leaves them ${local.foreignRate.toFixed(1)}/s for that and their busier seconds`);
          local.foreignSaid = local.foreignRate;
        } else if (local.foreignRate === 0 && local.foreignSaid > 0) {
          console.warn('pacer: other apps on the same Resend team no longer use its limit; this send takes all of it');
          local.foreignSaid = 0;
        }
        updates.foreignRate = local.foreignRate;
      }
      if (limit !== null && limit < configuredRate && limit !== known) {
        updates.providerRate = limit;
        // Slots handed out at the old spacing are void; the next ones start from now at the new one.
        updates.epoch = sql`${pacer.epoch} + 1` as unknown as number;
        updates.nextSlotAt = now;
        updates.ring = pastSlots(now) as unknown as string;
        console.warn(
          `pacer: the provider allows ${limit} requests/s but SEND_RATE_PER_SECOND is ${configuredRate}; pacing at ${limit}/s. Set SEND_RATE_PER_SECOND=${limit} to match your plan.`,
        );
      } else if (limit !== null && limit >= configuredRate && known !== null) {
        updates.providerRate = null;
      }
      if (status === null || status >= 500) {
        const holdMs = outageMaxHoldMs > 0 ? outageHold(now, outageMaxHoldMs) : null;
        if (holdMs === null) return null;
        local.holdUntil = Math.max(local.holdUntil, now + holdMs);
        await db
          .update(pacer)
          .set({
            holdUntil: sql`max(${pacer.holdUntil}, ${now + holdMs})`,
            ...(holdMs > LONG_WAIT_MS ? { nextSlotAt: now + holdMs, ring: pastSlots(now), epoch: sql`${pacer.epoch} + 1` } : {}),
          })
          .where(eq(pacer.id, 1));
        console.warn(`pacer: the provider failed ${local.serverErrors} calls in a row; every call waits ${holdMs / 1000} s before the next try`);
        return holdMs;
      }
      local.serverErrors = 0;
      local.outageHoldMs = 0;
      let holdMs: number | null = null;
      local.answers.push(overRate);
      if (local.answers.length > RECENT_ANSWERS) local.answers.shift();
      if (overRate) {
        // The second strike: a call that started after the last unexplained over-rate 429 was
        // answered, and before its `retry-after` ran out, refused too. Everyone waits this one's.
        const second = turn !== undefined && turn.startedAt >= local.strikeAt && turn.startedAt < local.strikeUntil;
        holdMs = overRateHold(headers, configuredRate, last, now, second);
        // Resend sends `retry-after` with every 429; without one, a second.
        const callWaits = Math.max(holdMs, retryAfterMs(headers, false) ?? 1000);
        if (!second) {
          local.strikeAt = now;
          local.strikeUntil = now + callWaits;
          local.strikeStartedAt = turn?.startedAt ?? -1;
        }
        local.holdUntil = Math.max(local.holdUntil, now + holdMs);
        local.tightUntil = now + TIGHT_FOR_MS;
        // A 429 now and then is not the pace's fault: a provider may refuse a request for reasons of
        // its own, and jitter may push one into a full window. Only when they keep coming is the pace
        // too fast for this limiter; then every window gets a wider guard.
        const refused = local.answers.filter(Boolean).length;
        console.warn(
          second
            ? `pacer: over-rate 429 again within retry-after (the provider's window is full); every call holds ${holdMs} ms, tight windows were guarded by ${Math.round(guardInForce.guard)} ms`
            : `pacer: over-rate 429 (the provider's window is full); the refused call waits ${callWaits} ms, the others ${holdMs} ms; tight windows were guarded by ${Math.round(guardInForce.guard)} ms`,
        );
        const widen = refused > RECENT_ANSWERS * PERSISTENT_429_SHARE;
        await db
          .update(pacer)
          .set({
            ...updates,
            // A long hold (a second strike, a reset of a second or more) voids the slots handed out
            // already (their holders take new ones), and the schedule starts after it. A short one
            // stays this isolate's: the shared log already spaces everyone's next slots by the
            // window it measures, and a short hold on the row would start other isolates' calls
            // late against their slots, and bunched (their slots would no longer say when they went).
            ...(second || holdMs > LONG_WAIT_MS ? { holdUntil: sql`max(${pacer.holdUntil}, ${now + holdMs})` } : {}),
            ...(holdMs > LONG_WAIT_MS ? { nextSlotAt: now + holdMs, ring: pastSlots(now), epoch: sql`${pacer.epoch} + 1` } : {}),
            ...(widen ? { margin: sql`min(${MAX_MARGIN}, max(${pacer.margin}, ${BASE_MARGIN}) + ${MARGIN_STEP})`, last429At: now } : {}),
            tightUntil: now + TIGHT_FOR_MS,
          })
          .where(eq(pacer.id, 1));
        // What this write put on the row (so the next answer does not write it again).
        if (last && wroteJitter) last.jitterMs = jitter; // or what the row kept: the next reservation says
        if (last) last.tightUntil = now + TIGHT_FOR_MS;
        return callWaits;
      }
      // Only write when something changed: most answers teach nothing new.
      if (tightWindow && (last?.tightUntil ?? 0) < now + TIGHT_FOR_MS / 2) updates.tightUntil = now + TIGHT_FOR_MS;
      if (Object.keys(updates).length > 0) {
        await db.update(pacer).set(updates).where(eq(pacer.id, 1));
        if (last && 'tightUntil' in updates) last.tightUntil = updates.tightUntil!;
        if (last && 'providerRate' in updates) last.providerRate = updates.providerRate ?? null;
        if (last && wroteJitter) last.jitterMs = jitter;
        if (last && 'foreignRate' in updates) last.foreignRate = updates.foreignRate!;
      }
      return null;
    },
  };
}

/**
 * The statement that reserves the next slot: a sliding log of the last requests, shared by every
 * consumer. A request may go once the request `count` places before it is a whole window old (plus a
 * guard against jitter while the provider's window is tight), and never sooner than the average spacing
 * after the one before. So the pace is exactly the rate over any window, a token bucket, a sliding
 * window and a fixed window all accept it. The rate is the lower of the configured and the provider's; a changed
 * SEND_RATE_PER_SECOND starts the learning afresh.
 */
export function reserveSlot(db: Db, configuredRate: number, now: number) {
  // Numbers inline (they are ours, not input): the expressions repeat them, and D1 binds at most 100.
  const cfg = sql.raw(String(Number(configuredRate)));
  const at = sql.raw(String(Math.trunc(now)));
  const fresh = sql`${pacer.configuredRate} <> ${cfg}`;
  const limit = sql`(CASE WHEN ${fresh} OR ${pacer.providerRate} IS NULL THEN ${cfg} ELSE min(${cfg}, ${pacer.providerRate}) END)`;
  // What other apps on the team leave us (effectiveRate, in SQL).
  const rate = sql`(CASE WHEN ${fresh} THEN ${limit} ELSE max(${limit} * ${sql.raw(String(MIN_OWN_SHARE))}, ${limit} - ${pacer.foreignRate}) END)`;
  const count = sql`max(1, CAST(${rate} AS INTEGER))`;
  const windowMs = sql`(${count} * 1000.0 / ${rate})`;
  const margin = sql`(CASE WHEN ${fresh} THEN ${sql.raw(String(BASE_MARGIN))} WHEN ${pacer.last429At} < ${sql.raw(String(Math.trunc(now - RELAX_AFTER_MS)))} THEN max(${sql.raw(String(BASE_MARGIN))}, ${pacer.margin} / 2) ELSE max(${sql.raw(String(BASE_MARGIN))}, ${pacer.margin}) END)`;
  const tight = sql`(${fresh} OR ${pacer.tightUntil} > ${at})`;
  const guard = sql`(CASE WHEN ${tight} THEN max(${margin} * ${windowMs}, CASE WHEN ${fresh} THEN 0 ELSE ${pacer.jitterMs} END) ELSE 0 END)`;
  const minGap = sql`CAST(ceil(${windowMs} / ${count}) AS INTEGER)`;
  const ring = sql`(CASE WHEN ${fresh} THEN '[]' ELSE ${pacer.ring} END)`;
  const len = sql`json_array_length(${ring})`;
  const windowFrees = sql`(CASE WHEN ${len} >= ${count} THEN json_extract(${ring}, '$[#-' || ${count} || ']') + ${windowMs} + ${guard} ELSE 0 END)`;
  const previous = sql`(CASE WHEN ${fresh} THEN 0 ELSE ${pacer.nextSlotAt} END)`;
  const slot = sql`CAST(ceil(max(${at}, ${pacer.holdUntil}, ${previous} + ${minGap}, ${windowFrees})) AS INTEGER)`;
  // Keep the log at `count` entries (shrinking by two at a time after the rate went down).
  const trimmed = sql`(CASE WHEN ${len} > ${count} THEN json_remove(${ring}, '$[0]', '$[0]') WHEN ${len} = ${count} THEN json_remove(${ring}, '$[0]') ELSE ${ring} END)`;
  return db
    .insert(pacer)
    .values({ id: 1, nextSlotAt: now, ring: JSON.stringify([now]), configuredRate, margin: BASE_MARGIN, tightUntil: now + ASSUME_TIGHT_MS })
    .onConflictDoUpdate({
      target: pacer.id,
      set: {
        nextSlotAt: slot,
        ring: sql`json_insert(${trimmed}, '$[#]', ${slot})`,
        configuredRate,
        providerRate: sql`CASE WHEN ${fresh} THEN NULL ELSE ${pacer.providerRate} END`,
        margin,
        tightUntil: sql`CASE WHEN ${fresh} THEN ${sql.raw(String(Math.trunc(now + ASSUME_TIGHT_MS)))} ELSE ${pacer.tightUntil} END`,
      },
    })
    .returning({
      slot: pacer.nextSlotAt,
      holdUntil: pacer.holdUntil,
      tightUntil: pacer.tightUntil,
      providerRate: pacer.providerRate,
      margin: pacer.margin,
      epoch: pacer.epoch,
      jitterMs: pacer.jitterMs,
      foreignRate: pacer.foreignRate,
      ring: pacer.ring,
    });
}

/**
 * One more answer of the provider's window: `ratelimit-limit − ratelimit-remaining` requests were in
 * it when ours arrived. If that is fewer than our own real starts in the second before ours, the
 * oldest of those arrived at least `1000 − (ours − its start)` ms later than ours did, relative to
 * their starts: a reading of the jitter (see the header).
 */
function learnJitter(headers: Record<string, string> | null, turn: Turn, now: number): void {
  const window = secondWindow(headers);
  if (window === null) return;
  const { limit, remaining } = window;
  const counted = local.starts.filter((s) => s <= turn.startedAt && !local.uncounted.has(s));
  const inside = counted.filter((s) => s > turn.startedAt - 1000);
  const missing = inside.length - (limit - remaining);
  // More in the window than our log put there: older calls of ours arrived late enough to be in it
  // still (when no other app is seen using the team's limit: then those are its requests).
  // Not when other isolates of ours send too (the shared log holds more of our calls in that second
  // than this isolate started): theirs are in the window and not in our starts.
  // An extra the pending refusals explain (the provider may have counted them: judgeRefusals) says no more.
  const extra = -missing - pendingInside(turn.startedAt);
  const slotted = turn.ring.filter((slot) => slot > turn.slot - 1000 && slot <= turn.slot && !local.uncountedSlots.has(slot)).length;
  const extrasAreOurs = extra >= 1 && local.foreignAvg <= 0 && slotted <= inside.length;
  const older = counted.filter((s) => s <= turn.startedAt - 1000 && s > turn.startedAt - 1000 - MAX_JITTER_MS);
  const lateOld = extrasAreOurs && extra <= older.length ? older[older.length - extra] : undefined;
  const raw = lateOld !== undefined ? turn.startedAt - lateOld - 1000 : jitterReading(inside, turn.startedAt, missing);
  // A reading above the cap is a stall, not jitter: it says nothing about the next windows.
  const reading = raw > MAX_JITTER_MS ? 0 : raw;
  const readings = local.jitterReadings;
  readings.push(reading);
  if (readings.length > JITTER_READINGS) readings.shift();
  // A stall now and then misses two at once too; a fixed window or a bucket does it all the time.
  const several = local.severalMissing;
  several.push(missing >= 2 || (extra >= 2 && extrasAreOurs));
  if (several.length > JITTER_READINGS) several.shift();
  if (several.length >= 10 && several.filter(Boolean).length > several.length * NOT_SLIDING_SHARE) local.notSlidingUntil = now + NOT_SLIDING_FOR_MS;
  local.overRateJitterMs = Math.max(0, local.overRateJitterMs - OVER_RATE_DECAY_MS);
  const trips = local.roundTrips;
  trips.push(now - turn.startedAt);
  if (trips.length > RTT_SAMPLES) trips.shift();
  const fromReadings = Math.round(Math.max(...readings) * READING_SCALE);
  // The round trips say how wide the jitter is, once the window has shown there is some: without
  // that, their spread is the provider's processing and our isolate's, which no window sees.
  if (reading > 0) local.jitterSeenAt = now;
  const fromRoundTrips = now - local.jitterSeenAt < JITTER_SEEN_FOR_MS ? roundTripGuard(trips) : 0;
  local.jitterMs = now < local.notSlidingUntil ? 0 : Math.min(MAX_JITTER_MS, Math.max(local.overRateJitterMs, fromReadings, fromRoundTrips));
}

/** The guard the round trips' spread asks for (see RTT_SPREAD_SCALE): 0 until there are enough of them. */
export function roundTripGuard(trips: number[]): number {
  const spread = roundTripSpread(trips);
  return spread ? Math.min(RTT_GUARD_MAX_MS, Math.round((spread.p90 - spread.p10) * RTT_SPREAD_SCALE)) : 0;
}

/** The round trips' 10th and 90th percentiles, or null until there are RTT_MIN_SAMPLES of them. */
function roundTripSpread(trips: number[]): { p10: number; p90: number } | null {
  if (trips.length < RTT_MIN_SAMPLES) return null;
  const sorted = [...trips].sort((a, b) => a - b);
  const n = sorted.length;
  // Nearest ranks that leave out the extremes even of 10 samples (one cold start is not the spread).
  return { p10: sorted[Math.floor(0.1 * n)]!, p90: sorted[Math.ceil(0.9 * n) - 1]! };
}

/**
 * Judges the over-rate 429s of the last second by an accepted answer's window (`headers` null: no
 * verdict from this one). `ratelimit-limit − ratelimit-remaining` requests were in it when ours
 * arrived. A call refused because the window was full was not counted, and is missing from it. A
 * provider that refuses a call for a reason of its own (the benchmark's injected faults, a blip of
 * its own) in a window we filled to its last place sends the very same headers, but counted the call:
 * the window then holds one more than our log without it (even counting our calls at its edges
 * in). Shown counted in one answer, it is no longer a strike (a refusal soon after holds nobody
 * else); in the answers of two later calls (one late call of ours at the edge looks the same in
 * one): the guard was enough and it is in the window after all. It still counts among the recent
 * refusals that widen the shared margin when they keep coming (more than 10 % of answers): that is
 * the backstop if a provider counts every refused request in its window, full or not, which would
 * make every refusal look like its own. Surely not counted (the window holds no more than the calls of ours surely in it;
 * in two answers when another showed it counted: one call of ours at the edge, early or late, makes
 * either look like the other), or never shown counted within its second (later calls refused too, other isolates' or apps' calls in
 * the count): the pace's, and in a guarded window the jitter guard
 * widens, as it did at once before the two were told apart (the benchmark's faults on a sliding
 * window: each spurious refusal widened the guard 25 ms, to 100 ms in all). While a refusal waits
 * for its verdict, the extra it may make is no jitter reading and no other app's (pendingInside).
 */
function judgeRefusals(headers: Record<string, string> | null, turn: Turn | undefined, now: number): void {
  // A refusal the next answers came too late to judge (the send ended) says nothing about the next send.
  local.refusals = local.refusals.filter((refusal) => now - refusal.startedAt <= STALE_REFUSAL_MS);
  if (local.refusals.length === 0) return;
  const window = secondWindow(headers);
  // Another app's requests make the same extra in the window: only once its recent readings show none.
  let readable = turn !== undefined && window !== null && noOtherApp() && now >= local.notSlidingUntil;
  // Other isolates' calls are in the provider's window and not in our starts: no verdict then.
  if (readable && turn!.ring.some((slot) => slot > turn!.slot - 2000 && slot <= turn!.slot && !local.slots.has(slot))) readable = false;
  // Our calls near the window's edges (within the jitter) may be in it or not; the others surely are.
  const t = turn?.startedAt ?? now;
  const band = Math.max(VERDICT_EDGE_MS, local.jitterMs);
  const surely = (s: number) => s === t || (s > t - 1000 + band && s <= t - band);
  // Refused calls that may be in this window; with two or more, only a count that covers them all says anything.
  const candidates = local.refusals.filter((refusal) => refusal.startedAt < t && refusal.startedAt > t - 1000 - band);
  let counted = false;
  let noneCounted = false;
  if (readable && candidates.length > 0) {
    const ours = local.starts.filter((s) => s > t - 1000 - band && s <= t && !local.uncounted.has(s));
    const inWindow = window!.limit - window!.remaining;
    counted = inWindow - ours.length >= candidates.length; // even with every edge call of ours in it
    noneCounted = inWindow <= ours.filter(surely).length;
  }
  const pending: PendingRefusal[] = [];
  for (const refusal of local.refusals) {
    const age = t - refusal.startedAt;
    const judged = candidates.includes(refusal) && surely(refusal.startedAt);
    if (judged && counted && !refusal.votes.includes(t)) {
      refusal.votes.push(t);
      // Likely the provider's own: a refusal now is no second strike (a provider that punishes calls
      // inside retry-after showed a full window, which no answer would show holding the call).
      if (local.strikeStartedAt === refusal.startedAt) local.strikeUntil = 0;
    }
    // Shown counted by one answer and not by another: one of the two saw a call of ours at the edge
    // come late or early; a second answer of either kind decides.
    if (judged && noneCounted && !refusal.notCounted.includes(t)) refusal.notCounted.push(t);
    if (refusal.votes.length >= COUNTED_VOTES) {
      local.uncounted.delete(refusal.startedAt);
      local.uncountedSlots.delete(refusal.slot);
      console.warn("pacer: the provider's window counted the call it refused (a refusal of its own, not of the pace): the guard stays as it was");
    } else if (refusal.votes.length === 0 ? (judged && noneCounted) || age >= 1000 : refusal.notCounted.length >= COUNTED_VOTES) {
      if (refusal.guarded) widenJitterGuard(refusal.failed, refusal.startedAt, now);
    } else if (age < 1000) pending.push(refusal);
    // (Shown counted once, and not twice shown otherwise within its second: no verdict either way.)
  }
  local.refusals = pending;
}

/**
 * Refusals not yet judged that may be in the provider's window of a call started at `t`: the extra
 * they may make is theirs. Only while no other app is seen: beside one no verdict is given, and a
 * refusal stays uncounted, a full window's (else its readings, while it learns the other app's share,
 * would be one too low for a second after each refusal).
 */
function pendingInside(t: number, windowMs = 1000): number {
  if (!noOtherApp()) return 0;
  return local.refusals.filter((refusal) => refusal.startedAt < t && refusal.startedAt > t - windowMs).length;
}

/**
 * The provider's window as an answer states it: its limit, what remains of it, and its length
 * (`ratelimit-policy` `w=`, a second without one); null without such headers, or unlimited.
 */
function windowCount(headers: Record<string, string> | null): { limit: number; remaining: number; windowMs: number } | null {
  const limit = headerNumber(headers, 'ratelimit-limit');
  const remaining = headerNumber(headers, 'ratelimit-remaining');
  if (limit === null || remaining === null || limit <= 0 || limit >= 1000) return null;
  return { limit, remaining, windowMs: policyWindowMs(headers) };
}

/** A one-second window's count (windowCount), or null: the readings of jitter and the verdicts need one. */
function secondWindow(headers: Record<string, string> | null): { limit: number; remaining: number } | null {
  const window = windowCount(headers);
  return window && window.windowMs === 1000 ? window : null;
}

/** The `ratelimit-policy` window (`w=`, seconds) in ms: a second when the answer does not say. */
function policyWindowMs(headers: Record<string, string> | null): number {
  const window = /(?:^|[;,\s])w=(\d+(?:\.\d+)?)/.exec(headers?.['ratelimit-policy'] ?? '');
  const seconds = window ? Number(window[1]) : 1;
  return seconds > 0 ? seconds * 1000 : 1000;
}

/** Enough readings of other apps' use, and none of the recent ones shows any. */
function noOtherApp(): boolean {
  const recent = local.foreignReadings.slice(-FOREIGN_READINGS / 3);
  return recent.length >= FOREIGN_READINGS / 3 && recent.every((reading) => reading <= 0);
}

/** After an over-rate 429 in a guarded window: the guard becomes wider than the one that failed. */
function widenJitterGuard(failed: { windowMs: number; guard: number }, startedAt: number, now: number): void {
  // A refusal the provider made of its own accord and judgeRefusals could not tell (another app or
  // isolate in the window, no answer in time) widens it too: so the widening is capped at
  // OVER_RATE_MAX_EXTRA_MS beyond what the margin and readings ask. Calls that started before the
  // last widening were not guarded by it: their refusals widen nothing.
  if (now < local.notSlidingUntil || startedAt < local.widenedAt) return;
  local.widenedAt = now;
  local.jitterSeenAt = now;
  const read = Math.max(BASE_MARGIN * failed.windowMs, Math.max(0, ...local.jitterReadings) * READING_SCALE);
  const widened = Math.min(read + OVER_RATE_MAX_EXTRA_MS, Math.max(local.overRateJitterMs, failed.guard) + OVER_RATE_STEP_MS);
  local.overRateJitterMs = Math.min(MAX_JITTER_MS, Math.max(local.overRateJitterMs, widened));
  local.jitterMs = Math.max(local.jitterMs, local.overRateJitterMs);
}

/**
 * The least jitter that explains `missing` of our requests absent from the provider's window when
 * ours (started at `startedAt`) arrived. `inside`: our start times in the second before ours, oldest
 * first, ours last. A request of ours is absent for one of two reasons: it already aged out (ours
 * arrived later, relative to its start, by at least `1000 − distance`: the oldest go first), or it has
 * not arrived yet (ours overtook it, so it was later by at least its `distance`: the newest go
 * first). Any split of the missing between the two is possible; the smallest spread among them is
 * the reading (a lower bound, never a reordering mistaken for a second's delay).
 */
export function jitterReading(inside: number[], startedAt: number, missing: number): number {
  if (missing < 1) return 0;
  const others = inside.filter((s) => s < startedAt);
  let best = Infinity;
  for (let aged = 0; aged <= missing; aged++) {
    const overtaken = missing - aged;
    if (aged + overtaken > others.length) continue;
    const agedBy = aged > 0 ? 1000 - (startedAt - others[aged - 1]!) : 0;
    const overtakenBy = overtaken > 0 ? startedAt - others[others.length - overtaken]! : 0;
    // One aged out (ours that much slower than it) and one not arrived (it that much slower than
    // ours): the spread between those two is at least the sum.
    best = Math.min(best, agedBy + overtakenBy);
  }
  return best === Infinity ? 0 : Math.round(best);
}

/**
 * One more reading of the provider's window: `ratelimit-limit − ratelimit-remaining` requests were in
 * it when ours arrived; our own log (the shared ring, every consumer's slots) put `ours` there. The
 * rest are other apps'. Once clearly above the noise, their median plus some slack is left to them,
 * or their mean plus FOREIGN_BURST_SDS deviations when more (an app whose use comes in bursts).
 */
function learnForeign(headers: Record<string, string> | null, turn: Turn, now: number): void {
  const window = windowCount(headers);
  if (window === null) return; // unlimited or unknown
  const { limit, remaining, windowMs } = window;
  // When our calls reach the provider is known only within their round trips (FOREIGN_MAX_SPREAD).
  const roundTrip = now - turn.startedAt;
  const trips = [...local.roundTrips, roundTrip];
  const spread = roundTripSpread(trips);
  const fastest = spread ? spread.p10 : Math.min(...trips);
  const span = windowMs * FOREIGN_MAX_SPREAD;
  // A call slower than the rest by that much is skipped; round trips that spread that widely stop
  // the readings (said when it starts and ends: the share learnt stays meanwhile).
  const spreadWide = spread !== null && spread.p90 - spread.p10 > span;
  if (spread !== null && spreadWide !== local.foreignUnreadable) {
    console.warn(spreadWide
      ? `pacer: our calls' round trips spread ${spread.p90 - spread.p10} ms (10th to 90th percentile), more than ${span} ms: which of them were in the provider's window is unknown, so other apps' use of the team's limit is not read until they steady (the share learnt, ${local.foreignRate.toFixed(1)} requests/s, stays)`
      : `pacer: our calls' round trips are steady again (${spread.p90 - spread.p10} ms apart): other apps' use of the team's limit is read again`);
    local.foreignUnreadable = spreadWide;
  }
  if (spreadWide || roundTrip - fastest > span) return;
  // Ours: this isolate's real starts in the window before ours (a busy isolate starts calls late, so
  // its slots say little), or the shared log's slots when other consumers put more there.
  const started = local.starts.filter((s) => s > turn.startedAt - windowMs && s <= turn.startedAt && !local.uncounted.has(s)).length;
  const onTime = turn.startedAt - turn.slot < LATE_START_MS;
  const slotted = onTime ? turn.ring.filter((slot) => slot > turn.slot - windowMs && slot <= turn.slot && !local.uncountedSlots.has(slot)).length : 0;
  const ours = Math.max(started, slotted);
  const reading = limit - remaining - ours - pendingInside(turn.startedAt, windowMs);
  // The median of the recent readings: a stalled isolate's late arrivals are outliers, another app's
  // requests are there in most readings.
  const readings = local.foreignReadings;
  readings.push(reading);
  if (readings.length > FOREIGN_SPREAD_READINGS) readings.shift();
  const sorted = readings.slice(-FOREIGN_READINGS).sort((a, b) => a - b);
  local.foreignAvg = Math.max(-1, sorted[Math.floor(sorted.length / 2)]!);
  const perSecond = (local.foreignAvg * 1000) / windowMs;
  if (perSecond <= FOREIGN_NOISE) {
    local.foreignRate = 0;
    local.foreignUse = 0;
    return;
  }
  // Below zero is our log's error, not the other app: it would widen the spread for nothing.
  const { mean, sd } = meanAndDeviation(readings.map((r) => Math.max(0, r)));
  local.foreignUse = (mean * 1000) / windowMs;
  local.foreignRate = Math.max(perSecond + FOREIGN_SLACK, ((mean + FOREIGN_BURST_SDS * sd) * 1000) / windowMs);
}

function meanAndDeviation(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  return { mean, sd: Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length) };
}

/**
 * After a server error: null while it may be a random fault (fewer than OUTAGE_AFTER in a row), else
 * how long every call waits. The hold doubles only when a call made after the last hold failed too
 * (the answers of calls already in flight when it began say nothing new).
 */
function outageHold(now: number, maxHoldMs: number): number | null {
  local.serverErrors++;
  if (local.serverErrors < OUTAGE_AFTER) return null;
  if (local.outageHoldMs > 0 && now < local.holdUntil) return null;
  local.outageHoldMs = local.outageHoldMs === 0 ? Math.min(maxHoldMs, OUTAGE_FIRST_HOLD_MS) : Math.min(maxHoldMs, local.outageHoldMs * 2);
  return local.outageHoldMs;
}

/**
 * How long everyone holds after an over-rate 429: at least `ratelimit-reset`, and at least until our
 * own log says the window frees (the request `count` places back ages out of the provider's window,
 * plus the guard); at least `retry-after` (a second without one) too when `everyone` (a second
 * strike), or when the answer
 * says nothing of its window. `retry-after` is "how many seconds you should wait before making a
 * follow-up request" (Resend's rate-limit docs): the refused call's follow-up always waits it (the
 * caller, with what observe returns). Holding every other call for it too would cost a second of
 * the pace for every refusal the provider makes of its own accord, which the headers do not tell
 * from a full window (judgeRefusals tells them apart afterwards); a provider that does punish calls
 * inside `retry-after` refuses the next one too, and that second strike holds everyone.
 */
function overRateHold(headers: Record<string, string> | null, configuredRate: number, from: Reserved | null, now: number, everyone: boolean): number {
  const reset = headerNumber(headers, 'ratelimit-reset');
  // `retry-after` is the provider's instruction, a floor for the refused call (the caller waits it)
  // and, at the second strike, for everyone: a `ratelimit-reset: 0` and our own log may say the
  // window frees sooner; the provider asked for more, and gets it.
  const floor = everyone ? (retryAfterMs(headers, false) ?? 1000) : 0;
  if (reset === null) return Math.max(floor, retryAfterMs(headers) ?? 1000);
  const { count, windowMs } = windowGuard(configuredRate, from);
  const starts = local.starts;
  const frees = starts.length >= count ? starts[starts.length - count]! + windowMs * (1 + Math.max(BASE_MARGIN, from?.margin ?? 0)) - now : windowMs;
  return Math.max(0, Math.round(Math.max(floor, reset * 1000, frees)));
}

/**
 * The most `ratelimit-remaining` a tight window shows. At the full pace a window holds every place but
 * one at most; the guard itself leaves up to `count · guard / (window + guard)` more places free, and
 * a window that shows only those is just as tight (without the guard it fills again, and jitter pushes
 * calls into it). Only more room than that says the provider allows more than we send.
 */
function tightRemaining(configuredRate: number, from: Reserved | null): number {
  const { count, windowMs, guard } = windowGuard(configuredRate, from);
  return 1 + Math.ceil((count * guard) / (windowMs + guard));
}

/** The window as the pace now counts it, and the guard every tight window gets (the shared row's and this isolate's). */
function windowGuard(configuredRate: number, from: Reserved | null): { count: number; windowMs: number; guard: number } {
  const rate = effectiveRate(configuredRate, from?.providerRate ?? null, local.learnedRate, Math.max(from?.foreignRate ?? 0, local.foreignRate));
  const count = Math.max(1, Math.floor(rate));
  const windowMs = (count * 1000) / rate;
  const guard = Math.max(Math.max(BASE_MARGIN, from?.margin ?? 0) * windowMs, from?.jitterMs ?? 0, local.jitterMs);
  return { count, windowMs, guard };
}

/** The log without the slots handed out for later, which a new epoch voids (their holders take new ones). */
function pastSlots(now: number) {
  return sql`(SELECT json_group_array(value) FROM (SELECT value FROM json_each(${pacer.ring}) WHERE value <= ${now} ORDER BY key))`;
}

/** `ratelimit-limit` as requests per second (a `ratelimit-policy` window `w=` other than 1 s divides it). */
export function perSecondLimit(headers: Record<string, string> | null): number | null {
  const limit = headerNumber(headers, 'ratelimit-limit');
  if (limit === null || limit <= 0) return null;
  return (limit * 1000) / policyWindowMs(headers);
}

/**
 * How long a refused call waits, as the headers say (seconds, fractions honoured): `retry-after`,
 * the provider's instruction, else for a 429 `ratelimit-reset`; null when neither says. (An over-rate
 * 429 holds for as long as the window needs instead: overRateHold.)
 */
export function retryAfterMs(headers: Record<string, string> | null, rateLimited = true): number | null {
  for (const name of rateLimited ? ['retry-after', 'ratelimit-reset'] : ['retry-after']) {
    const seconds = headerNumber(headers, name);
    if (seconds !== null && seconds >= 0) return Math.round(seconds * 1000);
  }
  return null;
}

function headerNumber(headers: Record<string, string> | null, name: string): number | null {
  const value = headers?.[name];
  if (value === undefined || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * Waits until the latest call of this isolate has had UPLOAD_QUIET_MS to upload its batch. The
 * isolate's own work (a chunk's finish: its answer parsed, its rows written) delays the upload of a
 * call in flight, and a limiter that stamps after the body sees that call late: with finishes held
 * back like this, the fake's body times (2 MB, loopback) went from p95 38 / p99 91 ms to p95 17 /
 * p99 31 ms (bench/results/trace-j50-*.txt). A finish waits 40 ms at most; the pace does not change.
 */
export async function uploadsSettled(startedAt: number): Promise<void> {
  // This call's own upload is over (its answer came): only a later call's may still be going.
  const latest = local.starts[local.starts.length - 1];
  if (latest !== undefined && latest > startedAt) await sleepUntil(latest + UPLOAD_QUIET_MS);
}

export async function sleepUntil(at: number): Promise<void> {
  const wait = at - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
