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
//   - on PostgreSQL, a pg_trgm GIN index on search_text.
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
)

const (
	// minIndexedRunes is the shortest term the trigram indexes serve.
	minIndexedRunes = 3
	// probeRunes is the longest stretch of a term an index is asked for.
	// Each trigram of the stretch costs a walk of its posting list (FTS5
	// and GIN alike), and at 1,000,000 users a trigram of a shared part (a
	// domain, a phone prefix) lists every row: the whole of
	// "bench-8a78e4e7-0654321@" took 114 ms in PostgreSQL's index and 72 ms
	// in SQLite's, six of its characters 0.4 ms and 1 ms. Six characters
	// (four trigrams) left a couple of candidates to check among random
	// hex; five left about a hundred.
	probeRunes = 6
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

// trigramSample counts, over a sample of a table's rows, how many contain
// each trigram of search_text: an estimate of how long each trigram's
// posting list is in the index.
type trigramSample struct {
	taken time.Time
	df    map[string]int32
}

func newTrigramSample(texts []string, taken time.Time) *trigramSample {
	ts := &trigramSample{taken: taken, df: map[string]int32{}}
	seen := map[string]bool{}
	for _, t := range texts {
		clear(seen)
		r := []rune(t)
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
func (ts *trigramSample) probe(term string) string {
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

// searchStats holds one table's latest trigram sample.
type searchStats struct {
	sampling sync.Mutex // held by the one search taking a new sample
	cur      atomic.Pointer[trigramSample]
}

// probe is the stretch of term to ask table's index for. The sample is an
// optimisation: a search never waits for another's sampling nor fails for
// its own; without one the whole term is asked for.
func (s *Store) probe(ctx context.Context, table, term string) string {
	v, _ := s.search.LoadOrStore(table, new(searchStats))
	st := v.(*searchStats)
	cur := st.cur.Load()
	if (cur == nil || time.Since(cur.taken) > sampleEvery) && st.sampling.TryLock() {
		next, err := s.sampleTrigrams(ctx, table)
		if err != nil {
			// Keep what there was, and wait a period before trying again.
			next = &trigramSample{taken: time.Now()}
			if cur != nil {
				next.df = cur.df
			}
		}
		st.cur.Store(next)
		st.sampling.Unlock()
		cur = next
	}
	return cur.probe(term)
}

// sampleTrigrams reads about sampleRows rows of table spread over the whole
// table: SQLite by random keys (seq is its rowid), PostgreSQL by random
// pages (TABLESAMPLE SYSTEM, sized from the table's pages so that no
// statistics are needed).
func (s *Store) sampleTrigrams(ctx context.Context, table string) (*trigramSample, error) {
	start := time.Now()
	var texts []string
	read := func(q string, args ...any) error {
		rows, err := s.db.QueryContext(ctx, s.q(q), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				return err
			}
			texts = append(texts, t)
		}
		return rows.Err()
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
		if err := read(`SELECT search_text FROM `+table+` TABLESAMPLE SYSTEM (?) LIMIT ?`, pct, 2*sampleRows); err != nil {
			return nil, err
		}
		return newTrigramSample(texts, start), nil
	}
	var top int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(max(seq), 0) FROM `+table).Scan(&top); err != nil {
		return nil, err
	}
	if top <= sampleRows {
		err := read(`SELECT search_text FROM ` + table)
		return newTrigramSample(texts, start), err
	}
	const chunk = 512
	q := `SELECT search_text FROM ` + table + ` WHERE seq IN (` + placeholders(chunk) + `)`
	keys := make([]any, chunk)
	for range sampleRows / chunk {
		for i := range keys {
			keys[i] = 1 + rand.Int64N(top)
		}
		if err := read(q, keys...); err != nil {
			return nil, err
		}
	}
	return newTrigramSample(texts, start), nil
}
