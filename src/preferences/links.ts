// One-time emailed links (CONTRACT "Trust"). Whoever holds a reader's preferences link (it is in
// every email, and emails get forwarded) may pause, resume or unsubscribe at once, which only ever
// means less mail; to download the reader's data, erase it, move the subscription or bring it back,
// a link goes to the reader's current address instead, and acts after one button press there.
//
// Why it holds:
//  - A link is a `reader_links` row named by a signed token (`l.<id>.<issued>`, src/subscribers/tokens.ts);
//    the row says what it does, so the token cannot be turned into another action.
//  - One use: the press claims the row (`used_at IS NULL` → now) in one statement before acting.
//  - One hour (the undo of a move: 7 days), counted from the row, not only the token.
//  - It carries the reader's token generation when issued: a move (which bumps it) kills every link
//    issued before, so one that went to the old inbox cannot act on the moved subscription. The undo
//    is the exception: it exists for the old inbox, and works whatever happened since.
//  - At most LINKS_PER_HOUR per reader, so the page cannot flood the reader's own inbox.
import { and, count, eq, gt, isNull, lte, sql } from 'drizzle-orm';
import { renderConfirmLinkEmail } from '../../emails/render';
import type { Config, Env } from '../config';
import { selectList } from '../db/batch';
import type { Db } from '../db/client';
import { type ReaderLinkAction, readerLinks, subscribers } from '../db/schema';
import type { MailTransport, SendOutcome } from '../mail/transport';
import type { ReaderLinkMessage } from '../messages';
import { sendNotice } from '../subscribers/notices';
import { signLinkToken, verifyToken } from '../subscribers/tokens';
import { generationOf } from './generation';

export const LINK_TTL_MS = 60 * 60 * 1000;
export const UNDO_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const LINKS_PER_HOUR = 5;
/** Links are kept this long after they were made (housekeeping prunes older ones). */
export const LINK_RETENTION_MS = UNDO_TTL_MS + 24 * 60 * 60 * 1000;

export function lifetimeOf(action: ReaderLinkAction): number {
  return action === 'undo_move' ? UNDO_TTL_MS : LINK_TTL_MS;
}

export function linkUrl(config: Config, token: string): string {
  return `${config.publicUrl}/preferences/link?token=${encodeURIComponent(token)}`;
}

export type LinkRequest = 'queued' | 'too_many' | 'queue_unavailable';

/** Records a link and queues its email. `email`: the new address (change_email) or the old one (undo_move). */
export async function issueLink(env: Env, db: Db, subscriberId: number, generation: number, action: ReaderLinkAction, email: string | null, now: number): Promise<LinkRequest> {
  const recent = db
    .select({ n: count() })
    .from(readerLinks)
    .where(and(eq(readerLinks.subscriberId, subscriberId), gt(readerLinks.createdAt, now - LINK_TTL_MS), sql`${readerLinks.action} <> 'undo_move'`));
  // One statement: two requests at once cannot both slip under the limit. The undo of a move is the
  // service's own notice, never refused.
  const limit = action === 'undo_move' ? sql`1` : sql`(${recent}) < ${LINKS_PER_HOUR}`;
  const [row] = await db
    .insert(readerLinks)
    .select(sql`SELECT ${selectList(readerLinks, { subscriberId, action, email, generation, createdAt: now })} WHERE ${limit}`)
    .returning({ id: readerLinks.id });
  if (!row) return 'too_many';
  try {
    await env.SEND_QUEUE.send({ type: 'reader_link', linkId: row.id, subscriberId } satisfies ReaderLinkMessage, { contentType: 'json' });
    return 'queued';
  } catch (error) {
    console.error(`preferences: could not queue the ${action} link for subscriber ${subscriberId}: ${(error as Error).message}`);
    await db.delete(readerLinks).where(eq(readerLinks.id, row.id));
    return 'queue_unavailable';
  }
}

