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

// Group commit. A user mutation does not get a transaction of its own: it is
// queued, and a committer runs every mutation waiting at that moment in one
// transaction, one after another, then commits once. The commit (an fsync on
// both engines) and the audit-chain head, which every write of a program must
// lock until its commit, are paid once per group instead of once per
// request. That was the limit make bench measured: a one-row UPDATE is ~8k
// commits/s on this machine, and ingot's toggles were far below it because
// each one held the program's chain head across its own fsync.
//
// Each mutation keeps its own outcome. A mutation that fails before it wrote
// anything (user not found, a transition that is not allowed) is simply left
// out of the group. One that fails after writing (a duplicate email, a lost
// idempotency reservation, a driver error) poisons the transaction, so the
// group is rolled back and each of its mutations is run again alone, in its
// own transaction, exactly as without grouping; each then gets its own
// answer. Transient conflicts (SQLite busy, PostgreSQL deadlock or
// serialization failure) retry the whole group.
//
// Lock order, which keeps groups of several processes free of deadlocks on
// PostgreSQL: user rows in (program, user id) order, then audit heads in
// program order, then user_counts rows in their canonical order (the order
// BulkCreateUsers uses too).

// runOp runs one mutation, turning a panic into its error: it runs on the
// committer's goroutine, where a panic would end the process instead of one
// request. Its writes are then unknown, so the group falls back.
func runOp(ctx context.Context, tx *sql.Tx, g *groupTx, op *groupOp) (err error) {
	defer func() {
		if p := recover(); p != nil {
			g.wrote = true
			err = fmt.Errorf("mutation panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return op.fn(ctx, tx, g)
}

// maxGroup bounds how many mutations share one transaction, so one group's
// latency stays small and its statement parameters within limits.
const maxGroup = 64

// groupOp is one mutation waiting for a group.
type groupOp struct {
	ctx context.Context
	pid banking.ProgramID
	// key orders mutations of a group so row locks are taken in one order:
	// the user id for an update, "email:" and the normalized email for a
	// create (its row is new; its email's unique index entry is the lock).
	key string
	fn  func(ctx context.Context, tx *sql.Tx, g *groupTx) error
	// done receives the mutation's outcome once its transaction ended.
	done chan error
}

// groupTx is what the mutations of one group defer to its end: their events,
// chained and inserted together, and their net user count changes.
type groupTx struct {
	events []banking.Event
	counts map[countKey]int
	// wrote is set by a mutation before its first write statement; an error
	// after that cannot be undone without rolling the whole group back.
	wrote bool
}

// committer runs groups. SQLite has one lane (one writer at a time anyway);
// PostgreSQL has pgLanes, so one program's groups pipeline (one commits while
// the next locks its users) and other programs' groups run in parallel.
type committer struct {
	once     sync.Once
	stopOnce sync.Once
	queue    chan *groupOp
	quit     chan struct{}
	stopped  chan struct{}
	wg       sync.WaitGroup
	lanes    int
	// largest is the most mutations one committed transaction held (tests
	// use it to see that grouping happens).
	largest atomic.Int64
}

func newCommitter(lanes int) *committer {
	return &committer{queue: make(chan *groupOp, maxGroup*lanes), quit: make(chan struct{}),
		stopped: make(chan struct{}), lanes: lanes}
}

var errStoreClosed = errors.New("store is closed")

// group queues fn as one mutation of program pid and waits for its outcome.
// fn runs inside a transaction shared with other mutations: it must set
// g.wrote before its first write, hand its event and count changes to g
// instead of writing them, and be safe to run again. fn must use the context
// it is given, the group's: ctx only decides whether fn runs at all.
func (s *Store) group(ctx context.Context, pid banking.ProgramID, key string, fn func(ctx context.Context, tx *sql.Tx, g *groupTx) error) error {
	c := s.committer
	c.once.Do(func() {
		for range c.lanes {
			c.wg.Add(1)
			go s.commitLoop()
		}
	})
	op := &groupOp{ctx: ctx, pid: pid, key: key, fn: fn, done: make(chan error, 1)}
	select {
	case c.queue <- op:
	case <-c.quit:
		return banking.Internal(errStoreClosed)
	case <-ctx.Done():
		return banking.Internal(ctx.Err())
	}
	// Once queued, the outcome is awaited even if ctx ends: the mutation may
	// already be committed, and the caller must learn which.
	select {
	case err := <-op.done:
		return err
	case <-c.stopped:
		// Every lane has ended; an answer, if any, is already there.
		select {
		case err := <-op.done:
			return err
		default:
			return banking.Internal(errStoreClosed)
		}
	}
}

// stop ends the lanes once the mutations they hold are done, and answers any
// still queued.
func (c *committer) stop() {
	c.stopOnce.Do(func() {
		c.once.Do(func() {}) // no lanes may start after this
		close(c.quit)
		c.wg.Wait()
		close(c.stopped)
	})
}

// commitLoop takes whatever mutations are waiting, runs them as one group,
// and repeats.
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
		for len(ops) < maxGroup {
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

// failQueued answers mutations still queued when the store closes.
func (s *Store) failQueued(err error) {
	for {
		select {
		case op := <-s.committer.queue:
			op.done <- banking.Internal(err)
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
			op.done <- banking.Internal(err)
			continue
		}
		live = append(live, op)
	}
	if len(live) == 0 {
		return
	}
	slices.SortStableFunc(live, func(a, b *groupOp) int {
		return cmp.Or(cmp.Compare(a.pid, b.pid), cmp.Compare(a.key, b.key))
	})
	if len(live) > 1 {
		results, err := s.tryGroup(live)
		if err == nil {
			s.committer.noteGroup(len(live))
			for i, op := range live {
				op.done <- results[i]
			}
			return
		}
		var ce commitError
		if errors.As(err, &ce) {
			// The commit itself failed: the group may or may not be
			// written, so running its mutations again would answer
			// "already blocked" for a block that took effect. Each gets the
			// 500 it would have got alone.
			for _, op := range live {
				op.done <- banking.Internal(err)
			}
			return
		}
		// A mutation failed after writing: fall back to one transaction
		// per mutation.
	}
	for _, op := range live {
		results, err := s.tryGroup([]*groupOp{op})
		if err == nil {
			err = results[0]
		}
		op.done <- s.translate(err)
	}
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

// tryGroup runs ops in one transaction, retrying transient conflicts. It
// returns each mutation's own outcome when the transaction committed, or the
// error that stopped it (then nothing was written). A group of one returns
// its mutation's error, whatever it was, as the group's error.
func (s *Store) tryGroup(ops []*groupOp) ([]error, error) {
	if s.writeMu != nil {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	// The transaction outlives any one request's context: a mutation whose
	// client went away still commits or fails with the rest.
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	var results []error
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 5 * time.Millisecond)
		}
		err = s.tryTx(ctx, func(tx *sql.Tx) error {
			results, err = s.runOps(ctx, tx, ops)
			return err
		})
		if err == nil || !s.dialect.retryable(err) {
			break
		}
	}
	return results, err
}

// groupTimeout bounds one group's transaction.
const groupTimeout = 30 * time.Second

// runOps runs the mutations of a group in tx and then writes what they
// deferred: the chained events, then the net counts.
func (s *Store) runOps(ctx context.Context, tx *sql.Tx, ops []*groupOp) ([]error, error) {
	g := &groupTx{counts: map[countKey]int{}}
	results := make([]error, len(ops))
	for i, op := range ops {
		g.wrote = false
		err := runOp(ctx, tx, g, op)
		switch {
		case err == nil:
		case len(ops) == 1 || g.wrote || s.dialect.retryable(err):
			// A transient conflict retries the whole group, as it would
			// retry the mutation alone.
			return nil, err
		default:
			// Failed before its first write, so it deferred nothing either.
			results[i] = s.translate(err)
		}
	}
	if len(g.events) > 0 {
		if err := s.insertEvents(ctx, tx, g.events); err != nil {
			return nil, err
		}
	}
	if err := s.addCounts(ctx, tx, g.counts); err != nil {
		return nil, err
	}
	return results, nil
}
