package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/ingot-dev/ingot/internal/banking"
)

// listQuery is one page of a list: the rows of one program's table that
// pass conds and contain search, in creation order. Every list of the API
// that pages (and searches) is one, so they share one plan (listPage).
type listQuery struct {
	// table is a searchable table (search.go says what that needs).
	table string
	// cols are the columns read, in the scanner's order.
	cols    string
	program banking.ProgramID
	// conds are further conditions on the table's columns (never
	// search_text), each with ? placeholders; args are their values.
	conds []string
	args  []any
	// search is the term as the client sent it; "" for none.
	search    string
	ascending bool
	page      int
	perPage   int
	// selective says conds single out a handful of rows through an index
	// of their own (one email, one user's businesses): a search then
	// checks those rows rather than asking the search index for every
	// match in the program.
	selective bool
	// counted, when set, answers the total of the list without a search
	// exactly and cheaply (maintained counters); otherwise rows are
	// counted up to banking.ExactTotalUpTo.
	counted func(ctx context.Context) (int, error)
}

// sortMatchesUpTo is how many matches of a search a page query reads and
// sorts itself: as many as it counts exactly, so that one statement
// answers both. With more, the page walks the program's rows in list order
// and stops at the page, which costs about perPage × rows ÷ matches rows.
// Tests lower it to send searches down the walk.
var sortMatchesUpTo = banking.ExactTotalUpTo

// listPage answers one page of q and the total, scanning each row with
// scan. The plan:
//
//   - With a search, one statement reads the matches' keys (through the
//     search index, up to sortMatchesUpTo+1 of them), counts and sorts
//     them, and reads the page's rows: a rare term or a miss is one
//     indexed lookup, a common one stops at the cap.
//   - A term the table's sample shows in far more of the program's rows
//     than the cap (searchSample.surelyMoreThan) is not counted at all:
//     counting would read ExactTotalUpTo matches only to say "more".
//   - With more matches than that, or without a search, the page walks the
//     program's rows in list order (an index on program_id, created_at,
//     id), checking the term on each; the total comes from counters when
//     the list has them, else from counting up to banking.ExactTotalUpTo
//     matches and no further.
func listPage[T any](ctx context.Context, s *Store, q listQuery, scan func(rowScanner) (T, error)) ([]T, banking.Total, error) {
	term := banking.SearchTerm(q.search)
	offset := (q.page - 1) * q.perPage
	base := append([]string{q.table + ".program_id = ?"}, q.conds...)
	baseArgs := append([]any{q.program}, q.args...)
	dir := " DESC"
	if q.ascending {
		dir = " ASC"
	}

	var total int
	var err error
	counted := false
	switch {
	case term != "" && len(q.conds) == 0 && s.sample(ctx, q.table).surelyMoreThan(q.program, term, banking.ExactTotalUpTo):
		total = banking.ExactTotalUpTo + 1
	case term != "":
		m := s.searchMatch(ctx, q.table, term, q.selective)
		var items []T
		items, total, err = sortedMatches(ctx, s, q, m, dir, offset, scan)
		if err == nil && total <= sortMatchesUpTo {
			return items, banking.ExactTotal(total), nil
		}
		if err == nil && sortMatchesUpTo < banking.ExactTotalUpTo {
			total, err = s.countUpTo(ctx, m.from, q.where(m), q.whereArgs(m), banking.ExactTotalUpTo+1)
		}
	case q.counted != nil:
		counted = true
		total, err = q.counted(ctx)
	default:
		total, err = s.countUpTo(ctx, q.table, strings.Join(base, " AND "), baseArgs, banking.ExactTotalUpTo+1)
	}
	if err != nil {
		return nil, banking.Total{}, err
	}
	estimate := !counted && total > banking.ExactTotalUpTo
	if !estimate && offset >= total {
		return []T{}, banking.ExactTotal(total), nil
	}
	where, args := strings.Join(base, " AND "), baseArgs
	if term != "" {
		walk := s.dialect.scanMatch(q.table, term)
		where, args = q.where(walk), q.whereArgs(walk)
	}
	items, err := queryList(ctx, s, `SELECT `+q.cols+` FROM `+q.table+` WHERE `+where+
		` ORDER BY created_at`+dir+`, id`+dir+` LIMIT ? OFFSET ?`, append(args, q.perPage, offset), scan)
	if err != nil {
		return nil, banking.Total{}, err
	}
	if estimate {
		return items, banking.Total{N: max(banking.ExactTotalUpTo, offset+len(items)), Estimate: true}, nil
	}
	return items, banking.ExactTotal(total), nil
}

