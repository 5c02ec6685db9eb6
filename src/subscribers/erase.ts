// Erasing a person on request (GDPR art. 17): their subscriber row (address, name, dates), every
// delivery record, their one-time links, and any captured copy in the local outbox go, in one atomic
// D1 batch. What stays is the SHA-256 of the address's mailbox key in `suppressions`, so an import
// never brings them back, with the reason: an address that had bounced or complained stays
// suppressed for the form and for a change of address too (the inbox still does not exist, or still
// said "no more mail"); one that merely left may sign up again through the form, its own new consent.
import { eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { deliveries, mailboxes, outbox, readerLinks, subscriberGenerations, subscribers, suppressions } from '../db/schema';
import { mailboxHash } from './mailbox-key';
import { subscriberEvent } from '../webhooks/out/events';

/** Hex SHA-256 of an address's mailbox key (src/subscribers/mailbox-key.ts): the only trace an erased person leaves. */
export const emailHash = mailboxHash;

/** Idempotent: an address that is not (or no longer) on the list is suppressed all the same. */
export async function eraseSubscriber(db: Db, normalizedEmail: string, now = Date.now()): Promise<{ found: boolean }> {
  const hash = await emailHash(normalizedEmail);
  const ids = db.select({ id: subscribers.id }).from(subscribers).where(eq(subscribers.email, normalizedEmail));
  // The row's status, read in the same statement that keeps the hash: a bounce that lands just before
  // the erasure is kept as such. A stronger reason replaces `erased`, never the other way round.
  const reason = sql`coalesce((SELECT CASE WHEN ${subscribers.status} IN ('bounced', 'complained') THEN ${subscribers.status} END FROM ${subscribers} WHERE ${subscribers.email} = ${normalizedEmail}), 'erased')`;
  // The deliveries and links go first: they are found through the subscriber row the last statement deletes.
  const results = await db.batch([
    db
      .insert(suppressions)
      .values({ emailHash: hash, reason, createdAt: now })
      .onConflictDoUpdate({ target: suppressions.emailHash, set: { reason: sql`excluded.reason` }, setWhere: sql`excluded.reason <> 'erased'` }),
    db.delete(deliveries).where(inArray(deliveries.subscriberId, ids)),
    db.delete(readerLinks).where(inArray(readerLinks.subscriberId, ids)),
    db.delete(subscriberGenerations).where(inArray(subscriberGenerations.subscriberId, ids)),
    db.delete(outbox).where(eq(outbox.to, normalizedEmail)),
    // The mailbox's timestamps go too (only a block on change-of-address mail, the inbox's own wish,
    // stays): signing up again right away is the person's new consent, as before the erasure.
    db.update(mailboxes).set({ confirmSentAt: null, changeSentAt: null, changeOwner: null }).where(eq(mailboxes.keyHash, hash)),
    // Before the delete: it reads the row (the event carries the id only).
    subscriberEvent(db, 'subscriber.erased', sql`${subscribers.email} = ${normalizedEmail}`, now),
    db.delete(subscribers).where(eq(subscribers.email, normalizedEmail)),
  ]);
  return { found: (results[7].meta.changes ?? 0) > 0 };
}
