// The names wrangler.toml gives the crons and queues, stated once: the Worker dispatches on these and
// refuses anything else (tests/triggers.test.ts checks they match wrangler.toml).

export const CRONS = {
  /** The weekly send: Thursdays at 09:00 UTC. */
  weekly: '0 9 * * 4',
  /** Housekeeping: unfinished plans, stalled chunks, halted sends, pruning. Never starts an article. */
  maintenance: '*/15 * * * *',
} as const;

export const QUEUES = {
  /** Issue chunks, confirmation and welcome emails. */
  send: 'newsletter-send',
  /** Messages of `send` that threw on every retry. */
  deadLetters: 'newsletter-send-dlq',
  /** Outgoing webhook deliveries, one message per delivery row (src/webhooks/out/deliver.ts). */
  webhooks: 'newsletter-webhooks',
} as const;
