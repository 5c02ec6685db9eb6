-- Readers Resend itself refused after accepting their email (`email.suppressed`: the address is on
-- Resend's own suppression list after an earlier bounce or complaint). Kept on the send's row beside
-- the other counters (src/issues/send-store.ts) and not counted as sent; their delivery records say
-- `suppressed` (deliveries.status is plain text: no table rebuild needed).
ALTER TABLE `sends` ADD `suppressed` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- The pacer learns two things the provider does not say outright (src/mail/pacer.ts): the spread of
-- the round trips (the jitter a tight window must absorb) and the share of the team's rate limit that
-- other apps use (`ratelimit-remaining` lower than our own log explains).
ALTER TABLE `pacer` ADD `jitter_ms` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE `pacer` ADD `foreign_rate` real DEFAULT 0 NOT NULL;
