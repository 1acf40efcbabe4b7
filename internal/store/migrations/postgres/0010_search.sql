-- Searches read the trigram indexes on every request (issue 18). A GIN
-- index queues new entries in a pending list that every search reads in
-- full until it is merged: with the default 4 MB, 2,000 users created since
-- the last merge added 5 to 12 ms to each search of 1,000,000 users.
-- Without the list (fastupdate = off) each insert writes its trigrams into
-- the index itself: 20,000 bulk users took 10 s instead of 2.6 s, and API
-- creates ran at 670 a second instead of 1,370. 1 MB keeps bulk loads near
-- the default's speed (3.5 s) and bounds what a search reads; the service
-- merges the list every second besides (store.MergeSearchQueues).
ALTER INDEX users_search_trgm SET (gin_pending_list_limit = 1024);
ALTER INDEX businesses_search_trgm SET (gin_pending_list_limit = 1024);
