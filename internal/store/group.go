package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Group commit. A Work does not get a transaction of its own: it is queued,
// and a committer runs every Work waiting at that moment in one transaction,
// one after another, then commits once. The commit (an fsync on both
// engines) and the audit-chain head, which every write of a program must lock
// until its commit, are paid once per group instead of once per request:
// make bench measured a toggle far below the engine's one-row-update rate
// while each request paid its own.
//
// Each Work keeps its own outcome. It runs in a savepoint of its own: when
// it fails, the savepoint is rolled back, so nothing it wrote reaches the
// commit, and the group goes on. (The old rule, that a mutation had to flag
// its first write or have its writes committed with the group while its
// caller heard it failed, is gone with it.) A group of one needs no
// savepoint: its failure rolls the whole transaction back. Transient
// conflicts (SQLite busy, PostgreSQL deadlock or serialization failure) run
// the whole group again; a failure of the group's own final writes runs each
// Work again alone.
//
// Lock order, which keeps transactions of several processes free of
// deadlocks on PostgreSQL: the group's advisory locks (every Work's Locks,
// sorted, takeLocks), then the rows each Work reads FOR UPDATE (covered by
// those locks), then the clearing accounts' rows whose settlements the
// group deferred, in id order (clearing.go), then user_counts rows in their
// canonical order, then chain heads in program order (flush). Any other
// transaction that takes counts or heads takes them in that same order
// (BulkCreateUsers).
//
// Savepoints are subtransactions on PostgreSQL, and a transaction with more
// than 64 of them that wrote (PGPROC_MAX_CACHED_SUBXIDS) overflows the
// per-backend cache and slows every other session's snapshots; groups there
// are capped below that (pgMaxGroup).

// Group size caps. SQLite savepoints cost nothing outside the one writer.
const (
	sqliteMaxGroup = 64
	pgMaxGroup     = 56
)

// opResult is one Work's outcome.
type opResult struct {
	value any
	err   error
}

// groupOp is one Work waiting for a group.
type groupOp struct {
	ctx  context.Context
	work Work
	// done receives the outcome once its transaction ended.
	done chan opResult
}

// committer runs groups. SQLite has one lane (one writer at a time anyway);
// PostgreSQL has pgLanes, so one program's groups pipeline (one commits while
// the next takes its locks) and other programs' groups run in parallel.
type committer struct {
	once     sync.Once
	stopOnce sync.Once
	queue    chan *groupOp
	quit     chan struct{}
	stopped  chan struct{}
	wg       sync.WaitGroup
	lanes    int
	maxGroup int
	// largest is the most Work one committed transaction held (tests use
	// it to see that grouping happens).
	largest atomic.Int64
	// deadlocks counts groups PostgreSQL aborted as deadlock victims; the
	// lock order of takeLocks keeps it at zero (tests check it).
	deadlocks atomic.Int64
}

func newCommitter(lanes, maxGroup int) *committer {
	return &committer{queue: make(chan *groupOp, maxGroup*lanes), quit: make(chan struct{}),
		stopped: make(chan struct{}), lanes: lanes, maxGroup: maxGroup}
}

var errStoreClosed = errors.New("store is closed")

// enqueue queues op and waits for its outcome. op.ctx only decides whether
// the work runs at all: once queued, the outcome is awaited even if ctx ends,
// since the work may already be committed and the caller must learn which.
func (s *Store) enqueue(op *groupOp) opResult {
	c := s.committer
	c.once.Do(func() {
		for range c.lanes {
			c.wg.Add(1)
			go s.commitLoop()
		}
	})
	select {
	case c.queue <- op:
	case <-c.quit:
		return opResult{err: banking.Internal(errStoreClosed)}
	case <-op.ctx.Done():
		return opResult{err: banking.Internal(op.ctx.Err())}
	}
	select {
	case r := <-op.done:
		return r
	case <-c.stopped:
		// Every lane has ended; an answer, if any, is already there.
		select {
		case r := <-op.done:
			return r
		default:
			return opResult{err: banking.Internal(errStoreClosed)}
		}
	}
}

// stop ends the lanes once the work they hold is done, and answers any still
// queued.
func (c *committer) stop() {
	c.stopOnce.Do(func() {
		c.once.Do(func() {}) // no lanes may start after this
		close(c.quit)
		c.wg.Wait()
		close(c.stopped)
	})
}

