package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
)

// Spec sections 3 and 7: a program sees only its own users. Another
// program's user is 404, never 403, and nothing happens to it.

func TestTenantIsolation(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		a, b := e.program("acme"), e.program("globex")
		ada := a.newKYCUser(t, "ada@example.com", "6789")
		blocked := a.newUser(t, "blocked@example.com")
		a.call("user/block", map[string]any{"user_id": blocked}).want(t, http.StatusOK, "")
		bob := b.newUser(t, "bob@example.com")

		for _, tc := range []struct {
			path string
			body map[string]any
		}{
			{"user/get", map[string]any{"user_id": ada}},
			{"user/update", map[string]any{"user_id": ada, "city": "Oakland"}},
			{"user/update", map[string]any{"user_id": ada}},
			{"user/block", map[string]any{"user_id": ada, "reason": "not yours"}},
			{"user/unblock", map[string]any{"user_id": blocked}},
			{"user/send-verification-request", map[string]any{"user_id": ada}},
			{"user/events", map[string]any{"user_id": ada}},
			{"user/events", map[string]any{"user_id": blocked, "page": 1, "per_page": 500}},
		} {
			t.Run(tc.path, func(t *testing.T) {
				beforeAda, beforeBlocked, rows := a.get(t, ada), a.get(t, blocked), e.counts(t)
				r := b.call(tc.path, tc.body).wantError(t, http.StatusNotFound, "not_found", "")
				// The answer must not tell "exists elsewhere" from "does not exist".
				unknown := map[string]any{"user_id": "user-00000000-0000-7000-8000-000000000000"}
				for k, v := range tc.body {
					if k != "user_id" {
						unknown[k] = v
					}
				}
				u := b.call(tc.path, unknown).wantError(t, http.StatusNotFound, "not_found", "")
				if r.JSON["message"] != u.JSON["message"] {
					t.Errorf("message for another program's user %q differs from an unknown user's %q", r.JSON["message"], u.JSON["message"])
				}
				e.wantNoWrites(t, rows)
				if !equalUsers(beforeAda, a.get(t, ada)) || !equalUsers(beforeBlocked, a.get(t, blocked)) {
					t.Errorf("program B's %s changed program A's user", tc.path)
				}
			})
		}
		a.wantEventTypes(t, ada, "user.created")
		a.wantEventTypes(t, blocked, "user.blocked", "user.created")

		t.Run("get-all lists only the caller's users", func(t *testing.T) {
			for _, body := range []map[string]any{
				{}, {"per_page": 500}, {"search": "example.com"}, {"search": ada[len(ada)-12:]},
				{"email": "ada@example.com"}, {"status": "blocked"}, {"kyc_status": "not_started"}, {"sort": "created_at:asc"},
			} {
				r := b.call("user/get-all", body).want(t, http.StatusOK, "")
				for _, id := range ids(r.items(t)) {
					if id != bob {
						t.Errorf("B's get-all %v lists %s", body, id)
					}
				}
				if total := r.pagination(t)["total"]; total.(float64) > 1 {
					t.Errorf("B's get-all %v total = %v, want at most 1", body, total)
				}
			}
			got := ids(a.call("user/get-all", map[string]any{"per_page": 500}).want(t, http.StatusOK, "").items(t))
			if slices.Contains(got, bob) || len(got) != 2 {
				t.Errorf("A's get-all = %v, want A's two users only", got)
			}
		})

		t.Run("the same email in two programs", func(t *testing.T) {
			other := b.create(t, validUser("ADA@example.com"))
			if other["id"] == ada {
				t.Fatalf("B's user has A's id")
			}
			for _, c := range []*apiClient{a, b} {
				r := c.call("user/get-all", map[string]any{"email": "ada@example.com"}).want(t, http.StatusOK, "")
				if items := r.items(t); len(items) != 1 {
					t.Errorf("email filter in one program = %d users, want 1", len(items))
				}
			}
			// And it is still unique inside each program.
			b.call("user/create", validUser("ada@EXAMPLE.com")).wantError(t, http.StatusConflict, "conflict", "")
		})
	})
}
