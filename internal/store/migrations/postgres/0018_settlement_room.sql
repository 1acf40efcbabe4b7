-- More room on payment_intents' pages for their status updates (0016 left
-- 30 %). A backlog settles the intents in the order they were written, so
-- one group's transaction updates most rows of a page; none of those
-- versions can be pruned before it commits, and at fillfactor 70 only
-- about half of a page's updates still fit on it: the rest were new
-- versions on other pages, inserted again into every index, the trigram
-- GIN index included (make bench's backlog step: 48 % heap-only). At 50
-- every row's first update fits beside it (docs/decisions.md). Only pages
-- written from now on keep the room.
ALTER TABLE payment_intents SET (fillfactor = 50);
