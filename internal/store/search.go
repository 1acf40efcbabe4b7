package store

// Search: the one mechanism behind every list's `search` (user/get-all,
// business/get-all, and each list that searches after them). A list hands
// its table, filters and term to listPage (list.go); this file decides which
// rows match and how an index finds them.
//
// The matching rule, the same on both engines: a row matches when its
// search_text contains the term, character for character. Both sides are in
// banking.SearchTerm's form (NFC, then Go's Unicode lower case), so the match
// is case-insensitive and blind to the normal form a client typed in; no
// character is special (% _ \ " * and FTS syntax are data). Every row an
// index proposes is checked with that rule (instr on SQLite, strpos on
// PostgreSQL), so the indexes only decide speed, never the answer: an
// FTS5 tokenizer's case folding or pg_trgm's word splitting cannot make the
// engines disagree.
//
// A searchable table has:
//   - search_text: the searchable fields in SearchTerm's form, joined by
//     \x1f so that no match spans two fields;
//   - program_id, created_at and id: the tenant and the list order;
//   - seq, an integer key (SQLite's rowid alias);
//   - on SQLite, an FTS5 table <table>_fts with the trigram tokenizer,
//     external content on <table>.seq, kept in step by triggers;
//   - on PostgreSQL, a pg_trgm GIN index on search_text with a 1 MB
//     pending list (gin_pending_list_limit = 1024), which the service
//     merges every second (MergeSearchQueues).
//
// TestSearchIndexes fails for a table with a search_text column that lacks
// either index.
//
// Terms of one or two characters match by the same rule but no trigram
// index can serve them: their rows are read in list order and checked one
// by one. A common letter finds its page and its capped total quickly; a
// rare pair reads every row of the program (docs/decisions.md).

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ingot-dev/ingot/internal/banking"
)

const (
	// minIndexedRunes is the shortest term the trigram indexes serve.
	minIndexedRunes = 3
	// probeRunes is the longest stretch of a term an index is asked for.
	// Each trigram of the stretch costs a walk of its posting list (FTS5
	// and GIN alike), and at 1,000,000 users a trigram of a shared part (a
	// domain, a phone prefix) lists every row: the whole of
	// "bench-8a78e4e7-0654321@" took 114 ms in PostgreSQL's index and 72 ms
	// in SQLite's, six of its characters 0.4 ms and 1 ms. Five characters
	// (three trigrams) beat six on both engines for 300 surnames among
	// 1,000,000 users (SQLite 0.7-1.2 ms a search against 1.1-3.0,
	// PostgreSQL 0.7-1.0 against 1.1-1.3, best of three on a busy
	// machine): a fourth posting list costs more than the few candidates
	// it spares the check.
	probeRunes = 5
	// sampleRows is how many rows of a table the trigram sample reads.
	sampleRows = 4096
	// sampleEvery is how long a sample serves before the next search
	// takes a new one.
	sampleEvery = time.Minute
)

// match is how a query finds the rows of a table containing a term: the
// FROM clause, a condition and its arguments.
type match struct {
	from, cond string
	args       []any
}

// indexedMatch finds the rows of table containing term through the
// engine's trigram index, asked for probe (a stretch of term), and checks
// each with the matching rule.
func (d dialect) indexedMatch(table, term, probe string) match {
	if d.engine == SQLite {
		fts := table + "_fts"
		return match{
			from: fts + " CROSS JOIN " + table + " ON " + table + ".seq = " + fts + ".rowid",
			cond: fts + " MATCH ? AND instr(" + table + ".search_text, ?) > 0",
			args: []any{`"` + strings.ReplaceAll(probe, `"`, `""`) + `"`, term},
		}
	}
	// Only the LIKE is indexable: the planner cannot fold strpos into the
	// index scan, so the index is asked for the probe alone.
	return match{
		from: table,
		cond: table + `.search_text LIKE ? ESCAPE '\' AND strpos(` + table + `.search_text, ?) > 0`,
		args: []any{"%" + escapeLike(probe) + "%", term},
	}
}

