package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/kyc"
)

// State survives a restart of the process: users, events, programs, and KYC
// checks that were in flight.

func TestRestartKeepsState(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		a, b := e.program("acme"), e.program("globex")
		ada := a.newKYCUser(t, "ada@example.com", "6789")
		e.clock.Advance(time.Second)
		grace := a.newUser(t, "grace@example.com")
		a.call("user/block", map[string]any{"user_id": grace, "reason": "chargebacks"}).want(t, http.StatusOK, "")
		a.call("user/update", map[string]any{"user_id": ada, "city": "Oakland", "meta_data": []map[string]string{{"name": "k", "value": "v"}}}).
			want(t, http.StatusOK, "")
		bob := b.newUser(t, "bob@example.com")

		type snapshot struct {
			list   []map[string]any
			events map[string][]map[string]any
		}
		take := func() snapshot {
			s := snapshot{
				list:   a.call("user/get-all", map[string]any{"per_page": 500}).want(t, http.StatusOK, "").items(t),
				events: map[string][]map[string]any{},
			}
			s.list = append(s.list, b.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "").items(t)...)
			s.events[ada], s.events[grace], s.events[bob] = a.events(t, ada), a.events(t, grace), b.events(t, bob)
			return s
		}
		before := take()
		rows := e.counts(t)
		e.restart()
		after := take()
		e.wantNoWrites(t, rows)

		if len(after.list) != len(before.list) {
			t.Fatalf("users after restart = %d, want %d", len(after.list), len(before.list))
		}
		for i := range before.list {
			if !equalUsers(before.list[i], after.list[i]) {
				t.Errorf("user %d after restart = %v\nwant %v", i, after.list[i], before.list[i])
			}
		}
		for id, evs := range before.events {
			if got, want := ids(after.events[id]), ids(evs); !slices.Equal(got, want) {
				t.Errorf("events of %s after restart = %v, want %v", id, got, want)
			}
			for i := range evs {
				if after.events[id][i]["created_at"] != evs[i]["created_at"] || after.events[id][i]["reason"] != evs[i]["reason"] {
					t.Errorf("event %s changed: %v → %v", evs[i]["id"], evs[i], after.events[id][i])
				}
			}
		}
		if g := a.get(t, grace); g["status"] != "blocked" {
			t.Errorf("grace after restart = %v, want blocked", g["status"])
		}

		// The rules still hold against the restored state.
		a.call("user/block", map[string]any{"user_id": grace}).wantError(t, http.StatusConflict, "conflict", "")
		a.call("user/create", validUser("ADA@example.com")).wantError(t, http.StatusConflict, "conflict", "")
		b.call("user/get", map[string]any{"user_id": ada}).wantError(t, http.StatusNotFound, "not_found", "")
		a.call("user/unblock", map[string]any{"user_id": grace}).want(t, http.StatusOK, "")
		a.wantEventTypes(t, grace, "user.unblocked", "user.blocked", "user.created")
	})
}

// TestRestartResumesKYC: checks in flight when the process stops are
// decided after it starts again, exactly once.
func TestRestartResumesKYC(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.restartWithKYC(kyc.Sandbox{Delay: time.Hour}) // checks cannot finish before the restart
		c := e.program("acme")
		users := map[string]string{} // last four → id
		for _, last4 := range []string{"6789", "0001", "0002"} {
			users[last4] = c.newKYCUser(t, "u"+last4+"@example.com", last4)
			c.submit(t, users[last4])
		}
		for last4, id := range users {
			if s := c.get(t, id)["kyc_status"]; s != "pending" {
				t.Fatalf("%s kyc_status = %v before restart, want pending", last4, s)
			}
		}

		e.restartWithKYC(nil) // the sandbox without delay: resumed checks decide at once
		c.waitKYC(t, users["6789"], "verified")
		c.waitKYC(t, users["0001"], "rejected")
		c.wantEventTypes(t, users["6789"], "user.kyc.verified", "user.kyc.submitted", "user.created")
		c.wantEventTypes(t, users["0001"], "user.kyc.rejected", "user.kyc.submitted", "user.created")

		// Restarting again decides nothing twice; the review case stays pending.
		e.restart()
		e.restart()
		if s := c.get(t, users["0002"])["kyc_status"]; s != "pending" {
			t.Errorf("0002 kyc_status = %v, want pending", s)
		}
		c.wantEventTypes(t, users["6789"], "user.kyc.verified", "user.kyc.submitted", "user.created")
		c.wantEventTypes(t, users["0001"], "user.kyc.rejected", "user.kyc.submitted", "user.created")
		c.wantEventTypes(t, users["0002"], "user.kyc.submitted", "user.created")
	})
}
