package httpapi_test

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

const replayedHeader = "Idempotent-Replayed"

// inFlightMessage is the stable message of the 409 that says an
// idempotent_key's first request is still running; only that 409 carries
// Retry-After.
const inFlightMessage = "a request with this idempotent_key is still in progress; retry later"

// wantInFlight checks the 409 of a key still in flight: code conflict, its
// stable message, and Retry-After: 1.
func wantInFlight(t *testing.T, r response) {
	t.Helper()
	r.wantError(t, http.StatusConflict, "conflict", inFlightMessage)
	if got := r.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q on the in-flight 409, want 1", got)
	}
}

// wantNoRetryAfter checks a 409 that a retry cannot fix: no Retry-After.
func wantNoRetryAfter(t *testing.T, what string, r response) {
	t.Helper()
	if got, ok := r.Header["Retry-After"]; ok {
		t.Errorf("%s: Retry-After = %q, want none: only an in-flight key is worth retrying", what, got)
	}
	if msg := r.JSON["message"]; msg == inFlightMessage {
		t.Errorf("%s: message = %q, the in-flight message", what, msg)
	}
}

// keyed returns a copy of body with idempotent_key set.
func keyed(body map[string]any, key string) map[string]any {
	m := maps.Clone(body)
	m["idempotent_key"] = key
	return m
}

// withHeaderKey sends the key in the Idempotency-Key header.
func withHeaderKey(key string) func(r *http.Request) {
	return func(r *http.Request) { r.Header.Set("Idempotency-Key", key) }
}

