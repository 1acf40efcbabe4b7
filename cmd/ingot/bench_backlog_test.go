//go:build unix

package main

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// pendingCount is how many transactions `ingot transfers list` shows
// pending in dsn (at most its --limit, 1000).
func pendingCount(t *testing.T, dsn string) int {
	t.Helper()
	r := runCLI(t, childEnv(), "transfers", "list", "--status", "pending", "--db", dsn, "--json")
	var rows []map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rows) != nil {
		t.Fatalf("transfers list: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return len(rows)
}

// TestBlackboxBenchBacklog: --op topup readies businesses and tops them up
// (each settled by the sandbox rail); with the server stopped, --op
// settle-backlog inserts pending top-ups that stay pending (it runs no
// jobs); a server started on the database settles every one with its
// durable jobs, and the ledger is exact. Both engines, and the op's usage.
func TestBlackboxBenchBacklog(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv()
			creds := createProgram(t, env, "B", "--db", dsn)
			srv := startServe(t, env, false, "--sandbox", "--db", dsn)
			benv := childEnv("INGOT_URL="+srv.url, "INGOT_API_KEY="+creds.APIKey,
				"INGOT_HMAC_USERNAME="+creds.HMACUsername, "INGOT_HMAC_SECRET="+creds.HMACSecret)
			bench := func(args ...string) benchResult {
				t.Helper()
				r := runCLI(t, benv, append([]string{"bench", "--json"}, args...)...)
				var res benchResult
				if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil {
					t.Fatalf("bench %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
				}
				return res
			}

			// No business is ready yet.
			r := runCLI(t, benv, "bench", "--op", "settle-backlog", "--count", "10", "--bulk-db", dsn)
			if r.code != 1 || !strings.Contains(r.stderr, "run --op topup against the server first") {
				t.Errorf("settle-backlog with nothing ready: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			top := bench("--op", "topup", "--users", "4", "--concurrency", "4", "--duration", "1s")
			if top.Op != "topup" || top.OK == 0 || top.ErrorCount != 0 {
				t.Fatalf("topup: %+v", top)
			}
			for deadline := time.Now().Add(kycTimeout); pendingCount(t, dsn) > 0; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the topup run's top-ups still pending after %v", kycTimeout)
				}
			}
			srv.stop(syscall.SIGTERM)

			const n = 300
			res := bench("--op", "settle-backlog", "--count", "300", "--bulk-db", dsn, "--concurrency", "8")
			if res.Op != "settle-backlog" || res.Requests != n || res.OK != n || res.ErrorCount != 0 || res.RPS <= 0 {
				t.Fatalf("settle-backlog: %+v", res)
			}
			// Nothing settled them: no process ran their jobs.
			if got := pendingCount(t, dsn); got != n {
				t.Fatalf("%d pending after the insert, want %d", got, n)
			}

			srv = startServe(t, env, false, "--sandbox", "--db", dsn)
			for deadline := time.Now().Add(time.Minute); pendingCount(t, dsn) > 0; time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%d still pending a minute after the restart", pendingCount(t, dsn))
				}
			}
			srv.stop(syscall.SIGTERM)

			st, err := store.Open(context.Background(), dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			rep, err := st.CheckLedger(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range rep.Problems {
				t.Errorf("ledger: %s", p)
			}
			var completed, intents int
			if err := openRaw(t, dsn).QueryRow(`SELECT
				(SELECT count(*) FROM ledger_transactions WHERE category = 'top_up' AND status = 'completed'),
				(SELECT count(*) FROM payment_intents WHERE status = 'completed')`).Scan(&completed, &intents); err != nil {
				t.Fatal(err)
			}
			if want := top.OK + n; completed != want || intents != want {
				t.Errorf("%d completed top-ups and %d completed intents, want %d each", completed, intents, want)
			}
			if r := runCLI(t, env, "audit", "verify", "--db", dsn); r.code != 0 {
				t.Errorf("audit verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestBlackboxBenchBacklogUsage: --op settle-backlog writes the database
// itself: it needs --bulk-db, and sends no requests.
func TestBlackboxBenchBacklogUsage(t *testing.T) {
	t.Parallel()
	env := childEnv("INGOT_API_KEY=k", "INGOT_HMAC_USERNAME=u", "INGOT_HMAC_SECRET=s")
	for _, c := range []struct {
		name string
		args []string
		out  string
	}{
		{"no bulk-db", []string{"--op", "settle-backlog"}, "needs --bulk-db"},
		{"rate", []string{"--op", "settle-backlog", "--bulk-db", "x.db", "--rate", "10"}, "no --rate"},
		{"receiver", []string{"--op", "settle-backlog", "--bulk-db", "x.db", "--webhook-receiver", "answer"}, "no --rate or --webhook-receiver"},
		{"count", []string{"--op", "settle-backlog", "--bulk-db", "x.db", "--count", "0"}, "--count must be >= 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, env, append([]string{"bench"}, c.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, c.out) {
				t.Errorf("exit %d, want 2 with %q\n%s%s", r.code, c.out, r.stdout, r.stderr)
			}
		})
	}
	if r := runCLI(t, env, "bench", "--help"); !strings.Contains(r.stdout+r.stderr, "settle-backlog") {
		t.Errorf("bench --help does not describe settle-backlog:\n%s%s", r.stdout, r.stderr)
	}
}
