package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// TestWebhookFirstDeliveryJob: the pending events of one program that one
// group writes share one delivery job (another program's get their own, a
// failed event none); each outcome is recorded on its event, a failed
// attempt gets a job of its own counting on from the shared job's
// attempts, and the last outcome deletes the shared job. The queue depth
// counts the events the jobs name.
func TestWebhookFirstDeliveryJob(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_share")
		q := mustProgram(t, s, "hu_share2")
		// A failed attempt is retried only while the endpoint exists.
		if _, _, err := s.SetWebhookEndpoint(ctx, store.WebhookEndpoint{ProgramID: p.ID, URL: "https://93.184.216.34/",
			CreatedAt: t0, UpdatedAt: t0}, store.WebhookSecret{ID: "whs_share", Sealed: []byte("k"), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		ev := func(pid banking.ProgramID, n int, status string) store.WebhookEvent {
			return store.WebhookEvent{ID: fmt.Sprintf("inn_whe_00000000000000000000%02d", n), ProgramID: pid,
				Type: "user.blocked", ResourceID: "user-x", AuditEventID: fmt.Sprintf("event-%d", n),
				Payload: []byte(`{}`), Status: status, CreatedAt: t0.Add(time.Duration(n) * time.Millisecond)}
		}
		evs := []store.WebhookEvent{ev(p.ID, 1, store.DeliveryPending), ev(q.ID, 2, store.DeliveryPending),
			ev(p.ID, 3, store.DeliveryPending), ev(p.ID, 4, store.DeliveryFailed), ev(p.ID, 5, store.DeliveryPending)}
		var handed [][]int
		if _, err := s.Do(ctx, store.Work{Program: p.ID, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
			return nil, tx.InsertWebhookEvents(ctx, evs, func(idx []int) (func(store.Job), time.Time) {
				handed = append(handed, slices.Clone(idx))
				return nil, time.Time{} // left to be claimed
			})
		}}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(handed) != "[[0 2 4] [1]]" {
			t.Errorf("jobs offered for events %v, want [[0 2 4] [1]]: one per program, the failed event in none", handed)
		}
		if n, _, err := s.WebhookQueue(ctx); err != nil || n != 4 {
			t.Errorf("queue depth %d, %v; want the 4 pending events", n, err)
		}
		jobs := mustClaim(t, s, t0.Add(time.Second), 2)
		var shared, single store.Job
		for _, j := range jobs {
			w, err := store.ParseWebhookJob(j.Payload)
			if err != nil {
				t.Fatal(err)
			}
			switch j.Program {
			case p.ID:
				shared = j
				if got := w.Events(); !w.Several() || !slices.Equal(got, []string{evs[0].ID, evs[2].ID, evs[4].ID}) {
					t.Errorf("program p's job names %v (several %v), want events 1, 3 and 5", got, w.Several())
				}
				if !j.Created.Equal(t0.Add(time.Millisecond)) {
					t.Errorf("shared job created %v, want its first event's time %v", j.Created, t0.Add(time.Millisecond))
				}
			case q.ID:
				single = j
				if got := w.Events(); w.Several() || !slices.Equal(got, []string{evs[1].ID}) {
					t.Errorf("program q's job names %v (several %v), want event 2 alone", got, w.Several())
				}
			}
		}
		at := t0.Add(2 * time.Second)
		record := func(o store.WebhookOutcome) {
			t.Helper()
			o.ProgramID, o.At = p.ID, at
			j := shared
			v, err := s.Do(ctx, store.WebhookOutcomesWork([]store.WebhookOutcome{o}, []*store.Job{&j}))
			if err != nil || !v.([]bool)[0] {
				t.Fatalf("outcome %+v: recorded %v, %v", o, v, err)
			}
		}
		jobCount := func() int {
			t.Helper()
			n, err := s.JobCount(ctx, store.JobWebhookDelivery)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		record(store.WebhookOutcome{EventID: evs[0].ID, Delivered: true, StatusCode: 204, KeepJob: true})
		next := at.Add(time.Minute)
		record(store.WebhookOutcome{EventID: evs[2].ID, StatusCode: 500, Error: "HTTP 500", Next: next, KeepJob: true})
		if n := jobCount(); n != 3 {
			t.Errorf("%d delivery jobs after two outcomes of three, want 3 (the shared one, q's, event 3's retry)", n)
		}
		record(store.WebhookOutcome{EventID: evs[4].ID, Delivered: true, StatusCode: 200})
		if n := jobCount(); n != 2 {
			t.Errorf("%d delivery jobs after the last outcome, want 2 (q's and event 3's retry): the shared one deleted", n)
		}
		// A job of one event is settled by its one outcome.
		if v, err := s.Do(ctx, store.WebhookOutcomesWork([]store.WebhookOutcome{{ProgramID: q.ID, EventID: evs[1].ID,
			At: at, Delivered: true, StatusCode: 200}}, []*store.Job{&single})); err != nil || !v.([]bool)[0] {
			t.Fatalf("q's outcome: recorded %v, %v", v, err)
		}
		if n := jobCount(); n != 1 {
			t.Errorf("%d delivery jobs after q's outcome, want event 3's retry alone", n)
		}
		got := map[string]store.WebhookEvent{}
		list, _, err := s.WebhookEvents(ctx, p.ID, store.WebhookFilter{Page: 1, PerPage: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			got[e.ID] = e
		}
		for _, c := range []struct {
			id, status string
			attempts   int
		}{{evs[0].ID, store.DeliveryDelivered, 1}, {evs[2].ID, store.DeliveryPending, 1},
			{evs[3].ID, store.DeliveryFailed, 0}, {evs[4].ID, store.DeliveryDelivered, 1}} {
			if e := got[c.id]; e.Status != c.status || e.Attempts != c.attempts {
				t.Errorf("event %s: %s with %d attempts, want %s with %d", c.id, e.Status, e.Attempts, c.status, c.attempts)
			}
		}
		// Event 3's retry is due at next, not before, counts on from the
		// shared job's attempt and keeps its time (the retry schedule's
		// window starts then).
		mustClaim(t, s, next.Add(-time.Millisecond), 0)
		retry := mustClaim(t, s, next, 1)[0]
		w, err := store.ParseWebhookJob(retry.Payload)
		if err != nil || w.Several() || w.EventID != evs[2].ID {
			t.Errorf("retry job payload %s (%v), want event 3 alone", retry.Payload, err)
		}
		if retry.Attempts != 2 || !retry.Created.Equal(shared.Created) {
			t.Errorf("retry job: attempt %d created %v, want attempt 2 created %v", retry.Attempts, retry.Created, shared.Created)
		}
	})
}

// TestWebhookSkippedOutcome: an event of a shared job that needs no attempt
// (delivered meanwhile) records nothing about it, and as the job's last
// outcome deletes the job; an outcome that keeps the job deletes nothing.
func TestWebhookSkippedOutcome(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_skip")
		var evs []store.WebhookEvent
		for n := range 2 {
			evs = append(evs, store.WebhookEvent{ID: fmt.Sprintf("inn_whe_00000000000000000001%02d", n), ProgramID: p.ID,
				Type: "user.blocked", ResourceID: "user-x", AuditEventID: fmt.Sprintf("event-s%d", n),
				Payload: []byte(`{}`), Status: store.DeliveryPending, CreatedAt: t0})
		}
		if _, err := s.Do(ctx, store.Work{Program: p.ID, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
			return nil, tx.InsertWebhookEvents(ctx, evs, nil)
		}}); err != nil {
			t.Fatal(err)
		}
		j := mustClaim(t, s, t0, 1)[0]
		for _, o := range []store.WebhookOutcome{{EventID: evs[0].ID, Skipped: true, KeepJob: true},
			{EventID: evs[1].ID, Skipped: true}} {
			o.ProgramID = p.ID
			before, err := s.JobCount(ctx, store.JobWebhookDelivery)
			if err != nil {
				t.Fatal(err)
			}
			if v, err := s.Do(ctx, store.WebhookOutcomesWork([]store.WebhookOutcome{o}, []*store.Job{&j})); err != nil || !v.([]bool)[0] {
				t.Fatalf("skip %+v: %v, %v", o, v, err)
			}
			after, err := s.JobCount(ctx, store.JobWebhookDelivery)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: before, false: before - 1}[o.KeepJob]; after != want {
				t.Errorf("skip (keep %v): %d jobs, want %d", o.KeepJob, after, want)
			}
		}
		list, _, err := s.WebhookEvents(ctx, p.ID, store.WebhookFilter{Page: 1, PerPage: 10})
		if err != nil || len(list) != len(evs) {
			t.Fatalf("read %d events, %v; want %d", len(list), err, len(evs))
		}
		for _, e := range list {
			if e.Status != store.DeliveryPending || e.Attempts != 0 {
				t.Errorf("skipped event %s: %s with %d attempts, want untouched", e.ID, e.Status, e.Attempts)
			}
		}
	})
}

