ALTER TABLE `subscribers` ADD `pending_name` text;--> statement-breakpoint
ALTER TABLE `subscribers` ADD `paused_until` integer;--> statement-breakpoint
ALTER TABLE `subscribers` ADD `pending_email` text;--> statement-breakpoint
ALTER TABLE `subscribers` ADD `email_change_sent_at` integer;