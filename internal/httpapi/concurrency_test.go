package httpapi_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// Concurrent calls on one user must behave as if they ran one after another:
// a transition happens once, a duplicate email is created once, and no update
// is lost. Both engines, both through the HTTP API.

const racers = 12

// atOnce runs call(i) for i in [0, n) at once (each waits for the others to
// be started) and returns the answers in order of i; an error of any call
// fails the test.
func atOnce(t *testing.T, n int, call func(i int) (response, error)) []response {
	t.Helper()
	var wg sync.WaitGroup
	answers := make([]response, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i], errs[i] = call(i)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return answers
}

// race runs call(i) for i in [0, racers) at once and returns how many
// answers had each status.
func race(t *testing.T, call func(i int) (response, error)) map[int]int {
	t.Helper()
	statuses := map[int]int{}
	for _, r := range atOnce(t, racers, call) {
		statuses[r.Status]++
	}
	return statuses
}

func TestConcurrentCalls(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		for _, tc := range []struct {
			name   string
			path   string
			user   func(t *testing.T) string
			body   func(id string, i int) map[string]any
			want   map[int]int
			events []string
		}{
			{
				name: "block", path: "user/block",
				user: func(t *testing.T) string { return c.newUser(t, "block@example.com") },
				body: func(id string, i int) map[string]any { return map[string]any{"user_id": id, "reason": fmt.Sprint(i)} },
				want: map[int]int{200: 1, 409: racers - 1}, events: []string{"user.blocked", "user.created"},
			},
			{
				name: "unblock", path: "user/unblock",
				user: func(t *testing.T) string {
					id := c.newUser(t, "unblock@example.com")
					c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
					return id
				},
				body: func(id string, i int) map[string]any { return map[string]any{"user_id": id} },
				want: map[int]int{200: 1, 409: racers - 1}, events: []string{"user.unblocked", "user.blocked", "user.created"},
			},
			{
				name: "send-verification-request", path: "user/send-verification-request",
				user: func(t *testing.T) string { return c.newKYCUser(t, "kyc@example.com", "0002") },
				body: func(id string, i int) map[string]any { return map[string]any{"user_id": id} },
				want: map[int]int{200: 1, 409: racers - 1}, events: []string{"user.kyc.submitted", "user.created"},
			},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := tc.user(t)
				got := race(t, func(i int) (response, error) { return c.try(tc.path, tc.body(id, i)) })
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("statuses = %v, want %v", got, tc.want)
				}
				c.wantEventTypes(t, id, tc.events...)
			})
		}

		t.Run("create with one email in many cases", func(t *testing.T) {
			before := e.counts(t)
			got := race(t, func(i int) (response, error) {
				email := "Same@Example.com"
				if i%2 == 1 {
					email = "same@example.COM"
				}
				b := validUser(email)
				b["first_name"] = fmt.Sprint("Racer", i)
				return c.try("user/create", b)
			})
			if want := map[int]int{200: 1, 409: racers - 1}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("statuses = %v, want %v", got, want)
			}
			if after := e.counts(t); after.users != before.users+1 || after.events != before.events+1 {
				t.Errorf("rows %+v → %+v, want one user and one event more", before, after)
			}
		})

		t.Run("updates are not lost", func(t *testing.T) {
			id := c.newUser(t, "update@example.com")
			got := race(t, func(i int) (response, error) {
				return c.try("user/update", map[string]any{"user_id": id, "city": fmt.Sprint("City ", i)})
			})
			if got[200] != racers {
				t.Fatalf("statuses = %v, want %d × 200", got, racers)
			}
			// The trail is one chain: each update starts from the city the
			// previous one left, and the last one is the user's city.
			evs := c.events(t, id)
			if len(evs) != racers+1 {
				t.Fatalf("events = %d, want %d", len(evs), racers+1)
			}
			city := "San Francisco"
			for i := len(evs) - 2; i >= 0; i-- {
				changes, _ := evs[i]["changes"].(map[string]any)
				ch, _ := changes["city"].(map[string]any)
				if ch["from"] != city {
					t.Errorf("update %d changed city from %v, but it was %q", len(evs)-1-i, ch["from"], city)
				}
				city, _ = ch["to"].(string)
			}
			if u := c.get(t, id); u["city"] != city {
				t.Errorf("city = %v, want the last update's %q", u["city"], city)
			}
		})
	})
}
