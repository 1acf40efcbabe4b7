package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Spec section 5, user/events: every change of a user writes exactly one
// event, newest first; refused calls write none.

func TestAuditTrail(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		actor := "program:" + c.creds.ProgramID
		b := validUser("ada@example.com")
		b["ssn"], b["date_of_birth"] = "123-45-6789", "1990-12-10"
		id := c.create(t, b)["id"].(string)

		// Each step: a call, and the event it must add (or none).
		type step struct {
			path    string
			body    map[string]any
			status  int
			event   string
			reason  string
			changes map[string][2]string
		}
		steps := []step{
			{"user/update", map[string]any{"city": "Oakland"}, 200, "user.updated", "", map[string][2]string{"city": {"San Francisco", "Oakland"}}},
			{"user/update", map[string]any{"city": "Oakland"}, 200, "", "", nil},        // no-op
			{"user/update", map[string]any{"city": ""}, 400, "", "", nil},               // invalid
			{"user/update", map[string]any{"email": "x@example.com"}, 400, "", "", nil}, // email
			{"user/unblock", map[string]any{}, 409, "", "", nil},                        // not blocked
			{"user/block", map[string]any{"reason": "fraud review"}, 200, "user.blocked", "fraud review", map[string][2]string{"status": {"active", "blocked"}}},
			{"user/block", map[string]any{"reason": "again"}, 409, "", "", nil},                  // already blocked
			{"user/block", map[string]any{"reason": strings.Repeat("r", 501)}, 400, "", "", nil}, // reason too long
			{"user/send-verification-request", map[string]any{}, 409, "", "", nil},               // blocked
			{"user/update", map[string]any{"ssn": "123-45-0002"}, 200, "user.updated", "", map[string][2]string{"ssn_last_4": {"6789", "0002"}}},
			{"user/unblock", map[string]any{"reason": strings.Repeat("r", 500)}, 200, "user.unblocked", strings.Repeat("r", 500), map[string][2]string{"status": {"blocked", "active"}}},
			{"user/send-verification-request", map[string]any{}, 200, "user.kyc.submitted", "", map[string][2]string{"kyc_status": {"not_started", "pending"}}},
			{"user/send-verification-request", map[string]any{}, 409, "", "", nil}, // pending
			{"user/update", map[string]any{"first_name": "Eve"}, 409, "", "", nil}, // identity locked
			{"user/get", map[string]any{}, 200, "", "", nil},                       // reads write nothing
			{"user/events", map[string]any{}, 200, "", "", nil},
		}
		type want struct {
			typ, reason, at string
			changes         map[string][2]string
		}
		wants := []want{{typ: "user.created", at: "2026-04-16T12:34:56.000Z"}}
		for i, s := range steps {
			e.clock.Advance(time.Second)
			rows := e.counts(t)
			s.body["user_id"] = id
			r := c.call(s.path, s.body)
			if s.status != 200 {
				r.wantError(t, s.status, "", "")
			} else {
				r.want(t, 200, "")
			}
			after := e.counts(t)
			wantEvents := rows.events
			if s.event != "" {
				wantEvents++
				wants = append(wants, want{s.event, s.reason, e.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z"), s.changes})
			}
			if after.events != wantEvents || after.users != rows.users {
				t.Errorf("step %d %s %v: rows %+v → %+v, want %d events", i, s.path, s.status, rows, after, wantEvents)
			}
		}
		slices.Reverse(wants)

		evs := c.events(t, id)
		if len(evs) != len(wants) {
			t.Fatalf("events = %v, want %d", eventTypes(evs), len(wants))
		}
		seen := map[string]bool{}
		for i, ev := range evs {
			w := wants[i]
			wantKeys(t, "event", ev, "id", "type", "actor", "reason", "changes", "created_at")
			evID, _ := ev["id"].(string)
			if !strings.HasPrefix(evID, "event-") || seen[evID] {
				t.Errorf("event id %q: want a unique event-...", evID)
			}
			seen[evID] = true
			if ev["type"] != w.typ || ev["actor"] != actor || ev["reason"] != w.reason || ev["created_at"] != w.at {
				t.Errorf("event %d = %v %v %q %v, want %s %s %q %s", i, ev["type"], ev["actor"], ev["reason"], ev["created_at"],
					w.typ, actor, w.reason, w.at)
			}
			changes, _ := ev["changes"].(map[string]any)
			if w.changes == nil {
				continue
			}
			if len(changes) != len(w.changes) {
				t.Errorf("%s changes = %v, want %v", w.typ, changes, w.changes)
			}
			for k, fromTo := range w.changes {
				ch, _ := changes[k].(map[string]any)
				if ch["from"] != fromTo[0] || ch["to"] != fromTo[1] {
					t.Errorf("%s changes.%s = %v, want %s → %s", w.typ, k, ch, fromTo[0], fromTo[1])
				}
			}
		}

		created, _ := evs[len(evs)-1]["changes"].(map[string]any)
		for _, k := range []string{"first_name", "email", "status", "kyc_status", "ssn_last_4"} {
			if _, ok := created[k]; !ok {
				t.Errorf("user.created changes lack %s: %v", k, created)
			}
		}
		if _, ok := created["ssn"]; ok {
			t.Errorf("user.created changes carry ssn: %v", created)
		}
	})
}

func TestEventsPaging(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		id := c.newUser(t, "ada@example.com")
		// Six transitions in one millisecond: the order must still be exact.
		for range 3 {
			c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
			c.call("user/unblock", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		}
		all := c.wantEventTypes(t, id, "user.unblocked", "user.blocked", "user.unblocked", "user.blocked",
			"user.unblocked", "user.blocked", "user.created")

		var paged []string
		for page := 1; page <= 4; page++ {
			r := c.call("user/events", map[string]any{"user_id": id, "page": page, "per_page": 3}).want(t, http.StatusOK, "")
			items := r.items(t)
			wantLen := []int{3, 3, 1, 0}[page-1]
			if len(items) != wantLen {
				t.Errorf("page %d has %d events, want %d", page, len(items), wantLen)
			}
			if !strings.Contains(string(r.Body), `"items":[`) {
				t.Errorf("items is not an array: %s", r.Body)
			}
			wantPage(t, r.pagination(t), page, 3, 7, "created_at:desc", "")
			paged = append(paged, ids(items)...)
		}
		if !slices.Equal(paged, ids(all)) {
			t.Errorf("paged event ids = %v\nwant %v", paged, ids(all))
		}
		r := c.call("user/events", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		wantPage(t, r.pagination(t), 1, 10, 7, "created_at:desc", "")

		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"page": 0}, "page"},
			{map[string]any{"per_page": 0}, "per_page"},
			{map[string]any{"per_page": 501}, "per_page"},
		} {
			tc.body["user_id"] = id
			c.call("user/events", tc.body).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, tc.field)
		}
		c.call("user/events", map[string]any{"user_id": id, "per_page": 500}).want(t, http.StatusOK, "")

		other := e.program("globex")
		other.call("user/events", map[string]any{"user_id": id}).wantError(t, http.StatusNotFound, "not_found", "")
	})
}
