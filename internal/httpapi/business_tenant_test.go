package httpapi_test

import (
	"net/http"
	"testing"
)

// Tenant isolation for businesses (businesses.md, api-v4.md section 7):
// another program's business, owner or document is 404 on every call, as
// is a business named with the wrong user_id, and nothing happens to it.

func TestBusinessTenantIsolation(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		a, b := e.program("acme"), e.program("globex")
		k := a.kybCase(t, "ada@example.com", "12-3456789", "6789")
		blocked := a.newBusiness(t, k.uid, "98-7654321")["id"].(string)
		a.call("business/block", map[string]any{"user_id": k.uid, "business_id": blocked}).want(t, http.StatusOK, "")
		other := a.newUser(t, "other@example.com") // A's user who does not own the business
		bobUser := b.newUser(t, "bob@example.com")

		calls := []struct {
			path string
			body map[string]any
		}{
			{"business/get", map[string]any{}},
			{"business/update", map[string]any{"dba": "Mine now"}},
			{"business/block", map[string]any{"reason": "not yours"}},
			{"business/unblock", map[string]any{"business_id": blocked}},
			{"business/events", map[string]any{}},
			{"business/send-verification-request", map[string]any{}},
			{"business/add-business-owner", validOwner("", "", "6789", 1)},
			{"business/get-business-owners", map[string]any{}},
			{"business/add-business-owner-document", map[string]any{"business_owner_id": k.owners[0], "document_type": "other", "file_url": "https://x.example/f"}},
			{"business/get-business-owner-documents", map[string]any{"business_owner_id": k.owners[0]}},
			{"business/customers/get-all", map[string]any{}},
		}
		for _, tc := range calls {
			body := func(uid string) map[string]any {
				m := map[string]any{"business_id": k.bid}
				for key, v := range tc.body {
					if v != "" {
						m[key] = v
					}
				}
				m["user_id"] = uid
				return m
			}
			t.Run(tc.path, func(t *testing.T) {
				beforeBiz, beforeOwners, rows := a.business(t, k.uid, k.bid), a.owners(t, k.uid, k.bid), e.rows(t)
				for _, who := range []struct {
					name string
					c    *apiClient
					uid  string
				}{
					{"another program, its owner's id", b, k.uid},
					{"another program, its own user", b, bobUser},
					{"the same program, the wrong user", a, other},
				} {
					r := who.c.call(tc.path, body(who.uid)).wantError(t, http.StatusNotFound, "not_found", "")
					unknown := body(who.uid)
					unknown["business_id"] = "buss-00000000-0000-7000-8000-000000000000"
					u := who.c.call(tc.path, unknown).wantError(t, http.StatusNotFound, "not_found", "")
					if r.JSON["message"] != u.JSON["message"] {
						t.Errorf("%s: message %q differs from an unknown business's %q", who.name, r.JSON["message"], u.JSON["message"])
					}
				}
				e.wantNoRows(t, rows)
				if !equalMaps(beforeBiz, a.business(t, k.uid, k.bid)) || len(beforeOwners) != len(a.owners(t, k.uid, k.bid)) {
					t.Errorf("%s by a stranger changed program A's business", tc.path)
				}
			})
		}
		t.Run("lists", func(t *testing.T) {
			for _, body := range []map[string]any{{}, {"search": "acme"}, {"search": "12-3456789"}, {"kyb_status": "not_started"}} {
				if r := b.call("business/get-all", body).want(t, http.StatusOK, ""); len(r.items(t)) != 0 || r.pagination(t)["total"] != float64(0) {
					t.Errorf("B's business/get-all %v lists A's businesses: %s", body, r.Body)
				}
			}
			b.call("business/get-all", map[string]any{"user_id": k.uid}).wantError(t, http.StatusNotFound, "not_found", "")
			// A user id of the same program that owns nothing lists nothing.
			if r := a.call("business/get-all", map[string]any{"user_id": other}).want(t, http.StatusOK, ""); len(r.items(t)) != 0 {
				t.Errorf("another user's businesses listed: %s", r.Body)
			}
		})
		t.Run("create for another program's user", func(t *testing.T) {
			rows := e.rows(t)
			b.call("business/create", validBusiness(k.uid, "33-3333333")).wantError(t, http.StatusNotFound, "not_found", "")
			e.wantNoRows(t, rows)
		})
		if got := eventTypes(a.businessEvents(t, k.uid, k.bid))[0]; got != "business.document.added" {
			t.Errorf("A's business trail gained %s", got)
		}
	})
}
