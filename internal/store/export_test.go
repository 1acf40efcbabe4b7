package store

// LargestGroup reports the most mutations one committed transaction of s
// held, so tests can see group commit happen.
func LargestGroup(s *Store) int64 { return s.committer.largest.Load() }

// Deadlocks reports how many groups of s PostgreSQL aborted as deadlock
// victims.
func Deadlocks(s *Store) int64 { return s.committer.deadlocks.Load() }
