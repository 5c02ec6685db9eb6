-- Issue 22: when the pacer's jitter guard was last raised, so that a consumer isolate that has not seen
-- the refusal or reading behind it does not lower it again at once (src/mail/pacer.ts).
ALTER TABLE `pacer` ADD `jitter_raised_at` integer DEFAULT 0 NOT NULL;