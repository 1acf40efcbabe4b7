package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds what differs between the engines.
type dialect struct {
	engine Engine
	// forUpdate is appended to a SELECT that reads a row about to change.
	// SQLite needs none: its write transactions start IMMEDIATE and so hold the
	// database's write lock from BEGIN.
	forUpdate string
}

// rebind turns ? placeholders into $1, $2, ... for PostgreSQL. Queries in this
// package never contain a literal '?', so a plain scan is exact.
func (d dialect) rebind(q string) string {
	if d.engine != Postgres {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// rowKey is the column that finds one row of a table fastest: SQLite's
// rowid alias seq, PostgreSQL's primary key id.
func (d dialect) rowKey() string {
	if d.engine == SQLite {
		return "seq"
	}
	return "id"
}

// countSlot picks the user_counts row a transaction adds to. PostgreSQL
// spreads writers of one program over several rows so they do not queue on
// one row lock; SQLite has one writer at a time anyway.
func (d dialect) countSlot() int {
	if d.engine == Postgres {
		return rand.IntN(countSlots)
	}
	return 0
}

const countSlots = 8

// retryable reports a transient conflict worth running the transaction again.
func (d dialect) retryable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}

// unreachable reports whether err means the database cannot be reached for
// now, a condition a later retry may not meet: the connection was refused,
// reset or closed, the server is shutting down or starting, or failing over
// (PostgreSQL classes 08 and 57P), or SQLite stayed busy past every retry.
// Such an error is 503 unavailable, not 500 (api-v4.md section 3).
func (d dialect) unreachable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" ||
			pe.Code == "57P03" || pe.Code == "53300"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	// pgx reports a connection it closed after a network error as "conn
	// closed", with no type to test.
	return d.engine == Postgres && strings.Contains(err.Error(), "conn closed")
}

// deadlock reports whether err is PostgreSQL choosing this transaction as a
// deadlock's victim.
func (d dialect) deadlock(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "40P01"
}

// uniqueViolation reports whether err is a unique-constraint failure.
func uniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// openSQLite opens a SQLite file with ingot's pragmas: WAL so readers never
// block the writer, a busy timeout so writers queue instead of failing,
// foreign keys enforced, synchronous=FULL unless the operator chose otherwise,
// and IMMEDIATE transactions so a read-modify-write holds the write lock from
// its first statement (no upgrade deadlocks between processes).
func openSQLite(path string, opt Options) (*Store, error) {
	syncMode := opt.Synchronous
	if syncMode == "" {
		syncMode = "FULL"
	}
	switch strings.ToUpper(syncMode) {
	case "OFF", "NORMAL", "FULL", "EXTRA":
	default:
		return nil, fmt.Errorf("sqlite synchronous %q: want OFF, NORMAL, FULL or EXTRA", syncMode)
	}
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "foreign_keys(1)")
	v.Add("_pragma", "temp_store(MEMORY)")
	v.Add("_pragma", "synchronous("+strings.ToUpper(syncMode)+")")
	v.Set("_txlock", "immediate")
	// The driver reads the DSN as a file: URI, so % and # in a path must be
	// escaped or "a#b.db" would open "a" (and "c%41.db" open "cA.db").
	uriPath := strings.NewReplacer("%", "%25", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", "file:"+uriPath+"?"+v.Encode())
	if err != nil {
		return nil, err
	}
	n := opt.MaxOpenConns
	if n <= 0 {
		n = 8
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return &Store{db: db, dialect: dialect{engine: SQLite}, path: path, writeMu: new(sync.Mutex),
		committer: newCommitter(1, sqliteMaxGroup)}, nil
}

// pgLanes is how many groups of mutations one process runs at once on
// PostgreSQL (see group.go). Two did best in ingot bench toggle runs with 1,
// 2 and 4 lanes (a noisy machine, so roughly): one lane
// commits while the other locks its users; more lanes only split the queue
// into smaller groups that then wait on the same audit head.
const pgLanes = 2

// openPostgres opens a pool through pgx's database/sql adapter, so the one
// store implementation serves both engines.
func openPostgres(dsn string, opt Options) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	n := opt.MaxOpenConns
	if n <= 0 {
		n = 16
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return &Store{db: db, dialect: dialect{engine: Postgres, forUpdate: " FOR UPDATE"}, committer: newCommitter(pgLanes, pgMaxGroup)}, nil
}
