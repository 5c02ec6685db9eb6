// Delivering one chunk: at most 100 readers, one provider batch call (the transport paces and retries
// what is worth retrying at once), three D1 round trips on the first attempt.
//
// Why a crash at any line loses and duplicates nobody, and nobody who left gets the issue:
//  1. freeze: before the provider is first called, the chunk's recipients (send-store.ts's one rule:
//     in the audience, in the chunk's range and phase, not paused) are written into the chunk row by
//     one statement, with `uncertain_since`: from now on an attempt may be accepted.
//  2. send: the frozen list, less whoever left since, goes out in one batch call under the chunk's
//     idempotency key (random per send, so no other database can collide with it). A retry of an
//     accepted batch is answered with the original ids instead of being sent again; if the list shrank
//     in between, the provider refuses the changed payload (409 invalid_idempotent_request), which
//     proves an earlier attempt was accepted: the readers in every attempt's payload (`sure_ids`) got
//     it, the others are `unknown`.
//  3. record: one delivery row per reader with its outcome, the counters, and the chunk's completion
//     in one atomic D1 batch (send-store.ts's finishChunk). The primary key allows no second row.
// Records tell the truth: `sent` only for readers in a batch the provider accepted; a chunk whose
// possibly-accepted attempt is older than the provider's memory (23 h) is never called again: its
// readers are `unknown`. A whole-batch refusal (bad key, unverified domain) halts the send with the
// provider's reason; it records nothing, and housekeeping probes until the provider accepts again.
import type { Config } from '../config';
import type { Db } from '../db/client';
import { issueEvent } from '../webhooks/out/events';
import { CHUNK_PHASES } from '../db/schema';
import type { MailTransport, SendOutcome } from '../mail/transport';
import { BLIND_AFTER_MS, RETRY_BUDGET_MS } from '../mail/retry';
import { emailTags } from '../mail/tags';
import type { ChunkMessage } from '../messages';
import { readerTokens } from '../subscribers/tokens';
import {
  afterFailedAttempt,
  finishChunk,
  freezeChunk,
  frozenList,
  haltSend,
  markAttempt,
  type Outcome,
  readChunk,
  readSend,
  sendTemplate,
  touchSend,
} from './send-store';
import { personalize } from './template';

export type ChunkResult =
  | {
      kind: 'done';
      sent: number;
      failed: number;
      unknown: number;
      rowsWritten: number;
      /** This chunk completed the canary: the rest of the send may go from this time. */
      mainAt: number | null;
      /** A halted send moved again with this chunk: its other chunks should be enqueued. */
      resumed: boolean;
      /**
       * The provider accepted this chunk after failing it since this time: it is back, so the
       * chunks backing off should go now (plan.ts's wakeBackedOff).
       */
      recoveredFrom: number | null;
    }
  | { kind: 'already_done' }
  /** Not this chunk's turn (paused, halted, or the canary wait): nothing happened; `afterMs` when it should come back by itself. */
  | { kind: 'waiting'; reason: string; afterMs: number | null }
  /** Hand the message back: after `afterMs` when the provider said so, else with backoff. */
  | { kind: 'retry'; afterMs: number | null; rateLimited: boolean; reason: string }
  /** The provider refuses every batch (configuration): nothing recorded, the send is halted. */
  | { kind: 'halted'; reason: string };

/** Test seam: throws at a named step, to prove a crash there loses and duplicates nobody. */
export type FaultPoint = 'after_read' | 'after_freeze' | 'after_provider' | 'after_record';
export interface DeliverOptions {
  crashAt?: FaultPoint;
  /** The clock (tests move it to prove the time-based rules). */
  now?: number;
}

/** Unique across databases and environments (the send's random nonce); a retry round gets its own. */
export function idempotencyKey(keyNonce: string, sendId: number, chunk: number, round: number): string {
  // Sends claimed before nonces existed keep their keys, so an upgrade mid-send re-sends nobody.
  if (keyNonce === '') return `send-${sendId}-chunk-${chunk}`;
  return `nl-${keyNonce}-${sendId}-${chunk}${round > 0 ? `-r${round}` : ''}`;
}

