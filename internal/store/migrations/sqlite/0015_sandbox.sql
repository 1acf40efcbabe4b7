-- The sandbox control plane (sandbox.md section 1).
--
-- A program's clock is the real time plus offset_ms, which only grows
-- (sandbox/clock/advance); no row means no offset. Jobs keep their run_at in
-- real time: an advance moves the program's waiting jobs earlier by as much
-- as it moves the clock, in the same transaction (store/sandbox_clock.go).
CREATE TABLE sandbox_clocks (
    program_id TEXT PRIMARY KEY REFERENCES programs (id),
    offset_ms  INTEGER NOT NULL CHECK (offset_ms >= 0)
);

-- Injected faults (sandbox/faults/set): one per program and API path ('*'
-- for every path). status 0 is a latency-only fault. remaining is how many
-- more calls it faults (NULL: unlimited); a faulted call decrements it in
-- its own statement, so a count is honoured exactly across processes.
CREATE TABLE sandbox_faults (
    program_id  TEXT NOT NULL REFERENCES programs (id),
    path        TEXT NOT NULL,
    status      INTEGER NOT NULL,
    code        TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL DEFAULT '',
    probability REAL NOT NULL,
    remaining   INTEGER,
    latency_ms  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (program_id, path)
);
