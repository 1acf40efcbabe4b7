package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoKeyMixing: a database whose programs were sealed with a master key
// is never written with another. program create, rotate-credentials and
// serve --sandbox without the key refuse, naming the problem, create no
// sandbox key file, and the server with the right key still starts.
func TestNoKeyMixing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "prod.db")
	key := "INGOT_MASTER_KEY=" + randomMasterKey(t)
	withKey := childEnv(key)
	creds := createProgram(t, withKey, "prod", "--db", db)
	noKey := childEnv()
	for _, args := range [][]string{
		{"program", "create", "--name", "second", "--db", db},
		{"program", "rotate-credentials", "--program", creds.ProgramID, "--db", db},
		{"program", "create", "--name", "third", "--db", db, "--sandbox"},
	} {
		r := runCLI(t, noKey, args...)
		if r.code == 0 {
			t.Errorf("ingot %s without the key: exit 0, want a refusal\n%s", strings.Join(args, " "), r.stdout)
		}
		if !strings.Contains(r.stderr, "master key") {
			t.Errorf("ingot %s: stderr %q does not say the master key is the problem", strings.Join(args, " "), r.stderr)
		}
		if _, err := os.Stat(db + ".key"); err == nil {
			t.Fatalf("ingot %s created a sandbox key file next to a database sealed with another key", strings.Join(args, " "))
		}
	}
	// A wrong key is refused the same way.
	r := runCLI(t, childEnv("INGOT_MASTER_KEY="+randomMasterKey(t)), "program", "create", "--name", "x", "--db", db)
	if r.code == 0 || !strings.Contains(r.stderr, "cannot open") {
		t.Errorf("program create with another key: exit %d, stderr %q; want a refusal naming the key", r.code, r.stderr)
	}
	// Nothing was written: the right key still opens everything.
	srv := startServe(t, withKey, false, "--db", db)
	newClient(t, srv, creds).call("user/get-all", map[string]any{}).ok(t)
}
