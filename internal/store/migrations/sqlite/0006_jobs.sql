-- Durable jobs (internal/store/jobs.go): work scheduled in the same
-- transaction as the change that causes it and run later by exactly one
-- process. run_at is when the job is due (Unix milliseconds); a claim moves it
-- to the end of the claim's lease and sets token, so a job whose process died
-- comes due again by itself. token '' means unclaimed.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL DEFAULT '',
    run_at     INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    token      TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

-- Claims walk due jobs in run_at order; PullJobsIn walks one kind's later ones.
CREATE INDEX jobs_due ON jobs (run_at);
CREATE INDEX jobs_kind_due ON jobs (kind, run_at);
-- A program's jobs, for the sandbox clock and reset.
CREATE INDEX jobs_program ON jobs (program_id);