// commitLoop takes whatever work is waiting, runs it as one group, and
// repeats.
func (s *Store) commitLoop() {
	c := s.committer
	defer c.wg.Done()
	for {
		var first *groupOp
		select {
		case first = <-c.queue:
		case <-c.quit:
			s.failQueued(errStoreClosed)
			return
		}
		ops := []*groupOp{first}
	drain:
		for len(ops) < c.maxGroup {
			select {
			case op := <-c.queue:
				ops = append(ops, op)
			default:
				break drain
			}
		}
		s.runGroup(ops)
	}
}

// failQueued answers work still queued when the store closes.
func (s *Store) failQueued(err error) {
	for {
		select {
		case op := <-s.committer.queue:
			op.done <- opResult{err: banking.Internal(err)}
		default:
			return
		}
	}
}

// runGroup commits ops together, or each alone when the group cannot be.
func (s *Store) runGroup(ops []*groupOp) {
	live := ops[:0:0]
	for _, op := range ops {
		if err := op.ctx.Err(); err != nil {
			op.done <- opResult{err: banking.Internal(err)}
			continue
		}
		live = append(live, op)
	}
	if len(live) == 0 {
		return
	}
	// A work that asks to run alone (Work.Alone) gets a group of its own,
	// in queue order with the groups of the others.
	if len(live) > 1 && slices.ContainsFunc(live, func(op *groupOp) bool { return op.work.Alone }) {
		start := 0
		for i, op := range live {
			if !op.work.Alone {
				continue
			}
			if i > start {
				s.runGroup(live[start:i])
			}
			s.runGroup(live[i : i+1])
			start = i + 1
		}
		if start < len(live) {
			s.runGroup(live[start:])
		}
		return
	}
	// A stable order of row locks within the group (the advisory locks of
	// takeLocks already keep groups apart).
	slices.SortStableFunc(live, func(a, b *groupOp) int {
		return cmp.Or(cmp.Compare(a.work.Program, b.work.Program), cmp.Compare(firstLock(a), firstLock(b)))
	})
	results, err := s.tryGroup(live)
	if err == nil {
		s.committer.noteGroup(len(live))
		for i, op := range live {
			op.done <- results[i]
		}
		return
	}
	var ce commitError
	if len(live) == 1 || errors.As(err, &ce) {
		// Alone, the work's error is its answer. A failed COMMIT leaves open
		// whether the group took effect, so running its work again could
		// answer "already blocked" for a block that did: each gets the 500 it
		// would have got alone.
		for _, op := range live {
			op.done <- opResult{err: s.translate(err)}
		}
		return
	}
	// The group's own final writes failed: run each work alone.
	for _, op := range live {
		results, err := s.tryGroup([]*groupOp{op})
		if err != nil {
			op.done <- opResult{err: s.translate(err)}
			continue
		}
		op.done <- results[0]
	}
}

func firstLock(op *groupOp) string {
	if len(op.work.Locks) == 0 {
		return ""
	}
	return op.work.Locks[0]
}

// noteGroup records the size of a committed group.
func (c *committer) noteGroup(n int) {
	for {
		cur := c.largest.Load()
		if int64(n) <= cur || c.largest.CompareAndSwap(cur, int64(n)) {
			return
		}
	}
}

// groupTimeout bounds one group's transaction.
const groupTimeout = 30 * time.Second

// tryGroup runs ops in one transaction, retrying transient conflicts. It
// returns each work's own outcome when the transaction committed, or the
// error that stopped it (then nothing was written). A group of one returns
// its work's error, whatever it was, as the group's error.
func (s *Store) tryGroup(ops []*groupOp) ([]opResult, error) {
	if s.writeMu != nil {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	// The transaction outlives any one request's context: a work whose
	// client went away still commits or fails with the rest.
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	var results []opResult
	var scheduled []string
	var after []func()
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 5 * time.Millisecond)
		}
		err = s.tryTx(ctx, func(tx *sql.Tx) error {
			results, scheduled, after, err = s.runOps(ctx, tx, ops)
			return err
		})
		if err == nil {
			for _, f := range after {
				f()
			}
			if len(scheduled) > 0 {
				s.notifyJobs(scheduled)
			}
		}
		if err == nil || !s.dialect.retryable(err) {
			break
		}
		if s.dialect.deadlock(err) {
			s.committer.deadlocks.Add(1)
		}
	}
	return results, err
}

