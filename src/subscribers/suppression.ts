// Lifting a suppression: the operator says a bounced or complained address may hear from us again
// (a mailbox that was full and works now, a complaint made by mistake). It becomes `unsubscribed`,
// not `confirmed`: the person gets mail again only after signing up through the form and confirming,
// their own new consent. Its left_at stays, so confirmation links sent before the bounce stay dead.
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import { releaseConfirmation } from './mailbox';

/** true if the address was bounced or complained and is now unsubscribed; false if it was not suppressed. */
export async function liftSuppression(db: Db, normalizedEmail: string): Promise<boolean> {
  const row = await db
    .update(subscribers)
    // No confirmation claimed: the form may mail it at once, not 15 minutes after an old attempt.
    .set({ status: 'unsubscribed', confirmationSentAt: null, softBounces: 0 })
    .where(and(eq(subscribers.email, normalizedEmail), inArray(subscribers.status, ['bounced', 'complained'])))
    .returning({ id: subscribers.id })
    .get();
  if (row) await releaseConfirmation(db, normalizedEmail);
  return row !== undefined;
}
