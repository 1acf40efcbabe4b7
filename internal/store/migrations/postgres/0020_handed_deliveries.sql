-- SQLite's 0020 marks the webhook events whose first delivery was handed
-- over without a job row. PostgreSQL keeps its job rows (several processes
-- share its deliveries, and a lease is what lets one take over another's),
-- so the column is always 0 here; it exists so that the two engines'
-- schemas and statements stay the same (TestSchemaParity). Adding a column
-- with a constant default rewrites nothing.
ALTER TABLE webhook_events ADD COLUMN handed INTEGER NOT NULL DEFAULT 0;
