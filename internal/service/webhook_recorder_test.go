package service

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
)

// TestRecorderSettlesSharedJobLast, the sequential case: the outcomes of
// a job that names several events may reach the recorder in any order
// (each attempt runs on a worker of its own); submitted one at a time in
// an order other than the events', the job is deleted with the last one
// the recorder records, whichever it is, skipped ones included, and not
// before. TestRecorderSettlesSharedJobLastConcurrently submits them at
// once.
func TestRecorderSettlesSharedJobLast(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, eng.DSN(t))
			sealer, _ := vault.New(bytes.Repeat([]byte{7}, 32))
			s := New(Config{Store: st, Sealer: sealer, NoJobs: true})
			defer s.Close()
			creds, err := s.CreateProgram(ctx, "rec")
			if err != nil {
				t.Fatal(err)
			}
			pid := banking.ProgramID(creds.ProgramID)
			now := time.Now()
			var evs []store.WebhookEvent
			for i := range 3 {
				evs = append(evs, store.WebhookEvent{ID: fmt.Sprintf("inn_whe_000000000000000000rec%d", i), ProgramID: pid,
					Type: "user.blocked", ResourceID: "user-x", AuditEventID: fmt.Sprintf("event-r%d", i), Payload: []byte(`{}`),
					Status: store.DeliveryPending, CreatedAt: now})
			}
			if _, err := st.Do(ctx, store.Work{Program: pid, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
				return nil, tx.InsertWebhookEvents(ctx, evs, nil)
			}}); err != nil {
				t.Fatal(err)
			}
			jobs, err := st.ClaimJobKinds(ctx, []string{store.JobWebhookDelivery}, now, time.Minute, 10)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("claimed %d jobs, %v; want the shared one", len(jobs), err)
			}
			j := jobs[0]
			rec := newWebhookRecorder(s)
			defer rec.close()
			share := newShare(len(evs), now.Add(time.Minute))
			jobsLeft := func() int {
				t.Helper()
				n, err := st.JobCount(ctx, store.JobWebhookDelivery)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			// In the order the attempts happened to finish: the last event
			// first, then a skipped one, then the first event.
			for k, o := range []store.WebhookOutcome{
				{EventID: evs[2].ID, Delivered: true, StatusCode: 200},
				{EventID: evs[1].ID, Skipped: true},
				{EventID: evs[0].ID, Delivered: true, StatusCode: 204},
			} {
				o.ProgramID, o.At = pid, now
				done := make(chan bool, 1)
				rec.submit(o, &j, share, func(recorded bool, err error) {
					if err != nil {
						t.Error(err)
					}
					done <- recorded
				})
				if !<-done {
					t.Fatalf("outcome %d not recorded", k)
				}
				if want := map[bool]int{true: 0, false: 1}[k == 2]; jobsLeft() != want {
					t.Errorf("after outcome %d: %d jobs, want %d", k, jobsLeft(), want)
				}
			}
			list, _, err := st.WebhookEvents(ctx, pid, store.WebhookFilter{Page: 1, PerPage: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range list {
				want := store.DeliveryDelivered
				if e.ID == evs[1].ID {
					want = store.DeliveryPending // skipped: delivered elsewhere, untouched here
				}
				if e.Status != want {
					t.Errorf("event %s %s, want %s", e.ID, e.Status, want)
				}
			}
		})
	}
}

// TestRecorderSettlesSharedJobLastConcurrently: the outcomes of a shared
// job's events submitted at once, from a worker each, round after round,
// are all recorded, and the job is gone after the last. Under -race it
// checks the recorder's and jobShare's concurrent use. It is a weak check
// of the order it is named for: counting down at submission instead of in
// the recorder's order (the bug fixed in cdcc9bf) fails only when a
// submitter is descheduled between its count and its send, which no test
// can force from outside; tried with that bug put back, 3 runs of it all
// passed. The sequential case is TestRecorderSettlesSharedJobLast.
func TestRecorderSettlesSharedJobLastConcurrently(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newPoolEnv(t, eng.DSN(t), true, WebhookConfig{}, nil)
			rec := newWebhookRecorder(e.s)
			defer rec.close()
			const rounds, events = 20, 6
			for r := range rounds {
				now := e.clock.Now()
				evs := make([]store.WebhookEvent, events)
				for i := range evs {
					evs[i] = store.WebhookEvent{ID: fmt.Sprintf("inn_whe_00000000000000rc%03d%03d", r, i), ProgramID: e.pid,
						Type: "user.blocked", ResourceID: "user-x", AuditEventID: fmt.Sprintf("event-rc%d-%d", r, i),
						Payload: []byte(`{}`), Status: store.DeliveryPending, CreatedAt: now}
				}
				if _, err := e.st.Do(ctx, store.Work{Program: e.pid, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
					return nil, tx.InsertWebhookEvents(ctx, evs, nil)
				}}); err != nil {
					t.Fatal(err)
				}
				jobs, err := e.st.ClaimJobKinds(ctx, []string{store.JobWebhookDelivery}, now, jobLease, 10)
				if err != nil || len(jobs) != 1 {
					t.Fatalf("round %d: claimed %d jobs, %v; want the shared one", r, len(jobs), err)
				}
				j := jobs[0]
				share := newShare(events, now.Add(jobLease))
				start := make(chan struct{})
				var wg sync.WaitGroup
				recorded := make([]bool, events)
				for i := range evs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						o := store.WebhookOutcome{ProgramID: e.pid, EventID: evs[i].ID, At: now, Delivered: true, StatusCode: 200}
						if i == 0 {
							o = store.WebhookOutcome{ProgramID: e.pid, EventID: evs[i].ID, Skipped: true}
						}
						done := make(chan struct{})
						<-start
						rec.submit(o, &j, share, func(ok bool, err error) {
							if err != nil {
								t.Error(err)
							}
							recorded[i] = ok
							close(done)
						})
						<-done
					}()
				}
				close(start)
				wg.Wait()
				for i, ok := range recorded {
					if !ok {
						t.Errorf("round %d: outcome of event %d not recorded", r, i)
					}
				}
				if n, err := e.st.JobCount(ctx, store.JobWebhookDelivery); err != nil || n != 0 {
					t.Fatalf("round %d: %d delivery jobs left, %v; want the shared one deleted", r, n, err)
				}
				for _, ev := range evs[1:] {
					if got := e.event(t, ev.ID); got.Status != store.DeliveryDelivered {
						t.Errorf("round %d: event %s %s, want delivered", r, ev.ID, got.Status)
					}
				}
			}
		})
	}
}
