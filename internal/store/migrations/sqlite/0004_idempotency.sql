-- Idempotency keys (spec section 6), scoped to a program. A row is reserved
-- (status 0) before its call runs and completed with the exact answer
-- (status and body bytes) in the transaction that applies the change. token
-- identifies one reservation, so a request whose reservation was taken over
-- after its lease expired cannot complete it. Times are Unix milliseconds.
CREATE TABLE idempotency_keys (
    program_id    TEXT NOT NULL REFERENCES programs (id),
    idem_key      TEXT NOT NULL,
    endpoint      TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    token         TEXT NOT NULL,
    status        INTEGER NOT NULL DEFAULT 0,
    response_body BLOB,
    created_at    INTEGER NOT NULL,
    completed_at  INTEGER,
    PRIMARY KEY (program_id, idem_key)
);

-- Pruning deletes by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
