// Erasing a person on request (GDPR art. 17): their subscriber row (address, name, dates), every
// delivery record, and any captured copy in the local outbox go, in one atomic D1 batch. What stays
// is the SHA-256 of the normalised address in `suppressions`, so an import never brings them back.
// The form still works for them: signing up again is their own, new consent (signUp ignores hashes).
import { eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { deliveries, outbox, subscribers, suppressions } from '../db/schema';
import { subscriberEvent } from '../webhooks/out/events';

/** Hex SHA-256 of a normalised address: the only trace an erased person leaves. */
export async function emailHash(normalizedEmail: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(normalizedEmail));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Idempotent: an address that is not (or no longer) on the list is suppressed all the same. */
export async function eraseSubscriber(db: Db, normalizedEmail: string, now = Date.now()): Promise<{ found: boolean }> {
  const hash = await emailHash(normalizedEmail);
  // The deliveries go first: they are found through the subscriber row the last statement deletes.
  const results = await db.batch([
    db.insert(suppressions).values({ emailHash: hash, reason: 'erased', createdAt: now }).onConflictDoNothing(),
    db.delete(deliveries).where(inArray(deliveries.subscriberId, db.select({ id: subscribers.id }).from(subscribers).where(eq(subscribers.email, normalizedEmail)))),
    db.delete(outbox).where(eq(outbox.to, normalizedEmail)),
    // Before the delete: it reads the row (the event carries the id only).
    subscriberEvent(db, 'subscriber.erased', sql`${subscribers.email} = ${normalizedEmail}`, now),
    db.delete(subscribers).where(eq(subscribers.email, normalizedEmail)),
  ]);
  return { found: (results[4].meta.changes ?? 0) > 0 };
}
