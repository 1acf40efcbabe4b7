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
	"sync/atomic"
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
	// committer groups Work into shared transactions (group.go).
	committer *committer
	// resetPlan is the order ResetWork deletes a program's rows in, read
	// from the schema once (sandbox_reset.go).
	resetPlan resetPlan
	// jobsScheduled wakes the job runner after a commit that scheduled
	// jobs (capacity 1); watchers are further runners' channels (WatchJobs).
	jobsScheduled chan struct{}
	watchMu       sync.Mutex
	watchers      []watcher
	// eventHook derives rows from each group's events (SetEventHook).
	eventHook atomic.Pointer[EventHook]
	observe   func(op string, d time.Duration)
	db        *sql.DB
	dialect   dialect
	// stmts holds prepared statements by query text, nstmts counts them,
	// and warm tracks goroutines preparing more (see cachedStmt).
	stmts     sync.Map
	nstmts    atomic.Int64
	warm      sync.WaitGroup
	preparing sync.Map // query → true while a goroutine prepares it
	// search holds each searchable table's trigram sample (search.go).
	search sync.Map // table → *searchStats
	// Path is the SQLite file ("" for PostgreSQL); the sandbox keeps its key
	// file next to it.
	path string
	// claimant prefixes the tokens of this process's job claims
	// (SetClaimant, jobs_restart.go).
	claimant atomic.Pointer[string]
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
	s.jobsScheduled = make(chan struct{}, 1)
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
	s.warm.Wait()
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
		return s.translate(fmt.Errorf("ping: %w", err))
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
	if err = tx.Commit(); err != nil && !s.dialect.retryable(err) {
		return commitError{err}
	}
	return err
}

// commitError is a failed COMMIT: unlike a failed statement, it leaves open
// whether the transaction took effect (a connection lost during COMMIT).
type commitError struct{ err error }

func (e commitError) Error() string { return "commit: " + e.err.Error() }
func (e commitError) Unwrap() error { return e.err }

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
	if s.dialect.unreachable(err) {
		return &banking.Error{Code: banking.CodeUnavailable, Err: err,
			Message: "the database cannot be reached for now; retry shortly (a mutation may or may not have been made: retry it under the same idempotent_key)"}
	}
	return banking.Internal(err)
}

// Prepared statements. modernc's SQLite driver parses every statement anew,
// which pprof showed as a fifth of a write's CPU, so on SQLite the hot
// path's statements are prepared once per store (database/sql then keeps one
// prepared copy per connection). pgx already caches prepared statements per
// connection (an LRU of 512), so PostgreSQL needs nothing here.
//
// A statement is never prepared by a goroutine that holds a transaction:
// db.PrepareContext waits for a free connection, and with every connection
// held by a transaction waiting the same way, none would ever come (the pool
// deadlock a review found). Inside a transaction a statement not yet cached
// runs unprepared, and a background goroutine, which holds nothing, prepares
// it for next time.

// maxStmts bounds the cache: the columns an update changes pick one of many
// statements, and a client should not be able to grow the cache at will.
const maxStmts = 256

// cachedStmt returns query's cached statement, or nil (and starts preparing it
// in the background, while there is room).
func (s *Store) cachedStmt(query string) *sql.Stmt {
	if s.dialect.engine != SQLite {
		return nil
	}
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt)
	}
	// One preparer per statement, however many requests miss it at once.
	if _, busy := s.preparing.LoadOrStore(query, true); !busy && s.nstmts.Load() < maxStmts {
		s.warm.Add(1)
		go func() {
			defer s.warm.Done()
			defer s.preparing.Delete(query)
			s.prepare(context.Background(), query)
		}()
	} else if !busy {
		s.preparing.Delete(query)
	}
	return nil
}

// prepare prepares and caches query; the caller must hold no connection.
func (s *Store) prepare(ctx context.Context, query string) *sql.Stmt {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if s.nstmts.Load() >= maxStmts {
		return nil
	}
	st, err := s.db.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil // the statement then runs unprepared, and reports its error itself
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	s.nstmts.Add(1)
	return st
}

// exec runs query in tx, prepared when it is cached.
func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.cachedStmt(query); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, s.q(query), args...)
}

// txQuery runs a query in tx, prepared when it is cached.
func (s *Store) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := s.cachedStmt(query); st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, s.q(query), args...)
}

// queryRow runs a one-row query in tx, or outside any transaction when tx is
// nil, prepared when it is (or, outside a transaction, can be) cached.
func (s *Store) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if tx != nil {
		if st := s.cachedStmt(query); st != nil {
			return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
		}
		return tx.QueryRowContext(ctx, s.q(query), args...)
	}
	if s.dialect.engine == SQLite {
		if st := s.prepare(ctx, query); st != nil {
			return st.QueryRowContext(ctx, args...)
		}
	}
	return s.db.QueryRowContext(ctx, s.q(query), args...)
}

// q rewrites a query written with ? placeholders for the engine.
func (s *Store) q(query string) string { return s.dialect.rebind(query) }

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nowMillis stamps bookkeeping rows (migrations) that are not domain data and
// so need no injected clock.
func nowMillis() int64 { return time.Now().UnixMilli() }
