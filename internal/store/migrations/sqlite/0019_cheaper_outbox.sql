-- PostgreSQL's 0019 gives webhook_events the indexes SQLite has had since
-- 0017 (a partial index of audit event ids, one of notices) and makes its
-- primary key (program_id, seq); SQLite's rowid table keeps seq as its key.
-- This migration keeps the two engines' numbers in step.
SELECT 1;
