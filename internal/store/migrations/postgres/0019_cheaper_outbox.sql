-- Emitting a webhook event on PostgreSQL writes two index entries fewer
-- (docs/decisions.md, "What emitting costs"): each event's row entered five
-- B-trees (the table, seq, id, (program_id, seq) and audit_event_id), now
-- three (the table, id, (program_id, seq)), and the one partial index of
-- notices, which only a notice's event enters.

-- The id column collates as C, so that a range of ids is a range of their
-- prefixes (under a database's own collation, en_US say, it need not be)
-- and the unique index of ids finds an audit event's webhook events by the
-- prefix of its millisecond, as on SQLite since 0017 (store.resourceEvents).
-- Equality, all other queries ask of ids, is the same under any
-- deterministic collation. Only the unique index of ids is rebuilt: a
-- change of collation does not rewrite the table.
ALTER TABLE webhook_events ALTER COLUMN id TYPE TEXT COLLATE "C";

-- So no index of audit_event_id is needed for the events written from now
-- on: store.resourceEvents finds every event whose id starts with its audit
-- event's millisecond, which is every event the hook writes
-- (webhook.NewEventID(audit time)). The rows written before ids were
-- time-ordered (18d755f to f11369d: random ids) are copied, once, into a
-- table of their own that nothing writes again, and the resource filter
-- reads it instead. (A partial index of them, as SQLite's 0017, was first
-- written: PostgreSQL evaluates its WHERE, eight substr of created_at, at
-- every insert, and measured, the outbox insert cost more with it than with
-- the full index it replaced.) The expression is store.prefixSQL's for
-- PostgreSQL, as TestWebhookEventIndexesOnPostgres checks.
CREATE TABLE webhook_events_random (
    program_id     TEXT NOT NULL REFERENCES programs (id),
    audit_event_id TEXT NOT NULL,
    seq            BIGINT NOT NULL
);
INSERT INTO webhook_events_random (program_id, audit_event_id, seq)
    SELECT program_id, audit_event_id, seq FROM webhook_events
    WHERE audit_event_id <> '' AND substr(id, 1, 16) <> 'inn_whe_' ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 3521614606208 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 56800235584 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 916132832 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 14776336 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 238328 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 3844 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) / 62 % 62 + 1)::int, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (greatest(created_at, 0) % 62 + 1)::int, 1);
CREATE INDEX webhook_events_random_audit ON webhook_events_random (audit_event_id);
DROP INDEX webhook_events_audit;

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
