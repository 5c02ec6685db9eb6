// Lifting a suppression: the operator says a bounced or complained address may hear from us again
// (a mailbox that was full and works now, a complaint made by mistake). It becomes `unsubscribed`,
// not `confirmed`: the person gets mail again only after signing up through the form and confirming,
// their own new consent. Its left_at stays, so confirmation links sent before the bounce stay dead.
//
// Resend keeps a suppression list of its own (an address that hard-bounced or complained is refused
// by Resend for the whole team, reported as `email.suppressed`), so a lift here alone would let the
// reader sign up and then never receive the confirmation. The address is removed there first
// (`DELETE /suppressions/:email`, the SDK's `suppressions.remove`: Resend's API reference, "Remove
// Suppression": "Remove a single suppression by ID or email"), then here: if Resend cannot be
// reached, nothing changes and the operator can simply try again.
import { and, eq, inArray } from 'drizzle-orm';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import { providerClient } from '../mail/resend';

const SUPPRESSED = ['bounced', 'complained'] as const;

export async function isSuppressed(db: Db, normalizedEmail: string): Promise<boolean> {
  const row = await db
    .select({ id: subscribers.id })
    .from(subscribers)
    .where(and(eq(subscribers.email, normalizedEmail), inArray(subscribers.status, [...SUPPRESSED])))
    .get();
  return row !== undefined;
}

/** true if the address was bounced or complained and is now unsubscribed; false if it was not suppressed. */
export async function liftSuppression(db: Db, normalizedEmail: string): Promise<boolean> {
  const row = await db
    .update(subscribers)
    // No confirmation claimed: the form may mail it at once, not 15 minutes after an old attempt.
    .set({ status: 'unsubscribed', confirmationSentAt: null, softBounces: 0 })
    .where(and(eq(subscribers.email, normalizedEmail), inArray(subscribers.status, [...SUPPRESSED])))
    .returning({ id: subscribers.id })
    .get();
  return row !== undefined;
}

/** What Resend's list said: `removed`, `not_listed` (404), or `none` when mail does not go through Resend. */
export type ProviderLift = { ok: true; provider: 'removed' | 'not_listed' | 'none' } | { ok: false; message: string };

export async function liftAtProvider(config: Config, normalizedEmail: string): Promise<ProviderLift> {
  if (config.transport !== 'resend') return { ok: true, provider: 'none' };
  const { error } = await providerClient(config).suppressions.remove(normalizedEmail);
  if (!error) return { ok: true, provider: 'removed' };
  if (error.name === 'not_found') return { ok: true, provider: 'not_listed' };
  return { ok: false, message: `Resend did not remove ${normalizedEmail} from its suppression list (${error.name}: ${error.message}). Nothing changed here; try again.` };
}
