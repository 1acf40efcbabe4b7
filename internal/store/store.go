// Package store persists ingot's domain in SQLite or PostgreSQL through one
// implementation over database/sql. Engine differences (placeholders, locking,
// error codes, migrations) live in dialect.go and migrations/; everything else
// is shared, so both engines behave alike by construction. Driver errors are
// translated into banking errors here and nowhere else.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Store is ingot's persistence. It is safe for concurrent use, and several
// processes may share one database.
type Store struct {
	// writeMu queues this process's SQLite write transactions in Go. SQLite
	// allows one writer; without the queue, writers that find the lock taken
	// sleep in SQLite's busy handler with growing back-off, which turned a
	// 1 ms write into a tail of hundreds of milliseconds under load. Other
	// processes on the same file still wait through busy_timeout.
	// nil on PostgreSQL, whose row locks let writers proceed in parallel.
	writeMu *sync.Mutex
	// committer groups user mutations into shared transactions (group.go).
	committer *committer
	observe   func(op string, d time.Duration)
	db        *sql.DB
	dialect   dialect
	// stmts holds prepared statements by query text (see prepared).
	stmts sync.Map
	// Path is the SQLite file ("" for PostgreSQL); the sandbox keeps its key
	// file next to it.
	path string
}

// Engine names a database engine.
type Engine string

// Supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options tune how a store opens. The zero value is the safe default.
type Options struct {
	// Synchronous is SQLite's synchronous pragma; "" means FULL: an
	// acknowledged write survives power loss.
	Synchronous string
	// MaxOpenConns caps the connection pool; 0 picks a default per engine.
	MaxOpenConns int
	// Observe, when set, is told how long each store operation took (for
	// metrics), keeping the store free of any metrics library.
	Observe func(op string, d time.Duration)
}

// ParseDSN tells which engine a --db value names and the driver's source. A
// bare path or "sqlite:PATH" is SQLite; postgres:// or postgresql:// URLs are
// PostgreSQL.
func ParseDSN(dsn string) (Engine, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		dsn = strings.TrimPrefix(dsn, "sqlite:")
		dsn = strings.TrimPrefix(dsn, "//")
	}
	if dsn == "" {
		return "", "", errors.New("empty database path")
	}
	if strings.Contains(dsn, "?") {
		return "", "", fmt.Errorf("database path %q: options are not accepted in a SQLite path", dsn)
	}
	return SQLite, dsn, nil
}

// Open connects to the database named by dsn and applies pending migrations.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	engine, src, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	var s *Store
	switch engine {
	case SQLite:
		s, err = openSQLite(src, opt)
	case Postgres:
		s, err = openPostgres(src, opt)
	}
	if err != nil {
		return nil, err
	}
	s.observe = opt.Observe
	if err := s.Migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Engine reports which engine the store runs on.
func (s *Store) Engine() Engine { return s.dialect.engine }

// Path is the SQLite database file, or "" on PostgreSQL.
func (s *Store) Path() string { return s.path }

// DB exposes the pool for tests and tools that inspect raw rows.
func (s *Store) DB() *sql.DB { return s.db }

// Close releases the pool.
func (s *Store) Close() error {
	s.committer.stop()
	s.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// timed reports an operation's duration to the Observe hook; use it as
// defer s.timed("op", time.Now()).
func (s *Store) timed(op string, start time.Time) {
	if s.observe != nil {
		s.observe(op, time.Since(start))
	}
}

// Ping checks that the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	defer s.timed("ping", time.Now())
	if err := s.db.PingContext(ctx); err != nil {
		return banking.Internal(fmt.Errorf("ping: %w", err))
	}
	return nil
}

// maxAttempts bounds retries of transactions that lost a race (SQLite busy,
// PostgreSQL serialization failure or deadlock).
const maxAttempts = 5

// inTx runs fn in one transaction, retrying when the engine reports a
// transient conflict. fn must be safe to run again.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.writeMu != nil {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return banking.Internal(ctx.Err())
			case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
			}
		}
		err = s.tryTx(ctx, fn)
		if err == nil || !s.dialect.retryable(err) {
			break
		}
	}
	return s.translate(err)
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// translate turns driver errors into banking errors. Errors that already are
// banking errors pass through.
func (s *Store) translate(err error) error {
	if err == nil {
		return nil
	}
	var be *banking.Error
	if errors.As(err, &be) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return banking.Errorf(banking.CodeNotFound, "not found")
	}
	return banking.Internal(err)
}

// prepared returns query (written with ? placeholders) prepared once per
// store. The hot path's statements go through it: modernc's driver otherwise
// parses every statement anew, which pprof showed as a fifth of a write's
// CPU. database/sql keeps one prepared copy per connection and reuses it.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// exec runs a prepared query in tx.
func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// queryRow runs a prepared one-row query in tx, or outside any transaction
// when tx is nil.
func (s *Store) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st, err := s.prepared(ctx, query)
	switch {
	case err != nil && tx != nil:
		return tx.QueryRowContext(ctx, s.q(query), args...) // fails alike, with a *sql.Row to carry it
	case err != nil:
		return s.db.QueryRowContext(ctx, s.q(query), args...)
	case tx != nil:
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// q rewrites a query written with ? placeholders for the engine.
func (s *Store) q(query string) string { return s.dialect.rebind(query) }

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nowMillis stamps bookkeeping rows (migrations) that are not domain data and
// so need no injected clock.
func nowMillis() int64 { return time.Now().UnixMilli() }
