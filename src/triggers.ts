// The names wrangler.toml gives the crons and queues, stated once: the Worker dispatches on these
// (tests/triggers.test.ts reads wrangler.toml and checks that every cron there is one of them).

export const CRONS = {
  /**
   * Every 5 minutes: housekeeping (unfinished plans, stalled chunks, halted sends, pruning), articles
   * whose scheduled time has come, and the weekly slot (SEND_SCHEDULE in TIMEZONE) when it falls
   * between two ticks. The slot's meaning lives in configuration, not in this string.
   */
  tick: '*/5 * * * *',
} as const;

/**
 * Not in wrangler.toml: fired by hand through the local dev server's scheduled route
 * (`npm run send:weekly`, scripts/send-weekly.ts): the weekly slot comes now.
 */
export const MANUAL_TRIGGERS = {
  weeklyNow: 'weekly-now',
} as const;

export const QUEUES = {
  /** Issue chunks, confirmation and welcome emails. */
  send: 'newsletter-send',
  /** Messages of `send` that threw on every retry. */
  deadLetters: 'newsletter-send-dlq',
  /** Outgoing webhook deliveries, one message per delivery row (src/webhooks/out/deliver.ts). */
  webhooks: 'newsletter-webhooks',
} as const;
