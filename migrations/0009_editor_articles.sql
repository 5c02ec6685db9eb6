-- Publishing from the browser: articles written in the dashboard or through PUT /api/issues/:slug
-- (beside the bundled content/*.md), when an article is scheduled to go, the scheduler's clock, and
-- issues imported from another service (sent there, never mailed from here).
CREATE TABLE `articles` (
	`slug` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`date` text NOT NULL,
	`summary` text NOT NULL,
	`markdown` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `schedules` (
	`slug` text PRIMARY KEY NOT NULL,
	`send_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `schedules_send_at` ON `schedules` (`send_at`);
--> statement-breakpoint
CREATE TABLE `scheduler` (
	`id` integer PRIMARY KEY NOT NULL,
	`last_tick_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `sends` ADD `imported_from` text;
