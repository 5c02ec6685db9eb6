// Every table of the service. Times are Unix milliseconds (integers), so SQL can compare them.
// Migrations are generated from this file by `npm run db:generate` (drizzle-kit) into migrations/.
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { mailboxKeySql } from '../subscribers/mailbox-key';

export const SUBSCRIBER_STATUSES = ['pending', 'confirmed', 'unsubscribed', 'bounced', 'complained'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

export const subscribers = sqliteTable(
  'subscribers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Normalised: trimmed, lower-cased, domain in ASCII (punycode). One person, one row. */
    email: text('email').notNull().unique(),
    /** Given by the reader; set only when an address is confirmed (see pendingName). */
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
    // Columns added later go last, in the order of the table in D1 (ALTER TABLE ADD appends), which
    // is also the order an INSERT … SELECT through the builder must give them in (src/db/batch.ts).
    /**
     * The name typed with the latest sign-up that claimed a confirmation, kept aside until the
     * address is confirmed through that sign-up's own link: form text never reaches an address that
     * has not consented, and a later sign-up by someone else cannot rename the real reader.
     */
    pendingName: text('pending_name'),
    /** A pause the reader took on their preferences page: weekly sends skip them until then (ms). */
    pausedUntil: integer('paused_until'),
    /**
     * A new address the reader asked to move to, and when (which names its confirmation link, and
     * allows one such email per 15 minutes). The move happens only once that link is used.
     */
    pendingEmail: text('pending_email'),
    emailChangeSentAt: integer('email_change_sent_at'),
    /**
     * Set by an import in the statement that inserts a pending reader (equal to confirmation_sent_at):
     * that confirmation is owed until it is known to be on the queue. Housekeeping queues any left
     * behind by a crash (src/subscribers/owed-confirmations.ts).
     */
    confirmationOwedAt: integer('confirmation_owed_at'),
  },
  (t) => [
    index('subscribers_status_id').on(t.status, t.id),
    // The inbox an address reaches (src/subscribers/mailbox-key.ts): an index on an expression, so
    // every writer keeps it right without naming it. Queries write the same expression to use it.
    index('subscribers_mailbox_key').on(mailboxKeySql(sql.raw('"email"'))),
    // Partial: only readers still owed a confirmation, so housekeeping reads nothing else.
    index('subscribers_confirmation_owed').on(t.confirmationOwedAt).where(sql`${t.confirmationOwedAt} IS NOT NULL`),
  ],
);

/**
 * Addresses erased on request (GDPR): only the hash of the mailbox key is kept, so imports skip them;
 * `reason` is `bounced` or `complained` when the address was suppressed then (sign-up and a change
 * of address respect those too), else `erased`.
 */
export const suppressions = sqliteTable('suppressions', {
  emailHash: text('email_hash').primaryKey(),
  reason: text('reason').notNull(),
  createdAt: integer('created_at').notNull(),
});

/**
 * A send's life: `planning` (claimed, chunks being written) → `sending` → `sent`. On the way it may be
 * `halted` (the provider refuses every batch: a bad key, an unverified domain, a quota; it resumes by
 * itself once the provider accepts again), `paused` (the circuit breaker: too many bounces or
 * complaints; only the operator resumes or cancels it), or `cancelled` (by the operator while paused).
 */
export const SEND_STATUSES = ['planning', 'sending', 'halted', 'paused', 'cancelled', 'sent'] as const;
export type SendStatus = (typeof SEND_STATUSES)[number];

