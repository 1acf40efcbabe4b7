-- Webhooks (webhooks.md, issue 14).
--
-- Entity numbers: every user and business (and, with the ledger, every
-- account) gets a number when it is created, from one counter shared by all
-- of them, so the numbers of a program's entities increase in creation order
-- and never repeat (webhooks.md section 2: entity ids in webhooks are numeric
-- strings). No Go code assigns them: SQLite bumps the one counter row in an
-- AFTER INSERT trigger, PostgreSQL takes nextval of one sequence as the
-- column default.
CREATE TABLE entity_counter (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);

ALTER TABLE users ADD COLUMN entity_number INTEGER;
ALTER TABLE businesses ADD COLUMN entity_number INTEGER;

-- Existing rows are numbered in creation order, users before businesses
-- created in the same millisecond (a business's user always exists first).
UPDATE users SET entity_number = (
    SELECT n FROM (
        SELECT kind, id, row_number() OVER (ORDER BY created_at, kind, seq) AS n FROM (
            SELECT 0 AS kind, id, created_at, seq FROM users
            UNION ALL SELECT 1, id, created_at, seq FROM businesses)) o
    WHERE o.kind = 0 AND o.id = users.id);
UPDATE businesses SET entity_number = (
    SELECT n FROM (
        SELECT kind, id, row_number() OVER (ORDER BY created_at, kind, seq) AS n FROM (
            SELECT 0 AS kind, id, created_at, seq FROM users
            UNION ALL SELECT 1, id, created_at, seq FROM businesses)) o
    WHERE o.kind = 1 AND o.id = businesses.id);
INSERT INTO entity_counter (id, last)
    VALUES (1, (SELECT count(*) FROM users) + (SELECT count(*) FROM businesses));

CREATE TRIGGER users_entity_number AFTER INSERT ON users WHEN NEW.entity_number IS NULL
BEGIN
    UPDATE entity_counter SET last = last + 1 WHERE id = 1;
    UPDATE users SET entity_number = (SELECT last FROM entity_counter WHERE id = 1) WHERE seq = NEW.seq;
END;

CREATE TRIGGER businesses_entity_number AFTER INSERT ON businesses WHEN NEW.entity_number IS NULL
BEGIN
    UPDATE entity_counter SET last = last + 1 WHERE id = 1;
    UPDATE businesses SET entity_number = (SELECT last FROM entity_counter WHERE id = 1) WHERE seq = NEW.seq;
END;

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
    failing_since   INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Signing secrets, sealed with the master key (associated data
-- "webhook-secret:" + id). expires_at is NULL for the current secret; a
-- rotated one keeps signing until expires_at (24 hours).
CREATE TABLE webhook_secrets (
    id            TEXT PRIMARY KEY,
    program_id    TEXT NOT NULL REFERENCES programs (id),
    secret_sealed BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER
);

CREATE INDEX webhook_secrets_program ON webhook_secrets (program_id);

-- The outbox and delivery log (sections 4 and 5): one row per webhook
-- event, written in the transaction of the change it reports, with the
-- exact body every attempt sends and the state of its delivery (pending,
-- delivered, failed). audit_event_id names the audit event it derives from
-- ('' for a notice, which changed nothing and has none).
CREATE TABLE webhook_events (
    seq              INTEGER PRIMARY KEY,
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
    next_attempt_at  INTEGER,
    delivered_at     INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- Every index here grows at its end (seq, time-ordered event ids, the
-- audit events' UUIDv7 ids), so writing an event dirties no random page.
-- A resource's events are found through the audit trail's own index of
-- subjects (resource_id is always the audit event's subject).
CREATE INDEX webhook_events_program ON webhook_events (program_id, seq);
CREATE INDEX webhook_events_audit ON webhook_events (audit_event_id);
