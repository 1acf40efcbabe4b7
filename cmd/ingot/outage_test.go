package main

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestDatabaseRestartIs503: 4 clients create users (each under its own
// idempotent_key) while PostgreSQL restarts. Requests that meet the outage
// answer 503 unavailable with Retry-After, never 500; /readyz is 503 while
// the database is down and 200 again after; retrying a 503 under the same key
// ends in exactly one user; every acknowledged create is there afterwards
// (issue 17).
func TestDatabaseRestartIs503(t *testing.T) {
	cl := testenv.PrivateCluster(t)
	dsn := cl.URL()
	env := childEnv()
	creds := createProgram(t, env, "outage", "--db", dsn)
	srv := startServe(t, env, false, "--sandbox", "--db", dsn)
	c := newClient(t, srv, creds)

	var (
		mu       sync.Mutex
		acked    = map[string]string{} // email → id
		statuses = map[int]int{}
		noRetry  atomic.Int64 // 503s without Retry-After
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := fmt.Sprintf("o%d-%d@example.com", w, i)
				body := newUserBody(email, "")
				body["idempotent_key"] = "k-" + email
				// Retry this create under its key until it is answered,
				// as a client should after a 503.
				for attempt := 0; ; attempt++ {
					resp, err := c.http.Do(c.signed("user/create", body, c.creds.APIKey, []byte(c.creds.HMACSecret)))
					if err != nil {
						t.Errorf("create: %v", err)
						return
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					mu.Lock()
					statuses[resp.StatusCode]++
					mu.Unlock()
					if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
						noRetry.Add(1)
					}
					if resp.StatusCode == http.StatusOK {
						mu.Lock()
						acked[email] = string(b)
						mu.Unlock()
						break
					}
					if attempt > 400 {
						t.Errorf("create %s: still %d after %d attempts: %s", email, resp.StatusCode, attempt, b)
						return
					}
					time.Sleep(25 * time.Millisecond)
				}
			}
		}()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	ackCount := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	ready := func() int {
		resp, err := http.Get(srv.url + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor("load", func() bool { return ackCount() >= 40 })
	cl.Stop()
	if got := ready(); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database down = %d, want 503", got)
	}
	time.Sleep(300 * time.Millisecond) // requests meet the outage
	if err := cl.Start(); err != nil {
		t.Fatal(err)
	}
	n := ackCount()
	waitFor("creates after the restart", func() bool { return ackCount() >= n+40 })
	close(stop)
	wg.Wait()
	if got := ready(); got != http.StatusOK {
		t.Errorf("/readyz after the restart = %d, want 200", got)
	}
	t.Logf("answers: %v; %d creates acknowledged", statuses, ackCount())
	if statuses[http.StatusInternalServerError] != 0 {
		t.Errorf("%d answers were 500 internal; a database outage is 503", statuses[http.StatusInternalServerError])
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no request met the outage: nothing was tested")
	}
	if noRetry.Load() != 0 {
		t.Errorf("%d 503 answers without Retry-After", noRetry.Load())
	}
	// Every acknowledged create is there, exactly once.
	total := int(c.call("user/get-all", map[string]any{"per_page": 1}).ok(t).total(t))
	if total != ackCount() {
		t.Errorf("%d users stored, %d creates acknowledged", total, ackCount())
	}
	for email := range acked {
		if got := c.call("user/get-all", map[string]any{"email": email}).ok(t).total(t); got != 1 {
			t.Errorf("%s: %v users, want 1", email, got)
		}
	}
}
