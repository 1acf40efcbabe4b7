-- Substring search without scanning every user: an FTS5 index with the
-- trigram tokenizer over users.search_text (external content: the index holds
-- trigrams only and reads text from users). Triggers keep it in step inside
-- the same transaction as the change.
CREATE VIRTUAL TABLE users_fts USING fts5(
    search_text, content = 'users', content_rowid = 'seq', tokenize = 'trigram'
);
INSERT INTO users_fts (users_fts) VALUES ('rebuild');

CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
END;
CREATE TRIGGER users_fts_update AFTER UPDATE OF search_text ON users
WHEN old.search_text <> new.search_text BEGIN
    INSERT INTO users_fts (users_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
    INSERT INTO users_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;

-- Per-program counts by status and KYC status, so a page's total costs a few
-- rows instead of a count over every user. slot spreads concurrent writers of
-- one program over several rows on engines with row locks; SQLite uses slot 0.
CREATE TABLE user_counts (
    program_id TEXT NOT NULL REFERENCES programs (id),
    status     TEXT NOT NULL,
    kyc_status TEXT NOT NULL,
    slot       INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (program_id, status, kyc_status, slot)
);
INSERT INTO user_counts (program_id, status, kyc_status, slot, n)
SELECT program_id, status, kyc_status, 0, count(*) FROM users GROUP BY program_id, status, kyc_status;
