-- The tamper-evident audit trail (issue 5). Each event carries the SHA-256
-- (hex) of its canonical content, which includes prev_hash: the hash of the
-- program's previous event ('' for the first). The encoding is documented in
-- internal/store/audit.go. Events written before this migration keep NULL
-- hashes: a legacy prefix that "ingot audit verify" counts but cannot vouch
-- for (a migration cannot compute SHA-256 portably in SQL).
ALTER TABLE events ADD COLUMN prev_hash TEXT;
ALTER TABLE events ADD COLUMN hash TEXT;

-- One row per program: the head of its chain. Every event-writing
-- transaction locks this row (PostgreSQL: SELECT ... FOR UPDATE; SQLite
-- writers are serialized by BEGIN IMMEDIATE), so two transactions never chain
-- onto the same event. n and last_hash let verify notice deleted tail events.
CREATE TABLE audit_heads (
    program_id TEXT PRIMARY KEY REFERENCES programs (id),
    n          BIGINT NOT NULL,
    last_hash  TEXT NOT NULL
);
