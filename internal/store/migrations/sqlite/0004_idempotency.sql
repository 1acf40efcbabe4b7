-- Reserved for idempotency keys (issue 5); filled in by that change.
SELECT 1;
