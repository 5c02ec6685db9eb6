// The confirmation and welcome emails: rendered and sent by the queue consumer, paced like issues.
// Each email's idempotency key names the request it answers, so a redelivered message sends nothing new.
import { desc, eq } from 'drizzle-orm';
import { type RenderedEmail, renderConfirmationEmail, renderWelcomeEmail } from '../../emails/render';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { sends, subscribers } from '../db/schema';
import { listHeaders, unsubscribeUrl } from '../mail/headers';
import { type EmailKind, emailTags } from '../mail/tags';
import type { MailTransport, OutgoingEmail, SendOutcome } from '../mail/transport';
import type { ConfirmationMessage, WelcomeMessage } from '../messages';
import { generationOf } from '../preferences/generation';
import { preferencesUrl } from '../preferences/link';
import { MAILABLE_BY_FORM } from './lifecycle';
import { readerTokens, signConfirmToken } from './tokens';

async function loadSubscriber(db: Db, id: number) {
  const { email, name, status, confirmationSentAt, confirmedAt } = subscribers;
  return db.select({ id: subscribers.id, email, name, status, confirmationSentAt, confirmedAt, tokenGeneration: generationOf(subscribers.id) }).from(subscribers).where(eq(subscribers.id, id)).get();
}

/** null when there is nothing to send (confirmed meanwhile, erased, or superseded). */
export async function sendConfirmation(db: Db, config: Config, transport: MailTransport, message: ConfirmationMessage): Promise<SendOutcome | null> {
  const subscriber = await loadSubscriber(db, message.subscriberId);
  // Only while the form may still mail the address: confirmed meanwhile, or bounced/complained, is nothing to send.
  if (!subscriber || !MAILABLE_BY_FORM.includes(subscriber.status) || subscriber.confirmationSentAt !== message.requestedAt) return null;
  // Signed with the request's time, so a retry builds the identical email (same key, same payload).
  const token = await signConfirmToken(config.tokenSecret, subscriber.id, message.requestedAt);
  const rendered = await renderConfirmationEmail({
    newsletterName: config.newsletterName,
    siteUrl: config.publicUrl,
    confirmUrl: `${config.publicUrl}/confirm?token=${encodeURIComponent(token)}`,
    postalAddress: config.postalAddress,
  });
  return sendNotice(config, transport, `confirm-${subscriber.id}-${message.requestedAt}`, subscriber.email, rendered, {}, 'confirmation');
}

export async function sendWelcome(db: Db, config: Config, transport: MailTransport, message: WelcomeMessage): Promise<SendOutcome | null> {
  const subscriber = await loadSubscriber(db, message.subscriberId);
  if (!subscriber || subscriber.status !== 'confirmed' || subscriber.confirmedAt !== message.confirmedAt) return null;
  const latest = await db.select({ slug: sends.slug, title: sends.title }).from(sends).orderBy(desc(sends.articleDate), desc(sends.startedAt)).limit(1).get();
  const tokens = await readerTokens(config.tokenSecret, subscriber.id, subscriber.tokenGeneration);
  const unsubscribe = unsubscribeUrl(config, tokens.unsubscribe);
  const preferences = preferencesUrl(config, tokens.preferences);
  const rendered = await renderWelcomeEmail({
    newsletterName: config.newsletterName,
    siteUrl: config.publicUrl,
    archiveUrl: `${config.publicUrl}/archive`,
    latestIssue: latest ? { title: latest.title, url: `${config.publicUrl}/archive/${latest.slug}` } : null,
    unsubscribeUrl: unsubscribe,
    preferencesUrl: preferences,
    name: subscriber.name,
    postalAddress: config.postalAddress,
  });
  return sendNotice(config, transport, `welcome-${subscriber.id}-${message.confirmedAt}`, subscriber.email, rendered, listHeaders(config, unsubscribe), 'welcome');
}

/** One transactional email under its idempotency key (the transport paces it like every request). */
export function sendNotice(config: Config, transport: MailTransport, key: string, to: string, rendered: RenderedEmail, headers: Record<string, string>, kind: EmailKind): Promise<SendOutcome> {
  const email: OutgoingEmail = { to, from: config.fromEmail, replyTo: config.replyTo, subject: rendered.subject, html: rendered.html, text: rendered.text, headers, tags: emailTags(kind) };
  return transport.send([email], key);
}
