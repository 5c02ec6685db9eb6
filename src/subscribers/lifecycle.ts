// The subscriber lifecycle: sign up, confirm, unsubscribe (the link's, and the preferences page's). Every state change is one D1 statement,
// so concurrent requests for one address cannot interleave into a wrong state.
import { and, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Config, Env } from '../config';
import type { Db } from '../db/client';
import { type SubscriberStatus, subscribers } from '../db/schema';
import { queueOwedConfirmations } from './owed-confirmations';
import { verifyToken } from './tokens';
import { subscriberEvent } from '../webhooks/out/events';

import { CONFIRMATION_INTERVAL_MS, claimConfirmation, mailboxSubscribed, mailboxSuppressed } from './mailbox';

/** At most one confirmation email per mailbox per 15 minutes, whoever asks, however it is spelt (mailbox.ts). */
export { CONFIRMATION_INTERVAL_MS };

/**
 * The states in which the form may mail an address (a confirmation) and a link may confirm it.
 * Bounced (the address does not exist) and complained (no more mail of any kind) are left out:
 * only the operator lifts those (DELETE /api/subscribers/:email/suppression, see suppression.ts).
 */
export const MAILABLE_BY_FORM: SubscriberStatus[] = ['pending', 'unsubscribed'];

/**
 * Records a sign-up and, when one is due, queues a confirmation email. The caller answers the same
 * way whatever happened here, so nobody can learn whether an address is on the list; `defer` (the
 * request's waitUntil) lets the answer go out before the enqueue, so its timing tells nothing either.
 */
export async function signUp(
  db: Db,
  env: Env,
  email: string,
  name: string | null,
  now = Date.now(),
  defer?: (work: Promise<unknown>) => void,
): Promise<'confirmation_queued' | 'nothing_to_do'> {
  // New address: insert as pending. Known as pending or unsubscribed, no recent confirmation: claim
  // this one. Confirmed (nothing to do), bounced or complained (no mail of any kind until the operator
  // lifts the suppression), or a confirmation sent in the last 15 minutes: the WHERE fails and nothing
  // returns. The name waits in pending_name until this sign-up's own link confirms it (see confirm).
  // (In the DO UPDATE part, `subscribers.x` is the stored row: the WHERE judges what is already there.)
  // First the mailbox, whatever the spelling: an inbox that bounced or complained (a row, or the hash
  // an erasure kept) gets nothing; nor does one subscribed under another spelling; and one
  // confirmation per inbox per 15 minutes. A refused claim stores nothing, so eight spellings of one
  // inbox make one row and one email.
  if ((await mailboxSuppressed(db, email)) || (await mailboxSubscribed(db, email))) return 'nothing_to_do';
  if (!(await claimConfirmation(db, email, now))) return 'nothing_to_do';
  // The confirmation is owed (confirmation_owed_at) in the same statement, until it is on the queue:
  // a Worker that dies before the enqueue leaves it to housekeeping (owed-confirmations.ts).
  const [rows] = await db.batch([
    db
    .insert(subscribers)
    .values({ email, pendingName: name, status: 'pending', createdAt: now, confirmationSentAt: now, confirmationOwedAt: now })
    .onConflictDoUpdate({
      target: subscribers.email,
      set: { confirmationSentAt: now, confirmationOwedAt: now, pendingName: name },
      setWhere: and(
        inArray(subscribers.status, MAILABLE_BY_FORM),
        or(isNull(subscribers.confirmationSentAt), lte(subscribers.confirmationSentAt, now - CONFIRMATION_INTERVAL_MS)),
      ),
    })
    .returning({ id: subscribers.id }),
    // A new row only: an existing one keeps its created_at.
    subscriberEvent(db, 'subscriber.created', sql`${subscribers.email} = ${email} AND ${subscribers.createdAt} = ${now}`, now),
  ]);
  const row = rows[0];
  if (!row) return 'nothing_to_do';
  const enqueue = queueOwedConfirmations(env, db, [{ subscriberId: row.id, requestedAt: now }]).then(({ error }) => {
    // Still owed: housekeeping queues it within 15 minutes.
    if (error) console.error(`signup: could not queue the confirmation for subscriber ${row.id} (housekeeping will): ${error.message}`);
  });
  if (defer) defer(enqueue);
  else await enqueue;
  return 'confirmation_queued';
}

export type TokenOutcome = { ok: true; changed: boolean } | { ok: false; message: string };

