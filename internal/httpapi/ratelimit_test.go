package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/httpapi"
)

// withRateLimit serves e's service through a second handler limited to rate
// requests per second with the given burst, and returns a client of program
// c on it. The clock is e's, so refills are driven by e.clock.Advance.
func withRateLimit(t *testing.T, e *env, c *apiClient, rate float64, burst int) *apiClient {
	t.Helper()
	limited := *e
	limited.srv = httptest.NewServer(httpapi.NewHandler(httpapi.Config{
		Service: e.svc, Now: e.clock.Now, RateLimit: rate, RateBurst: burst}))
	t.Cleanup(limited.srv.Close)
	return &apiClient{e: &limited, creds: c.creds}
}

func TestRateLimit(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		a := withRateLimit(t, e, e.program("a"), 2, 2)
		b := &apiClient{e: a.e, creds: e.program("b").creds}

		a.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
		a.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
		before := e.counts(t)
		r := a.call("user/create", validUser("limited@example.com")).want(t, http.StatusTooManyRequests, "rate_limited")
		if got := r.Header.Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After = %q, want 1", got)
		}
		if after := e.counts(t); after != before {
			t.Errorf("a rate-limited create wrote something: counts %v, want %v", after, before)
		}
		// Another program has its own bucket.
		b.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")

		// Half a second refills one token at 2/s.
		e.clock.Advance(500 * time.Millisecond)
		a.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
		a.call("user/get-all", map[string]any{}).want(t, http.StatusTooManyRequests, "rate_limited")

		// Bad credentials are refused before the limiter: they cannot spend
		// a program's budget.
		e.clock.Advance(time.Second)
		for i := 0; i < 5; i++ {
			a.send("user/get-all", map[string]any{}, func(r *http.Request) { r.Header.Set("api_key", "wrong") }).
				want(t, http.StatusUnauthorized, "unauthenticated")
		}
		a.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
	})
}

func TestRateLimitRetryAfterRoundsUp(t *testing.T) {
	e := newEnv(t)
	a := withRateLimit(t, e, e.program("slow"), 0.2, 1) // one request per 5 s
	a.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
	r := a.call("user/get-all", map[string]any{}).want(t, http.StatusTooManyRequests, "rate_limited")
	if got := r.Header.Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After = %q, want 5", got)
	}
}
