-- Webhooks (webhooks.md, issue 14).
--
-- Entity numbers: every user and business (and, with the ledger, every
-- account) gets a number when it is created, from one sequence shared by all
-- of them, so the numbers of a program's entities increase in creation order
-- and never repeat (webhooks.md section 2: entity ids in webhooks are numeric
-- strings). No Go code assigns them: the column default takes nextval.
-- (A rolled-back insert leaves a gap; numbers are unique and increasing, not
-- dense.)
CREATE SEQUENCE entity_number_seq;

ALTER TABLE users ADD COLUMN entity_number BIGINT;
ALTER TABLE businesses ADD COLUMN entity_number BIGINT;

-- Existing rows are numbered in creation order, users before businesses
-- created in the same millisecond (a business's user always exists first).
CREATE TEMPORARY TABLE entity_order ON COMMIT DROP AS
    SELECT kind, id, row_number() OVER (ORDER BY created_at, kind, seq) AS n FROM (
        SELECT 0 AS kind, id, created_at, seq FROM users
        UNION ALL SELECT 1, id, created_at, seq FROM businesses) e;
UPDATE users u SET entity_number = o.n FROM entity_order o WHERE o.kind = 0 AND o.id = u.id;
UPDATE businesses b SET entity_number = o.n FROM entity_order o WHERE o.kind = 1 AND o.id = b.id;
SELECT setval('entity_number_seq', GREATEST((SELECT count(*) FROM entity_order), 1),
    (SELECT count(*) FROM entity_order) > 0);

ALTER TABLE users ALTER COLUMN entity_number SET DEFAULT nextval('entity_number_seq'),
    ALTER COLUMN entity_number SET NOT NULL;
ALTER TABLE businesses ALTER COLUMN entity_number SET DEFAULT nextval('entity_number_seq'),
    ALTER COLUMN entity_number SET NOT NULL;

-- The last number handed out, as SQLite's counter row shows it, so both
-- engines answer "SELECT last FROM entity_counter" alike.
CREATE VIEW entity_counter AS
    SELECT 1 AS id, CASE WHEN is_called THEN last_value ELSE 0 END AS last FROM entity_number_seq;

-- A program's one webhook endpoint (section 1). events is the subscribed
-- event types, comma-separated, '' for all. status is enabled or disabled;
-- failing_since is when the first of an unbroken run of failed attempts
-- was made (0 while the last attempt succeeded): three days of it disable
-- the endpoint. version grows with every change, so caches of the row can
-- tell they are stale.
CREATE TABLE webhook_endpoints (
    program_id      TEXT PRIMARY KEY REFERENCES programs (id),
    url             TEXT NOT NULL,
    events          TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    disabled_reason TEXT NOT NULL DEFAULT '',
    failing_since   BIGINT NOT NULL DEFAULT 0,
    version         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- Signing secrets, sealed with the master key (associated data
-- "webhook-secret:" + id). expires_at is NULL for the current secret; a
-- rotated one keeps signing until expires_at (24 hours).
CREATE TABLE webhook_secrets (
    id            TEXT PRIMARY KEY,
    program_id    TEXT NOT NULL REFERENCES programs (id),
    secret_sealed BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT
);

CREATE INDEX webhook_secrets_program ON webhook_secrets (program_id);

-- The outbox and delivery log (sections 4 and 5): one row per webhook
-- event, written in the transaction of the change it reports, with the
-- exact body every attempt sends and the state of its delivery (pending,
-- delivered, failed). audit_event_id names the audit event it derives from
-- ('' for a notice, which changed nothing and has none).
CREATE TABLE webhook_events (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    program_id       TEXT NOT NULL REFERENCES programs (id),
    type             TEXT NOT NULL,
    resource_id      TEXT NOT NULL,
    audit_event_id   TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    next_attempt_at  BIGINT,
    delivered_at     BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

-- Every index here grows at its end (seq, time-ordered event ids, the
-- audit events' UUIDv7 ids), so writing an event dirties no random page.
-- A resource's events are found through the audit trail's own index of
-- subjects (resource_id is always the audit event's subject).
CREATE INDEX webhook_events_program ON webhook_events (program_id, seq);
CREATE INDEX webhook_events_audit ON webhook_events (audit_event_id);
