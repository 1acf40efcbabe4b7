package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestBlackboxFixtures drives the binary as the docs tell a newcomer to:
// serve --sandbox --fixtures with the example file, call as its program,
// reset, advance the clock; a refused file stops the start and loads
// nothing; fixtures load twice changes nothing; export writes the state.
func TestBlackboxFixtures(t *testing.T) {
	example, err := filepath.Abs("../../docs/fixtures/example.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv()
			bad := filepath.Join(t.TempDir(), "bad.json")
			data, _ := os.ReadFile(example)
			os.WriteFile(bad, []byte(strings.Replace(string(data), `"1000.00"`, `"10.001"`, 1)), 0o600)
			r := runCLI(t, env, "serve", "--sandbox", "--db", dsn, "--fixtures", bad, "--addr", "127.0.0.1:"+freePort(t))
			if r.code == 0 || !strings.Contains(r.stderr, "programs[0] (acme).accounts[1]") {
				t.Fatalf("serve with a bad fixture: exit %d\nstderr: %s", r.code, r.stderr)
			}
			if out := runCLI(t, env, "program", "list", "--db", dsn, "--sandbox"); strings.Contains(out.stdout, "acme") {
				t.Errorf("a refused fixture left program acme:\n%s", out.stdout)
			}
			srv := startServe(t, env, false, "--sandbox", "--db", dsn, "--fixtures", example)
			if !strings.Contains(srv.stdout.String(), "Loaded program acme") || strings.Contains(srv.stdout.String(), "Created sandbox program") {
				t.Errorf("serve --fixtures printed:\n%s", srv.stdout)
			}
			c := newClient(t, srv, credentials{APIKey: "ak_example0000000000000000000000000acme",
				HMACUsername: "hu_example0acme", HMACSecret: "example-secret-0000000000000000000000000000000000000000acme"})
			if n := len(c.call("user/get-all", map[string]any{}).ok(t).items(t)); n != 3 {
				t.Errorf("users of the example = %d, want 3", n)
			}
			c.call("sandbox/clock/advance", map[string]any{"seconds": 86400}).ok(t)
			c.call("sandbox/reset", map[string]any{}).ok(t)
			if n := len(c.call("user/get-all", map[string]any{}).ok(t).items(t)); n != 0 {
				t.Errorf("users after reset = %d, want 0", n)
			}
			srv.stop(syscall.SIGTERM)
			// Loading again leaves the (reset) program as it is.
			r = runCLI(t, env, "fixtures", "load", example, "--db", dsn, "--sandbox")
			if r.code != 0 || !strings.Contains(r.stdout, "exists already") {
				t.Errorf("second load: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if r := runCLI(t, env, "audit", "verify", "--db", dsn); r.code != 0 {
				t.Errorf("audit verify after fixtures, advance and reset: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestBlackboxFixturesSeed: the same file and seed on two fresh databases
// give the same generated credentials and ids.
func TestBlackboxFixturesSeed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f.json")
	os.WriteFile(file, []byte(`{"programs": [{"name": "seeded", "users": [{"first_name": "Ada", "last_name": "Lovelace",
		"email": "ada@seeded.example", "phone_number": "+14155550101", "address_one": "1 Main St", "city": "San Francisco",
		"state": "CA", "postal_code": "94105", "country": "US", "kyc_status": "verified"}],
		"accounts": [{"user_email": "ada@seeded.example", "opening_balance": "5.00"}]}]}`), 0o600)
	run := func(seed string) (string, string) {
		dsn := filepath.Join(t.TempDir(), "ingot.db")
		// Flags on both sides of FILE (docs/cli.md).
		r := runCLI(t, childEnv(), "fixtures", "load", "--db", dsn, file, "--seed", seed)
		if r.code != 0 {
			t.Fatalf("load: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		id := strings.Fields(strings.SplitN(r.stdout, "(", 2)[1])[0]
		x := runCLI(t, childEnv(), "fixtures", "export", "--program", strings.TrimSuffix(id, ")."), "--db", dsn)
		if x.code != 0 {
			t.Fatalf("export: exit %d\n%s", x.code, x.stderr)
		}
		var f map[string]any
		if err := json.Unmarshal([]byte(x.stdout), &f); err != nil {
			t.Fatalf("export is not JSON: %v\n%s", err, x.stdout)
		}
		return r.stdout, x.stdout
	}
	out1, exp1 := run("42")
	out2, exp2 := run("42")
	if out1 != out2 || exp1 != exp2 {
		t.Errorf("seed 42 twice differs:\n%s\n%s\n--\n%s\n%s", out1, out2, exp1, exp2)
	}
	if out3, _ := run("43"); out3 == out1 {
		t.Errorf("seeds 42 and 43 gave the same credentials:\n%s", out3)
	}
}

// TestBlackboxFixturesExportRoundTrip: a program exported and loaded into a
// fresh database answers the same (sandbox.md section 2): the export of the
// copy equals the export of the original but for the program's id.
func TestBlackboxFixturesExportRoundTrip(t *testing.T) {
	export := func(dsn, stdout string) map[string]any {
		t.Helper()
		id := strings.TrimRight(strings.Fields(strings.SplitN(stdout, "(", 2)[1])[0], ").")
		x := runCLI(t, childEnv(), "fixtures", "export", "--program", id, "--db", dsn)
		if x.code != 0 {
			t.Fatalf("export: exit %d\n%s", x.code, x.stderr)
		}
		var f map[string]any
		if err := json.Unmarshal([]byte(x.stdout), &f); err != nil {
			t.Fatalf("export is not JSON: %v\n%s", err, x.stdout)
		}
		return sameAnswers(f).(map[string]any)
	}
	load := func(file string) (string, string) {
		t.Helper()
		dsn := filepath.Join(t.TempDir(), "ingot.db")
		r := runCLI(t, childEnv(), "fixtures", "load", file, "--db", dsn)
		if r.code != 0 {
			t.Fatalf("load %s: exit %d\n%s%s", file, r.code, r.stdout, r.stderr)
		}
		return dsn, r.stdout
	}
	example, err := filepath.Abs("../../docs/fixtures/example.json")
	if err != nil {
		t.Fatal(err)
	}
	dsn1, out1 := load(example)
	first := export(dsn1, out1)
	b, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	copyFile := filepath.Join(t.TempDir(), "export.json")
	if err := os.WriteFile(copyFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	dsn2, out2 := load(copyFile)
	if second := export(dsn2, out2); !reflect.DeepEqual(first, second) {
		a, _ := json.MarshalIndent(first, "", " ")
		z, _ := json.MarshalIndent(second, "", " ")
		t.Errorf("the copy exports differently:\n%s\n--- want ---\n%s", z, a)
	}
}

// sameAnswers drops what a copy cannot share with its original, the ids
// ("id", "…_id": new ones are made), and puts every list in one order
// (rows created in one millisecond list by their random ids).
func sameAnswers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "id" || strings.HasSuffix(k, "_id") {
				delete(x, k)
				continue
			}
			x[k] = sameAnswers(e)
		}
	case []any:
		for i := range x {
			x[i] = sameAnswers(x[i])
		}
		slices.SortFunc(x, func(a, b any) int {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return strings.Compare(string(ja), string(jb))
		})
	}
	return v
}
