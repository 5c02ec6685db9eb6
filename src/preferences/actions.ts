// The reader's own changes, each one D1 statement guarded by the state it needs, so a request that
// raced another (an unsubscribe, a bounce, an erasure) changes nothing instead of the wrong thing.
// The rules of what may be done live in reader.ts; erasure is the admin API's (subscribers/erase.ts).
import { and, eq, gte, isNotNull, isNull, lte, ne, notExists, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Env } from '../config';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import { CONFIRMATION_INTERVAL_MS } from '../subscribers/lifecycle';
import { mailboxKeyOf, mailboxKeySql } from '../subscribers/mailbox-key';
import { bumpGeneration, generationOf } from './generation';
import { type Reader, RESUBSCRIBE_WINDOW_MS } from './reader';
import { subscriberEvent } from '../webhooks/out/events';

export async function loadReader(db: Db, id: number): Promise<Reader | undefined> {
  const s = subscribers;
  return db
    .select({
      id: s.id,
      email: s.email,
      name: s.name,
      status: s.status,
      createdAt: s.createdAt,
      confirmedAt: s.confirmedAt,
      leftAt: s.leftAt,
      pausedUntil: s.pausedUntil,
      pendingEmail: s.pendingEmail,
      emailChangeSentAt: s.emailChangeSentAt,
      tokenGeneration: generationOf(s.id),
    })
    .from(s)
    .where(eq(s.id, id))
    .get();
}

const confirmedReader = (id: number) => and(eq(subscribers.id, id), eq(subscribers.status, 'confirmed'));

/** Weekly sends skip the reader until `until` (the freeze of each chunk reads paused_until). */
export async function pause(db: Db, id: number, until: number): Promise<boolean> {
  const row = await db.update(subscribers).set({ pausedUntil: until }).where(confirmedReader(id)).returning({ id: subscribers.id }).get();
  return row !== undefined;
}

export async function resume(db: Db, id: number): Promise<boolean> {
  const row = await db.update(subscribers).set({ pausedUntil: null }).where(confirmedReader(id)).returning({ id: subscribers.id }).get();
  return row !== undefined;
}

/**
 * Within 30 days of leaving, back in without a confirmation email: the link that got them here came
 * to their inbox, which proves they hold it. Confirmed from now on, so a send under way (fixed when it
 * started) does not reach them; the next one does.
 */
export async function resubscribe(db: Db, id: number, now: number): Promise<boolean> {
  const [rows] = await db.batch([
    db
      .update(subscribers)
      .set({ status: 'confirmed', confirmedAt: now, pausedUntil: null })
      .where(and(eq(subscribers.id, id), eq(subscribers.status, 'unsubscribed'), gte(subscribers.leftAt, now - RESUBSCRIBE_WINDOW_MS)))
      .returning({ id: subscribers.id }),
    subscriberEvent(db, 'subscriber.confirmed', sql`${subscribers.id} = ${id}`, now),
  ]);
  return rows.length > 0;
}

export type EmailChangeRequest = 'queued' | 'too_soon' | 'not_active' | 'queue_unavailable';

/**
 * Records the new address and queues its confirmation: at most one such email per 15 minutes, as for
 * sign-ups. Whether the new address is on the list already is decided by the queue consumer (which
 * then sends nothing), so this request does the same work, and answers the same, either way.
 */
export async function requestEmailChange(env: Env, db: Db, id: number, newEmail: string, now: number): Promise<EmailChangeRequest> {
  const row = await db
    .update(subscribers)
    .set({ pendingEmail: newEmail, emailChangeSentAt: now })
    .where(
      and(
        confirmedReader(id),
        or(isNull(subscribers.emailChangeSentAt), lte(subscribers.emailChangeSentAt, now - CONFIRMATION_INTERVAL_MS)),
      ),
    )
    .returning({ id: subscribers.id })
    .get();
  if (!row) {
    const current = await db.select({ status: subscribers.status }).from(subscribers).where(eq(subscribers.id, id)).get();
    return current?.status === 'confirmed' ? 'too_soon' : 'not_active';
  }
  try {
    await env.SEND_QUEUE.send({ type: 'email_change', subscriberId: id, requestedAt: now }, { contentType: 'json' });
    return 'queued';
  } catch (error) {
    // Nothing will be sent: let the reader ask again at once instead of waiting out the 15 minutes.
    console.error(`preferences: could not queue the email-change confirmation for subscriber ${id}: ${(error as Error).message}`);
    await db
      .update(subscribers)
      .set({ pendingEmail: null, emailChangeSentAt: null })
      .where(and(eq(subscribers.id, id), eq(subscribers.emailChangeSentAt, now)));
    return 'queue_unavailable';
  }
}

