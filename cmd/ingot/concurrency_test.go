package main

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestConcurrentTogglesAcrossProcesses runs two "ingot serve" processes on one
// database and has 8 goroutines x 40 requests alternately block and unblock
// one user through both. Whatever the interleaving, every answer must be 200
// or 409, the successful transitions must alternate, the final status must
// match the last one, and the audit trail must hold exactly one event per
// successful transition: no lost or doubled state change across processes.
func TestConcurrentTogglesAcrossProcesses(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv()
			creds := createProgram(t, env, "toggles", "--db", dsn)
			servers := []*server{
				startServe(t, env, false, "--sandbox", "--db", dsn),
				startServe(t, env, false, "--sandbox", "--db", dsn),
			}
			clients := []*client{newClient(t, servers[0], creds), newClient(t, servers[1], creds)}
			id := clients[0].call("user/create", newUserBody("toggle@example.com", "")).ok(t).user(t)["id"]

			const workers, perWorker = 8, 40
			type result struct {
				action string
				status int
				err    error
			}
			results := make(chan result, workers*perWorker)
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < perWorker; i++ {
						action := "user/block"
						if (w+i)%2 == 1 {
							action = "user/unblock"
						}
						c := clients[(w+i/2)%2]
						status, err := rawCall(c, action, map[string]any{"user_id": id})
						results <- result{action, status, err}
					}
				}()
			}
			wg.Wait()
			close(results)

			ok := map[string]int{}
			for r := range results {
				switch {
				case r.err != nil:
					t.Fatalf("%s: %v", r.action, r.err)
				case r.status == http.StatusOK:
					ok[r.action]++
				case r.status != http.StatusConflict:
					t.Fatalf("%s answered %d, want 200 or 409", r.action, r.status)
				}
			}
			blocks, unblocks := ok["user/block"], ok["user/unblock"]
			if d := blocks - unblocks; d != 0 && d != 1 {
				t.Fatalf("successful blocks %d, unblocks %d: they cannot alternate", blocks, unblocks)
			}

			// The trail, oldest first: created, then blocked/unblocked in turn.
			var types []string
			for page := 1; ; page++ {
				items := clients[1].call("user/events", map[string]any{"user_id": id, "page": page, "per_page": 500}).ok(t).items(t)
				if len(items) == 0 {
					break
				}
				for _, ev := range items {
					types = append([]string{ev["type"].(string)}, types...)
				}
			}
			if len(types) != 1+blocks+unblocks {
				t.Fatalf("events = %d, want 1 created + %d transitions", len(types), blocks+unblocks)
			}
			for i, typ := range types[1:] {
				want := "user.blocked"
				if i%2 == 1 {
					want = "user.unblocked"
				}
				if typ != want {
					t.Fatalf("event %d = %s, want %s (transitions must alternate)", i+1, typ, want)
				}
			}
			wantStatus := "active"
			if blocks > unblocks {
				wantStatus = "blocked"
			}
			for _, c := range clients {
				if got := c.call("user/get", map[string]any{"user_id": id}).ok(t).user(t)["status"]; got != wantStatus {
					t.Errorf("final status via %s = %v, want %s", c.url, got, wantStatus)
				}
			}
			t.Logf("%s: %d blocks and %d unblocks succeeded of %d requests", eng.Name, blocks, unblocks, workers*perWorker)
		})
	}
}

// rawCall sends one signed request from any goroutine (the test helpers'
// call may only run on the test goroutine) and returns the HTTP status.
func rawCall(c *client, path string, body any) (int, error) {
	resp, err := c.http.Do(c.signed(path, body, c.creds.APIKey, []byte(c.creds.HMACSecret)))
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