// sortedMatches reads the keys of q's rows matching m (up to
// sortMatchesUpTo+1 of them), counts and sorts them, and answers the page's
// rows and the count, in one statement.
func sortedMatches[T any](ctx context.Context, s *Store, q listQuery, m match, dir string, offset int, scan func(rowScanner) (T, error)) ([]T, int, error) {
	// The keys are read once (MATERIALIZED), for the count and the page;
	// only the page's rows are read whole.
	t, key := q.table, s.dialect.rowKey()
	query := `WITH m AS MATERIALIZED (SELECT ` + t + `.` + key + ` AS k, ` + t + `.created_at AS c, ` + t + `.id AS i
		FROM ` + m.from + ` WHERE ` + q.where(m) + ` LIMIT ` + strconv.Itoa(sortMatchesUpTo+1) + `),
		p AS (SELECT k FROM m ORDER BY c` + dir + `, i` + dir + ` LIMIT ? OFFSET ?)
		SELECT ` + q.cols + `, (SELECT count(*) FROM m) FROM ` + t + ` JOIN p ON ` + t + `.` + key + ` = p.k
		ORDER BY created_at` + dir + `, id` + dir
	var n int
	items, err := queryList(ctx, s, query, append(q.whereArgs(m), q.perPage, offset), func(r rowScanner) (T, error) {
		return scan(countedRow{r, &n})
	})
	if err == nil && len(items) == 0 && offset > 0 {
		// A page past the end says nothing of the count.
		n, err = s.countUpTo(ctx, m.from, q.where(m), q.whereArgs(m), sortMatchesUpTo+1)
	}
	return items, n, err
}

// where is the condition of q's rows matching m: the program first, so
// that it can lead an index.
func (q *listQuery) where(m match) string {
	return strings.Join(append([]string{q.table + ".program_id = ?", m.cond}, q.conds...), " AND ")
}

// whereArgs are where's arguments.
func (q *listQuery) whereArgs(m match) []any {
	return append(append([]any{q.program}, m.args...), q.args...)
}

// countUpTo counts the rows of from that pass where, stopping at limit.
func (s *Store) countUpTo(ctx context.Context, from, where string, args []any, limit int) (int, error) {
	var n int
	err := s.queryRow(ctx, nil, `SELECT count(*) FROM (SELECT 1 FROM `+from+` WHERE `+where+
		` LIMIT `+strconv.Itoa(limit)+`) c`, args...).Scan(&n)
	return n, s.translate(err)
}

// rowScanner is a row to scan: *sql.Row or *sql.Rows.
type rowScanner = interface{ Scan(...any) error }

// countedRow scans a row of listPage's search query: the list's columns,
// then the count of matches, into n.
type countedRow struct {
	row rowScanner
	n   *int
}

func (c countedRow) Scan(dst ...any) error { return c.row.Scan(append(dst, c.n)...) }

// queryList runs a read-only query outside any transaction (prepared on
// SQLite, whose driver otherwise parses every statement anew) and scans
// every row.
func queryList[T any](ctx context.Context, s *Store, query string, args []any, scan func(rowScanner) (T, error)) ([]T, error) {
	var rows *sql.Rows
	var err error
	if st := s.readStmt(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = s.db.QueryContext(ctx, s.q(query), args...)
	}
	if err != nil {
		return nil, s.translate(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.translate(err)
		}
		out = append(out, v)
	}
	return out, s.translate(rows.Err())
}

// readStmt is query's prepared statement for a read outside a transaction
// on SQLite, or nil.
func (s *Store) readStmt(ctx context.Context, query string) *sql.Stmt {
	if s.dialect.engine != SQLite {
		return nil
	}
	return s.prepare(ctx, query)
}
