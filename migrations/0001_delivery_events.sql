ALTER TABLE `deliveries` ADD `bounce_type` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `failed_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `delayed_at` integer;