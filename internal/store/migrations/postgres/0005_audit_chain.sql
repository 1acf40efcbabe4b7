-- Reserved for the tamper-evident audit chain (issue 5); filled in by that change.
SELECT 1;
