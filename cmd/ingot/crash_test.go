package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestCrashSafety runs writers against a real "ingot serve", kills it with
// SIGKILL in the middle of the load, restarts it on the same database, and
// checks that every acknowledged create and block is there and that nothing
// is half-written: no user without its user.created event, no event without
// its change, and an intact audit chain.
func TestCrashSafety(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv()
			creds := createProgram(t, env, "crash", "--db", dsn)
			srv := startServe(t, env, false, "--sandbox", "--db", dsn)
			c := newClient(t, srv, creds)

			var mu sync.Mutex
			created := map[string]bool{} // acknowledged creates: id → acknowledged block too
			var acks atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						status, body := rawCallJSON(c, "user/create", newUserBody(fmt.Sprintf("w%d-%d@example.com", w, i), ""))
						if status != http.StatusOK {
							continue // the server died mid-request: not acknowledged
						}
						id := firstItemID(body)
						mu.Lock()
						created[id] = false
						mu.Unlock()
						acks.Add(1)
						if status, _ := rawCallJSON(c, "user/block", map[string]any{"user_id": id}); status == http.StatusOK {
							mu.Lock()
							created[id] = true
							mu.Unlock()
						}
					}
				}()
			}
			// Kill once real load is flowing (bounded wait).
			deadline := time.Now().Add(20 * time.Second)
			for acks.Load() < 40 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if err := srv.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-srv.done
			close(stop)
			wg.Wait()
			if acks.Load() < 40 {
				t.Fatalf("only %d creates acknowledged before the deadline", acks.Load())
			}

			srv2 := startServe(t, env, false, "--sandbox", "--db", dsn)
			c2 := newClient(t, srv2, creds)
			blocked := 0
			for id, wasBlocked := range created {
				u := c2.call("user/get", map[string]any{"user_id": id}).ok(t).user(t)
				if wasBlocked {
					blocked++
					if u["status"] != "blocked" {
						t.Errorf("user %s: acknowledged block lost (status %v)", id, u["status"])
					}
				}
			}
			t.Logf("%s: %d creates and %d blocks acknowledged before SIGKILL", eng.Name, len(created), blocked)

			st, err := store.Open(context.Background(), dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for _, q := range []struct{ what, sql string }{
				{"users without a user.created event", `SELECT count(*) FROM users u WHERE NOT EXISTS
					(SELECT 1 FROM events e WHERE e.subject_id = u.id AND e.type = 'user.created')`},
				{"user events without their user", `SELECT count(*) FROM events e WHERE e.type LIKE 'user.%'
					AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = e.subject_id)`},
				{"blocked users without a user.blocked event", `SELECT count(*) FROM users u WHERE u.status = 'blocked'
					AND NOT EXISTS (SELECT 1 FROM events e WHERE e.subject_id = u.id AND e.type = 'user.blocked')`},
				{"user.blocked events of active users", `SELECT count(*) FROM events e JOIN users u ON u.id = e.subject_id
					WHERE e.type = 'user.blocked' AND u.status <> 'blocked'`},
			} {
				var n int
				if err := st.DB().QueryRow(q.sql).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Errorf("%s: %d, want 0", q.what, n)
				}
			}
			if r := runCLI(t, env, "audit", "verify", "--db", dsn); r.code != 0 {
				t.Errorf("audit verify after SIGKILL: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// rawCallJSON sends one signed request from any goroutine and returns the
// status and decoded body; a transport error (the server was killed) is
// status 0.
func rawCallJSON(c *client, path string, body any) (int, map[string]any) {
	resp, err := c.http.Do(c.signed(path, body, c.creds.APIKey, []byte(c.creds.HMACSecret)))
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil // the answer was cut off: not acknowledged
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func firstItemID(body map[string]any) string {
	data, _ := body["data"].(map[string]any)
	items, _ := data["items"].([]any)
	if len(items) == 0 {
		return ""
	}
	u, _ := items[0].(map[string]any)
	id, _ := u["id"].(string)
	return id
}
