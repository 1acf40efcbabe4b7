-- Substring search without scanning every user: a trigram GIN index serves
-- search_text LIKE '%term%' for terms of three characters or more.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_search_trgm ON users USING gin (search_text gin_trgm_ops);

-- Per-program counts by status and KYC status, so a page's total costs a few
-- rows instead of a count over every user. slot spreads concurrent writers of
-- one program over several rows, so creates do not queue on one row lock.
CREATE TABLE user_counts (
    program_id TEXT NOT NULL REFERENCES programs (id),
    status     TEXT NOT NULL,
    kyc_status TEXT NOT NULL,
    slot       INTEGER NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (program_id, status, kyc_status, slot)
);
INSERT INTO user_counts (program_id, status, kyc_status, slot, n)
SELECT program_id, status, kyc_status, 0, count(*) FROM users GROUP BY program_id, status, kyc_status;
