-- Readers Resend itself refused after accepting their email (`email.suppressed`: the address is on
-- Resend's own suppression list after an earlier bounce or complaint). Kept on the send's row beside
-- the other counters (src/issues/send-store.ts) and not counted as sent; their delivery records say
-- `suppressed` (deliveries.status is plain text: no table rebuild needed).
ALTER TABLE `sends` ADD `suppressed` integer DEFAULT 0 NOT NULL;
