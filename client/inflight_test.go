package client_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/client"
)

// reservationHold is a store hook (observe) that, once armed, holds the first
// request that reserves an idempotency key right after its reservation
// committed: the key stays in flight, as while a slow call runs. held is
// closed when that request is held; release lets it go on (and may be called
// more than once). Each later reservation calls next with its number.
type reservationHold struct {
	armed    atomic.Bool
	n        atomic.Int32
	held     chan struct{}
	release  func()
	released chan struct{}
	next     func(n int32)
}

func newReservationHold() *reservationHold {
	h := &reservationHold{held: make(chan struct{}), released: make(chan struct{})}
	var once sync.Once
	h.release = func() { once.Do(func() { close(h.released) }) }
	return h
}

func (h *reservationHold) observe(op string, _ time.Duration) {
	if op != "idempotency_reserve" || !h.armed.Load() {
		return
	}
	n := h.n.Add(1)
	if n == 1 {
		close(h.held)
		<-h.released
		return
	}
	if h.next != nil {
		h.next(n)
	}
}

type userResult struct {
	u   apitype.User
	err error
}

// startHeldUpdate starts a server whose store reports to hold, creates a user,
// and sends an update of it under key that hold keeps in flight. It returns
// the server, the client (fast backoff), the request and where the held
// call's result will arrive.
func startHeldUpdate(t *testing.T, hold *reservationHold, key string) (*ingot, *client.Client, apitype.UpdateUserRequest, chan userResult) {
	t.Helper()
	in := newIngotWith(t, serverOptions{observe: hold.observe})
	t.Cleanup(hold.release)
	c := in.client(client.WithBackoff(time.Millisecond, 2*time.Millisecond))
	u := mustCreate(t, c, "ada@example.com")
	req := apitype.UpdateUserRequest{UserID: u.ID, City: ptr("Oakland")}
	req.IdempotentKey = key
	hold.armed.Store(true)
	first := make(chan userResult, 1)
	go func() {
		u, err := c.UpdateUser(context.Background(), req)
		first <- userResult{u, err}
	}()
	<-hold.held
	return in, c, req, first
}

// TestInFlightConflictIsRetried: against a real server, a mutation sent under
// an idempotent_key whose first request is still running gets the in-flight
// 409, waits for its Retry-After, and then gets the first request's answer;
// the change is made once.
func TestInFlightConflictIsRetried(t *testing.T) {
	hold := newReservationHold()
	// The second reservation is the retried call finding the key in flight:
	// from then on the first request may finish.
	hold.next = func(n int32) {
		if n == 2 {
			hold.release()
		}
	}
	_, c, req, first := startHeldUpdate(t, hold, "inflight-retried")
	ctx := context.Background()

	start := time.Now()
	got, err := c.UpdateUser(ctx, req)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("UpdateUser under an in-flight key: %v, want the first request's answer", err)
	}
	if got.City != "Oakland" {
		t.Errorf("City = %q, want Oakland", got.City)
	}
	// The backoff is 1-2ms, so only the server's Retry-After: 1 explains this.
	if elapsed < 900*time.Millisecond {
		t.Errorf("answered after %v, want a retry after Retry-After's 1s", elapsed)
	}
	if n := hold.n.Load(); n != 3 {
		t.Errorf("reservations = %d, want 3 (first request, in-flight 409, replay)", n)
	}
	r := <-first
	if r.err != nil {
		t.Fatalf("first request: %v", r.err)
	}
	if r.u != got {
		t.Errorf("retried call answered %+v, want the first request's %+v", got, r.u)
	}
	evs, err := c.UserEvents(ctx, apitype.UserEventsRequest{UserID: req.UserID})
	if err != nil {
		t.Fatal(err)
	}
	if types := eventTypes(evs.Items); strings.Join(types, " ") != "user.updated user.created" {
		t.Errorf("events = %v, want one user.updated: the change was made once", types)
	}
}

// TestInFlightConflictRetriesExhausted: if the first request is still running
// after every retry, the call fails with ErrConflict and the in-flight
// message.
func TestInFlightConflictRetriesExhausted(t *testing.T) {
	hold := newReservationHold()
	in, _, req, first := startHeldUpdate(t, hold, "inflight-exhausted")
	ctx := context.Background()

	_, err := in.client(client.WithMaxRetries(1)).UpdateUser(ctx, req)
	e := wantAPIError(t, err, http.StatusConflict, client.ErrConflict)
	if e.Message != apitype.MessageIdempotencyInFlight {
		t.Errorf("Message = %q, want %q", e.Message, apitype.MessageIdempotencyInFlight)
	}
	if n := hold.n.Load(); n != 3 {
		t.Errorf("reservations = %d, want 3 (first request, then 1 + 1 retry)", n)
	}
	hold.release()
	if r := <-first; r.err != nil || r.u.City != "Oakland" {
		t.Errorf("first request = %+v, %v; want it to finish", r.u, r.err)
	}
}