const TOKEN_PROBLEMS: Record<'malformed' | 'signature' | 'purpose' | 'expired', string> = {
  malformed: 'This link is incomplete or broken. Copy the whole link from the email, or sign up again.',
  signature: 'This link is not valid. Copy the whole link from the email, or sign up again.',
  purpose: 'This link is not meant for this page. Use the link from the right email.',
  expired: 'This confirmation link has expired (they last 7 days). Sign up again to get a new one.',
};

/** What to tell a person whose link did not verify. */
export function tokenProblem(reason: keyof typeof TOKEN_PROBLEMS): string {
  return TOKEN_PROBLEMS[reason];
}

export async function confirm(db: Db, env: Env, config: Config, token: unknown, now = Date.now()): Promise<TokenOutcome> {
  const verified = await verifyToken(config.tokenSecrets, 'confirm', token, now);
  if (!verified.ok) return { ok: false, message: tokenProblem(verified.reason) };
  const issuedAt = verified.issuedAt!;
  // A link issued before the reader left (unsubscribed, bounced, complained) cannot bring them back.
  const leftBefore = issuedAt + 999; // tokens carry whole seconds; the request came within that second
  // The name typed with the sign-up this link answers, and only that one: when a later sign-up (by
  // anyone) claimed a newer confirmation, its name is not this reader's entry and is dropped.
  const ownSignUp = sql`${subscribers.confirmationSentAt} / 1000 = ${issuedAt / 1000}`;
  const [rows] = await db.batch([
    db
    .update(subscribers)
    .set({
      status: 'confirmed',
      confirmedAt: now,
      name: sql`CASE WHEN ${ownSignUp} THEN coalesce(${subscribers.pendingName}, ${subscribers.name}) ELSE ${subscribers.name} END`,
      pendingName: null,
    })
    .where(
      and(
        eq(subscribers.id, verified.subscriberId),
        inArray(subscribers.status, MAILABLE_BY_FORM),
        or(isNull(subscribers.leftAt), lt(subscribers.leftAt, leftBefore)),
      ),
    )
    .returning({ confirmedAt: subscribers.confirmedAt }),
    subscriberEvent(db, 'subscriber.confirmed', sql`${subscribers.id} = ${verified.subscriberId}`, now),
  ]);
  const row = rows[0];
  if (row) {
    await env.SEND_QUEUE.send({ type: 'welcome', subscriberId: verified.subscriberId, confirmedAt: row.confirmedAt! }, { contentType: 'json' });
    return { ok: true, changed: true };
  }
  const current = await db.select({ status: subscribers.status }).from(subscribers).where(eq(subscribers.id, verified.subscriberId)).get();
  if (current?.status === 'confirmed') return { ok: true, changed: false }; // idempotent
  if (!current) return { ok: false, message: 'This subscription no longer exists. Sign up again to subscribe.' };
  if (current.status === 'bounced' || current.status === 'complained') {
    return { ok: false, message: 'Mail to this address is stopped (it bounced, or was reported as spam), so it cannot be confirmed. Write to the sender if that was a mistake.' };
  }
  return { ok: false, message: 'This link is older than your unsubscribe. Sign up again to get a new confirmation link.' };
}

export async function unsubscribe(db: Db, config: Config, token: unknown, now = Date.now()): Promise<TokenOutcome> {
  const verified = await verifyToken(config.tokenSecrets, 'unsubscribe', token, now);
  if (!verified.ok) return { ok: false, message: tokenProblem(verified.reason) };
  return { ok: true, changed: await unsubscribeSubscriber(db, verified.subscriberId, now) };
}

/**
 * Idempotent: a second click, or an erased subscriber, is still "you are unsubscribed" (false: nothing
 * changed). A bounced or complained address keeps that stronger status.
 */
export async function unsubscribeSubscriber(db: Db, subscriberId: number, now: number): Promise<boolean> {
  const [rows] = await db.batch([
    db
      .update(subscribers)
      .set({ status: 'unsubscribed', leftAt: now })
      .where(and(eq(subscribers.id, subscriberId), inArray(subscribers.status, ['confirmed', 'pending'])))
      .returning({ id: subscribers.id }),
    subscriberEvent(db, 'subscriber.unsubscribed', sql`${subscribers.id} = ${subscriberId}`, now),
  ]);
  return rows.length > 0;
}