/** One row per article ever sent: the unique slug is what makes "never twice" hold for cron firings. */
export const sends = sqliteTable('sends', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  slug: text('slug').notNull().unique(),
  status: text('status', { enum: SEND_STATUSES }).notNull().default('planning'),
  /** Why the send is halted, paused or was cancelled, for the operator; null otherwise. */
  reason: text('reason'),
  /**
   * A random value of this send, part of every idempotency key it uses: keys never repeat across
   * databases or environments that share one Resend account (a re-created D1 starts at send 1 again).
   */
  keyNonce: text('key_nonce').notNull().default(''),
  startedAt: integer('started_at').notNull(),
  finishedAt: integer('finished_at'),
  /** Last time a chunk of this send moved (frozen or finished): housekeeping's "is it stalled?". */
  touchedAt: integer('touched_at'),
  /**
   * Last time a chunk's success after provider failures woke the chunks backing off (the provider is
   * back: they go now, not at the end of their backoff). Once per outage, not once per chunk.
   */
  wokenAt: integer('woken_at'),
  /** Highest subscriber id confirmed when the send started: later sign-ups wait for the next issue. */
  maxSubscriberId: integer('max_subscriber_id').notNull(),
  /** Readers confirmed when the send started: its audience. */
  recipients: integer('recipients').notNull().default(0),
  chunksTotal: integer('chunks_total').notNull().default(0),
  chunksFinished: integer('chunks_finished').notNull().default(0),
  /**
   * The canary: readers whose id is a multiple of this go first (0: no canary). They are the
   * `canary_chunks` first chunks; the rest go at `main_at` (set when the canary is done, plus the wait).
   */
  canaryModulus: integer('canary_modulus').notNull().default(0),
  canaryChunks: integer('canary_chunks').notNull().default(0),
  mainAt: integer('main_at'),
  /** The circuit breaker watches this send (an operator's resume re-arms it with a fresh baseline). */
  breakerArmed: integer('breaker_armed', { mode: 'boolean' }).notNull().default(true),
  /** Retry rounds started by `retry-failed`: part of the idempotency keys of their chunks. */
  retryRounds: integer('retry_rounds').notNull().default(0),
  /**
   * Counters kept in step with the delivery records, in the same D1 batch as every write that moves
   * them (src/issues/send-store.ts): the stats are read, never counted. `skipped`: readers of the
   * audience who left before their chunk went, or whose chunk was cancelled; `paused`: readers who
   * had paused their subscription.
   */
  sent: integer('sent').notNull().default(0),
  failed: integer('failed').notNull().default(0),
  unknown: integer('unknown').notNull().default(0),
  skipped: integer('skipped').notNull().default(0),
  paused: integer('paused').notNull().default(0),
  /** Readers Resend accepted and then refused itself (its own suppression list): not counted as sent. */
  suppressed: integer('suppressed').notNull().default(0),
  delivered: integer('delivered').notNull().default(0),
  bounced: integer('bounced').notNull().default(0),
  /** Permanent bounces only: what the circuit breaker counts. */
  hardBounced: integer('hard_bounced').notNull().default(0),
  complained: integer('complained').notNull().default(0),
  opened: integer('opened').notNull().default(0),
  clicked: integer('clicked').notNull().default(0),
  /** The article as it was sent: the archive serves this, whatever later happens to content/. */
  title: text('title').notNull(),
  articleDate: text('article_date').notNull(),
  summary: text('summary').notNull(),
  markdown: text('markdown').notNull(),
  /** The issue rendered once, with a placeholder where each recipient's unsubscribe token goes. */
  subject: text('subject').notNull(),
  html: text('html').notNull(),
  text: text('text').notNull(),
  /**
   * Set for an issue imported from another service (`substack`, `ghost`…): sent there, never mailed
   * from here. Its row says `sent` with no readers, and `html` holds its web version for the archive.
   */
  importedFrom: text('imported_from'),
  /** The counters when the operator last resumed: the breaker judges only what came after. */
  breakerBaseSent: integer('breaker_base_sent').notNull().default(0),
  breakerBaseBounced: integer('breaker_base_bounced').notNull().default(0),
  breakerBaseComplained: integer('breaker_base_complained').notNull().default(0),
});

export const CHUNK_STATUSES = ['pending', 'done', 'failed', 'cancelled'] as const;
/** 0: canary (goes first), 1: the rest, 2: a retry round of readers recorded failed. */
export const CHUNK_PHASES = { canary: 0, main: 1, retry: 2 } as const;

/**
 * What a send is split into; each chunk is one queue message and one provider batch call of at most
 * 100 readers. Canary and main chunks are id ranges (their members are decided when they are frozen);
 * a retry chunk is created frozen, with the readers it retries.
 */
