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
	// cols are the columns read, in the scanner's order; they include
	// created_at and id, the order.
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
// sorts itself. With more, it walks the program's rows in list order and
// stops at the page, which costs about perPage × rows ÷ matches rows.
var sortMatchesUpTo = 5000

// listPage answers one page of q and the total, scanning each row with
// scan. The plan:
//
//   - With a search, the matches are read (through the search index, up to
//     sortMatchesUpTo+1 of them) and sorted in one query that also counts
//     them: a rare term or a miss costs one indexed lookup.
//   - With more matches than that, or without a search, the page walks the
//     program's rows in list order (an index on program_id, created_at,
//     id), checking the term on each, and the total is counted separately:
//     from counters when the list has them, else up to
//     banking.ExactTotalUpTo matches and no further.
func listPage[T any](ctx context.Context, s *Store, q listQuery, scan func(rowScanner) (T, error)) ([]T, banking.Total, error) {
	term := banking.SearchTerm(q.search)
	offset := (q.page - 1) * q.perPage
	base := append([]string{q.table + ".program_id = ?"}, q.conds...)
	baseArgs := append([]any{q.program}, q.args...)
	order := " ORDER BY created_at DESC, id DESC"
	if q.ascending {
		order = " ORDER BY created_at ASC, id ASC"
	}

	var m match
	if term != "" {
		m = s.searchMatch(ctx, q.table, term, q.selective)
		where := strings.Join(append([]string{base[0], m.cond}, base[1:]...), " AND ")
		args := append(append(append([]any{q.program}, m.args...), q.args...), q.perPage, offset)
		// MATERIALIZED: the matches are read once, for the page and the count.
		query := `WITH m AS MATERIALIZED (SELECT ` + q.cols + ` FROM ` + m.from + ` WHERE ` + where +
			` LIMIT ` + strconv.Itoa(sortMatchesUpTo+1) + `) SELECT m.*, (SELECT count(*) FROM m) FROM m` +
			order + ` LIMIT ? OFFSET ?`
		var n int
		items, err := queryList(ctx, s, query, args, func(r rowScanner) (T, error) {
			return scan(countedRow{r, &n})
		})
		if err != nil {
			return nil, banking.Total{}, err
		}
		if len(items) == 0 && offset > 0 {
			// A page past the end says nothing of the count.
			if n, err = s.countUpTo(ctx, m.from, where, args[:len(args)-2], sortMatchesUpTo+1); err != nil {
				return nil, banking.Total{}, err
			}
		}
		if n <= sortMatchesUpTo {
			return items, banking.ExactTotal(n), nil
		}
	}

	var total int
	var err error
	counted := term == "" && q.counted != nil
	if counted {
		total, err = q.counted(ctx)
	} else {
		from, where, args := q.table, strings.Join(base, " AND "), baseArgs
		if term != "" {
			from, where = m.from, strings.Join(append([]string{base[0], m.cond}, base[1:]...), " AND ")
			args = append(append([]any{q.program}, m.args...), q.args...)
		}
		total, err = s.countUpTo(ctx, from, where, args, banking.ExactTotalUpTo+1)
	}
	if err != nil {
		return nil, banking.Total{}, err
	}
	estimate := !counted && total > banking.ExactTotalUpTo
	if !estimate && offset >= total {
		return []T{}, banking.ExactTotal(total), nil
	}
	where, args := base, baseArgs
	if term != "" {
		walk := s.dialect.scanMatch(q.table, term)
		where = append([]string{base[0], walk.cond}, base[1:]...)
		args = append(append([]any{q.program}, walk.args...), q.args...)
	}
	items, err := queryList(ctx, s, `SELECT `+q.cols+` FROM `+q.table+` WHERE `+strings.Join(where, " AND ")+
		order+` LIMIT ? OFFSET ?`, append(args, q.perPage, offset), scan)
	if err != nil {
		return nil, banking.Total{}, err
	}
	if estimate {
		return items, banking.Total{N: max(banking.ExactTotalUpTo, offset+len(items)), Estimate: true}, nil
	}
	return items, banking.ExactTotal(total), nil
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
