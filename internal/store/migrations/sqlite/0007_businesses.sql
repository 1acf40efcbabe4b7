-- Businesses, their beneficial owners, the owners' documents and the
-- businesses' contacts (businesses.md). Every row carries its program, so a
-- query scoped to a program never reads another's. Times are Unix
-- milliseconds; seq orders rows of one business exactly as they were added
-- (they are added under the business's lock).
CREATE TABLE businesses (
    seq                    INTEGER PRIMARY KEY,
    id                     TEXT NOT NULL UNIQUE,
    program_id             TEXT NOT NULL REFERENCES programs (id),
    user_id                TEXT NOT NULL REFERENCES users (id),
    name                   TEXT NOT NULL,
    dba                    TEXT NOT NULL DEFAULT '',
    ein                    TEXT NOT NULL,
    business_type          TEXT NOT NULL,
    business_industry      TEXT NOT NULL DEFAULT '',
    business_description   TEXT NOT NULL DEFAULT '',
    naics_code             TEXT NOT NULL DEFAULT '',
    incorporated_date      TEXT NOT NULL DEFAULT '',
    incorporated_state     TEXT NOT NULL DEFAULT '',
    business_email         TEXT NOT NULL,
    business_phone_number  TEXT NOT NULL,
    support_email          TEXT NOT NULL DEFAULT '',
    support_phone_number   TEXT NOT NULL DEFAULT '',
    address_one            TEXT NOT NULL,
    address_two            TEXT NOT NULL DEFAULT '',
    city                   TEXT NOT NULL,
    state                  TEXT NOT NULL,
    country                TEXT NOT NULL,
    postal_code            TEXT NOT NULL,
    support_address_one    TEXT NOT NULL DEFAULT '',
    support_address_two    TEXT NOT NULL DEFAULT '',
    support_city           TEXT NOT NULL DEFAULT '',
    support_state          TEXT NOT NULL DEFAULT '',
    support_zipcode        TEXT NOT NULL DEFAULT '',
    support_country        TEXT NOT NULL DEFAULT '',
    business_proof         TEXT NOT NULL DEFAULT '',
    personal_id            TEXT NOT NULL DEFAULT '',
    logo                   TEXT NOT NULL DEFAULT '',
    business_rep_name      TEXT NOT NULL DEFAULT '',
    business_rep_email     TEXT NOT NULL DEFAULT '',
    business_rep_job_title TEXT NOT NULL DEFAULT '',
    business_rep_dob       TEXT NOT NULL DEFAULT '',
    business_rep_address   TEXT NOT NULL DEFAULT '',
    business_rep_address_2 TEXT NOT NULL DEFAULT '',
    business_rep_zipcode   TEXT NOT NULL DEFAULT '',
    business_rep_city      TEXT NOT NULL DEFAULT '',
    business_rep_state     TEXT NOT NULL DEFAULT '',
    business_rep_country   TEXT NOT NULL DEFAULT '',
    business_rep_phone     TEXT NOT NULL DEFAULT '',
    meta_data              TEXT NOT NULL DEFAULT '[]',
    status                 TEXT NOT NULL,
    kyb_status             TEXT NOT NULL,
    kyb_reason             TEXT NOT NULL DEFAULT '',
    search_text            TEXT NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    -- An EIN names one business of a program (409 on a second one).
    UNIQUE (program_id, ein)
);

CREATE INDEX businesses_program_created ON businesses (program_id, created_at, id);
CREATE INDEX businesses_user_created ON businesses (user_id, created_at, id);
-- Substring search (business/get-all) reads the program's businesses with
-- LIKE: a program has far fewer businesses than users, and an FTS table
-- like users_fts would be one more structure to keep in step.

-- ownership is in hundredths of a percent, so that sums are exact.
CREATE TABLE business_owners (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    program_id    TEXT NOT NULL REFERENCES programs (id),
    business_id   TEXT NOT NULL REFERENCES businesses (id),
    name          TEXT NOT NULL,
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL,
    phone_number  TEXT NOT NULL,
    address       TEXT NOT NULL,
    date_of_birth TEXT NOT NULL DEFAULT '',
    ownership     INTEGER NOT NULL DEFAULT 0,
    ssn_sealed    BLOB,
    ssn_last_4    TEXT NOT NULL DEFAULT '',
    kyc_status    TEXT NOT NULL,
    kyc_reason    TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE INDEX business_owners_business ON business_owners (business_id, seq);

CREATE TABLE business_documents (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    program_id    TEXT NOT NULL REFERENCES programs (id),
    business_id   TEXT NOT NULL REFERENCES businesses (id),
    owner_id      TEXT NOT NULL REFERENCES business_owners (id),
    document_type TEXT NOT NULL,
    file_url      TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE INDEX business_documents_owner ON business_documents (owner_id, seq);
CREATE INDEX business_documents_business ON business_documents (business_id);

-- A user created with a business_id is that business's contact, and only
-- that one's.
CREATE TABLE business_contacts (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    program_id   TEXT NOT NULL REFERENCES programs (id),
    business_id  TEXT NOT NULL REFERENCES businesses (id),
    user_id      TEXT NOT NULL UNIQUE REFERENCES users (id),
    contact_type TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE INDEX business_contacts_business ON business_contacts (business_id, created_at, id);