export async function deliverChunk(db: Db, config: Config, transport: MailTransport, message: ChunkMessage, options: DeliverOptions = {}): Promise<ChunkResult> {
  const { sendId, chunk } = message;
  const now = options.now ?? Date.now();

  // Round trip 1: the send, the chunk's state and its frozen list (empty if not frozen yet).
  const [sendRows, chunkRows, listed] = await db.batch([readSend(db, sendId), readChunk(db, sendId, chunk), frozenList(db, sendId, chunk, now)]);
  const send = sendRows[0];
  const state = chunkRows[0];
  if (!send || !state) throw new Error(`chunk ${sendId}/${chunk} is not planned: the send or chunk row is missing`);
  if (state.status !== 'pending') return { kind: 'already_done' };
  if (options.crashAt === 'after_read') throw new Error('injected crash after_read');

  const underWay = state.uncertainSince !== null;
  const finishWith = (outcomes: Outcome[], extra: Partial<Parameters<typeof record>[3]> = {}) =>
    record(db, message, state, { outcomes, now, accepted: false, chunkStatus: 'done', canaryWaitMs: config.canaryWaitMs, priorStatus: send.status, ...extra });

  // Chunks not under way obey the send: a paused or cancelled send sends nothing new, a halted one
  // only its probe, and the rest of a send waits for its canary.
  if (!underWay) {
    if (send.status === 'paused' || send.status === 'cancelled') return { kind: 'waiting', reason: `the send is ${send.status}`, afterMs: null };
    if (send.status === 'halted' && !message.probe) return { kind: 'waiting', reason: 'the send is halted; housekeeping probes it', afterMs: null };
    if (state.phase === CHUNK_PHASES.main && (send.mainAt === null || send.mainAt > now)) {
      return { kind: 'waiting', reason: 'the canary goes first', afterMs: send.mainAt === null ? null : send.mainAt - now };
    }
  } else {
    // A chunk the provider may have accepted: never blind, and never after a cancel.
    const ids = listed.map((r) => r.id);
    if (send.status === 'cancelled') return finishWith(ids.map((s) => ({ s, status: 'unknown', error: 'send cancelled while this chunk was under way' })));
    if (now - state.uncertainSince! > BLIND_AFTER_MS) {
      return finishWith(ids.map((s) => ({ s, status: 'unknown', error: 'an attempt the provider may have accepted is past its 24-hour idempotency window' })));
    }
  }
  if (state.failingSince !== null && now - state.failingSince > RETRY_BUDGET_MS) {
    return finishWith(listed.map((r) => ({ s: r.id, status: 'failed', error: 'the provider failed every retry for 12 hours' })), { chunkStatus: 'failed' });
  }

  // Round trip 2 (first attempt only): freeze the list in SQL and read it back.
  let frozen = listed;
  let mine: number | null = null; // the `uncertain_since` this invocation set, if it did
  let rowsWritten = 0;
  if (!state.frozen) {
    const allowed = message.probe ? ['sending', 'halted'] : ['sending'];
    const [froze, list] = await db.batch([freezeChunk(db, sendId, chunk, now, allowed), frozenList(db, sendId, chunk, now), touchSend(db, sendId, now)]);
    rowsWritten += written([froze]);
    if (list.length === 0 && froze.meta.changes === 0) return { kind: 'waiting', reason: 'the send stopped before this chunk was frozen', afterMs: null };
    frozen = list;
    if (froze.meta.changes > 0) mine = now;
  }
  if (options.crashAt === 'after_freeze') throw new Error('injected crash after_freeze');

  // Readers in every earlier attempt's payload (none before the first attempt): for the 409 below.
  const priorSure = new Set<number>(state.frozen ? (JSON.parse(state.sureIds ?? '[]') as number[]) : []);
  // What the chunk row says now: the frozen list (first attempt), or the readers of every attempt so far.
  let sure = state.frozen ? priorSure : new Set(frozen.map((r) => r.id));
  const receiving = (list: typeof frozen) => list.filter((r) => r.receives && r.recorded !== 'sent' && r.recorded !== 'unknown');
  const open = (list: typeof frozen) => list.filter((r) => r.recorded === null || r.recorded === 'failed');
  /** Everybody left: if an earlier attempt may have been accepted, those in it may have the issue. */
  const leftAfterAttempt = (): Outcome[] =>
    state.frozen && underWay ? open(frozen).map((r) => ({ s: r.id, status: 'unknown', error: 'left after an attempt the provider may have accepted' })) : [];
  if (receiving(frozen).length === 0) return finishWith(leftAfterAttempt(), { rowsWritten });
  if (state.frozen) {
    // A later attempt: from now on it may be accepted.
    const marked = await markAttempt(db, sendId, chunk, now, null);
    if (!marked) return { kind: 'already_done' };
    if (marked.uncertainSince === now && !underWay) mine = now;
  }

  // The payload is settled when the call's turn comes (a chunk may wait seconds for its pace slot):
  // whoever left or paused by then is not sent to, and the sure readers narrow to this payload first.
  // (If the provider accepted an earlier, larger list, the changed payload is refused: the 409 below.)
  let payload: typeof frozen = [];
  const tags = (id: number) => emailTags('issue', send.slug, { sendId, subscriberId: id });
  const build = async () => {
    const template = await sendTemplate(db, sendId, send.keyNonce);
    payload = receiving(await frozenList(db, sendId, chunk, options.now ?? Date.now()));
    const inPayload = new Set(payload.map((r) => r.id));
    const narrowed = [...sure].filter((id) => inPayload.has(id));
    if (narrowed.length !== sure.size) {
      await markAttempt(db, sendId, chunk, now, narrowed);
      sure = new Set(narrowed);
    }
    return Promise.all(payload.map(async (r) => personalize(config, template, r.email, await readerTokens(config.tokenSecret, r.id, r.generation), tags(r.id))));
  };
  const result: SendOutcome = await transport.send(build, idempotencyKey(send.keyNonce, sendId, chunk, state.round));
  if (options.crashAt === 'after_provider') throw new Error('injected crash after_provider');

  if (result.kind === 'retry') {
    await afterFailedAttempt(db, sendId, chunk, now, result.uncertain ? null : mine, !result.rateLimited);
    return { kind: 'retry', afterMs: result.afterMs, rateLimited: result.rateLimited, reason: result.message };
  }
  if (result.kind === 'refused') {
    // Not about these readers: nothing is recorded; the send shows the provider's reason.
    await db.batch([afterFailedAttempt(db, sendId, chunk, now, result.uncertain ? null : mine, false), haltSend(db, sendId, result.message), issueEvent(db, 'issue.halted', sendId, now)]);
    return { kind: 'halted', reason: result.message };
  }
  let outcomes: Outcome[];
  if (result.kind === 'accepted' && payload.length === 0) {
    // Everybody left while the call waited for its turn; nothing was sent.
    outcomes = leftAfterAttempt();
  } else if (result.kind === 'accepted') {
    outcomes = payload.map((r, i) => {
      const o = result.outcomes[i];
      return 'id' in o ? { s: r.id, status: 'sent', id: o.id } : { s: r.id, status: 'failed', error: o.error };
    });
  } else {
    // 409 invalid_idempotent_request: Resend keeps a key for "an email with the same idempotency key
    // [that] has already been sent" and answers this when "this idempotency key has already been used
    // on a request that had a different payload" (docs: dashboard/emails/idempotency-keys), so an
    // earlier attempt under this key was accepted. Who was in every earlier payload got it; who was in
    // only some may have. Nothing in Resend's documentation says a refused request binds its key, so
    // a 409 where our records say no attempt may have been accepted (the marker is set before every
    // attempt and cleared only after sure refusals) is not read as "refused": those readers are
    // `unknown`, for the operator, never `failed` (retry-failed would mail them a second copy).
    outcomes = underWay
      ? open(frozen).map((r) =>
          priorSure.has(r.id)
            ? { s: r.id, status: 'sent', error: 'accepted by an earlier attempt; provider id unknown' }
            : { s: r.id, status: 'unknown', error: 'in some earlier attempts only, one of which the provider accepted' },
        )
      : receiving(frozen).map((r) => ({ s: r.id, status: 'unknown', error: 'the provider says an email under this key was sent (409), though no attempt of ours may have been accepted' }));
  }
  const done = await finishWith(outcomes, { accepted: true, rowsWritten });
  if (options.crashAt === 'after_record') throw new Error('injected crash after_record');
  return done;
}

