// The email to a reader's new address, sent by the queue consumer (paced like every email). It goes
// only to an address that is not on the list: the reader got the same answer either way, so nobody
// learns through this page who is subscribed.
import { eq, sql } from 'drizzle-orm';
import { renderEmailChangeEmail } from '../../emails/render';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import type { MailTransport, SendOutcome } from '../mail/transport';
import type { EmailChangeMessage } from '../messages';
import { sendNotice } from '../subscribers/notices';
import { signEmailChangeToken } from '../subscribers/tokens';
import { loadReader } from './actions';

export function emailChangeUrl(config: Config, token: string): string {
  return `${config.publicUrl}/preferences/confirm-email?token=${encodeURIComponent(token)}`;
}

/** null when there is nothing to send (superseded, moved, left, erased, or the address is taken). */
export async function sendEmailChangeConfirmation(db: Db, config: Config, transport: MailTransport, message: EmailChangeMessage): Promise<SendOutcome | null> {
  const reader = await loadReader(db, message.subscriberId);
  if (!reader || reader.status !== 'confirmed' || reader.pendingEmail === null || reader.emailChangeSentAt !== message.requestedAt) return null;
  const taken = await db.select({ one: sql`1` }).from(subscribers).where(eq(subscribers.email, reader.pendingEmail)).get();
  if (taken) return null;
  // Signed with the request's time, so a retry builds the identical email (same key, same payload).
  const token = await signEmailChangeToken(config.tokenSecret, reader.id, message.requestedAt);
  const rendered = await renderEmailChangeEmail({ newsletterName: config.newsletterName, siteUrl: config.publicUrl, confirmUrl: emailChangeUrl(config, token), postalAddress: config.postalAddress });
  return sendNotice(config, transport, `email-change-${reader.id}-${message.requestedAt}`, reader.pendingEmail, rendered, {}, 'email_change');
}
