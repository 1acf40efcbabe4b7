package service

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
)

// TestRecorderSettlesSharedJobLast: the outcomes of a job that names
// several events may reach the recorder in any order (each attempt runs on
// a worker of its own); the job is deleted with the last outcome the
// recorder records, whichever it is, skipped ones included, and never
// before another outcome of it is recorded (a job deleted first would
// make that outcome unrecordable and leave its event without a job).
func TestRecorderSettlesSharedJobLast(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			st, err := store.Open(ctx, eng.DSN(t), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
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