export const sendChunks = sqliteTable(
  'send_chunks',
  {
    sendId: integer('send_id').notNull(),
    chunk: integer('chunk').notNull(),
    phase: integer('phase').notNull().default(1),
    fromId: integer('from_id').notNull(),
    toId: integer('to_id').notNull(),
    /** Readers of the audience planned into this chunk (0 for retry chunks, already counted). */
    size: integer('size').notNull().default(0),
    status: text('status', { enum: CHUNK_STATUSES }).notNull().default('pending'),
    /** Part of the idempotency key: a retry round of a chunk whose batch was accepted needs a new key. */
    round: integer('round').notNull().default(0),
    updatedAt: integer('updated_at'),
    /**
     * The chunk's recipients (JSON array of subscriber ids), frozen before the provider is first
     * called: every retry sends this list again (less whoever left since), under the same key.
     */
    recipients: text('recipients'),
    /** Readers in the payload of every attempt so far (JSON ids): they got it if any attempt was accepted. */
    sureIds: text('sure_ids'),
    /** Readers of the range left out at the freeze because they had paused their subscription. */
    pausedCount: integer('paused_count').notNull().default(0),
    /** When an attempt that the provider may have accepted started (null: none may have). */
    uncertainSince: integer('uncertain_since'),
    /** First provider failure that spends the retry budget (5xx, network); 429s never do. */
    failingSince: integer('failing_since'),
  },
  (t) => [primaryKey({ columns: [t.sendId, t.chunk] })],
);

/**
 * `sent`: in a batch the provider accepted; `failed`: refused (that address, or the chunk after its
 * retry budget, or reported failed later); `unknown`: whether they got it cannot be known (an attempt
 * the provider may have accepted, past its 24-hour idempotency window): never re-sent blindly;
 * `suppressed`: accepted, then refused by Resend itself (`email.suppressed`: on its own suppression list).
 */
export const DELIVERY_STATUSES = ['sent', 'failed', 'unknown', 'suppressed'] as const;

/**
 * One row per (send, subscriber), written with the provider's answer: the per-recipient record
 * that makes "nobody twice" provable (the primary key allows no second row). WITHOUT ROWID, and
 * the only other index is partial: one row written per reader sent to. Webhooks find a row by the
 * email's tags (send, reader).
 */
export const deliveries = sqliteTable(
  'deliveries',
  {
    sendId: integer('send_id').notNull(),
    subscriberId: integer('subscriber_id').notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull(),
    resendId: text('resend_id'),
    error: text('error'),
    sentAt: integer('sent_at').notNull(),
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
    // The readers an operator acts on (failed, unknown), found without walking a send's sent rows;
    // partial, so a reader sent to writes no entry.
    index('deliveries_unresolved').on(t.sendId, t.status, t.subscriberId).where(sql`${t.status} <> 'sent'`),
  ],
);

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
    /** Resend-style tags (JSON object), as the provider would report them in its webhooks. */
    tags: text('tags').notNull().default('{}'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('outbox_created').on(t.createdAt)],
);

/**
 * The shared pace of provider requests across every consumer (src/mail/pacer.ts): one row whose next
 * free slot each request reserves atomically, and what the provider's answers taught about its limit.
 */
export const pacer = sqliteTable('pacer', {
  id: integer('id').primaryKey(),
  /** The last slot handed out. */
  nextSlotAt: integer('next_slot_at').notNull().default(0),
  /** Unused since the pacer keeps a ring of slots (the spacing follows from the rate); kept, not worth a table rebuild. */
  intervalMs: integer('interval_ms').notNull().default(0),
  /** The slots of the last requests (JSON array of ms, oldest first): the sliding log of the pace. */
  ring: text('ring').notNull().default('[]'),
  /** SEND_RATE_PER_SECOND when this row's learning started: a new setting starts afresh. */
  configuredRate: real('configured_rate').notNull().default(0),
  /** The limit the provider announces (`ratelimit-limit` per second), when lower than configured. */
  providerRate: real('provider_rate'),
  /** Extra spacing (a fraction) while the provider's window is tight; grows after each over-rate 429. */
  margin: real('margin').notNull().default(0),
  /** Until then the provider's window was seen nearly full: requests keep the margin. */
  tightUntil: integer('tight_until').notNull().default(0),
  /** Nobody calls the provider before this (it said so with a 429). */
  holdUntil: integer('hold_until').notNull().default(0),
  /** Last over-rate 429: the margin relaxes after a quiet while. */
  last429At: integer('last_429_at').notNull().default(0),
  /** Bumped when slots already handed out are no longer good (a hold, a lower rate learnt): waiters take new ones. */
  epoch: integer('epoch').notNull().default(0),
  /** The jitter (ms) every tight window gets as a guard: the largest any consumer learnt from window readings, round trips and refusals (src/mail/pacer.ts). */
  jitterMs: integer('jitter_ms').notNull().default(0),
  /**
   * When `jitter_ms` was last raised. Every consumer isolate writes the guard it has learnt; one
   * that has not seen a refusal or a reading would lower the guard another just raised, so for a
   * while after a raise no other isolate lowers it (src/mail/pacer.ts, JITTER_RAISE_HOLD_MS).
   */
  jitterRaisedAt: integer('jitter_raised_at').notNull().default(0),
  /** Requests/s other apps on the same Resend team use (seen in `ratelimit-remaining`): left to them. */
  foreignRate: real('foreign_rate').notNull().default(0),
});


