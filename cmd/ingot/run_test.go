package main

// In-process tests of run and exitCode: the command line, usage mistakes and
// exit statuses, without starting a server.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// credentials are what "ingot program create --json" prints.
type credentials struct {
	ProgramID    string `json:"program_id"`
	Name         string `json:"name"`
	APIKey       string `json:"api_key"`
	HMACUsername string `json:"hmac_username"`
	HMACSecret   string `json:"hmac_secret"`
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// fakeEnv is a getenv over a fixed map: tests never see the developer's
// INGOT_* variables.
func fakeEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// runResult is what one in-process run produced.
type runResult struct {
	err            error
	code           int
	stdout, stderr string
}

// runTimeout bounds one in-process run: a command that should have failed
// but serves instead is stopped (and then fails its test) rather than
// hanging the suite.
const runTimeout = 10 * time.Second

// runIngot calls run as main does and maps its error to the exit status.
func runIngot(t *testing.T, env map[string]string, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, append([]string{"ingot"}, args...), fakeEnv(env), strings.NewReader(""), &stdout, &stderr)
	code := exitCode(err, &stderr)
	return runResult{err: err, code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		code   int
		stderr string // "" means nothing printed
	}{
		{"nil", nil, 0, ""},
		{"help", flag.ErrHelp, 0, ""},
		{"wrapped help", fmt.Errorf("serve: %w", flag.ErrHelp), 0, ""},
		{"usage", usageError{"bad flag"}, 2, "ingot: bad flag\n"},
		{"wrapped usage", fmt.Errorf("ctx: %w", usageError{"bad"}), 2, "ingot: ctx: bad\n"},
		{"exit status", exitError{3}, 3, ""},
		{"wrapped exit status", fmt.Errorf("x: %w", exitError{4}), 4, ""},
		{"other", errors.New("disk full"), 1, "ingot: disk full\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := exitCode(tt.err, &stderr); got != tt.code {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.code)
			}
			if stderr.String() != tt.stderr {
				t.Errorf("exitCode(%v) printed %q, want %q", tt.err, stderr.String(), tt.stderr)
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "never.db")
	// INGOT_DB points at a file no test here may create: every case fails
	// before opening the database.
	env := map[string]string{"INGOT_DB": db}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stdout []string // substrings; nil means stdout must be empty
		stderr []string
	}{
		{"no command", env, nil, 2, nil, []string{"Usage:", "ingot: missing command"}},
		{"unknown command", env, []string{"frobnicate"}, 2, nil, []string{"Usage:", `unknown command "frobnicate"`}},
		{"help", env, []string{"help"}, 0, []string{"Usage:", "ingot serve", "ingot program create", "ingot migrate"}, nil},
		{"-h", env, []string{"-h"}, 0, []string{"Usage:"}, nil},
		{"--help", env, []string{"--help"}, 0, []string{"Usage:"}, nil},
		{"program alone", env, []string{"program"}, 2, nil, []string{"ingot program create --name NAME"}},
		{"program other verb", env, []string{"program", "delete"}, 2, nil, []string{"ingot program create --name NAME"}},
		{"program create without --name", env, []string{"program", "create"}, 2, nil, []string{"--name is required"}},
		{"program create empty --name", env, []string{"program", "create", "--name", ""}, 2, nil, []string{"--name is required"}},
		{"program create extra argument", env, []string{"program", "create", "--name", "A", "extra"}, 2, nil, []string{`unexpected argument "extra"`}},
		{"program create unknown flag", env, []string{"program", "create", "--nmae", "A"}, 2, nil, []string{"nmae"}},
		{"program create --help", env, []string{"program", "create", "--help"}, 0, []string{"-name", "-json", "-db", "-sandbox", "-master-key-file"}, nil},
		{"migrate unknown flag", env, []string{"migrate", "--bogus"}, 2, nil, []string{"bogus"}},
		{"migrate --help", env, []string{"migrate", "--help"}, 0, []string{"-db", "-sandbox", "-master-key-file"}, nil},
		{"serve --help", env, []string{"serve", "--help"}, 0, []string{"-addr", "-db", "-sandbox", "INGOT_ADDR", "INGOT_DB"}, nil},
		{"serve -h", env, []string{"serve", "-h"}, 0, []string{"-addr"}, nil},
		{"serve unknown flag", env, []string{"serve", "--port", "80"}, 2, nil, []string{"port"}},
		{"serve extra argument", env, []string{"serve", "now"}, 2, nil, []string{`unexpected argument "now"`}},
		{"serve bad --log-format", env, []string{"serve", "--log-format", "xml"}, 2, nil, []string{`--log-format "xml"`}},
		{"serve bad --kyc-delay", env, []string{"serve", "--kyc-delay", "soon"}, 2, nil, []string{"kyc-delay"}},
		{"serve bad INGOT_KYC_DELAY", map[string]string{"INGOT_DB": db, "INGOT_KYC_DELAY": "soon"}, []string{"serve"}, 2, nil, []string{"INGOT_KYC_DELAY"}},
		{"serve bad INGOT_MAX_BODY_BYTES", map[string]string{"INGOT_DB": db, "INGOT_MAX_BODY_BYTES": "big"}, []string{"serve"}, 2, nil, []string{"INGOT_MAX_BODY_BYTES"}},
		{"serve bad INGOT_LOG_FORMAT", map[string]string{"INGOT_DB": db, "INGOT_LOG_FORMAT": "xml"}, []string{"serve"}, 2, nil, []string{"xml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIngot(t, tt.env, tt.args...)
			if r.code != tt.code {
				t.Fatalf("ingot %q: exit %d (err %v), want %d\nstdout:\n%s\nstderr:\n%s", tt.args, r.code, r.err, tt.code, r.stdout, r.stderr)
			}
			if tt.stdout == nil && r.stdout != "" {
				t.Errorf("ingot %q printed on stdout:\n%s", tt.args, r.stdout)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("ingot %q stdout lacks %q:\n%s", tt.args, s, r.stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("ingot %q stderr lacks %q:\n%s", tt.args, s, r.stderr)
				}
			}
		})
	}
	if fileExists(db) {
		t.Errorf("a usage error opened the database %s", db)
	}
}

