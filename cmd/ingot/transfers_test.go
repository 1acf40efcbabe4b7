//go:build unix

package main

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestBlackboxTransfersSettle: a production server's manual rail leaves
// program funding pending; `ingot transfers list` shows it and `ingot
// transfers settle` decides it (completed, then returned), while the server
// runs; two operators racing to settle one movement settle it once.
func TestBlackboxTransfersSettle(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv("INGOT_MASTER_KEY=" + randomMasterKey(t))
			creds := createProgram(t, env, "P", "--db", dsn)
			if r := runCLI(t, env, "serve", "--db", dsn, "--rail", "ach"); r.code != 2 || !strings.Contains(r.stderr, "--rail") {
				t.Errorf("serve --rail ach: exit %d, stderr %q; want 2 naming the flag", r.code, r.stderr)
			}
			srv := startServe(t, env, false, "--db", dsn)
			c := newClient(t, srv, creds)
			master := firstItemIDOf(t, c.call("program/routable-bank-accounts/get", map[string]any{}).ok(t))
			linked := firstItemIDOf(t, c.call("program/bank-accounts/save", map[string]any{"first_name": "Acme", "last_name": "Treasury",
				"account_number": "123456789", "routing_number": "021000021", "idempotent_key": "l"}).ok(t))
			fund := func(key string) string {
				return firstItemIDOf(t, c.call("program/charge-program-bank-account-fund-program-routable-bank-account",
					map[string]any{"amount": "250.00", "account_id": linked, "routable_bank_account_id": master, "idempotent_key": key}).ok(t))
			}
			balance := func() string {
				return c.call("balance/program-master-rba", map[string]any{}).ok(t).data(t)["available_balance"].(string)
			}
			id := fund("f1")

			r := runCLI(t, env, "transfers", "list", "--status", "pending", "--db", dsn, "--json")
			var list []map[string]any
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil || len(list) != 1 || list[0]["id"] != id ||
				list[0]["category"] != "program_funding" || list[0]["amount"] != "250.00" {
				t.Fatalf("transfers list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if got := balance(); got != "0.00" {
				t.Errorf("pending funding: available %s, want 0.00", got)
			}
			// Flags before and after the id alike (--db after it was once
			// read as an argument, and ./ingot.db settled in instead).
			r = runCLI(t, env, "transfers", "settle", "--outcome", "completed", id, "--db", dsn)
			if r.code != 0 || !strings.Contains(r.stdout, "completed") {
				t.Fatalf("transfers settle completed: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if got := balance(); got != "250.00" {
				t.Errorf("completed funding: available %s, want 250.00", got)
			}
			r = runCLI(t, env, "transfers", "settle", id, "--outcome", "completed", "--db", dsn)
			if r.code != 1 || !strings.Contains(r.stderr, "completed") {
				t.Errorf("settling twice: exit %d, stderr %q; want 1", r.code, r.stderr)
			}
			r = runCLI(t, env, "transfers", "settle", id, "--outcome", "returned", "--return-code", "R10", "--db", dsn)
			if r.code != 0 || !strings.Contains(r.stdout, "returned (R10 customer advises not authorized)") {
				t.Fatalf("transfers settle returned: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if got := balance(); got != "0.00" {
				t.Errorf("returned funding: available %s, want 0.00", got)
			}
			// Usage errors exit 2 and name the flag (docs/cli.md), before
			// anything is opened or changed.
			for _, bad := range []struct {
				args []string
				flag string
			}{
				{[]string{"transfers", "settle", id}, "--outcome"},
				{[]string{"transfers", "settle", "--outcome", "completed"}, "transaction id"},
				{[]string{"transfers", "list", "--status", "completed"}, "--status"},
				{[]string{"transfers", "settle", id, "--outcome", "lost"}, "--outcome"},
				{[]string{"transfers", "settle", id, "--outcome", "failed", "--return-code", "X9"}, "--return-code"},
				{[]string{"transfers", "settle", id, "--outcome", "returned", "--return-code", "R00"}, "--return-code"},
				{[]string{"transfers", "settle", "--outcome", "completed", id, "extra"}, `unexpected argument "extra"`},
				{[]string{"transfers", "settle", "--outcome", "completed", id, "--bogus", "x"}, "-bogus"},
			} {
				r := runCLI(t, env, append(bad.args, "--db", dsn)...)
				if r.code != 2 || !strings.Contains(r.stderr, bad.flag) {
					t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", bad.args, r.code, r.stderr, bad.flag)
				}
			}
			if got := balance(); got != "0.00" {
				t.Errorf("after refused settles: available %s, want 0.00", got)
			}

			// Two operators race: exactly one decision.
			id2 := fund("f2")
			var wg sync.WaitGroup
			codes := make([]int, 4)
			for i := range codes {
				wg.Go(func() {
					codes[i] = runCLI(t, env, "transfers", "settle", id2, "--outcome", "completed", "--db", dsn).code
				})
			}
			wg.Wait()
			ok := 0
			for _, code := range codes {
				if code == 0 {
					ok++
				}
			}
			if ok != 1 || balance() != "250.00" {
				t.Errorf("racing settles: exits %v, balance %s; want exactly one success and 250.00", codes, balance())
			}
			var events int
			st := openRaw(t, dsn)
			st.QueryRow(`SELECT count(*) FROM events WHERE subject_id = '` + id2 + `' AND type = 'transfer.completed' AND actor = 'operator:cli'`).Scan(&events)
			if events != 1 {
				t.Errorf("transfer.completed events by operator:cli = %d, want 1", events)
			}
		})
	}
}
