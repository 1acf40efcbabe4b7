-- External money movement (money.md sections 2.3, 4.2-4.5 and 6).
--
-- linked_accounts are bank accounts outside the installation that a user,
-- a business (through its user) or the program itself has linked. The full
-- account number is sealed by the vault (account_number_sealed, associated
-- data "bank-account:" || id) and never stored in clear; account_number_index
-- is a keyed hash (HMAC under a key derived from the master key) of the
-- routing and account numbers, so that saving the same account again finds
-- the existing row without the plaintext. owner_id is the user's, the
-- business's or the program's id: one owner never has the same account twice.
CREATE TABLE linked_accounts (
    seq                   BIGINT GENERATED ALWAYS AS IDENTITY,
    id                    TEXT PRIMARY KEY,
    program_id            TEXT NOT NULL REFERENCES programs (id),
    owner_type            TEXT NOT NULL CHECK (owner_type IN ('user', 'business', 'program')),
    owner_id              TEXT NOT NULL,
    user_id               TEXT REFERENCES users (id),
    business_id           TEXT REFERENCES businesses (id),
    first_name            TEXT NOT NULL,
    last_name             TEXT NOT NULL,
    account_type          TEXT NOT NULL CHECK (account_type IN ('checking', 'savings')),
    routing_number        TEXT NOT NULL,
    account_number_last_4 TEXT NOT NULL,
    account_number_sealed BYTEA NOT NULL,
    account_number_index  TEXT NOT NULL,
    bank_name             TEXT NOT NULL DEFAULT '',
    source_platform       TEXT NOT NULL DEFAULT 'manual',
    status                TEXT NOT NULL DEFAULT 'active',
    address_one           TEXT NOT NULL DEFAULT '',
    city                  TEXT NOT NULL DEFAULT '',
    state                 TEXT NOT NULL DEFAULT '',
    postal_code           TEXT NOT NULL DEFAULT '',
    country               TEXT NOT NULL DEFAULT '',
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE UNIQUE INDEX linked_accounts_owner_number ON linked_accounts (program_id, owner_id, account_number_index);
CREATE INDEX linked_accounts_program_created ON linked_accounts (program_id, created_at, id);
CREATE INDEX linked_accounts_user ON linked_accounts (user_id, created_at, id);

-- A payment intent (money.md section 6): one per external movement, its
-- status kept in step with its transaction's in the Work that changes it.
-- Searchable through the shared mechanism (store/search.go): search_text
-- holds its id, its transaction's id, the entity, description, reference and
-- idempotent_key.
CREATE TABLE payment_intents (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY,
    id                TEXT PRIMARY KEY,
    program_id        TEXT NOT NULL REFERENCES programs (id),
    transaction_id    TEXT NOT NULL UNIQUE REFERENCES ledger_transactions (id),
    linked_account_id TEXT NOT NULL REFERENCES linked_accounts (id),
    amount            BIGINT NOT NULL CHECK (amount > 0),
    direction         TEXT NOT NULL,
    action            TEXT NOT NULL,
    category          TEXT NOT NULL,
    status            TEXT NOT NULL,
    entity_type       TEXT NOT NULL,
    entity_id         TEXT NOT NULL,
    idempotent_key    TEXT NOT NULL DEFAULT '',
    posting_date      BIGINT NOT NULL DEFAULT 0,
    metadata          TEXT NOT NULL DEFAULT '{}',
    search_text       TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE INDEX payment_intents_program_created ON payment_intents (program_id, created_at, id);

CREATE INDEX payment_intents_search_trgm ON payment_intents USING gin (search_text gin_trgm_ops);
ALTER INDEX payment_intents_search_trgm SET (gin_pending_list_limit = 1024);

-- transactions/report and the summary read a program's transactions by
-- creation time; `ingot transfers list --status pending` and the settlement
-- of a manual rail read the pending ones.
CREATE INDEX ledger_transactions_program_created ON ledger_transactions (program_id, created_at, seq);
CREATE INDEX ledger_transactions_pending ON ledger_transactions (created_at, seq) WHERE status = 'pending';

-- overdraft is what an RBA owes: the part of a return (an ACH return of a
-- top-up after its money was spent) that its balance did not cover. The
-- return's entry debits the account in full; posted drops only by what was
-- available, so available_balance never goes below zero, and the account's
-- entries sum to posted - overdraft (docs/decisions.md).
ALTER TABLE accounts ADD COLUMN overdraft BIGINT NOT NULL DEFAULT 0 CHECK (overdraft >= 0);
