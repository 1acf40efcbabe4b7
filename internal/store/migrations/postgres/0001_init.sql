-- Programs are tenants. The API key is kept only as its SHA-256; the HMAC
-- secret is sealed with the master key.
CREATE TABLE programs (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    api_key_hash  BYTEA NOT NULL UNIQUE,
    hmac_username TEXT NOT NULL UNIQUE,
    hmac_secret   BYTEA NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Times are Unix milliseconds in both engines: one representation, exact
-- ordering, no time-zone conversions at the driver.
-- seq mirrors SQLite's stable integer key, kept for schema parity and
-- keyset pagination.
CREATE TABLE users (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY,
    id             TEXT PRIMARY KEY,
    program_id     TEXT NOT NULL REFERENCES programs (id),
    first_name     TEXT NOT NULL,
    middle_name    TEXT NOT NULL DEFAULT '',
    last_name      TEXT NOT NULL,
    email          TEXT NOT NULL,
    email_norm     TEXT NOT NULL,
    phone_number   TEXT NOT NULL,
    date_of_birth  TEXT NOT NULL DEFAULT '',
    address_one    TEXT NOT NULL,
    address_two    TEXT NOT NULL DEFAULT '',
    city           TEXT NOT NULL,
    state          TEXT NOT NULL,
    country        TEXT NOT NULL,
    postal_code    TEXT NOT NULL,
    ssn_sealed     BYTEA,
    ssn_last_4     TEXT NOT NULL DEFAULT '',
    username       TEXT NOT NULL DEFAULT '',
    terms_accepted BOOLEAN NOT NULL DEFAULT FALSE,
    meta_data      TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL,
    kyc_status     TEXT NOT NULL,
    kyc_reason     TEXT NOT NULL DEFAULT '',
    search_text    TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (program_id, email_norm)
);

CREATE INDEX users_program_created ON users (program_id, created_at, id);
CREATE INDEX users_kyc_pending ON users (kyc_status) WHERE kyc_status = 'pending';

-- The audit trail. seq orders events exactly, even within one millisecond.
CREATE TABLE events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    program_id TEXT NOT NULL REFERENCES programs (id),
    subject_id TEXT NOT NULL,
    type       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    changes    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX events_subject ON events (program_id, subject_id, seq);