/**
 * A chunk that failed every retry of an unexpected error (the dead-letter queue): its readers (the
 * frozen list, or who would be in it) are recorded failed, so the stats add up and the send can
 * finish; `retry-failed` can send to them later. Never silently dropped, never sent behind their back.
 */
export async function failChunk(db: Db, config: Config, message: ChunkMessage, reason: string, now = Date.now()): Promise<void> {
  const { sendId, chunk } = message;
  const [sendRows, chunkRows] = await db.batch([readSend(db, sendId), readChunk(db, sendId, chunk)]);
  const state = chunkRows[0];
  if (!sendRows[0] || !state || state.status !== 'pending') return;
  if (!state.frozen) await freezeChunk(db, sendId, chunk, now, ['planning', 'sending', 'halted', 'paused', 'cancelled', 'sent']);
  const listed = await frozenList(db, sendId, chunk, now);
  const outcomes: Outcome[] = listed.filter((r) => r.recorded === null || r.recorded === 'failed').map((r) => ({ s: r.id, status: 'failed', error: reason }));
  const fresh = state.frozen ? state : { ...state, ...(await readChunk(db, sendId, chunk).get()) };
  await record(db, message, fresh, { outcomes, now, accepted: false, chunkStatus: 'failed', canaryWaitMs: config.canaryWaitMs, priorStatus: sendRows[0].status });
}

