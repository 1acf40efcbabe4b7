package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// TestListTotalPastTheCap: past banking.ExactTotalUpTo matches, total is
// that lower bound with pagination.total_is_estimate true [extension]; an
// exact total answers without the field, the bytes it always had.
func TestListTotalPastTheCap(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		pid := banking.ProgramID(c.creds.ProgramID)
		const n = banking.ExactTotalUpTo + 1
		users := make([]banking.User, 0, n)
		events := make([]banking.Event, 0, n)
		at := e.clock.Now()
		for i := range n {
			u, _, err := banking.NewUser(pid, banking.NewUserInput{FirstName: "Ada", LastName: "Lovelace",
				Email: fmt.Sprintf("cap%05d@example.com", i), PhoneNumber: "+14155550123", AddressOne: "1 Main St",
				City: "San Francisco", State: "CA", Country: "US", PostalCode: "94105"}, at.Add(time.Duration(i)*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			users = append(users, u)
			events = append(events, banking.NewEvent(&u, banking.EventUserCreated, "test", "", banking.CreatedChanges(&u), u.CreatedAt))
		}
		if err := e.store.BulkCreateUsers(context.Background(), users, events); err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			name     string
			path     string
			body     map[string]any
			total    float64
			estimate bool
		}{
			{"a search past the cap", "user/get-all", map[string]any{"search": "LOVELACE", "per_page": 1}, banking.ExactTotalUpTo, true},
			{"a page past the cap", "user/get-all", map[string]any{"search": "lovelace", "per_page": 500, "page": 21}, n, true},
			{"every user, from the counters", "user/get-all", map[string]any{"per_page": 1}, n, false},
			{"one match", "user/get-all", map[string]any{"search": "cap00007@"}, 1, false},
			{"no business", "business/get-all", map[string]any{"search": "lovelace"}, 0, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := c.call(tc.path, tc.body).want(t, http.StatusOK, "")
				p := r.pagination(t)
				if p["total"] != tc.total {
					t.Errorf("total = %v, want %v", p["total"], tc.total)
				}
				if got, present := p["total_is_estimate"]; tc.estimate && got != true {
					t.Errorf("total_is_estimate = %v, want true", got)
				} else if !tc.estimate && present {
					t.Errorf("total_is_estimate = %v, want it absent", got)
				}
				if !tc.estimate && strings.Contains(string(r.Body), "total_is_estimate") {
					t.Errorf("an exact total names total_is_estimate: %s", r.Body)
				}
			})
		}
	})
}
