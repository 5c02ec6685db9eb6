CREATE TABLE `deliveries` (
	`send_id` integer NOT NULL,
	`subscriber_id` integer NOT NULL,
	`chunk` integer NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`resend_id` text,
	`error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	`delivered_at` integer,
	`opened_at` integer,
	`clicked_at` integer,
	`bounced_at` integer,
	`complained_at` integer,
	PRIMARY KEY(`send_id`, `subscriber_id`)
);
--> statement-breakpoint
CREATE INDEX `deliveries_chunk` ON `deliveries` (`send_id`,`chunk`);--> statement-breakpoint
CREATE INDEX `deliveries_resend_id` ON `deliveries` (`resend_id`);--> statement-breakpoint
CREATE INDEX `deliveries_subscriber` ON `deliveries` (`subscriber_id`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`to` text NOT NULL,
	`from` text NOT NULL,
	`subject` text NOT NULL,
	`html` text NOT NULL,
	`text` text NOT NULL,
	`headers` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `outbox_created` ON `outbox` (`created_at`);--> statement-breakpoint
CREATE TABLE `pacer` (
	`id` integer PRIMARY KEY NOT NULL,
	`next_slot_at` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `send_chunks` (
	`send_id` integer NOT NULL,
	`chunk` integer NOT NULL,
	`from_id` integer NOT NULL,
	`to_id` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`updated_at` integer,
	PRIMARY KEY(`send_id`, `chunk`)
);
--> statement-breakpoint
CREATE TABLE `sends` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`status` text DEFAULT 'planning' NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`max_subscriber_id` integer NOT NULL,
	`recipients` integer DEFAULT 0 NOT NULL,
	`chunks_total` integer DEFAULT 0 NOT NULL,
	`chunks_finished` integer DEFAULT 0 NOT NULL,
	`title` text NOT NULL,
	`article_date` text NOT NULL,
	`summary` text NOT NULL,
	`markdown` text NOT NULL,
	`subject` text NOT NULL,
	`html` text NOT NULL,
	`text` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sends_slug_unique` ON `sends` (`slug`);--> statement-breakpoint
CREATE TABLE `subscribers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`name` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`created_at` integer NOT NULL,
	`confirmed_at` integer,
	`left_at` integer,
	`confirmation_sent_at` integer,
	`soft_bounces` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_email_unique` ON `subscribers` (`email`);--> statement-breakpoint
CREATE INDEX `subscribers_status_id` ON `subscribers` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `suppressions` (
	`email_hash` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`svix_id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`received_at` integer NOT NULL
);
