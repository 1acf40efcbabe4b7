package main

// What a new user meets first (issue 19): help that exits 0, version, the
// program commands' usage mistakes. In process, no server.

import (
	"bytes"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestRunHelpAndVersion(t *testing.T) {
	for _, tt := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr []string // substrings
		notStderr      []string
	}{
		{"program --help", []string{"program", "--help"}, 0, []string{"ingot program list", "ingot program create", "rotate-credentials --program ID"}, nil, nil},
		{"program -h", []string{"program", "-h"}, 0, []string{"rotate-credentials"}, nil, nil},
		{"program help", []string{"program", "help"}, 0, []string{"rotate-credentials"}, nil, nil},
		{"program unknown", []string{"program", "delete"}, 2, nil, []string{"ingot program list", `unknown command "delete"`}, nil},
		{"audit --help", []string{"audit", "--help"}, 0, []string{"ingot audit verify"}, nil, nil},
		{"keys --help", []string{"keys", "--help"}, 0, []string{"ingot keys rotate"}, nil, nil},
		{"audit alone", []string{"audit"}, 2, nil, []string{"ingot audit verify"}, nil},
		{"serve --help describes serve", []string{"serve", "--help"}, 0, []string{"Serve the Banking Platform API", "second shell", "Ctrl-C", "-log-level", "error.hint"},
			nil, nil},
		{"program create --help: --sandbox is about the key", []string{"program", "create", "--help"}, 0, []string{"Create a program", "-sandbox", "master key"},
			nil, []string{"KYC", "bootstrap"}},
		{"program list --help", []string{"program", "list", "--help"}, 0, []string{"-json", "Never a secret"}, nil, nil},
		{"rotate --help", []string{"program", "rotate-credentials", "--help"}, 0, []string{"-program", "-grace", "24h", "grace period ends"},
			nil, nil},
		{"rotate without --program", []string{"program", "rotate-credentials"}, 2, nil, []string{"--program is required", "ingot program list"}, nil},
		{"rotate with a negative grace", []string{"program", "rotate-credentials", "--program", "prog-x", "--grace", "-1s"}, 2, nil,
			[]string{"--grace must not be negative"}, nil},
		{"version", []string{"version"}, 0, []string{"ingot ", "commit", runtime.Version()}, nil, nil},
		{"--version", []string{"--version"}, 0, []string{runtime.Version()}, nil, nil},
		{"version with an argument", []string{"version", "x"}, 2, nil, []string{`unexpected argument "x"`}, nil},
		{"serve bad --log-level", []string{"serve", "--log-level", "loud"}, 2, nil, []string{`--log-level "loud"`}, nil},
		{"call without a path prints usage", []string{"call"}, 2, nil, []string{"usage: ingot call", "want PATH"}, nil},
		{"call with three arguments says why", []string{"call", "user/create", `{"a":`, `1}`}, 2, nil,
			[]string{"got 3 arguments", "quote the JSON body"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runIngot(t, map[string]string{"INGOT_DB": t.TempDir() + "/never.db"}, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			for _, s := range tt.notStderr {
				if strings.Contains(r.stderr, s) {
					t.Errorf("stderr has %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

// TestRunVersionCommit: a commit set at link time is printed.
func TestRunVersionCommit(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v1.2.3", "0123abc"
	r := runIngot(t, nil, "version")
	if r.code != 0 || !strings.Contains(r.stdout, "ingot v1.2.3\n") || !strings.Contains(r.stdout, "commit 0123abc") {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestSelfName(t *testing.T) {
	for arg0, want := range map[string]string{
		"/tmp/go-build123/b001/exe/ingot": "go run ./cmd/ingot",
		"./ingot":                         "./ingot",
		"ingot":                           "ingot",
		"":                                "ingot",
	} {
		if got := selfName(arg0); got != want {
			t.Errorf("selfName(%q) = %q, want %q", arg0, got, want)
		}
	}
}

func TestFmtGrace(t *testing.T) {
	for d, want := range map[string]string{"24h0m0s": "24h", "30m0s": "30m", "1h30m0s": "1h30m", "0s": "0s", "1m30s": "1m30s"} {
		dur, _ := time.ParseDuration(d)
		if got := fmtGrace(dur); got != want {
			t.Errorf("fmtGrace(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestFlagErrorsNameTheCommand: a flag error prints the usage and then, once,
// "ingot: COMMAND: ..." like every other CLI error (a review found it printed
// twice, without the command); --help of every subcommand goes to stdout.
func TestFlagErrorsNameTheCommand(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"call", "--bogus", "user/get-all"}, "ingot: call: flag provided but not defined: -bogus"},
		{[]string{"serve", "--bogus"}, "ingot: serve: flag provided but not defined: -bogus"},
		{[]string{"version", "--json"}, "ingot: version: flag provided but not defined: -json"},
		{[]string{"program", "rotate-credentials", "--grace", "abc"}, `ingot: program rotate-credentials: invalid value "abc" for flag -grace`},
	} {
		r := runIngot(t, map[string]string{"INGOT_DB": t.TempDir() + "/never.db"}, tt.args...)
		if r.code != 2 {
			t.Errorf("ingot %q: exit %d, want 2", tt.args, r.code)
		}
		if n := strings.Count(r.stderr, "provided but not defined") + strings.Count(r.stderr, "invalid value"); n != 1 {
			t.Errorf("ingot %q: the error appears %d times on stderr, want once:\n%s", tt.args, n, r.stderr)
		}
		if !strings.Contains(r.stderr, tt.want) {
			t.Errorf("ingot %q: stderr lacks %q:\n%s", tt.args, tt.want, r.stderr)
		}
	}
	for _, args := range [][]string{{"serve", "--help"}, {"call", "--help"}, {"bench", "--help"}, {"version", "--help"},
		{"migrate", "--help"}, {"program", "list", "--help"}, {"audit", "verify", "--help"}, {"keys", "rotate", "--help"}} {
		r := runIngot(t, map[string]string{"INGOT_DB": t.TempDir() + "/never.db"}, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "usage: ingot") || r.stderr != "" {
			t.Errorf("ingot %q: exit %d, stdout %.60q, stderr %.60q; want the usage on stdout only", args, r.code, r.stdout, r.stderr)
		}
	}
}

// TestReadCommandsNeedADatabase: program list on a path with no database
// says so instead of creating an empty one; a blank program name is refused
// (review findings).
func TestReadCommandsNeedADatabase(t *testing.T) {
	dir := t.TempDir()
	db := dir + "/missing.db"
	r := runIngot(t, map[string]string{"INGOT_DB": db}, "program", "list")
	if r.code == 0 || !strings.Contains(r.stderr, "no database at") {
		t.Errorf("program list on a missing database: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(db); err == nil {
		t.Errorf("program list created %s", db)
	}
	// Every command that only reads or changes what is there says so too
	// (a newcomer's mistyped --db once listed an empty database, exit 0).
	if err := os.WriteFile(dir+"/new.key", bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"transfers", "list"},
		{"transfers", "settle", "ltra-x", "--outcome", "completed"},
		{"audit", "verify"},
		{"program", "webhook", "delete", "--program", "prog-x"},
		{"keys", "rotate", "--new-key-file", dir + "/new.key"},
		{"program", "rotate-credentials", "--program", "prog-x"},
		{"fixtures", "export", "--program", "prog-x"},
	} {
		r := runIngot(t, map[string]string{"INGOT_DB": db, "INGOT_MASTER_KEY_FILE": dir + "/old.key"}, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "no database at "+db) {
			t.Errorf("%v on a missing database: exit %d, stderr %q; want 1 naming the path", args, r.code, r.stderr)
		}
		if _, err := os.Stat(db); err == nil {
			t.Fatalf("%v created %s", args, db)
		}
	}
	r = runIngot(t, map[string]string{"INGOT_DB": db}, "program", "create", "--name", "   ")
	if r.code == 0 {
		t.Errorf("program create --name '   ': exit 0, want a refusal")
	}
}
