-- Trust, round three (issue 21).
-- The mailbox key (the inbox an address reaches: lower case, `+tag` removed, dots removed for
-- Gmail) as an index on an expression of `email`, not a column: every writer (sign-up, import, a
-- move) keeps it right without naming it, and the table's columns stay as they are.
-- src/subscribers/mailbox-key.ts writes the same expression (queries must match it exactly to use
-- the index) and the same rule in TypeScript; tests/trust.test.ts checks all three agree.
CREATE INDEX `subscribers_mailbox_key` ON `subscribers` ((CASE WHEN substr(lower("email"), instr(lower("email"), '@') + 1) IN ('gmail.com', 'googlemail.com') THEN replace((CASE WHEN instr(substr(lower("email"), 1, instr(lower("email"), '@') - 1), '+') > 1 THEN substr(lower("email"), 1, instr(lower("email"), '+') - 1) ELSE substr(lower("email"), 1, instr(lower("email"), '@') - 1) END), '.', '') || '@gmail.com' ELSE (CASE WHEN instr(substr(lower("email"), 1, instr(lower("email"), '@') - 1), '+') > 1 THEN substr(lower("email"), 1, instr(lower("email"), '+') - 1) ELSE substr(lower("email"), 1, instr(lower("email"), '@') - 1) END) || '@' || substr(lower("email"), instr(lower("email"), '@') + 1) END));--> statement-breakpoint
-- Bumped by every move (and its undo): preferences links carry it, so older ones stop working. No row: 0.
CREATE TABLE `subscriber_generations` (
	`subscriber_id` integer PRIMARY KEY NOT NULL,
	`generation` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `mailboxes` (
	`key_hash` text PRIMARY KEY NOT NULL,
	`confirm_sent_at` integer,
	`change_sent_at` integer,
	`change_owner` text,
	`change_blocked_at` integer
);
--> statement-breakpoint
CREATE INDEX `mailboxes_change_owner` ON `mailboxes` (`change_owner`) WHERE "mailboxes"."change_owner" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `reader_links` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subscriber_id` integer NOT NULL,
	`action` text NOT NULL,
	`email` text,
	`generation` integer NOT NULL,
	`created_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE INDEX `reader_links_subscriber` ON `reader_links` (`subscriber_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `reader_links_created` ON `reader_links` (`created_at`);--> statement-breakpoint
CREATE TABLE `admin_sessions` (
	`sid` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`ip` text,
	`country` text,
	`user_agent` text,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE INDEX `admin_sessions_expires` ON `admin_sessions` (`expires_at`);--> statement-breakpoint
-- The breaker re-arms after a resume, judging only what came after it.
ALTER TABLE `sends` ADD `breaker_base_sent` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `breaker_base_bounced` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sends` ADD `breaker_base_complained` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Sends resumed before this migration had the breaker switched off: re-arm them from where they are.
UPDATE `sends` SET `breaker_base_sent` = `sent`, `breaker_base_bounced` = `hard_bounced`, `breaker_base_complained` = `complained`, `breaker_armed` = 1 WHERE `breaker_armed` = 0;
