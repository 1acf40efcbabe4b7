-- PostgreSQL's 0019 drops its index of audit event ids (SQLite's has been
-- partial since 0017) and copies the events written with random ids into
-- webhook_events_random, which its resource filter reads instead; its
-- primary key becomes (program_id, seq). SQLite keeps its partial index
-- and its rowid table: this table exists, empty and never written, so that
-- the two engines' schemas stay the same (TestSchemaParity).
CREATE TABLE webhook_events_random (
    program_id     TEXT NOT NULL REFERENCES programs (id),
    audit_event_id TEXT NOT NULL,
    seq            INTEGER NOT NULL
);
