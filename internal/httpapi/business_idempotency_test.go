package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/kyc"
)

// TestBusinessIdempotency: every new mutation honours idempotent_key
// (api-v4.md section 6): the same key and body replay the first answer
// byte for byte and execute nothing; another body is 422; a state refusal
// (409) is stored and replayed; a 400 is not stored.
func TestBusinessIdempotency(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		k := c.kybCase(t, "idem@example.com", "12-3456789", "6789")
		// Slow KYB, so the submission's replay meets a pending business.
		e.restartWithKYC(kyc.Sandbox{Delay: time.Hour})
		ref := map[string]any{"user_id": k.uid, "business_id": k.bid}
		with := func(extra map[string]any) map[string]any {
			m := map[string]any{"user_id": k.uid, "business_id": k.bid}
			for key, v := range extra {
				m[key] = v
			}
			return m
		}
		for _, tc := range []struct {
			path string
			body map[string]any
		}{
			{"business/create", validBusiness(k.uid, "98-7654321")},
			{"business/update", with(map[string]any{"dba": "Replayed"})},
			{"business/block", with(map[string]any{"reason": "once"})},
			{"business/unblock", with(map[string]any{"reason": "once"})},
			{"business/add-business-owner", validOwner(k.uid, k.bid, "4321", 10)},
			{"business/add-business-owner-document", with(map[string]any{"business_owner_id": k.owners[0],
				"document_type": "other", "file_url": "https://files.example/o"})},
			{"business/send-verification-request", ref},
			{"user/create", func() map[string]any {
				b := validUser("contact@example.com")
				b["business_id"], b["is_vendor"] = k.bid, true
				return b
			}()},
		} {
			t.Run(tc.path, func(t *testing.T) {
				key := "idem-" + tc.path
				first := c.call(tc.path, keyed(tc.body, key)).want(t, http.StatusOK, "")
				before := e.rows(t)
				e.clock.Advance(time.Second)
				wantReplayOf(t, c.call(tc.path, keyed(tc.body, key)), first)
				// The header alias names the same request.
				wantReplayOf(t, c.send(tc.path, tc.body, withHeaderKey(key)), first)
				e.wantNoRows(t, before)
				other := keyed(tc.body, key)
				other["idempotent_key"], other["api_key"] = key, c.creds.APIKey // api_key alone is ignored
				wantReplayOf(t, c.call(tc.path, other), first)
				if _, ok := other["business_id"]; ok {
					other["business_id"] = "buss-00000000-0000-7000-8000-000000000000"
				} else {
					other["email"] = "another@acme.example"
				}
				c.call(tc.path, other).wantError(t, http.StatusUnprocessableEntity, "idempotency_mismatch", "")
				e.wantNoRows(t, before)
			})
		}
		t.Run("a 409 is replayed, a 400 is not stored", func(t *testing.T) {
			over := keyed(validOwner(k.uid, k.bid, "6789", 99), "idem-over")
			// KYB is pending now: adding an owner is a 409, stored.
			first := c.call("business/add-business-owner", over).wantError(t, http.StatusConflict, "conflict", "")
			wantReplayOf(t, c.call("business/add-business-owner", over), first)
			bad := keyed(with(map[string]any{"zipcode": "x"}), "idem-fix")
			c.call("business/update", bad).wantError(t, http.StatusBadRequest, "invalid", "")
			fixed := keyed(with(map[string]any{"zipcode": "94107"}), "idem-fix")
			if got := c.call("business/update", fixed).want(t, http.StatusOK, "").one(t); got["postal_code"] != "94107" {
				t.Errorf("the corrected request under the key: %v", got)
			}
		})
	})
}