func TestRunMigrate(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		file string
	}{
		{"--db path", nil, []string{"migrate", "--db", filepath.Join(dir, "a.db")}, "a.db"},
		{"--db sqlite:path", nil, []string{"migrate", "--db", "sqlite:" + filepath.Join(dir, "b.db")}, "b.db"},
		{"INGOT_DB", map[string]string{"INGOT_DB": filepath.Join(dir, "c.db")}, []string{"migrate"}, "c.db"},
		{"--db wins over INGOT_DB", map[string]string{"INGOT_DB": filepath.Join(dir, "not.db")}, []string{"migrate", "--db", filepath.Join(dir, "d.db")}, "d.db"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runIngot(t, tt.env, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %v\n%s", r.code, r.err, r.stderr)
			}
			if !strings.Contains(r.stdout, "schema at version") {
				t.Errorf("stdout = %q", r.stdout)
			}
			if !fileExists(filepath.Join(dir, tt.file)) {
				t.Errorf("%s not created", tt.file)
			}
			// Applying again is a no-op that still succeeds.
			if r := runIngot(t, tt.env, tt.args...); r.code != 0 {
				t.Fatalf("second run: exit %d: %v", r.code, r.err)
			}
		})
	}
	if fileExists(filepath.Join(dir, "not.db")) {
		t.Errorf("INGOT_DB was opened although --db was given")
	}
}