/** The queue consumer's part: null when there is nothing to send (used, superseded by a move, erased). */
export async function sendReaderLink(db: Db, config: Config, transport: MailTransport, message: ReaderLinkMessage): Promise<SendOutcome | null> {
  const found = await db
    .select({ link: readerLinks, email: subscribers.email, generation: generationOf(subscribers.id) })
    .from(readerLinks)
    .innerJoin(subscribers, eq(subscribers.id, readerLinks.subscriberId))
    .where(eq(readerLinks.id, message.linkId))
    .get();
  if (!found || found.link.usedAt !== null) return null;
  const { link } = found;
  const undo = link.action === 'undo_move';
  if (!undo && found.generation !== link.generation) return null;
  const to = undo ? link.email : found.email;
  if (!to) return null;
  // Signed with the row's time, so a retry builds the identical email (same key, same payload).
  const token = await signLinkToken(config.tokenSecret, link.id, link.createdAt);
  const rendered = await renderConfirmLinkEmail({
    kind: link.action === 'undo_move' ? 'moved' : link.action,
    newsletterName: config.newsletterName,
    siteUrl: config.publicUrl,
    url: linkUrl(config, token),
    lifetimeMs: lifetimeOf(link.action),
    postalAddress: config.postalAddress,
  });
  return sendNotice(config, transport, `link-${link.id}-${link.createdAt}`, to, rendered, {}, 'reader_link');
}

export type OpenedLink =
  | { ok: true; id: number; subscriberId: number; action: ReaderLinkAction; email: string | null }
  | { ok: false; status: 400 | 404 | 410; code: string; message: string };

/** What a link's token names, if it may still act (not used, not expired, not replaced by a move). */
export async function openLink(db: Db, config: Config, token: unknown, now: number): Promise<OpenedLink> {
  const verified = await verifyToken(config.tokenSecrets, 'link', token, now);
  if (!verified.ok && verified.reason !== 'expired') {
    return { ok: false, status: 400, code: 'invalid_token', message: 'This link is incomplete or not valid. Copy the whole link from the email, or ask for a new one on your preferences page.' };
  }
  const expired = { ok: false as const, status: 410 as const, code: 'link_expired', message: 'This link has expired. Ask for a new one on your preferences page (the link at the bottom of any of our emails).' };
  if (!verified.ok) return expired;
  const found = await db
    .select({ link: readerLinks, subscriberId: subscribers.id, generation: generationOf(readerLinks.subscriberId) })
    .from(readerLinks)
    .leftJoin(subscribers, eq(subscribers.id, readerLinks.subscriberId))
    .where(eq(readerLinks.id, verified.subscriberId))
    .get();
  if (!found || found.subscriberId === null) {
    return { ok: false, status: 404, code: 'not_found', message: 'There is no subscription behind this link any more: its data was erased. You can subscribe again on the home page.' };
  }
  const { link } = found;
  // The token's time must be the row's: a token for another row's time is not this link.
  if (Math.floor(link.createdAt / 1000) * 1000 !== verified.issuedAt) return { ok: false, status: 400, code: 'invalid_token', message: 'This link is not valid. Copy the whole link from the email.' };
  if (link.usedAt !== null) return { ok: false, status: 410, code: 'link_used', message: 'This link was used already: each works once. Ask for a new one on your preferences page if you need it again.' };
  if (now - link.createdAt > lifetimeOf(link.action)) return expired;
  if (link.action !== 'undo_move' && link.generation !== found.generation) {
    return { ok: false, status: 410, code: 'link_replaced', message: 'This link was issued before the subscription moved to another address, so it no longer works. Use the preferences link in the newest email you got from us.' };
  }
  return { ok: true, id: link.id, subscriberId: link.subscriberId, action: link.action, email: link.email };
}

/** The press: the link is spent, whatever happens next. false if another press spent it first. */
export async function spendLink(db: Db, id: number, now: number): Promise<boolean> {
  const row = await db.update(readerLinks).set({ usedAt: now }).where(and(eq(readerLinks.id, id), isNull(readerLinks.usedAt))).returning({ id: readerLinks.id }).get();
  return row !== undefined;
}

/** Housekeeping: links past any use. */
export async function pruneLinks(db: Db, now: number): Promise<number> {
  const result = await db.delete(readerLinks).where(lte(readerLinks.createdAt, now - LINK_RETENTION_MS));
  return result.meta.changes ?? 0;
}
