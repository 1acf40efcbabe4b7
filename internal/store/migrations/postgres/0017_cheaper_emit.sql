-- SQLite's 0017 drops two index entries from emitting a webhook event (the
-- audit event id's and jobs_due's). PostgreSQL keeps both: the unique
-- index of event ids cannot find an id prefix there unless the database's
-- collation is C, and its planner may walk jobs_due for a claim. Its
-- emitting cost met issue 14's limit without the change (docs/decisions.md,
-- "What emitting costs"). This migration keeps the two engines' numbers in
-- step.
SELECT 1;