// TestOtherConflictsNotRetried: against a real server, every 409 but the
// in-flight one is final and returned after one request, even when the call
// could be retried safely under its idempotent_key.
func TestOtherConflictsNotRetried(t *testing.T) {
	var requests atomic.Int32
	in := newIngotWith(t, serverOptions{wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			h.ServeHTTP(w, r)
		})
	}})
	ctx := context.Background()
	// A long backoff would show as a slow test if anything were retried;
	// the request count says so precisely.
	c := in.client(client.WithBackoff(time.Millisecond, 2*time.Millisecond))
	u := mustCreate(t, c, "ada@example.com")
	blocked := mustCreate(t, c, "grace@example.com")
	if _, err := c.BlockUser(ctx, blocked.ID, ""); err != nil {
		t.Fatal(err)
	}
	unblockKeyed := map[string]any{"user_id": u.ID, "idempotent_key": "conflict-replayed"}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"duplicate email", func() error { _, err := c.CreateUser(ctx, validUser("ADA@example.com")); return err }},
		{"unblock an active user", func() error { _, err := c.UnblockUser(ctx, u.ID, ""); return err }},
		{"block a blocked user", func() error { _, err := c.BlockUser(ctx, blocked.ID, ""); return err }},
		{"state conflict under the caller's key", func() error { return c.Do(ctx, "user/unblock", unblockKeyed, nil) }},
		{"replay of that stored conflict", func() error { return c.Do(ctx, "user/unblock", unblockKeyed, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := requests.Load()
			e := wantAPIError(t, tc.call(), http.StatusConflict, client.ErrConflict)
			if e.Message == apitype.MessageIdempotencyInFlight {
				t.Errorf("Message = %q, want a final conflict's", e.Message)
			}
			if n := requests.Load() - before; n != 1 {
				t.Errorf("requests = %d, want 1: a final conflict is not retried", n)
			}
		})
	}
}

// inFlightBody is the error envelope a real server answers for a key still
// in flight, as captured from one (request id aside).
const inFlightBody = `{"status":"error","message":"a request with this idempotent_key is still in progress; retry later","error":{"code":"conflict","request_id":"req-8f0c1d2e3b4a596877665544"}}` + "\n"

// TestInFlightConflictRecognised drives the client with replayed server
// answers to pin down which 409s it retries: Retry-After is the signal, the
// message the fallback (a proxy may drop the header; older servers sent the
// message without "; retry later" and no header); a state conflict is final,
// and a raw mutation body, which the client cannot re-send safely, is sent
// once whatever the answer.
func TestInFlightConflictRecognised(t *testing.T) {
	conflict := func(retryAfter, body string) func(int, http.ResponseWriter) {
		return func(n int, w http.ResponseWriter) {
			if n > 0 {
				okUser(w)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-Id", "req-8f0c1d2e3b4a596877665544")
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, body)
		}
	}
	oldServer := strings.Replace(inFlightBody, "; retry later", "", 1)
	stateConflict := `{"status":"error","message":"user is already blocked","error":{"code":"conflict","request_id":"req-8f0c1d2e3b4a596877665544"}}` + "\n"
	update := func(c *client.Client) error {
		_, err := c.UpdateUser(context.Background(), apitype.UpdateUserRequest{UserID: "user-1", City: ptr("Oakland")})
		return err
	}
	rawBlock := func(c *client.Client) error {
		return c.Do(context.Background(), "user/block", []byte(`{"user_id":"user-1","idempotent_key":"k1"}`), nil)
	}
	for _, tc := range []struct {
		name       string
		retryAfter string
		body       string
		call       func(*client.Client) error
		attempts   int
		minWait    time.Duration
	}{
		{"Retry-After and message, as the server sends", "1", inFlightBody, update, 2, 900 * time.Millisecond},
		{"message without Retry-After", "", inFlightBody, update, 2, 0},
		{"older server's message", "", oldServer, update, 2, 0},
		{"state conflict", "", stateConflict, update, 1, 0},
		{"raw mutation body", "1", inFlightBody, rawBlock, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, conflict(tc.retryAfter, tc.body))
			start := time.Now()
			err := tc.call(f.client())
			elapsed := time.Since(start)
			got := f.attempts()
			if len(got) != tc.attempts {
				t.Fatalf("attempts = %d, want %d (err %v)", len(got), tc.attempts, err)
			}
			if tc.attempts == 1 {
				wantAPIError(t, err, http.StatusConflict, client.ErrConflict)
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want the retry's success", err)
			}
			if got[0].body["idempotent_key"] == nil || got[0].body["idempotent_key"] != got[1].body["idempotent_key"] {
				t.Errorf("idempotent_key = %v then %v, want one key", got[0].body["idempotent_key"], got[1].body["idempotent_key"])
			}
			if elapsed < tc.minWait {
				t.Errorf("retried after %v, want Retry-After's %v", elapsed, tc.minWait)
			}
		})
	}
}
