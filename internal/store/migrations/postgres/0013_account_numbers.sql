-- Entity numbers for accounts (webhooks.md section 2; docs/decisions.md,
-- "Entity numbers"): every account gets a number from the sequence users and
-- businesses take theirs from, so account.* webhooks name an account by a
-- numeric account_id. Internal (clearing) accounts are numbered too: one rule
-- for every insert, no Go code involved.
ALTER TABLE accounts ADD COLUMN entity_number BIGINT;

-- Existing accounts are numbered after every existing user and business, in
-- creation order (numbers increase and never repeat; they need not follow
-- creation order across tables).
CREATE TEMPORARY TABLE account_order ON COMMIT DROP AS
    SELECT id, (SELECT last FROM entity_counter) + row_number() OVER (ORDER BY created_at, seq) AS n
    FROM accounts;
UPDATE accounts a SET entity_number = o.n FROM account_order o WHERE o.id = a.id;
WITH top AS (SELECT GREATEST((SELECT max(n) FROM account_order), (SELECT last FROM entity_counter)) AS last)
SELECT setval('entity_number_seq', GREATEST(COALESCE(top.last, 0), 1), COALESCE(top.last, 0) > 0) FROM top;

ALTER TABLE accounts ALTER COLUMN entity_number SET DEFAULT nextval('entity_number_seq'),
    ALTER COLUMN entity_number SET NOT NULL;
