-- Emitting a webhook event on PostgreSQL writes two index entries fewer
-- (docs/decisions.md, "What emitting costs"): each event's row entered five
-- B-trees (the table, seq, id, (program_id, seq) and audit_event_id), and
-- they were a third of the write-ahead log a transfer's four events added.

-- The id column collates as C, so that a range of ids is a range of their
-- prefixes (under a database's own collation, en_US say, it need not be)
-- and the unique index of ids finds an audit event's webhook events by the
-- prefix of its millisecond, as on SQLite since 0017 (store.resourceEvents).
-- Equality, all other queries ask of ids, is the same under any
-- deterministic collation. Only the unique index of ids is rebuilt: a
-- change of collation does not rewrite the table.
ALTER TABLE webhook_events ALTER COLUMN id TYPE TEXT COLLATE "C";

-- So webhook_events_audit keeps only the rows whose id does not start with
-- their own time (random ids written before ids were time-ordered), as
-- SQLite's 0017. The expression is store.prefixSQL's for PostgreSQL, and
-- the query repeats it term for term so that the planner may use this
-- partial index.
DROP INDEX webhook_events_audit;
CREATE INDEX webhook_events_audit ON webhook_events (audit_event_id)
    WHERE audit_event_id <> '' AND substr(id, 1, 16) <> 'inn_whe_' ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 3521614606208 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 56800235584 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 916132832 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 14776336 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 238328 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 3844 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 62 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) % 62 + 1)::int, 1);

-- Events derived from a notice have no audit event (audit_event_id ''):
-- found by their resource, in an index of them alone.
CREATE INDEX webhook_events_notice ON webhook_events (program_id, resource_id) WHERE audit_event_id = '';

-- The primary key is (program_id, seq), which webhook_events_program was:
-- every read of seqs names the program (the log, newest first; the
-- resource filter's seqs), so an index of seq alone was one B-tree more
-- per event that no query needed.
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_pkey;
DROP INDEX webhook_events_program;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_pkey PRIMARY KEY (program_id, seq);
