PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_deliveries` (
	`send_id` integer NOT NULL,
	`subscriber_id` integer NOT NULL,
	`status` text NOT NULL,
	`resend_id` text,
	`error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	`delivered_at` integer,
	`opened_at` integer,
	`clicked_at` integer,
	`bounced_at` integer,
	`bounce_type` text,
	`complained_at` integer,
	`failed_at` integer,
	`delayed_at` integer,
	PRIMARY KEY(`send_id`, `subscriber_id`)
);
--> statement-breakpoint
INSERT INTO `__new_deliveries`("send_id", "subscriber_id", "status", "resend_id", "error", "created_at", "sent_at", "delivered_at", "opened_at", "clicked_at", "bounced_at", "bounce_type", "complained_at", "failed_at", "delayed_at") SELECT "send_id", "subscriber_id", "status", "resend_id", "error", "created_at", "sent_at", "delivered_at", "opened_at", "clicked_at", "bounced_at", "bounce_type", "complained_at", "failed_at", "delayed_at" FROM `deliveries`;--> statement-breakpoint
DROP TABLE `deliveries`;--> statement-breakpoint
ALTER TABLE `__new_deliveries` RENAME TO `deliveries`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `deliveries_resend_id` ON `deliveries` (`resend_id`) WHERE "deliveries"."resend_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `deliveries_subscriber` ON `deliveries` (`subscriber_id`);--> statement-breakpoint
ALTER TABLE `send_chunks` ADD `recipients` text;--> statement-breakpoint
ALTER TABLE `sends` ADD `final_stats` text;