-- (PostgreSQL's 0018 leaves more room on payment_intents' pages for their
-- status updates; SQLite has no such setting.)
SELECT 1;
