-- A first webhook delivery handed over to the process that wrote its event
-- writes no job row on SQLite (docs/decisions.md, "SQLite hands first
-- deliveries over without a job row"): handed = 1 marks such an event, so
-- the next start finds those whose attempt was never recorded
-- (store.RecoverHandedDeliveries) and gives them job rows. Not indexed: an
-- index would cost the writer a B-tree entry per event, the very cost the
-- job row was dropped to save; the one read is a scan at start.
ALTER TABLE webhook_events ADD COLUMN handed INTEGER NOT NULL DEFAULT 0;
