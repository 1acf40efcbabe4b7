-- Accounts and the double-entry ledger (money.md sections 2 and 3).
--
-- accounts holds every ledger account: the routable bank accounts (kind
-- master, user, business) and each program's internal clearing account,
-- which stands for the outside world and is never exposed. Its balances are
-- kept in step with its entries in the same transaction that writes them,
-- all in cents: posted (posted credits minus posted debits), pending_debits
-- and pending_credits; available = posted - pending_debits. Every change of a
-- balance holds the account's lock key (store.LockKey("account", id)), and
-- the CHECK is the second guard of the rule that an RBA's available balance
-- is never negative (the first is the check in the Work, under that lock).
-- user_id is the user whose account it is, or the owner of the business
-- whose account it is; both are NULL for the program's own accounts.
CREATE TABLE accounts (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    program_id      TEXT NOT NULL REFERENCES programs (id),
    kind            TEXT NOT NULL CHECK (kind IN ('master', 'user', 'business', 'clearing')),
    user_id         TEXT REFERENCES users (id),
    business_id     TEXT REFERENCES businesses (id),
    account_number  TEXT UNIQUE,
    status          TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'closed')),
    posted          INTEGER NOT NULL DEFAULT 0,
    pending_debits  INTEGER NOT NULL DEFAULT 0,
    pending_credits INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CHECK (pending_debits >= 0 AND pending_credits >= 0),
    CHECK (kind = 'clearing' OR posted - pending_debits >= 0)
);

CREATE UNIQUE INDEX accounts_one_master ON accounts (program_id) WHERE kind = 'master';
CREATE UNIQUE INDEX accounts_one_clearing ON accounts (program_id) WHERE kind = 'clearing';
CREATE INDEX accounts_program_created ON accounts (program_id, created_at, id);
CREATE INDEX accounts_user ON accounts (user_id, created_at, id);
CREATE INDEX accounts_business ON accounts (business_id, created_at, id);

-- How many account numbers the installation has issued: the n-th is
-- banking.AccountNumber(n). It only grows, so a number is never reused,
-- whatever is deleted.
CREATE TABLE account_numbers (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    issued INTEGER NOT NULL
);

-- A ledger transaction (money.md section 3.1). amount is in cents, always
-- positive; the entries say which way it went. source_account_id and
-- destination_account_id are ledger accounts (a clearing account for the
-- outside world's side); the entity columns name who owns them ('' for the
-- outside world). posting_date is 0 until it completes.
CREATE TABLE ledger_transactions (
    seq                     INTEGER PRIMARY KEY,
    id                      TEXT NOT NULL UNIQUE,
    program_id              TEXT NOT NULL REFERENCES programs (id),
    amount                  INTEGER NOT NULL CHECK (amount > 0),
    status                  TEXT NOT NULL,
    category                TEXT NOT NULL,
    method                  TEXT NOT NULL,
    originator_type         TEXT NOT NULL,
    originator_id           TEXT NOT NULL,
    source_account_id       TEXT NOT NULL REFERENCES accounts (id),
    destination_account_id  TEXT NOT NULL REFERENCES accounts (id),
    source_entity_type      TEXT NOT NULL DEFAULT '',
    source_entity_id        TEXT NOT NULL DEFAULT '',
    destination_entity_type TEXT NOT NULL DEFAULT '',
    destination_entity_id   TEXT NOT NULL DEFAULT '',
    description             TEXT NOT NULL DEFAULT '',
    reference               TEXT NOT NULL DEFAULT '',
    metadata                TEXT NOT NULL DEFAULT '{}',
    idempotent_key          TEXT NOT NULL DEFAULT '',
    failure_reason          TEXT NOT NULL DEFAULT '',
    posting_date            INTEGER NOT NULL DEFAULT 0,
    reversed_transaction_id TEXT NOT NULL DEFAULT '',
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    CHECK (source_account_id <> destination_account_id)
);

-- transactions/single finds a transaction by its reference or key too.
CREATE INDEX ledger_transactions_reference ON ledger_transactions (program_id, reference) WHERE reference <> '';
CREATE INDEX ledger_transactions_idem ON ledger_transactions (program_id, idempotent_key) WHERE idempotent_key <> '';

-- The entries of a ledger transaction: amount in cents, credits positive and
-- debits negative, summing to zero per transaction. Entries are written
-- once and never changed: their phase is their transaction's status
-- (pending: pending entries; completed or returned: posted; failed or
-- blocked: voided), so settling a transaction updates one row, not three.
-- Lists of an account's transactions walk ledger_entries_account, newest
-- first.
CREATE TABLE ledger_entries (
    seq            INTEGER PRIMARY KEY,
    program_id     TEXT NOT NULL REFERENCES programs (id),
    transaction_id TEXT NOT NULL REFERENCES ledger_transactions (id),
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    amount         INTEGER NOT NULL CHECK (amount <> 0),
    created_at     INTEGER NOT NULL
);

CREATE INDEX ledger_entries_account ON ledger_entries (account_id, created_at, seq);
-- No index by transaction: nothing on a request's path looks entries up by
-- their transaction (a transaction names its two accounts), and every
-- index is one more write per entry.

-- Every program existing before this migration gets its master RBA and its
-- clearing account, as every program created after it does in its creation
-- transaction (store/programs.go). The ids derive from the program's UUID
-- (banking.MasterAccountID, ClearingAccountID); account numbers are
-- banking.AccountNumber(n) for n = 1, 2, ... in program creation order.
INSERT INTO accounts (id, program_id, kind, account_number, status, created_at, updated_at)
SELECT 'rbac-' || substr(id, 6), id, 'master',
       CAST(1000000000 + ((rn % 9000000000) * 1000003 + 7777777) % 9000000000 AS TEXT),
       'active', created_at, created_at
FROM (SELECT id, created_at, row_number() OVER (ORDER BY created_at, id) AS rn FROM programs) AS p;

INSERT INTO accounts (id, program_id, kind, status, created_at, updated_at)
SELECT 'lacc-' || substr(id, 6), id, 'clearing', 'active', created_at, created_at FROM programs;

INSERT INTO account_numbers (id, issued) SELECT 1, count(*) FROM programs;
