// What an operator can do to a send once it has started: send to the readers recorded failed once
// more, resume a paused send, cancel a paused send. Each keeps "nobody twice": see send-store.ts.
import type { Env } from '../config';
import type { Db } from '../db/client';
import { issueEvent } from '../webhooks/out/events';
import { BLIND_AFTER_MS } from '../mail/retry';
import { enqueueOpenChunks } from './plan';
import { cancelSend, CHUNK_SIZE, claimRetryRound, failedChunks, failedReaders, failedToUnknown, findSendBySlug, insertRetryChunks, reopenChunk, resumeSend, settleFinished } from './send-store';

export type ControlResult<T> = { ok: true; value: T } | { ok: false; status: 404 | 409; code: string; message: string };

const notSent = (slug: string) => ({ ok: false as const, status: 404 as const, code: 'not_sent', message: `"${slug}" has not been sent: there is nothing to act on.` });

/**
 * `retry-failed`: exactly the readers recorded `failed` get one more attempt. A chunk that failed as a
 * whole (its retry budget ran out) goes again under its own key, so an attempt the provider may have
 * accepted is not repeated (unless the provider has forgotten it: then its readers become `unknown`);
 * readers refused one by one inside an accepted batch go in new chunks under new keys.
 */
export async function retryFailed(db: Db, env: Env, slug: string, now = Date.now()): Promise<ControlResult<{ retrying: number; unknown: number }>> {
  const send = await findSendBySlug(db, slug);
  if (!send) return notSent(slug);
  if (send.status !== 'sent') {
    return { ok: false, status: 409, code: 'send_under_way', message: `"${slug}" is ${send.status}: retry the failed readers once the send is finished.` };
  }
  const claimed = await claimRetryRound(db, send.id);
  if (!claimed) return { ok: false, status: 409, code: 'send_under_way', message: `"${slug}" is being retried already.` };

  const whole = await failedChunks(db, send.id);
  const inWhole = new Set<number>();
  let unknown = 0;
  const statements = [];
  for (const c of whole) {
    const ids = JSON.parse(c.recipients ?? '[]') as number[];
    for (const id of ids) inWhole.add(id);
    if (c.uncertainSince !== null && now - c.uncertainSince > BLIND_AFTER_MS) {
      statements.push(...failedToUnknown(db, send.id, ids));
      unknown += ids.length;
    } else {
      statements.push(...reopenChunk(db, send.id, c.chunk, now));
    }
  }
  const singles = (await failedReaders(db, send.id)).map((r) => r.id).filter((id) => !inWhole.has(id));
  const groups: number[][] = [];
  for (let i = 0; i < singles.length; i += CHUNK_SIZE) groups.push(singles.slice(i, i + CHUNK_SIZE));
  if (groups.length > 0) statements.push(...insertRetryChunks(db, send.id, claimed.chunksTotal, claimed.round, groups));
  statements.push(settleFinished(db, send.id, now), issueEvent(db, 'issue.sent', send.id, now));
  await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
  await enqueueOpenChunks(db, env, send.id, now);
  const retrying = singles.length + [...inWhole].length - unknown;
  return { ok: true, value: { retrying, unknown } };
}

export async function resume(db: Db, env: Env, slug: string, now = Date.now()): Promise<ControlResult<{ status: 'sending' }>> {
  const send = await findSendBySlug(db, slug);
  if (!send) return notSent(slug);
  if (!(await resumeSend(db, send.id, now))) return { ok: false, status: 409, code: 'not_paused', message: `"${slug}" is ${send.status}, not paused: only a paused send resumes.` };
  await enqueueOpenChunks(db, env, send.id, now);
  return { ok: true, value: { status: 'sending' } };
}

export async function cancel(db: Db, slug: string, now = Date.now()): Promise<ControlResult<{ status: 'cancelled' }>> {
  const send = await findSendBySlug(db, slug);
  if (!send) return notSent(slug);
  const [changed] = await db.batch(cancelSend(db, send.id, now));
  if (changed.meta.changes === 0) return { ok: false, status: 409, code: 'not_paused', message: `"${slug}" is ${send.status}, not paused: only a paused send can be cancelled.` };
  return { ok: true, value: { status: 'cancelled' } };
}