// runOps runs the work of a group in tx, each in a savepoint when there are
// several, then writes what they deferred; scheduled are the kinds of the
// jobs it scheduled or made due sooner, whose runners to wake, and after
// what must run once it commits.
func (s *Store) runOps(ctx context.Context, tx *sql.Tx, ops []*groupOp) (results []opResult, scheduled []string, after []func(), err error) {
	g := &Tx{s: s, tx: tx}
	if err := s.takeLocks(ctx, g, ops); err != nil {
		return nil, nil, nil, err
	}
	results = make([]opResult, len(ops))
	if len(ops) == 1 {
		w := &Tx{s: s, tx: tx}
		v, err := runWork(ctx, w, ops[0].work)
		if err != nil {
			return nil, nil, nil, err
		}
		g.keep(w)
		results[0] = opResult{value: v}
		err = s.flush(ctx, g)
		return results, g.wakeKinds(), g.afterCommit, err
	}
	sp := savepoints{s: s, tx: tx}
	for i, op := range ops {
		if err := sp.begin(ctx); err != nil {
			return nil, nil, nil, err
		}
		w := &Tx{s: s, tx: tx}
		v, err := runWork(ctx, w, op.work)
		if err != nil {
			if s.dialect.retryable(err) {
				return nil, nil, nil, err // the whole group runs again
			}
			if rerr := sp.rollback(ctx); rerr != nil {
				return nil, nil, nil, rerr
			}
			results[i] = opResult{err: s.translate(err)}
			continue
		}
		g.keep(w)
		results[i] = opResult{value: v}
	}
	// The last work's savepoint is released before the flush: inside it,
	// SQLite would copy every page the flush writes to its sub-journal
	// first, and PostgreSQL would write them in a subtransaction. A failed
	// flush fails the whole group either way.
	if err := sp.end(ctx); err != nil {
		return nil, nil, nil, err
	}
	// Flushed first: the event hook may schedule jobs of its own.
	err = s.flush(ctx, g)
	return results, g.wakeKinds(), g.afterCommit, err
}

// runWork runs one Work with its idempotent answer and job completion,
// turning a panic into its error: it runs on the committer's goroutine,
// where a panic would end the process instead of one request.
func runWork(ctx context.Context, tx *Tx, w Work) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = banking.Internal(fmt.Errorf("work panicked: %v\n%s", p, debug.Stack()))
		}
	}()
	tx.job = w.Job
	v, err = w.Run(ctx, tx)
	if err != nil {
		return nil, err
	}
	if w.Idem != nil {
		if err := tx.s.finishIdem(ctx, tx.tx, w.Idem, v); err != nil {
			return nil, err
		}
	}
	if w.Job != nil && !tx.jobDone {
		if err := tx.s.finishJob(ctx, tx.tx, w.Job); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// savepoints brackets each work of a group. On PostgreSQL the release of one
// work's savepoint and the start of the next travel in one round trip.
type savepoints struct {
	s    *Store
	tx   *sql.Tx
	open bool // a released-on-success savepoint is still open
}

func (p *savepoints) begin(ctx context.Context) error {
	q := "SAVEPOINT work"
	if p.open {
		if p.s.dialect.engine == Postgres {
			q = "RELEASE SAVEPOINT work; SAVEPOINT work"
		} else if _, err := p.s.exec(ctx, p.tx, "RELEASE SAVEPOINT work"); err != nil {
			return err
		}
	}
	// On SQLite through the statement cache: a group runs two of these per
	// work, and parsing them anew each time showed in profiles.
	_, err := p.s.exec(ctx, p.tx, q)
	p.open = err == nil
	return err
}

// end releases the savepoint a successful last work left open.
func (p *savepoints) end(ctx context.Context) error {
	if !p.open {
		return nil
	}
	p.open = false
	_, err := p.tx.ExecContext(ctx, "RELEASE SAVEPOINT work")
	return err
}

// rollback undoes everything the current work wrote.
func (p *savepoints) rollback(ctx context.Context) error {
	p.open = false
	if p.s.dialect.engine == Postgres {
		_, err := p.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT work; RELEASE SAVEPOINT work")
		return err
	}
	if _, err := p.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT work"); err != nil {
		return err
	}
	_, err := p.tx.ExecContext(ctx, "RELEASE SAVEPOINT work")
	return err
}
