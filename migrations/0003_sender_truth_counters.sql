-- The sender keeps its promises against the provider as it really is (issue 9) with counters kept in
-- step with every write (issue 13). Hand-edited after drizzle-kit generate:
--  * deliveries become WITHOUT ROWID with no other index (one row written per reader); drizzle-kit
--    cannot say WITHOUT ROWID, so a later generate that rebuilds this table must keep it by hand;
--  * sends made before this migration keep idempotency keys without a nonce (key_nonce ''), so a
--    send under way while upgrading never re-sends a chunk under a new key;
--  * the counters are filled from the delivery records (or the stats kept for pruned sends) before
--    final_stats goes; a delivery reported failed by a webhook becomes `failed`.
DROP TABLE `webhook_events`;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_deliveries` (
	`send_id` integer NOT NULL,
	`subscriber_id` integer NOT NULL,
	`status` text NOT NULL,
	`resend_id` text,
	`error` text,
	`sent_at` integer NOT NULL,
	`delivered_at` integer,
	`opened_at` integer,
	`clicked_at` integer,
	`bounced_at` integer,
	`bounce_type` text,
	`complained_at` integer,
	`failed_at` integer,
	`delayed_at` integer,
	PRIMARY KEY(`send_id`, `subscriber_id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_deliveries`("send_id", "subscriber_id", "status", "resend_id", "error", "sent_at", "delivered_at", "opened_at", "clicked_at", "bounced_at", "bounce_type", "complained_at", "failed_at", "delayed_at") SELECT "send_id", "subscriber_id", CASE WHEN "failed_at" IS NOT NULL THEN 'failed' ELSE "status" END, "resend_id", "error", coalesce("sent_at", "created_at"), "delivered_at", "opened_at", "clicked_at", "bounced_at", "bounce_type", "complained_at", "failed_at", "delayed_at" FROM `deliveries`;--> statement-breakpoint
DROP TABLE `deliveries`;--> statement-breakpoint
ALTER TABLE `__new_deliveries` RENAME TO `deliveries`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
ALTER TABLE `outbox` ADD `tags` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `pacer` ADD `interval_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pacer` ADD `ring` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `pacer` ADD `configured_rate` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pacer` ADD `provider_rate` real;--> statement-breakpoint
ALTER TABLE `pacer` ADD `margin` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pacer` ADD `tight_until` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pacer` ADD `hold_until` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pacer` ADD `last_429_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pacer` ADD `epoch` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `send_chunks` ADD `phase` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `send_chunks` ADD `size` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `send_chunks` ADD `round` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `send_chunks` ADD `sure_ids` text;--> statement-breakpoint
ALTER TABLE `send_chunks` ADD `paused_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `send_chunks` ADD `uncertain_since` integer;--> statement-breakpoint
ALTER TABLE `send_chunks` ADD `failing_since` integer;--> statement-breakpoint
ALTER TABLE `send_chunks` DROP COLUMN `attempts`;--> statement-breakpoint
ALTER TABLE `sends` ADD `reason` text;--> statement-breakpoint
ALTER TABLE `sends` ADD `key_nonce` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `touched_at` integer;--> statement-breakpoint
ALTER TABLE `sends` ADD `canary_modulus` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `canary_chunks` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `main_at` integer;--> statement-breakpoint
ALTER TABLE `sends` ADD `breaker_armed` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `retry_rounds` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `sent` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `failed` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `unknown` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `skipped` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `paused` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `delivered` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `bounced` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `hard_bounced` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `complained` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `opened` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `clicked` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `sends` SET
	`sent` = coalesce(json_extract(`final_stats`, '$.sent'), (SELECT count(*) FROM `deliveries` d WHERE d.`send_id` = `sends`.`id` AND d.`status` = 'sent')),
	`failed` = coalesce(json_extract(`final_stats`, '$.failed'), (SELECT count(*) FROM `deliveries` d WHERE d.`send_id` = `sends`.`id` AND d.`status` = 'failed')),
	`delivered` = coalesce(json_extract(`final_stats`, '$.delivered'), (SELECT count(`delivered_at`) FROM `deliveries` d WHERE d.`send_id` = `sends`.`id`)),
	`bounced` = coalesce(json_extract(`final_stats`, '$.bounced'), (SELECT count(`bounced_at`) FROM `deliveries` d WHERE d.`send_id` = `sends`.`id`)),
	`hard_bounced` = coalesce(json_extract(`final_stats`, '$.bounced'), (SELECT count(`bounced_at`) FROM `deliveries` d WHERE d.`send_id` = `sends`.`id` AND lower(d.`bounce_type`) = 'permanent')),
	`complained` = coalesce(json_extract(`final_stats`, '$.complained'), (SELECT count(`complained_at`) FROM `deliveries` d WHERE d.`send_id` = `sends`.`id`)),
	`opened` = coalesce(json_extract(`final_stats`, '$.opened'), (SELECT count(`opened_at`) FROM `deliveries` d WHERE d.`send_id` = `sends`.`id`)),
	`clicked` = coalesce(json_extract(`final_stats`, '$.clicked'), (SELECT count(`clicked_at`) FROM `deliveries` d WHERE d.`send_id` = `sends`.`id`)),
	`touched_at` = coalesce(`finished_at`, `started_at`),
	`main_at` = `started_at`;--> statement-breakpoint
UPDATE `sends` SET `skipped` = max(0, `recipients` - `sent` - `failed`) WHERE `status` = 'sent';--> statement-breakpoint
ALTER TABLE `sends` DROP COLUMN `final_stats`;