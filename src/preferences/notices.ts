// The email to a reader's new address, sent by the queue consumer (paced like every email). It goes
// only to an address that is not on the list: the reader got the same answer either way, so nobody
// learns through this page who is subscribed.
//
// It is also the one email the page can make us send to a stranger, so its target is guarded per
// mailbox, whoever asks (src/subscribers/mailbox.ts): never to an inbox that is on the list under any
// spelling, suppressed (bounced or complained, erased or not), or that refused these emails; at most
// one per inbox per 24 hours across all requesters. It carries "I did not ask for this" (a page, and
// the List-Unsubscribe one-click header, so a mail client's own button does it too), and is tagged
// `kind=email_change`, so a bounce or complaint on it blocks that inbox (src/webhooks/resend.ts).
import { eq, or, sql } from 'drizzle-orm';
import { renderEmailChangeEmail } from '../../emails/render';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import type { MailTransport, SendOutcome } from '../mail/transport';
import type { EmailChangeMessage } from '../messages';
import { changeOwner, claimChangeEmail, mailboxSuppressed } from '../subscribers/mailbox';
import { mailboxKey, mailboxKeyOf } from '../subscribers/mailbox-key';
import { sendNotice } from '../subscribers/notices';
import { signEmailChangeToken } from '../subscribers/tokens';
import { loadReader } from './actions';

export function emailChangeUrl(config: Config, token: string): string {
  return `${config.publicUrl}/preferences/confirm-email?token=${encodeURIComponent(token)}`;
}

export function notMeUrl(config: Config, token: string): string {
  return `${config.publicUrl}/preferences/not-me?token=${encodeURIComponent(token)}`;
}

/** null when there is nothing to send (superseded, moved, left, erased, the address taken, suppressed, blocked or mailed lately). */
export async function sendEmailChangeConfirmation(db: Db, config: Config, transport: MailTransport, message: EmailChangeMessage, now = Date.now()): Promise<SendOutcome | null> {
  const reader = await loadReader(db, message.subscriberId);
  if (!reader || reader.status !== 'confirmed' || reader.pendingEmail === null || reader.emailChangeSentAt !== message.requestedAt) return null;
  const target = reader.pendingEmail;
  const taken = await db
    .select({ one: sql`1` })
    .from(subscribers)
    .where(or(eq(subscribers.email, target), eq(mailboxKeyOf(subscribers.email), mailboxKey(target))))
    .get();
  if (taken || (await mailboxSuppressed(db, target))) return null;
  if (!(await claimChangeEmail(db, target, changeOwner(reader.id, message.requestedAt), now))) return null;
  // Signed with the request's time, so a retry builds the identical email (same key, same payload).
  const token = await signEmailChangeToken(config.tokenSecret, reader.id, message.requestedAt);
  const notMe = notMeUrl(config, token);
  const rendered = await renderEmailChangeEmail({ newsletterName: config.newsletterName, siteUrl: config.publicUrl, confirmUrl: emailChangeUrl(config, token), postalAddress: config.postalAddress, notMeUrl: notMe });
  const headers = { 'List-Unsubscribe': `<${notMe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
  return sendNotice(config, transport, `email-change-${reader.id}-${message.requestedAt}`, target, rendered, headers, 'email_change');
}
