-- Credits repay an account's overdraft first (docs/decisions.md). Before
-- this rule, money that reached an account owing an overdraft (a credit, or
-- reserved funds a failed payout released) became available while the debt
-- stayed; it repays now what it would have repaid then: the smaller of the
-- overdraft and the available balance. posted and overdraft drop together,
-- so the entries still sum to posted - overdraft.
UPDATE accounts SET
    posted = posted - CASE WHEN overdraft < posted - pending_debits THEN overdraft ELSE posted - pending_debits END,
    overdraft = overdraft - CASE WHEN overdraft < posted - pending_debits THEN overdraft ELSE posted - pending_debits END
WHERE overdraft > 0 AND posted - pending_debits > 0;

-- (PostgreSQL's 0016 also leaves room on payment_intents' pages for their
-- status updates; SQLite has no such setting.)
