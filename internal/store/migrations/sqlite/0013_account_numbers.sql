-- Entity numbers for accounts (webhooks.md section 2; docs/decisions.md,
-- "Entity numbers"): every account gets a number from the counter users and
-- businesses take theirs from, so account.* webhooks name an account by a
-- numeric account_id. Internal (clearing) accounts are numbered too: one rule
-- for every insert, no Go code involved.
ALTER TABLE accounts ADD COLUMN entity_number INTEGER;

-- Existing accounts are numbered after every existing user and business, in
-- creation order (numbers increase and never repeat; they need not follow
-- creation order across tables).
UPDATE accounts SET entity_number = (SELECT last FROM entity_counter WHERE id = 1) + (
    SELECT n FROM (SELECT seq, row_number() OVER (ORDER BY created_at, seq) AS n FROM accounts) o
    WHERE o.seq = accounts.seq);
UPDATE entity_counter SET last = last + (SELECT count(*) FROM accounts) WHERE id = 1;

CREATE TRIGGER accounts_entity_number AFTER INSERT ON accounts WHEN NEW.entity_number IS NULL
BEGIN
    UPDATE entity_counter SET last = last + 1 WHERE id = 1;
    UPDATE accounts SET entity_number = (SELECT last FROM entity_counter WHERE id = 1) WHERE rowid = NEW.rowid;
END;
