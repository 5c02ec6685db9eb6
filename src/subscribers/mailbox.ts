// Per-mailbox rules (CONTRACT "Trust"): whatever the spelling, one inbox gets at most one sign-up
// confirmation per 15 minutes and one change-of-address email per 24 hours, whoever asks; a
// suppressed inbox gets neither; an inbox that refused change-of-address mail gets no more of it.
// Each claim is one atomic `INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING`, so parallel
// requests cannot both win.
import { and, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { mailboxes, subscribers, suppressions } from '../db/schema';
import { mailboxHash, mailboxKey, mailboxKeyOf } from './mailbox-key';

/** One sign-up confirmation per mailbox per this long. */
export const CONFIRMATION_INTERVAL_MS = 15 * 60 * 1000;
/** One change-of-address email per target mailbox per this long, across all requesters. */
export const CHANGE_EMAIL_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** Statuses that stop all mail to an inbox, whichever spelling of it they were recorded under. */
const STOPPED = ['bounced', 'complained'] as const;

/**
 * Mail to this inbox is stopped: some spelling of it bounced or complained (a row), or such an
 * address was erased afterwards (its hash kept with the reason, src/subscribers/erase.ts).
 */
export async function mailboxSuppressed(db: Db, email: string): Promise<boolean> {
  const hash = await mailboxHash(email);
  const [rows, hashes] = await db.batch([
    db.select({ one: sql`1` }).from(subscribers).where(and(eq(mailboxKeyOf(subscribers.email), mailboxKey(email)), inArray(subscribers.status, [...STOPPED]))).limit(1),
    db.select({ one: sql`1` }).from(suppressions).where(and(eq(suppressions.emailHash, hash), inArray(suppressions.reason, [...STOPPED]))).limit(1),
  ]);
  return rows.length > 0 || hashes.length > 0;
}

/** Some spelling of this inbox is a confirmed reader already (a sign-up of another spelling mails nothing). */
export async function mailboxSubscribed(db: Db, email: string): Promise<boolean> {
  const row = await db.select({ one: sql`1` }).from(subscribers).where(and(eq(mailboxKeyOf(subscribers.email), mailboxKey(email)), eq(subscribers.status, 'confirmed'))).limit(1).get();
  return row !== undefined;
}

/** Takes the mailbox's sign-up confirmation slot, or false if one went out in the last 15 minutes. */
export async function claimConfirmation(db: Db, email: string, now: number): Promise<boolean> {
  const keyHash = await mailboxHash(email);
  const row = await db
    .insert(mailboxes)
    .values({ keyHash, confirmSentAt: now })
    .onConflictDoUpdate({
      target: mailboxes.keyHash,
      set: { confirmSentAt: now },
      setWhere: or(isNull(mailboxes.confirmSentAt), lte(mailboxes.confirmSentAt, now - CONFIRMATION_INTERVAL_MS)),
    })
    .returning({ keyHash: mailboxes.keyHash })
    .get();
  return row !== undefined;
}

/** The operator lifted a suppression, or a confirmation was never sent: the form may mail it at once. */
export async function releaseConfirmation(db: Db, email: string): Promise<void> {
  await db.update(mailboxes).set({ confirmSentAt: null }).where(eq(mailboxes.keyHash, await mailboxHash(email)));
}

/**
 * Takes the target's change-of-address slot for one request (`owner`): false if the inbox refused
 * such mail, or another request got its email in the last 24 hours. The same request wins again (a
 * queue retry sends the identical email).
 */
export async function claimChangeEmail(db: Db, email: string, owner: string, now: number): Promise<boolean> {
  const keyHash = await mailboxHash(email);
  const row = await db
    .insert(mailboxes)
    .values({ keyHash, changeSentAt: now, changeOwner: owner })
    .onConflictDoUpdate({
      target: mailboxes.keyHash,
      set: { changeSentAt: sql`CASE WHEN ${mailboxes.changeOwner} = ${owner} THEN ${mailboxes.changeSentAt} ELSE ${now} END`, changeOwner: owner },
      setWhere: and(
        isNull(mailboxes.changeBlockedAt),
        or(isNull(mailboxes.changeSentAt), lte(mailboxes.changeSentAt, now - CHANGE_EMAIL_INTERVAL_MS), eq(mailboxes.changeOwner, owner)),
      ),
    })
    .returning({ keyHash: mailboxes.keyHash })
    .get();
  return row !== undefined;
}

/** "I did not ask for this" (or a bounce or complaint on a change-of-address email): no more of them. */
export async function blockChangeEmail(db: Db, email: string, now: number): Promise<boolean> {
  const keyHash = await mailboxHash(email);
  const row = await db
    .insert(mailboxes)
    .values({ keyHash, changeBlockedAt: now })
    .onConflictDoUpdate({ target: mailboxes.keyHash, set: { changeBlockedAt: now }, setWhere: isNull(mailboxes.changeBlockedAt) })
    .returning({ keyHash: mailboxes.keyHash })
    .get();
  return row !== undefined;
}

/** The same, for the target of one request, found by its owner (the link in the email names the request). */
export async function blockChangeEmailOf(db: Db, owner: string, now: number): Promise<boolean> {
  const row = await db
    .update(mailboxes)
    .set({ changeBlockedAt: sql`coalesce(${mailboxes.changeBlockedAt}, ${now})` })
    .where(eq(mailboxes.changeOwner, owner))
    .returning({ keyHash: mailboxes.keyHash })
    .get();
  return row !== undefined;
}

/** Names one change-of-address request: its reader and its time in whole seconds (what its link's token carries). */
export const changeOwner = (subscriberId: number, requestedAt: number) => `${subscriberId}-${Math.floor(requestedAt / 1000)}`;
