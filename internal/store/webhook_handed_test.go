package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/store"
)

// TestHandedDeliveryHasNoJobRow: on SQLite, a first delivery handed over
// to its writer writes no job row; its outcomes are recorded all the same
// (a failure gets a retry job of its own), and an event whose attempt was
// never recorded is given a job row by RecoverHandedDeliveries, once. On
// PostgreSQL the handed-over delivery is a claimed job row, as before, and
// there is nothing to recover.
func TestHandedDeliveryHasNoJobRow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_handed")
		if _, _, err := s.SetWebhookEndpoint(ctx, store.WebhookEndpoint{ProgramID: p.ID, URL: "https://93.184.216.34/",
			CreatedAt: t0, UpdatedAt: t0}, store.WebhookSecret{ID: "whs_handed", Sealed: []byte("k"), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		var evs []store.WebhookEvent
		for n := 1; n <= 3; n++ {
			evs = append(evs, store.WebhookEvent{ID: fmt.Sprintf("inn_whe_00000000000000000000%02d", n), ProgramID: p.ID,
				Type: "user.blocked", ResourceID: "user-x", AuditEventID: fmt.Sprintf("event-%d", n),
				Payload: []byte(`{}`), Status: store.DeliveryPending, CreatedAt: t0.Add(time.Duration(n) * time.Millisecond)})
		}
		var taken []store.Job
		if _, err := s.Do(ctx, store.Work{Program: p.ID, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
			return nil, tx.InsertWebhookEvents(ctx, evs, func(idx []int) (func(store.Job), time.Time) {
				return func(j store.Job) { taken = append(taken, j) }, t0.Add(time.Hour)
			})
		}}); err != nil {
			t.Fatal(err)
		}
		if len(taken) != 1 {
			t.Fatalf("%d jobs handed over, want 1", len(taken))
		}
		j := taken[0]
		if !slices.Equal(j.Events(), []string{evs[0].ID, evs[1].ID, evs[2].ID}) {
			t.Errorf("handed job names %v, want the three events", j.Events())
		}
		jobRows, err := s.JobCount(ctx, store.JobWebhookDelivery)
		if err != nil {
			t.Fatal(err)
		}
		sqlite := s.Engine() == store.SQLite
		if got, want := j.Handed(), sqlite; got != want {
			t.Errorf("job handed without a row: %v, want %v", got, want)
		}
		if got, want := jobRows, map[bool]int{true: 0, false: 1}[sqlite]; got != want {
			t.Errorf("%d delivery job rows, want %d", got, want)
		}
		if !sqlite {
			if n, err := s.RecoverHandedDeliveries(ctx); err != nil || n != 0 {
				t.Errorf("recovered %d, %v on PostgreSQL; want 0, nil", n, err)
			}
			return
		}
		at := t0.Add(2 * time.Second)
		next := at.Add(time.Minute)
		outs := []store.WebhookOutcome{
			{ProgramID: p.ID, EventID: evs[0].ID, At: at, Delivered: true, StatusCode: 204, KeepJob: true},
			{ProgramID: p.ID, EventID: evs[1].ID, At: at, StatusCode: 500, Error: "HTTP 500", Next: next},
		}
		v, err := s.Do(ctx, store.WebhookOutcomesWork(outs, []*store.Job{&j, &j}))
		if err != nil || !slices.Equal(v.([]bool), []bool{true, true}) {
			t.Fatalf("outcomes: recorded %v, %v; want both", v, err)
		}
		// Event 2's retry is a job of its own; event 3, never attempted, is
		// the only one a restart recovers, and only once.
		retry := mustClaim(t, s, next, 1)[0]
		if got := retry.Events(); !slices.Equal(got, []string{evs[1].ID}) || retry.Handed() {
			t.Errorf("retry job names %v (handed %v), want event 2 in a row", got, retry.Handed())
		}
		n, err := s.RecoverHandedDeliveries(ctx)
		if err != nil || n != 1 {
			t.Fatalf("recovered %d, %v; want 1 (event 3)", n, err)
		}
		if n, err := s.RecoverHandedDeliveries(ctx); err != nil || n != 0 {
			t.Errorf("recovered again %d, %v; want 0", n, err)
		}
		got := mustClaim(t, s, next, 1)[0]
		if !slices.Equal(got.Events(), []string{evs[2].ID}) || !got.Created.Equal(evs[2].CreatedAt) {
			t.Errorf("recovered job names %v created %v, want event 3 created %v", got.Events(), got.Created, evs[2].CreatedAt)
		}
		// Given a job row, an event is no longer handed: converting it again
		// does nothing.
		if v, err := s.Do(ctx, store.HandedToJobsWork(p.ID, []string{evs[0].ID, evs[1].ID, evs[2].ID})); err != nil || v.(int) != 0 {
			t.Errorf("converting settled or converted events: %v, %v; want 0", v, err)
		}
	})
}
