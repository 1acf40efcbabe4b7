package service

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
)

// testReceiver is a webhook endpoint on loopback that answers each request
// with answer(event id) and records the event ids it got, in order.
type testReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []string
	answer func(id string) int
}

func newTestReceiver(t *testing.T, answer func(id string) int) *testReceiver {
	t.Helper()
	r := &testReceiver{answer: answer}
	if r.answer == nil {
		r.answer = func(string) int { return http.StatusOK }
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		id := req.Header.Get("webhook-id")
		r.mu.Lock()
		r.got = append(r.got, id)
		r.mu.Unlock()
		w.WriteHeader(r.answer(id))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *testReceiver) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// poolEnv is a service on one engine whose clock the test moves, with a
// program whose endpoint is a test receiver.
type poolEnv struct {
	st    *store.Store
	s     *Service
	clock *testClock
	pid   banking.ProgramID
	recv  *testReceiver
}

// newPoolEnv starts a service with hooks' settings (jobs run unless
// noJobs) whose clock starts now and moves only when the test moves it.
func newPoolEnv(t *testing.T, dsn string, noJobs bool, hooks WebhookConfig, answer func(id string) int) *poolEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &testClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	sealer, _ := vault.New(bytes.Repeat([]byte{7}, 32))
	hooks.AllowPrivate = true
	s := New(Config{Store: st, Sealer: sealer, NoJobs: noJobs, Now: clock.Now, Webhooks: hooks})
	t.Cleanup(s.Close)
	creds, err := s.CreateProgram(ctx, "pool")
	if err != nil {
		t.Fatal(err)
	}
	e := &poolEnv{st: st, s: s, clock: clock, pid: banking.ProgramID(creds.ProgramID), recv: newTestReceiver(t, answer)}
	if _, err := s.SetWebhook(ctx, e.pid, e.recv.srv.URL, nil); err != nil {
		t.Fatal(err)
	}
	return e
}

// insertEvents commits n pending events of the program in one group, so
// they share one delivery job, left to be claimed (no hand-over).
func (e *poolEnv) insertEvents(t *testing.T, n int) []store.WebhookEvent {
	t.Helper()
	now := e.clock.Now()
	evs := make([]store.WebhookEvent, n)
	for i := range evs {
		evs[i] = store.WebhookEvent{ID: fmt.Sprintf("inn_whe_0000000000000000pool%02d", i), ProgramID: e.pid,
			Type: "user.blocked", ResourceID: "user-x", AuditEventID: fmt.Sprintf("event-p%d", i), Payload: []byte(`{}`),
			Status: store.DeliveryPending, CreatedAt: now}
	}
	if _, err := e.st.Do(context.Background(), store.Work{Program: e.pid, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
		return nil, tx.InsertWebhookEvents(ctx, evs, nil)
	}}); err != nil {
		t.Fatal(err)
	}
	return evs
}

