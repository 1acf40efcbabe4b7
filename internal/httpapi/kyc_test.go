package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/kyc"
)

// Spec section 5, user/send-verification-request and the sandbox provider.

// submit sends a user to verification and checks the answer is "data":{}.
func (c *apiClient) submit(t *testing.T, id string) {
	t.Helper()
	r := c.call("user/send-verification-request", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
	wantKeys(t, "envelope", r.JSON, "status", "message", "data")
	if data, ok := r.JSON["data"].(map[string]any); !ok || len(data) != 0 || r.JSON["status"] != "success" {
		t.Errorf("send-verification-request answered %s, want \"data\":{}", r.Body)
	}
}

// wantEvent checks one event's type, actor, reason and kyc_status change.
func wantEvent(t *testing.T, ev map[string]any, typ, actor, reason, from, to string) {
	t.Helper()
	if ev["type"] != typ || ev["actor"] != actor || ev["reason"] != reason {
		t.Errorf("event = %v %v %q, want %s %s %q", ev["type"], ev["actor"], ev["reason"], typ, actor, reason)
	}
	changes, _ := ev["changes"].(map[string]any)
	ch, _ := changes["kyc_status"].(map[string]any)
	if len(changes) != 1 || ch["from"] != from || ch["to"] != to {
		t.Errorf("%s changes = %v, want only kyc_status %s → %s", typ, changes, from, to)
	}
}

func TestKYCOutcomes(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		actor := "program:" + c.creds.ProgramID
		for _, tc := range []struct {
			last4, want, event, reason string
		}{
			{"6789", "verified", "user.kyc.verified", ""},
			{"0003", "verified", "user.kyc.verified", ""},
			{"0010", "verified", "user.kyc.verified", ""},
			{"0001", "rejected", "user.kyc.rejected", "SSN_MISMATCH"},
		} {
			t.Run(tc.last4, func(t *testing.T) {
				id := c.newKYCUser(t, "kyc"+tc.last4+"@example.com", tc.last4)
				c.submit(t, id)
				// Right after the call the check may or may not have run.
				if s := c.get(t, id)["kyc_status"]; s != "pending" && s != tc.want {
					t.Errorf("kyc_status right after submit = %v, want pending or %s", s, tc.want)
				}
				u := c.waitKYC(t, id, tc.want)
				if u["status"] != "active" || u["ssn_last_4"] != tc.last4 {
					t.Errorf("user after check = %v", u)
				}
				evs := c.wantEventTypes(t, id, tc.event, "user.kyc.submitted", "user.created")
				if len(evs) == 3 {
					wantEvent(t, evs[1], "user.kyc.submitted", actor, "", "not_started", "pending")
					wantEvent(t, evs[0], tc.event, "kyc:sandbox", tc.reason, "pending", tc.want)
				}
			})
		}

		t.Run("0002 stays pending for manual review", func(t *testing.T) {
			id := c.newKYCUser(t, "review@example.com", "0002")
			c.submit(t, id)
			// A restart waits for background checks to end, and runs this one again.
			e.restart()
			e.restart()
			if s := c.get(t, id)["kyc_status"]; s != "pending" {
				t.Errorf("kyc_status = %v, want pending", s)
			}
			evs := c.wantEventTypes(t, id, "user.kyc.submitted", "user.created")
			if len(evs) == 2 {
				wantEvent(t, evs[0], "user.kyc.submitted", actor, "", "not_started", "pending")
			}
		})

		t.Run("a rejected user can be resubmitted", func(t *testing.T) {
			id := c.newKYCUser(t, "again@example.com", "0001")
			c.submit(t, id)
			c.waitKYC(t, id, "rejected")
			c.submit(t, id)
			c.waitKYC(t, id, "rejected")
			// Corrected SSN, third attempt passes.
			c.call("user/update", map[string]any{"user_id": id, "ssn": "123-45-6789"}).want(t, http.StatusOK, "")
			c.submit(t, id)
			c.waitKYC(t, id, "verified")
			evs := c.wantEventTypes(t, id, "user.kyc.verified", "user.kyc.submitted", "user.updated",
				"user.kyc.rejected", "user.kyc.submitted", "user.kyc.rejected", "user.kyc.submitted", "user.created")
			if len(evs) == 8 {
				wantEvent(t, evs[4], "user.kyc.submitted", actor, "", "rejected", "pending")
			}
		})

		t.Run("missing identity data", func(t *testing.T) {
			for _, tc := range []struct {
				name    string
				set     map[string]any
				missing []string
			}{
				{"neither", nil, []string{"date_of_birth", "ssn"}},
				{"no ssn", map[string]any{"date_of_birth": "1990-12-10"}, []string{"ssn"}},
				{"no date_of_birth", map[string]any{"ssn": "123456789"}, []string{"date_of_birth"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					b := validUser("missing-" + tc.missing[0] + "-" + string(rune('0'+len(tc.missing))) + "@example.com")
					for k, v := range tc.set {
						b[k] = v
					}
					id := c.create(t, b)["id"].(string)
					rows := e.counts(t)
					c.call("user/send-verification-request", map[string]any{"user_id": id}).
						wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, tc.missing...)
					e.wantNoWrites(t, rows)
					if s := c.get(t, id)["kyc_status"]; s != "not_started" {
						t.Errorf("kyc_status = %v, want not_started", s)
					}
				})
			}
		})
	})
}

// TestKYCPendingWhileChecking uses a provider that takes an hour, so the user
// is observably pending and every rule about pending users can be checked.
func TestKYCPendingWhileChecking(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.restartWithKYC(kyc.Sandbox{Delay: time.Hour})
		c := e.program("acme")
		id := c.newKYCUser(t, "slow@example.com", "6789")
		e.clock.Advance(2 * time.Second)
		c.submit(t, id)
		u := c.get(t, id)
		if u["kyc_status"] != "pending" || u["updated_at"] != "2026-04-16T12:34:58.000Z" {
			t.Errorf("kyc_status, updated_at = %v, %v; want pending, 2026-04-16T12:34:58.000Z", u["kyc_status"], u["updated_at"])
		}
		got, _ := c.list(t, map[string]any{"kyc_status": "pending"})
		if !slices.Equal(got, []string{id}) {
			t.Errorf("pending users = %v, want [%s]", got, id)
		}
		c.call("user/send-verification-request", map[string]any{"user_id": id}).wantError(t, http.StatusConflict, "conflict", "")
		c.call("user/update", map[string]any{"user_id": id, "last_name": "Byron"}).wantError(t, http.StatusConflict, "conflict", "")
		// A pending user can still be blocked.
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		c.wantEventTypes(t, id, "user.blocked", "user.kyc.submitted", "user.created")
	})
}
