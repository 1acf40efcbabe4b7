package store

import "context"

// LargestGroup reports the most mutations one committed transaction of s
// held, so tests can see group commit happen.
func LargestGroup(s *Store) int64 { return s.committer.largest.Load() }

// Deadlocks reports how many groups of s PostgreSQL aborted as deadlock
// victims.
func Deadlocks(s *Store) int64 { return s.committer.deadlocks.Load() }

// SetSortMatchesUpTo changes how many matches of a search listPage sorts
// itself before it walks the list instead, until the returned func runs:
// 0 sends every search with a match down the walk.
func SetSortMatchesUpTo(n int) (restore func()) {
	old := sortMatchesUpTo
	sortMatchesUpTo = n
	return func() { sortMatchesUpTo = old }
}

// ProbeFor is the stretch of term a search of table asks the index for.
func ProbeFor(ctx context.Context, s *Store, table, term string) string {
	return s.probe(ctx, table, term)
}
