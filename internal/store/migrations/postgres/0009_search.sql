-- Searches read the trigram indexes on every request (issue 18). A GIN
-- index with fastupdate queues new entries in a pending list that every
-- search then reads in full until VACUUM merges it: 2,000 users created
-- since the last VACUUM added 5 to 12 ms to each search of 1,000,000 users.
-- Without it each insert writes its trigrams into the index itself.
ALTER INDEX users_search_trgm SET (fastupdate = off);
ALTER INDEX businesses_search_trgm SET (fastupdate = off);
SELECT gin_clean_pending_list('users_search_trgm');
SELECT gin_clean_pending_list('businesses_search_trgm');
