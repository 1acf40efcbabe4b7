package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestMetrics checks that /metrics is served without a signature, in
// Prometheus text format, and counts requests by route pattern (not raw path)
// and status, with latency histograms for requests and store operations.
func TestMetrics(t *testing.T) {
	e := newEnv(t)
	c := e.program("acme")
	id := c.call("user/create", validUser("m@example.com")).want(t, http.StatusOK, "").user(t)["id"]
	c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
	c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusConflict, "conflict")
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/no/such/path/"+strings.Repeat("x", i), nil)
		do(t, req)
	}

	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/metrics", nil)
	resp := do(t, req)
	if resp.Status != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	body := string(resp.Body)
	for _, want := range []string{
		`ingot_http_requests_total{route="POST /api/v4/user/create",status="200"} 1`,
		`ingot_http_requests_total{route="POST /api/v4/user/block",status="200"} 1`,
		`ingot_http_requests_total{route="POST /api/v4/user/block",status="409"} 1`,
		`ingot_http_requests_total{route="/",status="404"} 3`,
		`ingot_http_request_duration_seconds_bucket{route="POST /api/v4/user/create",le="+Inf"} 1`,
		`ingot_http_requests_in_flight 1`,
		`ingot_store_query_duration_seconds_count{op="update_user"} 2`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "/no/such/path") {
		t.Errorf("/metrics labels a raw unknown path; routes must be patterns")
	}
}
