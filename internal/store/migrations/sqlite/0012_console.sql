-- The operator console (issue 16, sandbox.md section 3). A console token is
-- kept only as its SHA-256, as API keys are: it is 256 random bits, so a hash
-- without salt or stretching is as strong as the token. name is how the
-- operator appears in the audit trail (actor "operator:<name>").
CREATE TABLE console_tokens (
    name         TEXT PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0
);

-- A signed-in browser. id_hash is the SHA-256 of the session cookie's value,
-- so a copy of the database holds no usable session. Revoking a token
-- deletes its sessions in the same transaction. flash is the one-time notice
-- an action leaves for the page it redirects to (flash_kind ok or error).
CREATE TABLE console_sessions (
    id_hash    BLOB PRIMARY KEY,
    token_name TEXT NOT NULL REFERENCES console_tokens (name),
    flash_kind TEXT NOT NULL DEFAULT '',
    flash      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX console_sessions_token ON console_sessions (token_name);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

-- The review queue: users and businesses whose verification waits for a
-- human, per program, oldest first. Partial, so only pending rows are in
-- them and other writes never touch them. The rare states a list filters on
-- (user/get-all and the console's users page: blocked, rejected) get the
-- same, or a page of them walks every user of the program looking for 50
-- (measured: 0.5 s at a million users).
CREATE INDEX users_kyc_review ON users (program_id, created_at, id) WHERE kyc_status = 'pending';
CREATE INDEX users_kyc_rejected ON users (program_id, created_at, id) WHERE kyc_status = 'rejected';
CREATE INDEX users_blocked ON users (program_id, created_at, id) WHERE status = 'blocked';
CREATE INDEX businesses_kyb_review ON businesses (program_id, created_at, id) WHERE kyb_status = 'pending';

-- A user's or business's page checks each event of its trail against the
-- chain, which needs the program's event before it: one probe of this index
-- per event, instead of a walk back through every program's events.
CREATE INDEX events_program_seq ON events (program_id, seq);
