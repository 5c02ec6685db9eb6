-- Counters for the operator's dashboard (src/admin/overview.ts), kept by triggers on `subscribers`
-- so that no page has to count the list. Every write path (sign-up, confirm, unsubscribe, webhook,
-- import, erase, anything added later) goes through them, so the counters cannot drift.
--
-- subscriber_counts: one row per status.
-- subscriber_days:   per UTC day (ms / 86400000), `confirmed`: readers who became confirmed that day;
--                    `left`: confirmed readers who stopped being confirmed that day (unsubscribed,
--                    bounced, complained, or erased).
-- Cost (D1 rows_written, measured): +2 rows for each new subscriber, +3 for a confirmation, +2 to +4
-- for a reader leaving, +2 for an erasure; other updates (name, dates) trigger nothing.

CREATE TRIGGER `subscribers_counts_insert` AFTER INSERT ON `subscribers` BEGIN
  INSERT INTO `subscriber_counts` (`status`, `n`) VALUES (new.`status`, 1)
    ON CONFLICT (`status`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `subscribers_days_insert` AFTER INSERT ON `subscribers` WHEN new.`status` = 'confirmed' BEGIN
  INSERT INTO `subscriber_days` (`day`, `confirmed`, `left`) VALUES (coalesce(new.`confirmed_at`, unixepoch() * 1000) / 86400000, 1, 0)
    ON CONFLICT (`day`) DO UPDATE SET `confirmed` = `confirmed` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `subscribers_counts_delete` AFTER DELETE ON `subscribers` BEGIN
  UPDATE `subscriber_counts` SET `n` = `n` - 1 WHERE `status` = old.`status`;
END;
--> statement-breakpoint
CREATE TRIGGER `subscribers_days_delete` AFTER DELETE ON `subscribers` WHEN old.`status` = 'confirmed' BEGIN
  INSERT INTO `subscriber_days` (`day`, `confirmed`, `left`) VALUES (unixepoch() / 86400, 0, 1)
    ON CONFLICT (`day`) DO UPDATE SET `left` = `left` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `subscribers_counts_update` AFTER UPDATE OF `status` ON `subscribers` WHEN old.`status` IS NOT new.`status` BEGIN
  UPDATE `subscriber_counts` SET `n` = `n` - 1 WHERE `status` = old.`status`;
  INSERT INTO `subscriber_counts` (`status`, `n`) VALUES (new.`status`, 1)
    ON CONFLICT (`status`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `subscribers_days_confirmed` AFTER UPDATE OF `status` ON `subscribers`
  WHEN new.`status` = 'confirmed' AND old.`status` IS NOT 'confirmed' BEGIN
  INSERT INTO `subscriber_days` (`day`, `confirmed`, `left`) VALUES (coalesce(new.`confirmed_at`, unixepoch() * 1000) / 86400000, 1, 0)
    ON CONFLICT (`day`) DO UPDATE SET `confirmed` = `confirmed` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `subscribers_days_left` AFTER UPDATE OF `status` ON `subscribers`
  WHEN old.`status` = 'confirmed' AND new.`status` IS NOT 'confirmed' BEGIN
  INSERT INTO `subscriber_days` (`day`, `confirmed`, `left`) VALUES (coalesce(new.`left_at`, unixepoch() * 1000) / 86400000, 0, 1)
    ON CONFLICT (`day`) DO UPDATE SET `left` = `left` + 1;
END;
--> statement-breakpoint
-- Backfill from the rows already there (one pass each; the triggers only see what comes after).
-- Who left is known only as far as the table remembers: a confirmed reader with a left_at.
INSERT INTO `subscriber_counts` (`status`, `n`) SELECT `status`, count(*) FROM `subscribers` GROUP BY `status`;
--> statement-breakpoint
INSERT INTO `subscriber_days` (`day`, `confirmed`, `left`)
  SELECT `day`, sum(`c`), sum(`l`) FROM (
    SELECT `confirmed_at` / 86400000 AS `day`, 1 AS `c`, 0 AS `l` FROM `subscribers` WHERE `confirmed_at` IS NOT NULL
    UNION ALL
    SELECT `left_at` / 86400000, 0, 1 FROM `subscribers` WHERE `left_at` IS NOT NULL AND `confirmed_at` IS NOT NULL AND `status` <> 'confirmed'
  ) GROUP BY `day`;
