-- The sandbox's generated master key when the database is PostgreSQL (SQLite
-- sandboxes keep theirs in a file next to the database). It protects nothing
-- against someone who can read the database: production sets
-- INGOT_MASTER_KEY or --master-key-file and never touches this table.
CREATE TABLE sandbox_master_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    key_base64 TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
