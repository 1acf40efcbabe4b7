-- Credentials a rotation replaced ("ingot program rotate-credentials"). The
-- programs row always holds the current credentials; a rotation moves the
-- ones it replaces here, where they keep authenticating their program until
-- expires_at (Unix milliseconds), the end of the grace period. Rows are kept
-- after that so a refused request can be told why (the sandbox's 401 hint).
-- As in programs, the API key is kept only as its SHA-256 and the HMAC secret
-- sealed with the master key (associated data: the HMAC username).
CREATE TABLE retired_credentials (
    hmac_username TEXT PRIMARY KEY,
    program_id    TEXT NOT NULL REFERENCES programs (id),
    api_key_hash  BYTEA NOT NULL UNIQUE,
    hmac_secret   BYTEA NOT NULL,
    retired_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);

-- A program's retired credentials, read with the program on every signing
-- lookup that misses the cache.
CREATE INDEX retired_credentials_program ON retired_credentials (program_id);