// ---- The operator's dashboard (src/admin/): counters kept by SQLite triggers, so the overview
// reads a handful of rows however long the list is. The triggers and their backfill are SQL that
// drizzle-kit cannot generate: they live in the custom migration that follows the one for these tables.

/** Subscribers per status, kept by triggers on `subscribers` (insert, delete, status change). */
export const subscriberCounts = sqliteTable('subscriber_counts', {
  status: text('status').primaryKey(),
  n: integer('n').notNull().default(0),
});

/**
 * Per UTC day (days since 1970-01-01): readers who became confirmed, and confirmed readers who
 * left (unsubscribed, bounced, complained or were erased). Kept by triggers on `subscribers`.
 */
export const subscriberDays = sqliteTable('subscriber_days', {
  day: integer('day').primaryKey(),
  confirmed: integer('confirmed').notNull().default(0),
  left: integer('left').notNull().default(0),
});

/**
 * Sign-in attempts at /admin per client in the last minute: at most 10 failures a minute each.
 * A row is taken before the token is checked (so parallel guesses count too) and given back when
 * the token was right.
 */
export const adminSignInAttempts = sqliteTable(
  'admin_sign_in_attempts',
  {
    id: integer('id').primaryKey(),
    client: text('client').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('admin_sign_in_attempts_client_at').on(t.client, t.at), index('admin_sign_in_attempts_at').on(t.at)],
);

/** API keys (src/keys/store.ts): only the SHA-256 of each key is kept; the key itself is shown once. */
export const apiKeys = sqliteTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** JSON array of scopes (src/api/scopes.ts). */
  scopes: text('scopes').notNull(),
  keyHash: text('key_hash').notNull().unique(),
  /** The key's first characters, to tell keys apart on the dashboard. */
  prefix: text('prefix').notNull(),
  createdAt: integer('created_at').notNull(),
  lastUsedAt: integer('last_used_at'),
});

/** Where outgoing webhooks go (src/webhooks/out/). */
export const webhookEndpoints = sqliteTable('webhook_endpoints', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  /** JSON array of event types; the outbox statement matches `"type"` inside it. */
  events: text('events').notNull(),
  /** `whsec_…`: signs every delivery (Standard Webhooks); kept to sign, shown once. */
  secret: text('secret').notNull(),
  createdAt: integer('created_at').notNull(),
  /** First failure of the current run of failures; cleared by any success. */
  failingSince: integer('failing_since'),
  /** Failing for 24 hours: no new events are written for it, nothing more is tried. */
  disabledAt: integer('disabled_at'),
  lastError: text('last_error'),
});

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

/**
 * The outbox of outgoing webhooks and their delivery log in one: a row per event per endpoint,
 * written in the same D1 batch as the state change it reports (src/webhooks/out/events.ts), then
 * delivered by the WEBHOOK_QUEUE consumer (deliver.ts). `webhook_id` is the event's, the same on
 * every attempt (receivers deduplicate on it).
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    endpointId: text('endpoint_id').notNull(),
    webhookId: text('webhook_id').notNull(),
    type: text('type').notNull(),
    /** The body as sent: {"type", "timestamp", "data"}. */
    payload: text('payload').notNull(),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    /** When the next attempt is due; while an attempt runs, the end of its lease. */
    nextAttemptAt: integer('next_attempt_at'),
    lastAttemptAt: integer('last_attempt_at'),
    /** HTTP status of the last answer (null: no answer: network error or timeout). */
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event').on(t.endpointId, t.webhookId),
    index('webhook_deliveries_endpoint').on(t.endpointId, t.id),
    // Partial: housekeeping finds deliveries whose message was lost without reading the log.
    index('webhook_deliveries_due').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
  ],
);

