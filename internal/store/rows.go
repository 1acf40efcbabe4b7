package store

import "strings"

// Statement shapes for many rows. A multi-row INSERT or an IN list whose
// length follows the data would be a new statement text for every length:
// on SQLite each would be parsed anew, and would take a place in the
// prepared-statement cache (maxStmts), which, once full, prepares nothing
// more for anyone. So rows go in chunks of a few fixed sizes, and IN lists
// are padded to a power of two: a handful of statement texts each.

// rowChunks splits n rows into chunks whose sizes are powers of two up to
// 64, largest first: 7 statement texts, at most 7 statements for 127 rows
// (on PostgreSQL, where a statement is a round trip, into chunks of up to
// max rows instead).
func (s *Store) rowChunks(n, max int) []int {
	var out []int
	if s.dialect.engine == Postgres {
		for n > 0 {
			c := min(n, max)
			out = append(out, c)
			n -= c
		}
		return out
	}
	for _, size := range []int{64, 32, 16, 8, 4, 2, 1} {
		for n >= size {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

// inList returns "?, ?, ..." for args padded (by repeating the last) to
// the next power of two, and the padded args; args must not be empty.
// Repeating a value in an IN list changes nothing it selects. The padding
// never writes into args' spare capacity: args may be a chunk of a longer
// list, whose next values are there.
func inList(args []any) (string, []any) {
	n := 1
	for n < len(args) {
		n *= 2
	}
	args = args[:len(args):len(args)]
	for len(args) < n {
		args = append(args, args[len(args)-1])
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", "), args
}