// scanMatch checks rows read by other means (in list order, or through a
// selective filter) with the matching rule alone.
func (d dialect) scanMatch(table, term string) match {
	fn := "instr"
	if d.engine == Postgres {
		fn = "strpos"
	}
	return match{from: table, cond: fn + "(" + table + ".search_text, ?) > 0", args: []any{term}}
}

// searchMatch picks how a list finds term's rows: through the index unless
// the term is too short for it or the list's filters are selective.
func (s *Store) searchMatch(ctx context.Context, table, term string, selective bool) match {
	if selective || utf8.RuneCountInString(term) < minIndexedRunes {
		return s.dialect.scanMatch(table, term)
	}
	return s.dialect.indexedMatch(table, term, s.probe(ctx, table, term))
}

// escapeLike makes a user's search text match literally: % and _ are data, not
// wildcards.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// searchSample is a sample of a table's rows: their programs and search
// texts, how many rows contain each trigram (an estimate of how long each
// trigram's posting list is in the index), and the table's size.
type searchSample struct {
	taken time.Time
	rows  []sampledRow
	df    map[string]int32
	// tableRows estimates the rows of the whole table.
	tableRows float64
}

type sampledRow struct {
	program banking.ProgramID
	text    string
}

func newSearchSample(rows []sampledRow, tableRows float64, taken time.Time) *searchSample {
	ts := &searchSample{taken: taken, rows: rows, df: map[string]int32{}, tableRows: max(tableRows, float64(len(rows)))}
	seen := map[string]bool{}
	for _, row := range rows {
		clear(seen)
		r := []rune(row.text)
		for i := 0; i+3 <= len(r); i++ {
			g := string(r[i : i+3])
			if !seen[g] {
				seen[g] = true
				ts.df[g]++
			}
		}
	}
	return ts
}

// probe is the stretch of term (at most probeRunes characters) whose
// trigrams the sample found in the fewest rows: the index reads the
// shortest posting lists and the check sees the fewest candidates. Without
// a sample it is the whole term.
func (ts *searchSample) probe(term string) string {
	r := []rune(term)
	if ts == nil || len(r) <= probeRunes {
		return term
	}
	best, bestCost := 0, -1
	for i := 0; i+probeRunes <= len(r); i++ {
		cost := 0
		for j := i; j+3 <= i+probeRunes; j++ {
			cost += int(ts.df[string(r[j:j+3])])
		}
		if bestCost < 0 || cost < bestCost {
			best, bestCost = i, cost
		}
	}
	return string(r[best : best+probeRunes])
}

// Thresholds of surelyMoreThan.
const (
	// sureHits is the fewest sampled matches surelyMoreThan trusts.
	sureHits = 64
	// sureFactor is how far past the count the estimate must be. A
	// program holding only the count would have to yield ten times its
	// share of the sample. PostgreSQL samples whole pages (about 19 users
	// each): were all 10,000 matches packed in consecutive pages, 26 of
	// them would have to be among the 256 sampled, a chance of 5e-18 (at
	// five times it was 3e-6); SQLite's sample of single rows is safer
	// still.
	sureFactor = 10
)

// surelyMoreThan reports that the sample shows term in so many of program's
// rows that more than n of them contain it beyond reasonable doubt: at
// least sureHits sampled matches, and an estimate of sureFactor × n or
// more. A search for such a term skips counting its matches, which at
// 1,000,000 users cost more than its page (issue 18).
func (ts *searchSample) surelyMoreThan(program banking.ProgramID, term string, n int) bool {
	if ts == nil || len(ts.rows) < sureHits || ts.tableRows < sureFactor*float64(n) {
		return false
	}
	// A trigram of the term in too few sampled rows settles it without
	// reading the sample.
	r := []rune(term)
	for i := 0; i+3 <= len(r); i++ {
		if ts.df[string(r[i:i+3])] < sureHits {
			return false
		}
	}
	hits := 0
	for _, row := range ts.rows {
		if row.program == program && strings.Contains(row.text, term) {
			hits++
		}
	}
	return hits >= sureHits && float64(hits)/float64(len(ts.rows))*ts.tableRows >= sureFactor*float64(n)
}

