package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestUnreachableDatabaseRetriesAJob: a job whose handler met the database
// unreachable (503 unavailable: a connection lost, SQLite still busy after
// its retries) is made due again later, not dropped like a job that can
// never succeed: a settlement job dropped so would leave its movement
// pending for good (money.md section 4.5: settlement is durable).
func TestUnreachableDatabaseRetriesAJob(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			e := newPoolEnv(t, eng.DSN(t), true, WebhookConfig{}, nil)
			ctx := context.Background()
			const kind = "test.outage"
			e.s.handle(kind, func(context.Context, store.Job) error {
				return &banking.Error{Code: banking.CodeUnavailable, Message: "the database cannot be reached for now",
					Err: errors.New("connection reset by peer")}
			})
			now := e.clock.Now()
			if _, err := e.st.Do(ctx, store.Work{Program: e.pid, Run: func(_ context.Context, tx *store.Tx) (any, error) {
				tx.Schedule(store.NewJob{Program: e.pid, Kind: kind, RunAt: now})
				return nil, nil
			}}); err != nil {
				t.Fatal(err)
			}
			jobs, err := e.st.ClaimJobKinds(ctx, []string{kind}, now, time.Minute, 1)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("claimed %d jobs (%v), want 1", len(jobs), err)
			}
			e.s.runJob(ctx, jobs[0])
			if n, err := e.st.JobCount(ctx, kind); err != nil || n != 1 {
				t.Fatalf("%d jobs after the outage (%v), want the job kept", n, err)
			}
			again, err := e.st.ClaimJobKinds(ctx, []string{kind}, now.Add(2*maxBackoff), time.Minute, 1)
			if err != nil || len(again) != 1 || again[0].Attempts != 2 {
				t.Errorf("claimed again later: %+v (%v), want the job's second attempt", again, err)
			}
		})
	}
}
