package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBlackboxCallMoney: "ingot call" reaches the money calls like any
// other, and serve's --routing-number is what every account shows (an
// invalid one refuses to start).
func TestBlackboxCallMoney(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ingot.db")
	srv := startServe(t, childEnv(), false, "--sandbox", "--db", db, "--routing-number", "011000015")
	var vars []string
	for _, m := range regexp.MustCompile(`(?m)^export (INGOT_[A-Z_]+)=(\S+)$`).FindAllStringSubmatch(srv.stdout.String(), -1) {
		vars = append(vars, m[1]+"="+m[2])
	}
	env := childEnv(vars...)
	master := runCLI(t, env, "call", "program/routable-bank-accounts/get", "{}")
	id := regexp.MustCompile(`"id":"(rbac-[^"]+)"`).FindStringSubmatch(master.stdout)
	if master.code != 0 || id == nil || !strings.Contains(master.stdout, `"routing_number":"011000015"`) {
		t.Fatalf("call program/routable-bank-accounts/get: exit %d\n%s%s", master.code, master.stdout, master.stderr)
	}
	for _, c := range []struct {
		path, body string
		want       int
		stdout     string
	}{
		{"sandbox/simulate/inbound-transfer", `{"routable_bank_account_id":"` + id[1] + `","amount":"12.34","rail":"wire"}`, 0, `"status":"completed"`},
		{"/api/v4/balance/program-master-rba", `{}`, 0, `"available_balance":"12.34"`},
		{"transactions/program-rba", `{"direction":"credit"}`, 0, `"amount":"12.34"`},
		{"routable-bank-accounts/close", `{"routable_bank_account_id":"` + id[1] + `"}`, 1, `"code":"conflict"`},
		{"book-transfer/routable-bank-account-to-routable-bank-account-transfer", `{"amount":"1"}`, 1, `"code":"invalid"`},
	} {
		r := runCLI(t, env, "call", c.path, c.body)
		if r.code != c.want || !strings.Contains(r.stdout, c.stdout) {
			t.Errorf("call %s: exit %d, stdout %q; want %d and %q", c.path, r.code, r.stdout, c.want, c.stdout)
		}
	}
	for _, bad := range []string{"021000022", "12345678", "abcdefghi"} {
		if r := runCLI(t, childEnv(), "serve", "--sandbox", "--db", filepath.Join(t.TempDir(), "x.db"), "--routing-number", bad); r.code != 2 ||
			!strings.Contains(r.stderr, "--routing-number") {
			t.Errorf("serve --routing-number %s: exit %d, stderr %q; want 2 naming the flag", bad, r.code, r.stderr)
		}
	}
}
