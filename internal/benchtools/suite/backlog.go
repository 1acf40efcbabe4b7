package main

// The scale step of issue 13: settling a backlog of pending external
// movements after a restart. With the server stopped, `ingot bench --op
// settle-backlog` inserts cfg.Backlog pending top-ups straight into the
// database, each as the API records one, their sandbox rail settlement due
// at once, in a process that runs no jobs; then the server starts, and the
// step times, from the exec, how long its durable jobs take until nothing
// is pending, and reads its peak memory.

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ingot-dev/ingot/internal/store"
)

// backlogConcurrency is how many workers insert the backlog: enough for
// ingot's group commit to fill its groups (the insertion is not measured
// against a target).
const backlogConcurrency = 32

// backlogPoll is how often the step asks whether anything is still
// pending: the settlement time is exact to about this much.
const backlogPoll = 100 * time.Millisecond

// backlogTimeout bounds the wait for the settlement.
const backlogTimeout = 15 * time.Minute

// backlog runs the step on the engine of e, whose server runs on dsn (the
// op runs have readied the businesses the top-ups fund: --op topup). It
// leaves the restarted server running.
func (s *suite) backlog(ctx context.Context, e *EngineResults, dsn string) error {
	n := s.cfg.Backlog
	s.stopServer()
	s.logf("%s: inserting %d pending top-ups with the server stopped", engineName(e.Engine), n)
	ins, err := s.bench(ctx, "settle-backlog", time.Second, "--op", "settle-backlog", "--count", strconv.Itoa(n),
		"--bulk-db", dsn, "--concurrency", strconv.Itoa(backlogConcurrency))
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return fmt.Errorf("open the database to watch the backlog: %w", err)
	}
	defer st.Close()
	left, err := st.PendingTransactions(ctx, "", 1)
	if err != nil {
		return err
	}
	if len(left) == 0 {
		return fmt.Errorf("nothing is pending after inserting %d top-ups", n)
	}

	b := &Backlog{Count: n, Insert: ins, LoadStart: loadAvg()}
	s.quiet.wait(ctx)
	m0, err := readMachineTicks()
	if err != nil {
		return err
	}
	p0 := treeTicks(s.pg.pid())
	t0 := time.Now()
	took, err := s.startServer(ctx, e.Engine+".backlog", dsn)
	if err != nil {
		return err
	}
	b.StartupMS = took.Milliseconds()
	deadline := t0.Add(backlogTimeout)
	for {
		left, err := st.PendingTransactions(ctx, "", 1)
		if err != nil {
			return err
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d top-ups: still pending %v after the restart", n, backlogTimeout)
		}
		if !sleep(ctx, backlogPoll) {
			return ctx.Err()
		}
	}
	b.SettleMS = time.Since(t0).Milliseconds()
	m1, err := readMachineTicks()
	if err != nil {
		return err
	}
	pid := s.server.pid()
	mem, err := readMem(pid)
	if err != nil {
		return err
	}
	b.Mem = &mem
	// The server's CPU from its start (all of it), PostgreSQL's during the
	// step, the load generator's none: the step's only client is the poll.
	b.CPU = cpuSplit(m0, m1, procTicks(pid), treeTicks(s.pg.pid())-p0, 0)
	b.LoadEnd = loadAvg()
	e.Backlog = b
	s.logf("  %d top-ups settled %.1f s after the exec (start-up %d ms), peak VmHWM %s; machine %.0f%% busy (other %.0f%%)",
		n, float64(b.SettleMS)/1000, b.StartupMS, mb(mem.HWMKB), b.CPU.MachineBusyPct, b.CPU.OtherPct)
	return nil
}
