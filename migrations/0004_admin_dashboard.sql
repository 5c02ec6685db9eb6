CREATE TABLE `admin_sign_in_attempts` (
	`id` integer PRIMARY KEY NOT NULL,
	`client` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `admin_sign_in_attempts_client_at` ON `admin_sign_in_attempts` (`client`,`at`);--> statement-breakpoint
CREATE INDEX `admin_sign_in_attempts_at` ON `admin_sign_in_attempts` (`at`);--> statement-breakpoint
CREATE TABLE `subscriber_counts` (
	`status` text PRIMARY KEY NOT NULL,
	`n` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `subscriber_days` (
	`day` integer PRIMARY KEY NOT NULL,
	`confirmed` integer DEFAULT 0 NOT NULL,
	`left` integer DEFAULT 0 NOT NULL
);
