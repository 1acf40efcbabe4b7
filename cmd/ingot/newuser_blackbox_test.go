//go:build unix

package main

// Issue 19 end to end, with the real binary: a newcomer loses the sandbox's
// credentials and gets working ones back; "ingot call" helps with 401s,
// flags after PATH and a server that is not running.

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// exportVars returns the "export INGOT_X=V" lines of out as X=V.
func exportVars(t *testing.T, out string, want int) []string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^export (INGOT_[A-Z_]+)=(\S+)$`).FindAllStringSubmatch(out, -1)
	if len(m) != want {
		t.Fatalf("%d export lines, want %d:\n%s", len(m), want, out)
	}
	var vars []string
	for _, v := range m {
		vars = append(vars, v[1]+"="+v[2])
	}
	return vars
}

func TestBlackboxLostCredentials(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ingot.db")
	srv := startServe(t, childEnv(), false, "--sandbox", "--db", db)
	first := exportVars(t, srv.stdout.String(), 4)
	firstEnv := childEnv(first...)
	if r := runCLI(t, firstEnv, "call", "user/create", mustJSON(t, newUserBody("kept@example.com", ""))); r.code != 0 {
		t.Fatalf("create: exit %d\n%s", r.code, r.stderr)
	}
	srv.stop(syscall.SIGINT)

	// The second start names the program and the way back, and no secret.
	srv = startServe(t, childEnv(), false, "--sandbox", "--db", db)
	out := srv.stdout.String()
	pid := regexp.MustCompile(`prog-[0-9a-f-]+`).FindString(out)
	for _, want := range []string{"has program " + pid, `"sandbox", 1 user,`, "Lost them?",
		"program rotate-credentials --program " + pid + " --db " + db + " --sandbox", "export INGOT_URL=" + srv.url} {
		if pid == "" || !strings.Contains(out, want) {
			t.Errorf("second start lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{envValue(first, "INGOT_API_KEY"), envValue(first, "INGOT_HMAC_SECRET")} {
		if strings.Contains(out, secret) {
			t.Errorf("second start printed a credential:\n%s", out)
		}
	}

	// program list: ids, names, users; never a secret.
	list := runCLI(t, childEnv(), "program", "list", "--db", db)
	if list.code != 0 || !strings.Contains(list.stdout, pid) || !strings.Contains(list.stdout, "sandbox") {
		t.Fatalf("program list: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}
	list = runCLI(t, childEnv(), "program", "list", "--db", db, "--json")
	var programs []map[string]any
	if err := json.Unmarshal([]byte(list.stdout), &programs); err != nil || len(programs) != 1 {
		t.Fatalf("program list --json = %q (%v)", list.stdout, err)
	}
	var keys []string
	for k := range programs[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"created_at", "hmac_username", "name", "previous_credentials", "program_id", "users"}; !slices.Equal(keys, want) {
		t.Errorf("program list --json keys = %v, want %v", keys, want)
	}
	if programs[0]["program_id"] != pid || programs[0]["users"] != 1.0 {
		t.Errorf("program list --json = %v", programs[0])
	}

	// Rotate, as the start-up message says, and paste the export lines.
	rot := runCLI(t, childEnv(), "program", "rotate-credentials", "--program", pid, "--db", db)
	if rot.code != 0 {
		t.Fatalf("rotate: exit %d\n%s%s", rot.code, rot.stdout, rot.stderr)
	}
	second := exportVars(t, rot.stdout, 3)
	if !strings.Contains(rot.stdout, "keep working until") || !strings.Contains(rot.stdout, "(grace 24h)") {
		t.Errorf("rotate output does not say how long the old credentials work:\n%s", rot.stdout)
	}
	secondEnv := childEnv(append(second, "INGOT_URL="+srv.url)...)
	r := runCLI(t, secondEnv, "call", "user/get-all", "{}")
	if r.code != 0 || !strings.Contains(r.stdout, "kept@example.com") {
		t.Fatalf("new credentials: exit %d, want the program's user\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, childEnv(append(first, "INGOT_URL="+srv.url)...), "call", "user/get-all", "{}"); r.code != 0 {
		t.Fatalf("old credentials within the grace: exit %d\n%s", r.code, r.stderr)
	}

	// With no grace a replaced credential stops at once (here one this
	// server never cached; a cached one lasts at most 60 s more): rotate
	// twice, and the middle set is refused, with a hint saying why.
	rotateJSON := func() map[string]string {
		t.Helper()
		rot := runCLI(t, childEnv(), "program", "rotate-credentials", "--program", pid, "--db", db, "--grace", "0", "--json")
		var c map[string]string
		if err := json.Unmarshal([]byte(rot.stdout), &c); rot.code != 0 || err != nil {
			t.Fatalf("rotate --json: exit %d, %v\n%s%s", rot.code, err, rot.stdout, rot.stderr)
		}
		return c
	}
	asEnv := func(c map[string]string) []string {
		return childEnv("INGOT_URL="+srv.url, "INGOT_API_KEY="+c["api_key"],
			"INGOT_HMAC_USERNAME="+c["hmac_username"], "INGOT_HMAC_SECRET="+c["hmac_secret"])
	}
	third := rotateJSON()
	if third["previous_hmac_username"] != envValue(second, "INGOT_HMAC_USERNAME") || third["hmac_secret"] == "" || third["program_id"] != pid {
		t.Errorf("rotate --json = %v", third)
	}
	fourth := rotateJSON()
	r = runCLI(t, asEnv(third), "call", "user/get-all", "{}")
	if r.code != 1 || !strings.Contains(r.stderr, "grace period ended") {
		t.Errorf("a set replaced without grace: exit %d, stderr %q; want 1 and the hint", r.code, r.stderr)
	}
	if r := runCLI(t, asEnv(fourth), "call", "user/get-all", "{}"); r.code != 0 {
		t.Fatalf("the newest set: exit %d\n%s", r.code, r.stderr)
	}
	srv.stop(syscall.SIGTERM)
	if r := runCLI(t, childEnv(), "audit", "verify", "--db", db); r.code != 0 || !strings.Contains(r.stdout, "intact") {
		t.Fatalf("audit verify after rotations: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestBlackboxCallHelps(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ingot.db")
	srv := startServe(t, childEnv(), false, "--sandbox", "--db", db)
	vars := exportVars(t, srv.stdout.String(), 4)
	env := childEnv(vars...)

	t.Run("flags after PATH", func(t *testing.T) {
		r := runCLI(t, env, "call", "user/get-all", "--explain", `{"per_page":2}`)
		if r.code != 0 || !strings.Contains(r.stdout, `"per_page":2`) || !strings.Contains(r.stderr, "| POST /api/v4/user/get-all HTTP/1.1") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{"format Mon, 02 Jan 2006 15:04:05 GMT", "two-digit day", "Go writes its name as Api_key"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("--explain lacks %q:\n%s", want, r.stderr)
			}
		}
		if r := runCLI(t, env, "call", "user/get-all", "{}", "--timeout", "5s"); r.code != 0 {
			t.Errorf("flag after JSON: exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("401: hint, and --explain suggested", func(t *testing.T) {
		bad := childEnv(append(slices.Clone(vars), "INGOT_HMAC_SECRET=wrong")...)
		r := runCLI(t, bad, "call", "user/get-all", "{}")
		for _, want := range []string{"ingot: call: HMAC signature does not match (401 unauthenticated", "hint: signature check",
			"run the same command with --explain"} {
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("exit %d; stderr lacks %q:\n%s", r.code, want, r.stderr)
			}
		}
		if r := runCLI(t, bad, "call", "--explain", "user/get-all", "{}"); strings.Contains(r.stderr, "run the same command with --explain") {
			t.Errorf("--explain suggested while it is on:\n%s", r.stderr)
		}
	})
	t.Run("API errors share the prefix", func(t *testing.T) {
		r := runCLI(t, env, "call", "user/get", `{"user_id":"user-00000000-0000-7000-8000-000000000000"}`)
		if r.code != 1 || !strings.HasPrefix(r.stderr, "ingot: call: ") {
			t.Errorf("exit %d, stderr %q; want 1 and \"ingot: call: \"", r.code, r.stderr)
		}
	})
	t.Run("unknown field suggests its name", func(t *testing.T) {
		r := runCLI(t, env, "call", "user/create", `{"firstName":"Ada"}`)
		if r.code != 1 || !strings.Contains(r.stderr, "firstName: unknown field; did you mean first_name?") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	srv.stop(syscall.SIGTERM)
	t.Run("server not running", func(t *testing.T) {
		r := runCLI(t, env, "call", "user/get-all", "{}")
		if r.code != 1 || !strings.Contains(r.stderr, "connection refused") || !strings.Contains(r.stderr, `is "ingot serve" running?`) ||
			!strings.HasPrefix(r.stderr, "ingot: call: ") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

// TestBlackboxDebugLogsAuthCause: outside the sandbox a 401 has no hint,
// and with --log-level debug its cause is logged (api-v4.md section 2.5).
func TestBlackboxDebugLogsAuthCause(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "prod.db")
	env := childEnv("INGOT_MASTER_KEY=" + randomMasterKey(t))
	creds := createProgram(t, env, "P", "--db", db)
	srv := startServe(t, env, false, "--db", db, "--log-level", "debug")
	c := newClient(t, srv, creds)
	r := c.send("user/get-all", map[string]any{}, creds.APIKey, []byte("not-the-secret"))
	r.fails(t, 401, "unauthenticated", "HMAC signature does not match")
	if strings.Contains(string(r.body), "hint") {
		t.Errorf("a production 401 carries a hint: %s", r.body)
	}
	srv.stop(syscall.SIGTERM)
	logs := srv.stderr.String()
	if !strings.Contains(logs, `msg="authentication refused"`) || !strings.Contains(logs, "signature check") ||
		!strings.Contains(logs, "level=DEBUG") || strings.Contains(logs, creds.HMACSecret) {
		t.Errorf("debug log lacks the refusal's cause (or holds the secret):\n%s", logs)
	}
}