export type EmailChangeOutcome = { ok: true; email: string; oldEmail: string; generation: number } | { ok: false; reason: 'gone' | 'not_active' | 'used' | 'taken' };

/**
 * The move, once its link is used: one statement, and only for the request that link was made for
 * (its time is in the token), while the reader is subscribed and the new address is not on the list.
 * The row keeps its id, so its history (deliveries) and its other links stay with it. Works once:
 * the request is cleared by the move.
 */
export async function confirmEmailChange(db: Db, id: number, issuedAt: number): Promise<EmailChangeOutcome> {
  const other = alias(subscribers, 'other');
  const before = await loadReader(db, id);
  // The new address must not reach an inbox already on the list under any spelling (this row aside:
  // a move between two spellings of one inbox is a typo fixed). The move bumps the generation in the
  // same batch, under the same condition, so every preferences link issued before it stops working
  // (whoever had one, had it from the old inbox).
  const movable = and(
    confirmedReader(id),
    isNotNull(subscribers.pendingEmail),
    sql`${subscribers.emailChangeSentAt} / 1000 = ${issuedAt / 1000}`,
    notExists(
      db
        .select({ one: sql`1` })
        .from(other)
        .where(and(ne(other.id, subscribers.id), or(eq(other.email, subscribers.pendingEmail), eq(mailboxKeyOf(other.email), mailboxKeySql(sql`${subscribers.pendingEmail}`))))),
    ),
  )!;
  const [, moved] = await db.batch([
    bumpGeneration(db, id, movable),
    db
      .update(subscribers)
      .set({ email: sql`${subscribers.pendingEmail}`, pendingEmail: null, emailChangeSentAt: null })
      .where(movable)
      .returning({ email: subscribers.email, generation: generationOf(subscribers.id) }),
  ]);
  if (moved[0] && before) return { ok: true, email: moved[0].email, oldEmail: before.email, generation: moved[0].generation };
  const r = await loadReader(db, id);
  if (!r) return { ok: false, reason: 'gone' };
  if (r.status !== 'confirmed') return { ok: false, reason: 'not_active' };
  if (r.pendingEmail === null || r.emailChangeSentAt === null || Math.floor(r.emailChangeSentAt / 1000) * 1000 !== issuedAt) return { ok: false, reason: 'used' };
  return { ok: false, reason: 'taken' };
}

/**
 * The old address's undo (7 days): the subscription comes back to it, with a new generation, so every
 * preferences link issued to the new address stops working; unless that address is on the list again
 * meanwhile, under any spelling. Whatever the reader changed since (a pause, an unsubscribe) stays.
 */
export async function undoMove(db: Db, id: number, oldEmail: string): Promise<'undone' | 'gone' | 'taken'> {
  const other = alias(subscribers, 'other');
  const free = notExists(db.select({ one: sql`1` }).from(other).where(and(ne(other.id, id), or(eq(other.email, oldEmail), eq(mailboxKeyOf(other.email), mailboxKeySql(sql`${oldEmail}`))))));
  const [, rows] = await db.batch([
    bumpGeneration(db, id, free),
    db.update(subscribers).set({ email: oldEmail, pendingEmail: null, emailChangeSentAt: null }).where(and(eq(subscribers.id, id), free)).returning({ id: subscribers.id }),
  ]);
  if (rows.length > 0) return 'undone';
  return (await loadReader(db, id)) ? 'taken' : 'gone';
}
