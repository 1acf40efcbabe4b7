package main

import (
	"net/http"
	"path/filepath"
	"testing"
)

// TestBlackboxRateLimit: with --rate-limit 1 --rate-burst 2, the third of a
// quick burst of calls is refused with 429, Retry-After, and the error
// envelope.
func TestBlackboxRateLimit(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ingot.db")
	env := childEnv()
	creds := createProgram(t, env, "limited", "--db", db)
	srv := startServe(t, env, false, "--sandbox", "--db", db, "--rate-limit", "1", "--rate-burst", "2")
	c := newClient(t, srv, creds)
	c.call("user/get-all", map[string]any{}).ok(t)
	c.call("user/get-all", map[string]any{}).ok(t)
	r := c.call("user/get-all", map[string]any{})
	r.fails(t, http.StatusTooManyRequests, "rate_limited", "")
	if r.header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
}
