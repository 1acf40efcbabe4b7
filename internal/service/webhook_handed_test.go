package service

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestHandedDeliveriesSpill: on SQLite, first deliveries handed to the pool
// write no job row, even when more arrive than the hand-over queue holds
// (the receiver holds every attempt meanwhile): those that do not fit are
// kept apart (spilled) and read by the pool once it has room. Every event
// is then delivered exactly once, no job row ever existed, and the queue
// depth counts the handed attempts until their outcomes are recorded (a
// clock advance waits for them too).
func TestHandedDeliveriesSpill(t *testing.T) {
	eng := testenv.Engines()[0]
	if eng.Name != "sqlite" {
		t.Fatalf("first engine %s, want sqlite", eng.Name)
	}
	ctx := context.Background()
	release := make(chan struct{})
	e := newPoolEnv(t, eng.DSN(t), false, WebhookConfig{Workers: 4}, func(string) int {
		<-release
		return http.StatusOK
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	waitUntil(t, "the pool to deliver", e.s.hooks.delivering.Load)
	const groups, per = 10, 256 // 2,560 events: more than the queue's 2,048
	for g := range groups {
		e.insertHanded(t, fmt.Sprintf("spill%02d", g), per)
	}
	if n, err := e.st.JobCount(ctx, store.JobWebhookDelivery); err != nil || n != 0 {
		t.Errorf("%d delivery job rows, %v; want none", n, err)
	}
	e.s.hooks.mu.Lock()
	spilled := e.s.hooks.spilledEvents
	e.s.hooks.mu.Unlock()
	if spilled == 0 {
		t.Errorf("no event spilled: the test did not fill the hand-over queue")
	}
	if got := e.s.hooks.handedInFlight(e.pid); got != groups*per {
		t.Errorf("%d handed attempts in flight, want %d", got, groups*per)
	}
	if n, age, err := e.s.WebhookQueue(ctx); err != nil || n != groups*per || age < 0 {
		t.Errorf("queue depth %d (oldest %v), %v; want the %d handed attempts", n, age, err, groups*per)
	}
	close(release)
	waitUntil(t, "every event delivered", func() bool { return len(e.recv.ids()) >= groups*per })
	waitUntil(t, "every outcome recorded", func() bool { return e.s.hooks.handedInFlight(e.pid) == 0 })
	seen := map[string]int{}
	for _, id := range e.recv.ids() {
		seen[id]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s delivered %d times, want once", id, n)
		}
	}
	if len(seen) != groups*per {
		t.Errorf("%d events delivered, want %d", len(seen), groups*per)
	}
	if n, err := e.st.JobCount(ctx, store.JobWebhookDelivery); err != nil || n != 0 {
		t.Errorf("%d delivery job rows after delivery, %v; want none", n, err)
	}
	if n, _, err := e.s.WebhookQueue(ctx); err != nil || n != 0 {
		t.Errorf("queue depth %d, %v after delivery; want 0", n, err)
	}
	if n, err := e.st.RecoverHandedDeliveries(ctx); err != nil || n != 0 {
		t.Errorf("recovered %d, %v after every outcome was recorded; want 0", n, err)
	}
}

// insertHanded commits n pending events of the program in one group (ids
// ending tag and a number), handed to the service's pool as its event hook
// hands them (Service.takeHandoff).
func (e *poolEnv) insertHanded(t *testing.T, tag string, n int) []store.WebhookEvent {
	t.Helper()
	ctx := context.Background()
	ep, _, err := e.st.WebhookEndpoint(ctx, e.pid, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]store.WebhookEvent, n)
	for i := range evs {
		id := fmt.Sprintf("%s%03d", tag, i)
		evs[i] = store.WebhookEvent{ID: "inn_whe_" + strings.Repeat("0", 22-len(id)) + id, ProgramID: e.pid,
			Type: "user.blocked", ResourceID: "user-x", AuditEventID: "event-" + id,
			Payload: []byte(`{}`), Status: store.DeliveryPending, CreatedAt: e.clock.Now()}
	}
	take := e.s.takeHandoff(ep)
	if _, err := e.st.Do(ctx, store.Work{Program: e.pid, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
		return nil, tx.InsertWebhookEvents(ctx, evs, func(idx []int) (func(store.Job), time.Time) {
			ptrs := make([]*store.WebhookEvent, len(idx))
			for k, i := range idx {
				ptrs[k] = &evs[i]
			}
			return take(ptrs)
		})
	}}); err != nil {
		t.Fatal(err)
	}
	return evs
}

