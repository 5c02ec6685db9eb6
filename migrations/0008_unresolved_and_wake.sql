-- Operators list a send's failed and unknown readers through a partial index (a reader sent to writes
-- no entry); woken_at: after an outage, the chunks backing off are woken once, not once per chunk.
ALTER TABLE `sends` ADD `woken_at` integer;--> statement-breakpoint
CREATE INDEX `deliveries_unresolved` ON `deliveries` (`send_id`,`status`,`subscriber_id`) WHERE "deliveries"."status" <> 'sent';