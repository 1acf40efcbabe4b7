package store

import (
	"context"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

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

// SetSample makes table's search sample the rows of programs[i] with
// search text texts[i], out of tableRows rows, as if just taken.
func SetSample(s *Store, table string, programs []banking.ProgramID, texts []string, tableRows float64) {
	rows := make([]sampledRow, len(texts))
	for i := range texts {
		rows[i] = sampledRow{program: programs[i], text: texts[i]}
	}
	v, _ := s.search.LoadOrStore(table, new(searchStats))
	v.(*searchStats).cur.Store(newSearchSample(rows, tableRows, time.Now()))
}

// SampledTableRows is the size of table that its search sample estimates.
func SampledTableRows(ctx context.Context, s *Store, table string) float64 {
	return s.sample(ctx, table).tableRows
}

// DoGroup runs works as one group of s's committer (in its order: by
// program, then first lock) and returns each one's answer and error.
func DoGroup(s *Store, works ...Work) ([]any, []error) {
	ops := make([]*groupOp, len(works))
	for i, w := range works {
		ops[i] = &groupOp{ctx: context.Background(), work: w, done: make(chan opResult, 1)}
	}
	s.runGroup(ops)
	vals, errs := make([]any, len(ops)), make([]error, len(ops))
	for i, op := range ops {
		r := <-op.done
		vals[i], errs[i] = r.value, r.err
	}
	return vals, errs
}

// ClearingBalance reads program pid's clearing account's balance, which
// Account (RBAs and the master account only) does not answer.
func ClearingBalance(ctx context.Context, s *Store, pid banking.ProgramID) (banking.Balance, error) {
	var b banking.Balance
	err := s.queryRow(ctx, nil, `SELECT posted, pending_debits, pending_credits, overdraft FROM accounts WHERE id = ?`,
		banking.ClearingAccountID(pid)).Scan(&b.Posted, &b.PendingDebits, &b.PendingCredits, &b.Overdraft)
	return b, err
}

// EventIDPrefixSQL is eventIDPrefixSQL, for its test.
func EventIDPrefixSQL(col string) string { return eventIDPrefixSQL(col) }

// PrefixSQL is prefixSQL, for its test.
func PrefixSQL(col string, e Engine) string { return prefixSQL(col, e) }

// ResourceEvents is the query of a resource's webhook events' seqs and its
// arguments (WebhookFilter.ResourceID), for the test of its plan.
func ResourceEvents(s *Store, pid banking.ProgramID, resource string) (string, []any) {
	return s.resourceEvents(pid, resource)
}