// TestWebhookAttemptsOfManyJobs: the attempts of a claim whose jobs name
// more events than one query reads are all read (the ids are read in
// chunks; padding one chunk's IN list once overwrote the next chunk's
// first ids, and their events were settled unattempted as "gone").
func TestWebhookAttemptsOfManyJobs(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_many")
		const n = 3*256 + 5 // four jobs; more than one chunk of ids
		evs := insertPendingEvents(t, s, p.ID, n, "0000000000000000", "m")
		jobs := mustClaim(t, s, t0, 4)
		got, err := s.WebhookAttempts(ctx, jobs)
		if err != nil {
			t.Fatal(err)
		}
		named := 0
		for _, j := range jobs {
			w, err := store.ParseWebhookJob(j.Payload)
			if err != nil {
				t.Fatal(err)
			}
			named += len(w.Events())
		}
		if named != n {
			t.Errorf("the jobs name %d events, want %d", named, n)
		}
		for _, e := range evs {
			if a, ok := got[e.ID]; !ok || a.Event.ProgramID != p.ID {
				t.Errorf("attempt of %s not read", e.ID)
			}
		}
	})
}

// TestEventHookSeesEndpoints: the event hook reads the group's endpoints
// as committed when the group runs (on PostgreSQL, with the group's locks
// in its first statement; without locks, in the hook's own read): none
// before one is set, the new one after, none after it is deleted, and
// another program's only for that program.
func TestEventHookSeesEndpoints(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_hookep")
		q := mustProgram(t, s, "hu_hookep2")
		var seen []string
		s.SetEventHook(func(ctx context.Context, tx *store.Tx, events, _ []banking.Event) error {
			eps, err := tx.WebhookEndpoints(ctx, []banking.ProgramID{events[0].ProgramID})
			if err != nil {
				return err
			}
			got := "none"
			if len(eps) == 1 && eps[0].ProgramID == events[0].ProgramID {
				got = eps[0].URL
			} else if len(eps) > 0 {
				got = fmt.Sprintf("%+v", eps)
			}
			seen = append(seen, got)
			return nil
		})
		defer s.SetEventHook(nil)
		change := func(pid banking.ProgramID, locks ...string) {
			t.Helper()
			if _, err := s.Do(ctx, store.Work{Program: pid, Locks: locks, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
				tx.Emit(banking.Event{ID: banking.NewEventID(t0), ProgramID: pid, SubjectID: string(pid),
					Type: banking.EventProgramCreated, Actor: "test", CreatedAt: t0})
				return nil, nil
			}}); err != nil {
				t.Fatal(err)
			}
		}
		set := func(pid banking.ProgramID, url string) {
			t.Helper()
			if _, _, err := s.SetWebhookEndpoint(ctx, store.WebhookEndpoint{ProgramID: pid, URL: url, CreatedAt: t0, UpdatedAt: t0},
				store.WebhookSecret{ID: "whs_" + string(pid), Sealed: []byte("k"), CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		lock := store.LockKey("user", "x")
		change(p.ID, lock)
		change(p.ID)
		set(q.ID, "https://93.184.216.34/q")
		change(p.ID, lock)
		set(p.ID, "https://93.184.216.34/p")
		change(p.ID, lock)
		change(p.ID)
		change(q.ID, lock)
		if err := s.DeleteWebhookEndpoint(ctx, p.ID, t0); err != nil {
			t.Fatal(err)
		}
		change(p.ID, lock)
		want := []string{"none", "none", "none", "https://93.184.216.34/p", "https://93.184.216.34/p",
			"https://93.184.216.34/q", "none"}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Errorf("the hook saw %v, want %v", seen, want)
		}
	})
}