// ---- Publishing from the browser (src/issues/stored-articles.ts, schedules.ts, tick.ts)

/**
 * Articles written in the dashboard or sent to `PUT /api/issues/:slug`, beside the bundled
 * content/*.md: one slug space (a slug either source uses is taken). Once its send starts, the
 * `sends` row keeps the article as sent and this row can no longer change.
 */
export const storedArticles = sqliteTable('articles', {
  slug: text('slug').primaryKey(),
  title: text('title').notNull(),
  /** `YYYY-MM-DD`, as in a content file. */
  date: text('date').notNull(),
  summary: text('summary').notNull(),
  markdown: text('markdown').notNull(),
  /** Bumped by every save: the ETag, so a second editor's save cannot silently undo the first. */
  version: integer('version').notNull().default(1),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** When an article (of either source) goes, chosen by the writer; no row: the weekly slot. */
export const schedules = sqliteTable(
  'schedules',
  {
    slug: text('slug').primaryKey(),
    sendAt: integer('send_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('schedules_send_at').on(t.sendAt)],
);

/** One row (id 1): the moment up to which the frequent cron has looked for weekly slots. */
export const scheduler = sqliteTable('scheduler', {
  id: integer('id').primaryKey(),
  lastTickAt: integer('last_tick_at').notNull(),
});

// ---- Trust (issue 21) -------------------------------------------------------------------------------

/**
 * Per-mailbox limits, keyed by the hash of the mailbox key (src/subscribers/mailbox-key.ts), so an
 * inbox that never subscribed leaves no address here: the last sign-up confirmation (one per 15
 * minutes), the last change-of-address email (one per 24 hours, whoever asks; `change_owner` names
 * the request that got it: `<subscriberId>-<requestedAt in seconds>`), and a block on change-of-address mail
 * (the inbox said "I did not ask for this", or bounced or complained about such an email).
 */
export const mailboxes = sqliteTable(
  'mailboxes',
  {
    keyHash: text('key_hash').primaryKey(),
    confirmSentAt: integer('confirm_sent_at'),
    changeSentAt: integer('change_sent_at'),
    changeOwner: text('change_owner'),
    changeBlockedAt: integer('change_blocked_at'),
  },
  (t) => [index('mailboxes_change_owner').on(t.changeOwner).where(sql`${t.changeOwner} IS NOT NULL`)],
);

/**
 * Each reader's link generation, bumped by every move of the subscription (and its undo): preferences
 * links carry it, so links issued before stop working. No row: generation 0. A table of its own so
 * the subscribers' columns (which the import names one by one) stay as they are.
 */
export const subscriberGenerations = sqliteTable('subscriber_generations', {
  subscriberId: integer('subscriber_id').primaryKey(),
  generation: integer('generation').notNull(),
});

export const READER_LINK_ACTIONS = ['export', 'erase', 'change_email', 'resubscribe', 'undo_move'] as const;
export type ReaderLinkAction = (typeof READER_LINK_ACTIONS)[number];

/**
 * One-time links emailed to a reader (src/preferences/links.ts): what they do, for which generation
 * of the reader's links, and whether they were used. `email`: the new address of a change_email, the
 * old address of an undo_move.
 */
export const readerLinks = sqliteTable(
  'reader_links',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    subscriberId: integer('subscriber_id').notNull(),
    action: text('action', { enum: READER_LINK_ACTIONS }).notNull(),
    email: text('email'),
    generation: integer('generation').notNull(),
    createdAt: integer('created_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('reader_links_subscriber').on(t.subscriberId, t.createdAt), index('reader_links_created').on(t.createdAt)],
);

/** Dashboard sessions, held on the server so signing out ends them (src/admin/sessions.ts). */
export const adminSessions = sqliteTable(
  'admin_sessions',
  {
    sid: text('sid').primaryKey(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    ip: text('ip'),
    country: text('country'),
    userAgent: text('user_agent'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('admin_sessions_expires').on(t.expiresAt)],
);
