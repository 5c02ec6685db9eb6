// Every table of the service. Times are Unix milliseconds (integers), so SQL can compare them.
// Migrations are generated from this file by `npm run db:generate` (drizzle-kit) into migrations/.

import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const SUBSCRIBER_STATUSES = ['pending', 'confirmed', 'unsubscribed', 'bounced', 'complained'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

export const subscribers = sqliteTable(
  'subscribers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Normalised: trimmed, lower-cased, domain in ASCII (punycode). One person, one row. */
    email: text('email').notNull().unique(),
    name: text('name'),
    status: text('status', { enum: SUBSCRIBER_STATUSES }).notNull().default('pending'),
    createdAt: integer('created_at').notNull(),
    confirmedAt: integer('confirmed_at'),
    /** When status last changed away from confirmed (unsubscribe, bounce, complaint). */
    leftAt: integer('left_at'),
    /** Last confirmation email, for the one-per-15-minutes rule. */
    confirmationSentAt: integer('confirmation_sent_at'),
    /** Transient bounces seen (they only count; a permanent bounce suppresses). */
    softBounces: integer('soft_bounces').notNull().default(0),
    /**
     * Set by an import in the statement that inserts a pending reader (equal to confirmation_sent_at):
     * that confirmation is owed until it is known to be on the queue. Housekeeping queues any left
     * behind by a crash (src/subscribers/owed-confirmations.ts).
     */
    confirmationOwedAt: integer('confirmation_owed_at'),
  },
  (t) => [
    index('subscribers_status_id').on(t.status, t.id),
    // Partial: only readers still owed a confirmation, so housekeeping reads nothing else.
    index('subscribers_confirmation_owed').on(t.confirmationOwedAt).where(sql`${t.confirmationOwedAt} IS NOT NULL`),
  ],
);

/** Addresses erased on request (GDPR): only a hash is kept, so imports can skip them. */
export const suppressions = sqliteTable('suppressions', {
  emailHash: text('email_hash').primaryKey(),
  reason: text('reason').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const SEND_STATUSES = ['planning', 'sending', 'sent'] as const;
export type SendStatus = (typeof SEND_STATUSES)[number];

/** One row per article ever sent: the unique slug is what makes "never twice" hold for cron firings. */
export const sends = sqliteTable('sends', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  slug: text('slug').notNull().unique(),
  status: text('status', { enum: SEND_STATUSES }).notNull().default('planning'),
  startedAt: integer('started_at').notNull(),
  finishedAt: integer('finished_at'),
  /** Highest subscriber id confirmed when the send started: later sign-ups wait for the next issue. */
  maxSubscriberId: integer('max_subscriber_id').notNull(),
  recipients: integer('recipients').notNull().default(0),
  chunksTotal: integer('chunks_total').notNull().default(0),
  chunksFinished: integer('chunks_finished').notNull().default(0),
  /** The article as it was sent: the archive serves this, whatever later happens to content/. */
  title: text('title').notNull(),
  articleDate: text('article_date').notNull(),
  summary: text('summary').notNull(),
  markdown: text('markdown').notNull(),
  /** The issue rendered once, with a placeholder where each recipient's unsubscribe token goes. */
  subject: text('subject').notNull(),
  html: text('html').notNull(),
  text: text('text').notNull(),
  /** The final stats, kept when old delivery records are pruned (see src/issues/maintenance.ts). */
  finalStats: text('final_stats'),
});

export const CHUNK_STATUSES = ['pending', 'done', 'failed'] as const;

/** The keyset ranges a send is split into; each is one queue message and one Resend batch call. */
export const sendChunks = sqliteTable(
  'send_chunks',
  {
    sendId: integer('send_id').notNull(),
    chunk: integer('chunk').notNull(),
    fromId: integer('from_id').notNull(),
    toId: integer('to_id').notNull(),
    status: text('status', { enum: CHUNK_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    updatedAt: integer('updated_at'),
    /**
     * The chunk's recipients (JSON array of subscriber ids), frozen before the provider is first
     * called: every retry sends exactly this list again, under the same Idempotency-Key.
     */
    recipients: text('recipients'),
  },
  (t) => [primaryKey({ columns: [t.sendId, t.chunk] })],
);

export const DELIVERY_STATUSES = ['sent', 'failed'] as const;

/**
 * One row per (send, subscriber), written with the provider's answer: the per-recipient record
 * that makes "nobody twice" provable (the primary key allows no second row).
 */
export const deliveries = sqliteTable(
  'deliveries',
  {
    sendId: integer('send_id').notNull(),
    subscriberId: integer('subscriber_id').notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull(),
    resendId: text('resend_id'),
    error: text('error'),
    createdAt: integer('created_at').notNull(),
    sentAt: integer('sent_at'),
    deliveredAt: integer('delivered_at'),
    openedAt: integer('opened_at'),
    clickedAt: integer('clicked_at'),
    bouncedAt: integer('bounced_at'),
    /** Resend's `bounce.type` of that bounce: `Permanent` suppresses the address, `Transient` only counts. */
    bounceType: text('bounce_type'),
    complainedAt: integer('complained_at'),
    /** Provider events after acceptance (webhooks): Resend could not deliver, or delivery is delayed. */
    failedAt: integer('failed_at'),
    delayedAt: integer('delayed_at'),
  },
  (t) => [
    primaryKey({ columns: [t.sendId, t.subscriberId] }),
    // Partial: failed rows have no provider id and cost no index write.
    index('deliveries_resend_id').on(t.resendId).where(sql`${t.resendId} IS NOT NULL`),
    index('deliveries_subscriber').on(t.subscriberId),
  ],
);

/** Svix ids of webhook deliveries already handled: a replay is a no-op. */
export const webhookEvents = sqliteTable('webhook_events', {
  svixId: text('svix_id').primaryKey(),
  type: text('type').notNull(),
  receivedAt: integer('received_at').notNull(),
});

/** Mail captured by the `outbox` transport (local dev and tests): stored, never sent. */
export const outbox = sqliteTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    to: text('to').notNull(),
    from: text('from').notNull(),
    subject: text('subject').notNull(),
    html: text('html').notNull(),
    text: text('text').notNull(),
    headers: text('headers').notNull().default('{}'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('outbox_created').on(t.createdAt)],
);

/**
 * The shared pace of Resend requests across every consumer: one row whose next free slot each
 * request reserves atomically (`UPDATE … RETURNING`), so N consumers together never exceed the rate.
 */
export const pacer = sqliteTable('pacer', {
  id: integer('id').primaryKey(),
  nextSlotAt: integer('next_slot_at').notNull().default(0),
});