// event reads one of the program's webhook events.
func (e *poolEnv) event(t *testing.T, id string) store.WebhookEvent {
	t.Helper()
	list, _, err := e.st.WebhookEvents(context.Background(), e.pid, store.WebhookFilter{EventID: id, Page: 1, PerPage: 1})
	if err != nil || len(list) != 1 {
		t.Fatalf("event %s: %v, %v", id, list, err)
	}
	return list[0]
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSharedJobRetryCountsByEvent: a shared first-delivery job claimed
// again after lost leases (its claims count on the job) still makes an
// event's first attempt its first: when it fails, the event's own job is
// due after the schedule's first wait (1 min, ±10 %), and is claimed as
// the event's second attempt.
func TestSharedJobRetryCountsByEvent(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			var failing string
			e := newPoolEnv(t, eng.DSN(t), true, WebhookConfig{}, func(id string) int {
				if id == failing {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			})
			evs := e.insertEvents(t, 2)
			failing = evs[0].ID
			kinds := []string{store.JobWebhookDelivery}
			// Two processes claim the job and die; the third's claim is
			// the job's third.
			var jobs []store.Job
			for k := range 3 {
				if k > 0 {
					e.clock.Advance(jobLease + time.Second)
				}
				var err error
				jobs, err = e.st.ClaimJobKinds(ctx, kinds, e.clock.Now(), jobLease, 10)
				if err != nil || len(jobs) != 1 {
					t.Fatalf("claim %d: %d jobs, %v; want the shared one", k+1, len(jobs), err)
				}
			}
			if jobs[0].Attempts != 3 {
				t.Fatalf("the shared job's claim is its attempt %d, want 3", jobs[0].Attempts)
			}
			attempts, err := e.st.WebhookAttempts(ctx, jobs)
			if err != nil {
				t.Fatal(err)
			}
			rec := newWebhookRecorder(e.s)
			queue := e.s.claimedAttempts(rec, jobs[0], attempts, e.clock.Now().Add(jobLease), nil)
			if len(queue) != 2 {
				t.Fatalf("%d attempts queued, want 2", len(queue))
			}
			for _, h := range queue {
				e.s.deliver(ctx, rec, h)
			}
			rec.close()
			failedAt := e.clock.Now()
			if got := e.event(t, evs[0].ID); got.Status != store.DeliveryPending || got.Attempts != 1 {
				t.Fatalf("failed event %s with %d attempts, want pending after 1", got.Status, got.Attempts)
			}
			if got := e.event(t, evs[1].ID); got.Status != store.DeliveryDelivered {
				t.Fatalf("other event %s, want delivered", got.Status)
			}
			due, ok, err := e.st.NextJobDue(ctx, store.JobWebhookDelivery)
			if err != nil || !ok {
				t.Fatalf("no delivery job left (%v), want the failed event's own", err)
			}
			if wait := due.Sub(failedAt); wait < 54*time.Second || wait > 66*time.Second {
				t.Errorf("the failed event's own job is due %v after its failure, want 1 min ±10 %%", wait)
			}
			own, err := e.st.ClaimJobKinds(ctx, kinds, due, jobLease, 10)
			if err != nil || len(own) != 1 {
				t.Fatalf("claimed %d jobs at %v, %v; want the event's own", len(own), due, err)
			}
			if own[0].Attempts != 2 {
				t.Errorf("the event's own job claimed as attempt %d, want 2", own[0].Attempts)
			}
		})
	}
}

// TestClaimOutlastingItsLease: a claimed job names more events than its
// lease lets start (one worker, an endpoint that takes 20 s to answer the
// first attempt): the attempts still waiting when the lease nears its end
// extend it and are made, instead of being dropped and left to wait for
// the lease's end (where the next claim would do the same again).
func TestClaimOutlastingItsLease(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			hold := make(chan struct{})
			var once sync.Once
			e := newPoolEnv(t, eng.DSN(t), false, WebhookConfig{Workers: 1}, func(string) int {
				once.Do(func() { <-hold })
				return http.StatusOK
			})
			release := sync.OnceFunc(func() { close(hold) })
			t.Cleanup(release) // before the receiver closes
			evs := e.insertEvents(t, 3)
			waitUntil(t, "the first attempt", func() bool { return len(e.recv.ids()) == 1 })
			// The first attempt answers 20 s into the job's 30 s lease.
			e.clock.Advance(20 * time.Second)
			release()
			waitUntil(t, "every event delivered", func() bool {
				for _, ev := range evs {
					if e.event(t, ev.ID).Status != store.DeliveryDelivered {
						return false
					}
				}
				return true
			})
			waitUntil(t, "the shared job settled", func() bool {
				n, err := e.st.JobCount(ctx, store.JobWebhookDelivery)
				if err != nil {
					t.Fatal(err)
				}
				return n == 0
			})
			if got := e.recv.ids(); len(got) != 3 {
				t.Errorf("the receiver got %v, want each of the 3 events once", got)
			}
		})
	}
}
