-- Emitting a webhook event writes one index entry fewer, and a delivery job
-- one fewer (docs/decisions.md, "What emitting costs"): on SQLite every
-- B-tree a group's commit touches is a page more through the one writer.

-- webhook_events_audit found a resource's events from its audit events
-- (store.WebhookEvents). An event's id starts with the Unix milliseconds of
-- its audit event in base 62 (webhook.NewEventID, called with the audit
-- event's time), so the unique index of ids finds them instead: the ids of
-- that millisecond, then the row's audit_event_id. Only rows whose id does
-- not start with their own time are kept in the index: events written
-- before ids were time-ordered (their ids are random), and any whose
-- occurred_at is not its audit event's time. Every other event adds no
-- entry. The expression is store.eventIDPrefixSQL's, and the query repeats
-- it term for term so that SQLite may use this partial index.
DROP INDEX webhook_events_audit;
CREATE INDEX webhook_events_audit ON webhook_events (audit_event_id)
    WHERE audit_event_id <> '' AND substr(id, 1, 16) <> 'inn_whe_' ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', max(created_at, 0) / 3521614606208 % 62 + 1, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', max(created_at, 0) / 56800235584 % 62 + 1, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', max(created_at, 0) / 916132832 % 62 + 1, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', max(created_at, 0) / 14776336 % 62 + 1, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', max(created_at, 0) / 238328 % 62 + 1, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', max(created_at, 0) / 3844 % 62 + 1, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', max(created_at, 0) / 62 % 62 + 1, 1) ||
        substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', max(created_at, 0) % 62 + 1, 1);

-- Events derived from a notice have no audit event (audit_event_id ''):
-- found by their resource, in an index of them alone.
CREATE INDEX webhook_events_notice ON webhook_events (program_id, resource_id) WHERE audit_event_id = '';

-- Every runner claims its own kinds of jobs through jobs_kind_due (even
-- with jobs_due there, SQLite's plan for a claim of several kinds is
-- jobs_kind_due and a sort), so jobs_due only cost every job's insert, claim
-- and deletion an entry. PostgreSQL keeps it: its planner, with statistics,
-- may walk it for a claim.
DROP INDEX jobs_due;
