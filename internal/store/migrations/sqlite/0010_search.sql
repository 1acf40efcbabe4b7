-- business/get-all's search through an index, as users_fts serves
-- user/get-all (issue 18): an FTS5 trigram index over businesses.search_text
-- (external content: the index holds trigrams only and reads the text from
-- businesses), kept in step by triggers inside the same transaction as the
-- change. The index proposes candidates; every one is checked with instr,
-- so the tokenizer's case folding cannot change what matches (search.go).
CREATE VIRTUAL TABLE businesses_fts USING fts5(
    search_text, content = 'businesses', content_rowid = 'seq', tokenize = 'trigram'
);
INSERT INTO businesses_fts (businesses_fts) VALUES ('rebuild');

CREATE TRIGGER businesses_fts_insert AFTER INSERT ON businesses BEGIN
    INSERT INTO businesses_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER businesses_fts_delete AFTER DELETE ON businesses BEGIN
    INSERT INTO businesses_fts (businesses_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
END;
CREATE TRIGGER businesses_fts_update AFTER UPDATE OF search_text ON businesses
WHEN old.search_text <> new.search_text BEGIN
    INSERT INTO businesses_fts (businesses_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
    INSERT INTO businesses_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