// TestWebhookOutboxOfManyEvents: a group that writes more webhook events
// than one PostgreSQL statement takes parameters for (65,535; 11 per
// event) still commits them all with their jobs: its outbox inserts are
// then statements of their own, not WITH clauses of the jobs' insert.
func TestWebhookOutboxOfManyEvents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_huge")
		const n = 6000
		insertPendingEvents(t, s, p.ID, n, "000000000000000h", "h")
		if _, total, err := s.WebhookEvents(ctx, p.ID, store.WebhookFilter{Page: 1, PerPage: 1}); err != nil || total != n {
			t.Errorf("%d events written, %v; want %d", total, err, n)
		}
		if jobs, err := s.JobCount(ctx, store.JobWebhookDelivery); err != nil || jobs != (n+255)/256 {
			t.Errorf("%d delivery jobs, %v; want %d (256 events each)", jobs, err, (n+255)/256)
		}
	})
}

// insertPendingEvents writes n pending user.blocked events of program pid
// in one work and returns them; their ids are inn_whe_ + idPrefix (16
// characters) + six digits, their audit event ids event- + tag + a number.
func insertPendingEvents(t *testing.T, s *store.Store, pid banking.ProgramID, n int, idPrefix, tag string) []store.WebhookEvent {
	t.Helper()
	evs := make([]store.WebhookEvent, n)
	for i := range evs {
		evs[i] = store.WebhookEvent{ID: fmt.Sprintf("inn_whe_%s%06d", idPrefix, i), ProgramID: pid,
			Type: "user.blocked", ResourceID: "user-x", AuditEventID: fmt.Sprintf("event-%s%d", tag, i),
			Payload: []byte(`{}`), Status: store.DeliveryPending, CreatedAt: t0}
	}
	if _, err := s.Do(context.Background(), store.Work{Program: pid, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
		return nil, tx.InsertWebhookEvents(ctx, evs, nil)
	}}); err != nil {
		t.Fatal(err)
	}
	return evs
}
