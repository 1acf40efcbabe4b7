package store

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

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
	v.Add("_pragma", "synchronous("+strings.ToUpper(syncMode)+")")
	v.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+v.Encode())
	if err != nil {
		return nil, err
	}
	n := opt.MaxOpenConns
	if n <= 0 {
		n = 8
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return &Store{db: db, dialect: dialect{engine: SQLite}, path: path}, nil
}

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
	return &Store{db: db, dialect: dialect{engine: Postgres, forUpdate: " FOR UPDATE"}}, nil
}