// TestRunProgramCreateMasterKey: program create takes the master key from
// each documented source and, with none configured, falls back to the
// sandbox key file next to a SQLite database and says so (docs/decisions.md:
// issue 2's first-run flow is "program create --db FILE" with no key).
func TestRunProgramCreateMasterKey(t *testing.T) {
	dir := t.TempDir()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	keyFile := filepath.Join(dir, "master.key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("no key", func(t *testing.T) {
		db := filepath.Join(dir, "nokey.db")
		r := runIngot(t, nil, "program", "create", "--name", "A", "--db", db, "--json")
		if r.code != 0 || !strings.Contains(r.stderr, "INGOT_MASTER_KEY") || !strings.Contains(r.stdout, `"hmac_secret"`) {
			t.Fatalf("exit %d, stdout %q, stderr %q; want 0, the credentials, a notice naming INGOT_MASTER_KEY", r.code, r.stdout, r.stderr)
		}
		if !fileExists(db + ".key") {
			t.Errorf("no sandbox key file %s.key was created", db)
		}
	})
	t.Run("bad INGOT_MASTER_KEY", func(t *testing.T) {
		r := runIngot(t, map[string]string{"INGOT_MASTER_KEY": "c2hvcnQ="}, "program", "create", "--name", "A", "--db", filepath.Join(dir, "bad.db"))
		if r.code != 1 || !strings.Contains(r.stderr, "INGOT_MASTER_KEY") || r.stdout != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"INGOT_MASTER_KEY", map[string]string{"INGOT_MASTER_KEY": key}, nil},
		{"--master-key-file", nil, []string{"--master-key-file", keyFile}},
		{"INGOT_MASTER_KEY_FILE", map[string]string{"INGOT_MASTER_KEY_FILE": keyFile}, nil},
		{"--sandbox", nil, []string{"--sandbox"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "p.db")
			args := append([]string{"program", "create", "--name", "Acme", "--db", db, "--json"}, tt.args...)
			r := runIngot(t, tt.env, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %v\n%s", r.code, r.err, r.stderr)
			}
			dec := json.NewDecoder(strings.NewReader(r.stdout))
			dec.DisallowUnknownFields()
			var c credentials
			if err := dec.Decode(&c); err != nil || dec.More() {
				t.Fatalf("stdout is not one credentials object (%v): %s", err, r.stdout)
			}
			if c.Name != "Acme" || c.ProgramID == "" || c.APIKey == "" || c.HMACUsername == "" || c.HMACSecret == "" {
				t.Fatalf("credentials = %+v", c)
			}
			if got := fileExists(db + ".key"); got != (tt.name == "--sandbox") {
				t.Errorf("local key file exists = %v", got)
			}
		})
	}
	t.Run("text output", func(t *testing.T) {
		r := runIngot(t, map[string]string{"INGOT_MASTER_KEY": key}, "program", "create", "--name", "Acme", "--db", filepath.Join(dir, "text.db"))
		if r.code != 0 {
			t.Fatalf("exit %d: %v", r.code, r.err)
		}
		for _, s := range []string{"Created program", "api_key:", "hmac_username:", "hmac_secret:"} {
			if strings.Count(r.stdout, s) != 1 {
				t.Errorf("stdout has %q %d times, want once:\n%s", s, strings.Count(r.stdout, s), r.stdout)
			}
		}
	})
	t.Run("invalid name", func(t *testing.T) {
		r := runIngot(t, map[string]string{"INGOT_MASTER_KEY": key}, "program", "create", "--name", strings.Repeat("x", 10000), "--db", filepath.Join(dir, "long.db"))
		if r.code == 0 || r.stdout != "" {
			t.Fatalf("a 10000-character name: exit %d, stdout %q", r.code, r.stdout)
		}
	})
}

// TestRunServeNeedsMasterKey: outside the sandbox serve refuses to start
// without a key, before listening, and says why.
func TestRunServeNeedsMasterKey(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	r := runIngot(t, nil, "serve", "--db", db, "--addr", "127.0.0.1:0")
	if r.code != 1 || !strings.Contains(r.stderr, "INGOT_MASTER_KEY") || strings.Contains(r.stdout, "listening") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if fileExists(db + ".key") {
		t.Errorf("serve without --sandbox created a local key file")
	}
}
