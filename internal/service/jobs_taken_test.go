package service

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
)

// TestDelayOrTake: a job due at once is inserted claimed by a process that
// runs jobs, with a lease of Config.JobLease; a delayed one, or any job of a
// process that runs none, is left for a claim, due its delay later.
func TestDelayOrTake(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	due := now.Add(-time.Second) // a program clock behind the real one
	for _, tc := range []struct {
		name      string
		jobs      bool
		delay     time.Duration
		wantTaken bool
		wantRunAt time.Time
	}{
		{"due at once, jobs run here", true, 0, true, due},
		{"delayed", true, 5 * time.Second, false, due.Add(5 * time.Second)},
		{"no jobs run here", false, 0, false, due},
		{"no jobs run here, delayed", false, time.Minute, false, due.Add(time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Service{now: func() time.Time { return now }, jobLease: 30 * time.Second}
			s.takeJobs = tc.jobs
			j := store.NewJob{Kind: jobSettle, RunAt: due}
			s.delayOrTake(&j, tc.delay)
			if got := j.Claimed != nil; got != tc.wantTaken {
				t.Errorf("taken = %v, want %v", got, tc.wantTaken)
			}
			if !j.RunAt.Equal(tc.wantRunAt) {
				t.Errorf("RunAt = %v, want %v", j.RunAt, tc.wantRunAt)
			}
			wantLease := time.Time{}
			if tc.wantTaken {
				wantLease = now.Add(30 * time.Second)
			}
			if !j.Lease.Equal(wantLease) {
				t.Errorf("Lease = %v, want %v", j.Lease, wantLease)
			}
		})
	}
}

// TestSettlementsTakenWithoutClaims: on SQLite, settlements due at once are
// run by the process that committed their movements, with no claim of the
// jobs table for each (a claim comes only from the runner's poll, once a
// second); on PostgreSQL the runner claims them. Either way every one
// completes, and a process closing waits for those it took.
func TestSettlementsTakenWithoutClaims(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			var claims atomic.Int64
			st, err := store.Open(ctx, eng.DSN(t), store.Options{Observe: func(op string, _ time.Duration) {
				if op == "claim_jobs" {
					claims.Add(1)
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			sealer, _ := vault.New(bytes.Repeat([]byte{7}, 32))
			s := New(Config{Store: st, Sealer: sealer})
			closed := false
			t.Cleanup(func() {
				if !closed {
					s.Close()
				}
			})
			creds, err := s.CreateProgram(ctx, "taken")
			if err != nil {
				t.Fatal(err)
			}
			c := Caller{ProgramID: banking.ProgramID(creds.ProgramID)}
			master := banking.MasterAccountID(c.ProgramID)
			const n = 40
			start, before := time.Now(), claims.Load()
			var ids []banking.TransactionID
			for range n {
				tr, err := s.SimulateInbound(ctx, c, string(master), "1.00", "ach", "taken", nil)
				if err != nil {
					t.Fatal(err)
				}
				if tr.Status != banking.TxPending {
					t.Fatalf("inbound ACH answered %s, want pending", tr.Status)
				}
				ids = append(ids, tr.ID)
			}
			taken := st.Engine() == store.SQLite
			if !taken {
				// The runner's claims settle them; Close cuts a claim short.
				waitUntil(t, "every settlement", func() bool {
					n, err := st.JobCount(ctx, jobSettle)
					return err == nil && n == 0
				})
			}
			// Close waits for the settlements this process took.
			s.Close()
			closed = true
			elapsed := time.Since(start)
			for _, id := range ids {
				tr, err := st.Transaction(ctx, c.ProgramID, id)
				if err != nil {
					t.Fatal(err)
				}
				if tr.Status != banking.TxCompleted {
					t.Errorf("transaction %s is %s after Close, want completed", id, tr.Status)
				}
			}
			if got, err := st.JobCount(ctx, jobSettle); err != nil || got != 0 {
				t.Errorf("%d settlement jobs left, %v; want 0", got, err)
			}
			// The runner polls once a second; a claim per movement would be
			// about n.
			limit := int64(elapsed/time.Second) + 3
			got := claims.Load() - before
			switch {
			case taken && got > limit:
				t.Errorf("%d claims for %d settlements in %v, want at most %d", got, n, elapsed, limit)
			case !taken && got == 0:
				t.Errorf("no claim for %d settlements: PostgreSQL's runner claims them", n)
			}
		})
	}
}
