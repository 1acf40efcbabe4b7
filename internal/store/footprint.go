package store

import "context"

// SearchFootprint reports how many bytes the search indexes take (SQLite's
// *_fts tables, PostgreSQL's GIN trigram indexes) and the whole database,
// so that their cost can be reported next to their speed (ingot bench
// after --bulk-db). On SQLite it reads every page's header through dbstat:
// about a second per 2 GB.
func (s *Store) SearchFootprint(ctx context.Context) (indexes, database int64, err error) {
	q := `SELECT (SELECT COALESCE(sum(pgsize), 0) FROM dbstat WHERE name LIKE '%\_fts\_%' ESCAPE '\'),
		(SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size())`
	if s.dialect.engine == Postgres {
		q = `SELECT (SELECT COALESCE(sum(pg_relation_size(c.oid)), 0) FROM pg_indexes i
				JOIN pg_class c ON c.relname = i.indexname AND c.relkind = 'i'
				WHERE i.schemaname = current_schema() AND i.indexdef LIKE '%gin_trgm_ops%'),
			pg_database_size(current_database())`
	}
	err = s.db.QueryRowContext(ctx, q).Scan(&indexes, &database)
	return indexes, database, s.translate(err)
}

// MergeSearchQueues merges the entries PostgreSQL's trigram indexes have
// queued since the last merge (their pending lists) into the indexes
// proper, and answers how many index pages it emptied; on SQLite, whose
// FTS5 tables queue nothing a search must read in full, it does nothing.
// A search reads the whole queue: a full one (1 MB, migration 0010) adds
// about 3 ms to each search of 1,000,000 users. The service calls this
// every second (service.New), so a burst of inserts costs searches at
// most a second of queue, while the inserts themselves still only append.
func (s *Store) MergeSearchQueues(ctx context.Context) (int64, error) {
	if s.dialect.engine != Postgres {
		return 0, nil
	}
	var pages int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(sum(gin_clean_pending_list(c.oid)), 0)
		FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname AND c.relkind = 'i'
		WHERE i.schemaname = current_schema() AND i.indexdef LIKE '%gin_trgm_ops%'`).Scan(&pages)
	return pages, s.translate(err)
}