type ChunkState = { phase: number; round: number; size: number; failingSince: number | null };

async function record(
  db: Db,
  message: ChunkMessage,
  state: ChunkState,
  o: { outcomes: Outcome[]; now: number; accepted: boolean; chunkStatus: 'done' | 'failed'; canaryWaitMs: number; priorStatus: string; rowsWritten?: number },
): Promise<ChunkResult> {
  const fresh = state.phase !== CHUNK_PHASES.retry && state.size > 0;
  const { statements, sendIndex } = finishChunk(db, message.sendId, message.chunk, o.outcomes, o.now, {
    // A retry round, or a chunk reopened by retry-failed (size 0), rewrites records it made before.
    priorRecords: !fresh,
    accountSkipped: fresh,
    size: state.size,
    accepted: o.accepted,
    chunkStatus: o.chunkStatus,
    canaryWaitMs: o.canaryWaitMs,
  });
  const results = await db.batch(statements);
  const sendRow = (results[sendIndex] as { status: string; chunksFinished: number; canaryChunks: number; mainAt: number | null }[])[0];
  const count = (status: string) => o.outcomes.filter((x) => x.status === status).length;
  const completesCanary = state.phase === CHUNK_PHASES.canary && sendRow !== undefined && sendRow.chunksFinished === sendRow.canaryChunks;
  return {
    kind: 'done',
    sent: count('sent'),
    failed: count('failed'),
    unknown: count('unknown'),
    rowsWritten: (o.rowsWritten ?? 0) + written(results) + (sendRow ? 1 : 0),
    mainAt: completesCanary ? sendRow.mainAt : null,
    resumed: o.accepted && o.priorStatus === 'halted',
    recoveredFrom: o.accepted ? state.failingSince : null,
  };
}

/** Rows a D1 batch wrote (tables and indexes), as D1 reports and bills them. */
function written(results: unknown[]): number {
  return results.reduce<number>((sum, r) => sum + ((r as Partial<D1Result> | undefined)?.meta?.rows_written ?? 0), 0);
}