// newUnsignableEnv is a pool on SQLite (where deliveries are handed over),
// delivering, whose program's endpoint secret no key opens: every handed
// delivery then needs a job row (its signing keys cannot be read).
func newUnsignableEnv(t *testing.T) *poolEnv {
	t.Helper()
	eng := testenv.Engines()[0]
	if eng.Name != "sqlite" {
		t.Fatalf("first engine %s, want sqlite", eng.Name)
	}
	e := newPoolEnv(t, eng.DSN(t), false, WebhookConfig{}, nil)
	waitUntil(t, "the pool to deliver", e.s.hooks.delivering.Load)
	if _, err := e.st.Do(context.Background(), store.Work{Program: e.pid, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
		_, err := tx.Exec(ctx, `UPDATE webhook_secrets SET secret_sealed = ? WHERE program_id = ?`, []byte("not sealed"), e.pid)
		return nil, err
	}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestHandedDeliveryUnsignableGetsAJobRow: a handed delivery whose signing
// keys cannot be opened has no lease to run out and be claimed again: it is
// given a job row at once (and no longer counted in flight), which the pool
// claims and tries again as any other.
func TestHandedDeliveryUnsignableGetsAJobRow(t *testing.T) {
	ctx := context.Background()
	e := newUnsignableEnv(t)
	evs := e.insertHanded(t, "unsignable", 1)
	// The job row commits before the attempt stops being counted in
	// flight (the count drops once requeueHanded returns): wait for both.
	waitUntil(t, "a job row for the handed delivery, no longer in flight", func() bool {
		n, err := e.st.JobCount(ctx, store.JobWebhookDelivery)
		return err == nil && n == 1 && e.s.hooks.handedInFlight(e.pid) == 0
	})
	if got := len(e.recv.ids()); got != 0 {
		t.Errorf("%d requests sent unsigned, want none", got)
	}
	if n, err := e.st.RecoverHandedDeliveries(ctx); err != nil || n != 0 {
		t.Errorf("recovered %d, %v; want 0 (the event has its job row)", n, err)
	}
	if ev := e.event(t, evs[0].ID); ev.Status != store.DeliveryPending || ev.Attempts != 0 {
		t.Errorf("event %s with %d attempts, want pending with none", ev.Status, ev.Attempts)
	}
}

// TestHandedRequeueRetries: a handed delivery that needs a job row (its
// signing keys cannot be opened) gets one even when the first try to write
// it fails: the database refuses job rows for a while (a trigger aborts
// every insert into jobs while a flag row exists), and the row is written by
// a later try once it accepts them again, not left for the next start.
func TestHandedRequeueRetries(t *testing.T) {
	ctx := context.Background()
	e := newUnsignableEnv(t)
	for _, q := range []string{
		`CREATE TABLE refuse_jobs (x INTEGER)`,
		`INSERT INTO refuse_jobs VALUES (1)`,
		`CREATE TRIGGER refuse_jobs BEFORE INSERT ON jobs WHEN EXISTS (SELECT 1 FROM refuse_jobs)
			BEGIN SELECT RAISE(ABORT, 'job rows refused by the test'); END`,
	} {
		if _, err := e.st.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	evs := e.insertHanded(t, "requeue", 1)
	// The first try has failed once the attempt is no longer in flight.
	waitUntil(t, "the first try", func() bool { return e.s.hooks.handedInFlight(e.pid) == 0 })
	if n, err := e.st.JobCount(ctx, store.JobWebhookDelivery); err != nil || n != 0 {
		t.Fatalf("%d job rows while the database refuses them, %v; want 0", n, err)
	}
	if _, err := e.st.DB().ExecContext(ctx, `DELETE FROM refuse_jobs`); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a job row written by a later try", func() bool {
		n, err := e.st.JobCount(ctx, store.JobWebhookDelivery)
		return err == nil && n == 1
	})
	if n, err := e.st.RecoverHandedDeliveries(ctx); err != nil || n != 0 {
		t.Errorf("recovered %d, %v; want 0 (the event has its job row)", n, err)
	}
	if ev := e.event(t, evs[0].ID); ev.Status != store.DeliveryPending || ev.Attempts != 0 {
		t.Errorf("event %s with %d attempts, want pending with none", ev.Status, ev.Attempts)
	}
}
