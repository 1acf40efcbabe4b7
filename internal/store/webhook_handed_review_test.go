package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// handedStore opens a SQLite store (the engine that hands deliveries over
// without a job row) with a program and its endpoint.
func handedStore(t *testing.T, name string) (*store.Store, banking.Program) {
	t.Helper()
	eng := testenv.Engines()[0]
	if eng.Name != "sqlite" {
		t.Fatalf("first engine %s, want sqlite", eng.Name)
	}
	s := openStore(t, eng.DSN(t))
	p := mustProgram(t, s, name)
	if _, _, err := s.SetWebhookEndpoint(context.Background(), store.WebhookEndpoint{ProgramID: p.ID,
		URL: "https://93.184.216.34/", CreatedAt: t0, UpdatedAt: t0},
		store.WebhookSecret{ID: "whs_" + name, Sealed: []byte("k"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	return s, p
}

// mustHand commits n pending events of program p (ids tag01…), handed over
// without a job row, and returns them with the one handed job.
func mustHand(t *testing.T, s *store.Store, p banking.Program, tag string, n int) ([]store.WebhookEvent, store.Job) {
	t.Helper()
	var evs []store.WebhookEvent
	for k := 1; k <= n; k++ {
		id := fmt.Sprintf("%s%02d", tag, k)
		evs = append(evs, store.WebhookEvent{ID: "inn_whe_" + fmt.Sprintf("%022s", id), ProgramID: p.ID,
			Type: "user.blocked", ResourceID: "user-x", AuditEventID: "event-" + id,
			Payload: []byte(`{}`), Status: store.DeliveryPending, CreatedAt: t0})
	}
	var taken []store.Job
	if _, err := s.Do(context.Background(), store.Work{Program: p.ID, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
		return nil, tx.InsertWebhookEvents(ctx, evs, func(idx []int) (func(store.Job), time.Time) {
			return func(j store.Job) { taken = append(taken, j) }, t0.Add(time.Hour)
		})
	}}); err != nil {
		t.Fatal(err)
	}
	if len(taken) != 1 || !taken[0].Handed() {
		t.Fatalf("handed over %v, want one job of no row", taken)
	}
	return evs, taken[0]
}

// TestHandedOutcomeOfAResetEvent: a sandbox reset deletes a program's
// webhook events (and jobs) while a handed attempt of one is in flight. A
// claimed job's outcome is then not recorded (its row is gone); a handed
// one has no row to tell, so its failure must not fail the whole batch
// of outcomes it is recorded with: the others (here another program's
// delivery) are recorded, not made again.
func TestHandedOutcomeOfAResetEvent(t *testing.T) {
	ctx := context.Background()
	s, p := handedStore(t, "hu_reset")
	q := mustProgram(t, s, "hu_other")
	if _, _, err := s.SetWebhookEndpoint(ctx, store.WebhookEndpoint{ProgramID: q.ID, URL: "https://93.184.216.34/",
		CreatedAt: t0, UpdatedAt: t0}, store.WebhookSecret{ID: "whs_hu_other", Sealed: []byte("k"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	gone, gj := mustHand(t, s, p, "gone", 1)
	kept, kj := mustHand(t, s, q, "kept", 1)
	at := t0.Add(time.Second)
	if _, err := s.Do(ctx, s.ResetWork(p.ID, banking.Event{ID: banking.NewEventID(at), ProgramID: p.ID,
		SubjectID: string(p.ID), Type: banking.EventProgramReset, Actor: "program", CreatedAt: at})); err != nil {
		t.Fatal(err)
	}
	outs := []store.WebhookOutcome{
		{ProgramID: p.ID, EventID: gone[0].ID, At: at, StatusCode: 500, Error: "HTTP 500", Next: at.Add(time.Minute)},
		{ProgramID: q.ID, EventID: kept[0].ID, At: at, Delivered: true, StatusCode: 204},
	}
	v, err := s.Do(ctx, store.WebhookOutcomesWork(outs, []*store.Job{&gj, &kj}))
	if err != nil {
		t.Fatalf("recording a batch with a reset event's failure: %v", err)
	}
	if got := v.([]bool); !got[1] {
		t.Errorf("recorded %v, want the other program's delivery recorded", got)
	}
	attempts, err := s.WebhookAttempts(ctx, []store.Job{kj})
	if err != nil {
		t.Fatal(err)
	}
	if got := attempts[kept[0].ID].Event.Status; got != store.DeliveryDelivered {
		t.Errorf("other program's event %s, want delivered", got)
	}
	if n, err := s.JobCount(ctx, store.JobWebhookDelivery); err != nil || n != 0 {
		t.Errorf("%d delivery jobs, %v; want none (no retry of a reset event)", n, err)
	}
}

// TestRedeliveredHandedEventNotRecovered: an event whose handed first
// delivery ended without an attempt (its endpoint was disabled) and which
// was then redelivered has a job row, the redelivery's; a restart must
// not give it a second one (two deliveries where one was asked for).
func TestRedeliveredHandedEventNotRecovered(t *testing.T) {
	ctx := context.Background()
	s, p := handedStore(t, "hu_redeliver")
	evs, j := mustHand(t, s, p, "redo", 1)
	at := t0.Add(time.Second)
	// The endpoint was disabled: the attempt was not made.
	out := []store.WebhookOutcome{{ProgramID: p.ID, EventID: evs[0].ID, At: at, NoAttempt: true,
		Error: "the webhook endpoint is disabled"}}
	if _, err := s.Do(ctx, store.WebhookOutcomesWork(out, []*store.Job{&j})); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Do(ctx, store.RedeliverWork(p.ID, evs[0].ID, at, "program")); err != nil {
		t.Fatal(err)
	}
	n, err := s.RecoverHandedDeliveries(ctx)
	if err != nil || n != 0 {
		t.Errorf("recovered %d, %v after a redelivery; want 0 (the redelivery's job delivers it)", n, err)
	}
	jobs := mustClaim(t, s, at.Add(time.Minute), 1)
	if got := jobs[0].Events(); !slices.Equal(got, []string{evs[0].ID}) {
		t.Errorf("job names %v, want the redelivered event", got)
	}
}