// searchStats holds one table's latest sample.
type searchStats struct {
	sampling sync.Mutex // held by the one search taking a new sample
	cur      atomic.Pointer[searchSample]
}

// sample is table's latest sample, taken anew when it is older than
// sampleEvery. The sample is an optimisation: a search never waits for
// another's sampling nor fails for its own; without one it is nil.
func (s *Store) sample(ctx context.Context, table string) *searchSample {
	v, _ := s.search.LoadOrStore(table, new(searchStats))
	st := v.(*searchStats)
	cur := st.cur.Load()
	if (cur == nil || time.Since(cur.taken) > sampleEvery) && st.sampling.TryLock() {
		next, err := s.sampleRows(ctx, table)
		if err != nil {
			// Keep what there was, and wait a period before trying again.
			next = &searchSample{taken: time.Now()}
			if cur != nil {
				next.rows, next.df, next.tableRows = cur.rows, cur.df, cur.tableRows
			}
		}
		st.cur.Store(next)
		st.sampling.Unlock()
		cur = next
	}
	return cur
}

// probe is the stretch of term to ask table's index for.
func (s *Store) probe(ctx context.Context, table, term string) string {
	return s.sample(ctx, table).probe(term)
}

// sampleRows reads about sampleRows rows of table spread over the whole
// table: SQLite by random keys (seq is its rowid), PostgreSQL by random
// pages (TABLESAMPLE SYSTEM, sized from the table's pages so that no
// statistics are needed).
func (s *Store) sampleRows(ctx context.Context, table string) (*searchSample, error) {
	start := time.Now()
	var rows []sampledRow
	read := func(q string, args ...any) error {
		rs, err := s.db.QueryContext(ctx, s.q(q), args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var r sampledRow
			if err := rs.Scan(&r.program, &r.text); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return rs.Err()
	}
	if s.dialect.engine == Postgres {
		var bytes int64
		if err := s.db.QueryRowContext(ctx, `SELECT pg_relation_size($1::regclass)`, table).Scan(&bytes); err != nil {
			return nil, err
		}
		// Rows of a searchable table are a few hundred bytes: 256 pages of
		// 8 kB hold several thousand.
		pct := 100.0
		if pages := float64(bytes) / 8192; pages > 256 {
			pct = 100 * 256 / pages
		}
		const most = 2 * sampleRows
		if err := read(`SELECT program_id, search_text FROM `+table+` TABLESAMPLE SYSTEM (?) LIMIT ?`, pct, most); err != nil {
			return nil, err
		}
		tableRows := float64(len(rows)) * 100 / pct
		if len(rows) == most {
			tableRows = 0 // cut short: unknown, so no estimate relies on it
		}
		return newSearchSample(rows, tableRows, start), nil
	}
	var top int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(max(seq), 0) FROM `+table).Scan(&top); err != nil {
		return nil, err
	}
	if top <= sampleRows {
		err := read(`SELECT program_id, search_text FROM ` + table)
		return newSearchSample(rows, float64(len(rows)), start), err
	}
	const chunk = 512
	q := `SELECT program_id, search_text FROM ` + table + ` WHERE seq IN (` + placeholders(chunk) + `)`
	keys := make([]any, chunk)
	for range sampleRows / chunk {
		for i := range keys {
			keys[i] = 1 + rand.Int64N(top)
		}
		if err := read(q, keys...); err != nil {
			return nil, err
		}
	}
	// Keys missing from the table (a gap in seq) shrink the estimate.
	return newSearchSample(rows, float64(top)*float64(len(rows))/sampleRows, start), nil
}