// wantReplayOf checks that r replays first: same status, byte-identical body,
// Idempotent-Replayed set, and its own request id header.
func wantReplayOf(t *testing.T, r, first response) {
	t.Helper()
	if r.Status != first.Status || !bytes.Equal(r.Body, first.Body) {
		t.Fatalf("replay = %d %s, want %d %s", r.Status, r.Body, first.Status, first.Body)
	}
	if got := r.Header.Get(replayedHeader); got != "true" {
		t.Errorf("%s = %q, want true", replayedHeader, got)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if r.Header.Get("X-Request-Id") == "" || r.Header.Get("X-Request-Id") == first.Header.Get("X-Request-Id") {
		t.Errorf("X-Request-Id = %q, want a new one", r.Header.Get("X-Request-Id"))
	}
}

// callWrites counts users and the events calls write, leaving out the KYC
// decisions that background checks write whenever they finish.
func callWrites(t *testing.T, e *env) [2]int {
	t.Helper()
	var n [2]int
	db := e.store.DB()
	if err := db.QueryRow(`SELECT count(*) FROM users`).Scan(&n[0]); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE type NOT IN ('user.kyc.verified', 'user.kyc.rejected')`).Scan(&n[1]); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantExecuted(t *testing.T, r response) {
	t.Helper()
	if got := r.Header.Get(replayedHeader); got != "" {
		t.Errorf("%s = %q on an executed call", replayedHeader, got)
	}
}

func TestIdempotentReplay(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		id := c.newUser(t, "target@example.com")
		for _, tc := range []struct {
			name string
			path string
			body map[string]any
			send func(r *http.Request) // how the key travels; nil: in the body
		}{
			{"create", "user/create", validUser("replay@example.com"), nil},
			{"update", "user/update", map[string]any{"user_id": id, "city": "Oakland"}, nil},
			{"block", "user/block", map[string]any{"user_id": id, "reason": "fraud"}, nil},
			{"unblock by header", "user/unblock", map[string]any{"user_id": id}, withHeaderKey("key-unblock-by-header")},
			{"verification by header", "user/send-verification-request", map[string]any{"user_id": c.newKYCUser(t, "kyc@example.com", "1234")},
				withHeaderKey("key-verification-by-header")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := tc.body
				if tc.send == nil {
					body = keyed(body, "key-"+strings.ReplaceAll(tc.name, " ", "-"))
				}
				first := c.send(tc.path, body, tc.send).want(t, http.StatusOK, "")
				wantExecuted(t, first)
				before := callWrites(t, e)
				again := c.send(tc.path, body, tc.send)
				wantReplayOf(t, again, first)
				if after := callWrites(t, e); after != before {
					t.Errorf("rows (users, events) = %+v, want unchanged %+v", after, before)
				}
			})
		}
	})
}

func TestIdempotentReplayOfErrors(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		id := c.newUser(t, "err@example.com")
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		for _, tc := range []struct {
			name   string
			path   string
			body   map[string]any
			status int
			code   string
		}{
			{"conflict", "user/block", map[string]any{"user_id": id}, http.StatusConflict, "conflict"},
			{"not found", "user/update", map[string]any{"user_id": "usr_nope", "city": "X"}, http.StatusNotFound, "not_found"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := keyed(tc.body, "err-"+strings.ReplaceAll(tc.name, " ", "-"))
				first := c.call(tc.path, body).want(t, tc.status, tc.code)
				wantExecuted(t, first)
				before := e.counts(t)
				wantReplayOf(t, c.call(tc.path, body), first)
				e.wantNoWrites(t, before)
			})
		}
	})
}

// TestIdempotencyInvalidIsNotStored: a 400 for a malformed or invalid body is
// never stored under its key (api-v4.md section 3, "Idempotency and
// errors"): the same key with the corrected body then executes, on every
// mutating call, where it used to answer 422. A 400 the call itself finds
// (send-verification-request without an SSN) is not stored either.
func TestIdempotencyInvalidIsNotStored(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		id := c.newUser(t, "inv@example.com")
		bad := validUser("fixed@example.com")
		bad["phone_number"] = "555-1234"
		for _, tc := range []struct {
			name      string
			path      string
			bad, good map[string]any
		}{
			{"create", "user/create", bad, validUser("fixed@example.com")},
			{"update", "user/update", map[string]any{"user_id": id, "state": "XX"}, map[string]any{"user_id": id, "state": "NY"}},
			{"block", "user/block", map[string]any{"user_id": id, "reason": strings.Repeat("r", 501)}, map[string]any{"user_id": id}},
			{"unblock", "user/unblock", map[string]any{"user_id": id, "reason": 7}, map[string]any{"user_id": id}},
			{"verification", "user/send-verification-request", map[string]any{"user_id": id}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				key := "inv-" + tc.name
				before := e.counts(t)
				first := c.call(tc.path, keyed(tc.bad, key)).want(t, http.StatusBadRequest, "invalid")
				e.wantNoWrites(t, before)
				// The same malformed request again executes again (a fresh
				// request id, no replay header), it is not replayed.
				again := c.call(tc.path, keyed(tc.bad, key)).want(t, http.StatusBadRequest, "invalid")
				wantExecuted(t, again)
				if again.Header.Get("X-Request-Id") == first.Header.Get("X-Request-Id") {
					t.Errorf("the second 400 carries the first one's request id")
				}
				if tc.good == nil {
					return
				}
				fixed := c.call(tc.path, keyed(tc.good, key)).want(t, http.StatusOK, "")
				wantExecuted(t, fixed)
				wantReplayOf(t, c.call(tc.path, keyed(tc.good, key)), fixed)
			})
		}
	})
}

func TestIdempotencyKeyRules(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		other := e.program("other")
		first := c.call("user/create", keyed(validUser("rules@example.com"), "k1")).want(t, http.StatusOK, "")
		id := first.user(t)["id"].(string)

		for _, tc := range []struct {
			name   string
			client *apiClient
			path   string
			body   map[string]any
			tamper func(r *http.Request)
			status int
			code   string
			field  string
			replay bool
		}{
			{name: "changed body", client: c, path: "user/create", body: keyed(validUser("changed@example.com"), "k1"),
				status: http.StatusUnprocessableEntity, code: "idempotency_mismatch"},
			{name: "other endpoint", client: c, path: "user/update", body: keyed(map[string]any{"user_id": id}, "k1"),
				status: http.StatusUnprocessableEntity, code: "idempotency_mismatch"},
			{name: "api_key in the body is not hashed", client: c, path: "user/create",
				body: keyed(validUser("rules@example.com"), "k1"), status: http.StatusOK, replay: true,
				tamper: nil},
			{name: "header alias of the same key", client: c, path: "user/create", body: validUser("rules@example.com"),
				tamper: withHeaderKey("k1"), status: http.StatusOK, replay: true},
			{name: "header and body agree", client: c, path: "user/create", body: keyed(validUser("rules@example.com"), "k1"),
				tamper: withHeaderKey("k1"), status: http.StatusOK, replay: true},
			{name: "header and body differ", client: c, path: "user/create", body: keyed(validUser("hb@example.com"), "k2"),
				tamper: withHeaderKey("k3"), status: http.StatusBadRequest, code: "invalid", field: "idempotent_key"},
			{name: "empty key", client: c, path: "user/create", body: keyed(validUser("e@example.com"), ""),
				status: http.StatusBadRequest, code: "invalid", field: "idempotent_key"},
			{name: "key with a space", client: c, path: "user/create", body: keyed(validUser("e@example.com"), "a b"),
				status: http.StatusBadRequest, code: "invalid", field: "idempotent_key"},
			{name: "key too long", client: c, path: "user/create", body: keyed(validUser("e@example.com"), strings.Repeat("k", 256)),
				status: http.StatusBadRequest, code: "invalid", field: "idempotent_key"},
			{name: "non-ASCII key", client: c, path: "user/create", body: keyed(validUser("e@example.com"), "clé"),
				status: http.StatusBadRequest, code: "invalid", field: "idempotent_key"},
			{name: "same key in another program", client: other, path: "user/create", body: keyed(validUser("rules@example.com"), "k1"),
				status: http.StatusOK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := tc.body
				if tc.name == "api_key in the body is not hashed" {
					body = maps.Clone(body)
					body["api_key"] = tc.client.creds.APIKey
				}
				before := e.counts(t)
				r := tc.client.send(tc.path, body, tc.tamper)
				if tc.replay {
					wantReplayOf(t, r, first)
					return
				}
				r.want(t, tc.status, tc.code)
				wantExecuted(t, r)
				if tc.field != "" {
					r.wantFields(t, tc.field)
				}
				if tc.status != http.StatusOK {
					e.wantNoWrites(t, before)
				}
			})
		}
		// A key up to 255 visible characters is fine.
		c.call("user/create", keyed(validUser("long@example.com"), strings.Repeat("~", 255))).want(t, http.StatusOK, "")
	})
}

func TestIdempotencyIgnoredOnReads(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		id := c.newUser(t, "read@example.com")
		c.call("user/block", keyed(map[string]any{"user_id": id}, "shared")).want(t, http.StatusOK, "")
		for _, tc := range []struct {
			path string
			body map[string]any
		}{
			{"user/get", map[string]any{"user_id": id}},
			{"user/get-all", map[string]any{}},
			{"user/get-all", map[string]any{"page": 1}},
			{"user/events", map[string]any{"user_id": id}},
		} {
			r := c.call(tc.path, keyed(tc.body, "shared")).want(t, http.StatusOK, "")
			wantExecuted(t, r)
		}
	})
}

func TestIdempotencyExpiry(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		ctx := context.Background()
		pid := banking.ProgramID(c.creds.ProgramID)
		id := c.newUser(t, "exp@example.com")
		block := keyed(map[string]any{"user_id": id}, "exp")
		c.call("user/block", block).want(t, http.StatusOK, "")
		c.call("user/unblock", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		// Another key left at this time, which only pruning removes.
		c.call("user/update", keyed(map[string]any{"user_id": id, "city": "Oakland"}, "stale")).want(t, http.StatusOK, "")

		e.clock.Advance(24*time.Hour - time.Second)
		wantReplayOf(t, c.call("user/block", block), c.call("user/block", block))

		// Past 24 h (and past the pruning interval since the last prune).
		e.clock.Advance(time.Minute)
		before := e.counts(t)
		r := c.call("user/block", block).want(t, http.StatusOK, "")
		wantExecuted(t, r)
		if after := e.counts(t); after.events != before.events+1 {
			t.Errorf("events = %d, want %d: the expired key did not execute", after.events, before.events+1)
		}
		// The prune runs in the background; give it a few seconds.
		var err error
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, err = e.store.Idempotency(ctx, pid, "stale"); banking.IsCode(err, banking.CodeNotFound) {
				break
			}
		}
		if !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("the expired key was not pruned: %v", err)
		}
		rec, err := e.store.Idempotency(ctx, pid, "exp")
		if err != nil || rec.Status != http.StatusOK || !rec.CreatedAt.Equal(e.clock.Now().UTC().Truncate(time.Millisecond)) {
			t.Errorf("renewed key = %+v, %v", rec, err)
		}
	})
}

func TestIdempotencyInFlight(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		id := c.newUser(t, "fl@example.com")
		body := keyed(map[string]any{"user_id": id, "reason": "r"}, "fl")
		first := c.call("user/block", body).want(t, http.StatusOK, "")
		// Make the key look as if its request were still running, as it is
		// between reservation and commit.
		if _, err := e.store.DB().Exec(`UPDATE idempotency_keys SET status = 0, response_body = NULL, completed_at = NULL`); err != nil {
			t.Fatal(err)
		}
		c.call("user/unblock", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		before := e.counts(t)
		wantInFlight(t, c.call("user/block", body))
		e.wantNoWrites(t, before)
		// Another body with the key is still a mismatch, not in flight.
		c.call("user/block", keyed(map[string]any{"user_id": id}, "fl")).want(t, http.StatusUnprocessableEntity, "idempotency_mismatch")

		// Past the lease the holder is presumed dead: the call runs.
		e.clock.Advance(service.IdempotencyLease)
		r := c.call("user/block", body).want(t, http.StatusOK, "")
		wantExecuted(t, r)
		if bytes.Equal(r.Body, first.Body) {
			t.Errorf("a taken-over key answered the old body")
		}
		wantReplayOf(t, c.call("user/block", body), r)
	})
}

// TestConflictsWithoutRetryAfter: a state conflict or a duplicate email is
// 409 too, but a retry cannot fix it, so it carries no Retry-After, with or
// without a key, first answer or replay.
func TestConflictsWithoutRetryAfter(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		id := c.newUser(t, "taken@example.com")
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		for _, tc := range []struct {
			name string
			path string
			body map[string]any
		}{
			{"block a blocked user", "user/block", map[string]any{"user_id": id}},
			{"block a blocked user under a key", "user/block", keyed(map[string]any{"user_id": id}, "nra-block")},
			{"duplicate email", "user/create", validUser("taken@example.com")},
			{"duplicate email under a key", "user/create", keyed(validUser("TAKEN@example.com"), "nra-create")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				first := c.call(tc.path, tc.body).wantError(t, http.StatusConflict, "conflict", "")
				wantNoRetryAfter(t, "first answer", first)
				if _, ok := tc.body["idempotent_key"]; ok {
					again := c.call(tc.path, tc.body)
					wantReplayOf(t, again, first)
					wantNoRetryAfter(t, "replay", again)
				}
			})
		}
	})
}

func TestIdempotencyConcurrentIdenticalRequests(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		body := keyed(validUser("race@example.com"), "race")
		answers := atOnce(t, 20, func(int) (response, error) { return c.try("user/create", body) })
		var okBody []byte
		statuses := map[int]int{}
		executed := 0
		for _, r := range answers {
			statuses[r.Status]++
			switch r.Status {
			case http.StatusOK:
				if okBody == nil {
					okBody = r.Body
				} else if !bytes.Equal(okBody, r.Body) {
					t.Errorf("answers differ:\n%s\n%s", okBody, r.Body)
				}
				if r.Header.Get(replayedHeader) == "" {
					executed++
				}
			case http.StatusConflict:
				wantInFlight(t, r)
			default:
				t.Errorf("status %d: %s", r.Status, r.Body)
			}
		}
		t.Logf("statuses %v, executed %d", statuses, executed)
		if executed != 1 {
			t.Errorf("executed = %d, want 1 (statuses %v)", executed, statuses)
		}
		var users, created int
		db := e.store.DB()
		if err := db.QueryRow(`SELECT count(*) FROM users`).Scan(&users); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM events WHERE type = 'user.created'`).Scan(&created); err != nil {
			t.Fatal(err)
		}
		if users != 1 || created != 1 {
			t.Errorf("users = %d, user.created events = %d; want 1 and 1", users, created)
		}
		// Once settled, every retry replays the one answer.
		r := c.call("user/create", body).want(t, http.StatusOK, "")
		if !bytes.Equal(r.Body, okBody) || r.Header.Get(replayedHeader) != "true" {
			t.Errorf("settled retry = %s (replayed %q)", r.Body, r.Header.Get(replayedHeader))
		}
	})
}
