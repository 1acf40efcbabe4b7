package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// hookSeen installs an event hook that records, for each group with
// events, the endpoint it sees for the first event's program ("none", or
// its URL and status), and returns them.
func hookSeen(t *testing.T, s *store.Store) func() []string {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	s.SetEventHook(func(ctx context.Context, tx *store.Tx, events, _ []banking.Event) error {
		eps, err := tx.WebhookEndpoints(ctx, []banking.ProgramID{events[0].ProgramID})
		if err != nil {
			return err
		}
		got := "none"
		if len(eps) == 1 {
			got = eps[0].URL + " " + eps[0].Status
		}
		mu.Lock()
		seen = append(seen, got)
		mu.Unlock()
		return nil
	})
	t.Cleanup(func() { s.SetEventHook(nil) })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// emitWork is a change of program pid under lock that emits an event.
func emitWork(pid banking.ProgramID, lock string) store.Work {
	return store.Work{Program: pid, Locks: []string{lock}, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
		tx.Emit(banking.Event{ID: banking.NewEventID(t0), ProgramID: pid, SubjectID: string(pid),
			Type: banking.EventProgramCreated, Actor: "test", CreatedAt: t0})
		return nil, nil
	}}
}

func setEndpoint(t *testing.T, s *store.Store, pid banking.ProgramID, url string) {
	t.Helper()
	if _, _, err := s.SetWebhookEndpoint(context.Background(), store.WebhookEndpoint{ProgramID: pid, URL: url,
		CreatedAt: t0, UpdatedAt: t0}, store.WebhookSecret{ID: "whs_" + string(pid), Sealed: []byte("k"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
}

// TestEventHookSeesEndpointDisabledInItsGroup: a delivery's outcome that
// disables the endpoint (410 Gone) in the same group as a change that
// emits makes the hook see the endpoint disabled (webhooks.md section 4:
// at once), not as the group's first statement read it.
func TestEventHookSeesEndpointDisabledInItsGroup(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		p := mustProgram(t, s, "hu_gone")
		const url = "https://93.184.216.34/gone"
		setEndpoint(t, s, p.ID, url)
		ev := store.WebhookEvent{ID: "inn_whe_0000000000000000gone01", ProgramID: p.ID, Type: "user.blocked",
			ResourceID: "user-x", AuditEventID: "event-gone", Payload: []byte(`{}`), Status: store.DeliveryPending, CreatedAt: t0}
		if _, err := s.Do(context.Background(), store.Work{Program: p.ID, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
			return nil, tx.InsertWebhookEvents(ctx, []store.WebhookEvent{ev}, nil)
		}}); err != nil {
			t.Fatal(err)
		}
		j := mustClaim(t, s, t0, 1)[0]
		seen := hookSeen(t, s)
		gone := store.WebhookOutcome{ProgramID: p.ID, EventID: ev.ID, At: t0.Add(time.Second), StatusCode: 410,
			Error: "HTTP 410", Gone: true}
		vals, errs := store.DoGroup(s, store.WebhookOutcomesWork([]store.WebhookOutcome{gone}, []*store.Job{&j}),
			emitWork(p.ID, store.LockKey("user", "gone")))
		for i, err := range errs {
			if err != nil {
				t.Fatalf("work %d: %v", i, err)
			}
		}
		if rec, _ := vals[0].([]bool); len(rec) != 1 || !rec[0] {
			t.Fatalf("the 410 outcome was not recorded: %v", vals[0])
		}
		if got, want := fmt.Sprint(seen()), fmt.Sprint([]string{url + " " + store.EndpointDisabled}); got != want {
			t.Errorf("the hook saw %v, want %v", got, want)
		}
	})
}

// TestEventHookSeesEndpointSetDuringLockWait (PostgreSQL): a group whose
// first statement waits for another group's lock, while an endpoint is set
// and committed, sees the endpoint: the statement's snapshot predates the
// wait, so the hook reads the endpoints again.
func TestEventHookSeesEndpointSetDuringLockWait(t *testing.T) {
	for _, eng := range testenv.Engines() {
		if eng.Name != "postgres" {
			continue // one writer at a time: no group waits inside its transaction
		}
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, eng.DSN(t), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			p := mustProgram(t, s, "hu_wait")
			seen := hookSeen(t, s)
			lock := store.LockKey("user", "wait")
			entered, hold := make(chan struct{}), make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				store.DoGroup(s, store.Work{Program: p.ID, Locks: []string{lock}, Run: func(context.Context, *store.Tx) (any, error) {
					close(entered)
					<-hold
					return nil, nil
				}})
			}()
			<-entered
			var errs []error
			go func() {
				defer wg.Done()
				_, errs = store.DoGroup(s, emitWork(p.ID, lock))
			}()
			for end := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				var waiting int
				if err := s.DB().QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting); err != nil {
					t.Fatal(err)
				}
				if waiting > 0 {
					break
				}
				if time.Now().After(end) {
					close(hold)
					t.Fatal("the second group never waited for the lock")
				}
			}
			const url = "https://93.184.216.34/wait"
			setEndpoint(t, s, p.ID, url)
			close(hold)
			wg.Wait()
			if errs[0] != nil {
				t.Fatal(errs[0])
			}
			if got, want := fmt.Sprint(seen()), fmt.Sprint([]string{url + " " + store.EndpointEnabled}); got != want {
				t.Errorf("the hook saw %v, want %v", got, want)
			}
		})
	}
}

// TestLockStatementPreparedOnce (PostgreSQL): the statement that takes a
// group's locks (and reads its endpoints) is one text whatever the locks,
// so a connection prepares it once, not once per group.
func TestLockStatementPreparedOnce(t *testing.T) {
	for _, eng := range testenv.Engines() {
		if eng.Name != "postgres" {
			continue // SQLite takes no locks
		}
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			// One connection: the groups' and the check's.
			s, err := store.Open(ctx, eng.DSN(t), store.Options{MaxOpenConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			p := mustProgram(t, s, "hu_prep")
			q := mustProgram(t, s, "hu_prep2")
			setEndpoint(t, s, q.ID, "https://93.184.216.34/prep")
			run := func() {
				t.Helper()
				for i := range 4 {
					for _, pid := range []banking.ProgramID{p.ID, q.ID} {
						w := emitWork(pid, store.LockKey("user", fmt.Sprint(i)))
						w.Locks = append(w.Locks, store.LockKey("account", fmt.Sprint(i*i)))
						if _, err := s.Do(ctx, w); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			hookSeen(t, s)
			run()
			s.SetEventHook(nil)
			run()
			rows, err := s.DB().Query(`SELECT statement FROM pg_prepared_statements`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var locks []string
			for rows.Next() {
				var q string
				if err := rows.Scan(&q); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(q, "pg_advisory_xact_lock(k)") {
					locks = append(locks, q)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(locks) > 2 {
				t.Errorf("%d lock statements prepared for 16 groups, want at most 2 (with and without the hook): %q", len(locks), locks)
			}
		})
	}
}
