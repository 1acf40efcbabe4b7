package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBlackboxCall drives "ingot call" the way issue 4's newcomer does: the
// export lines printed by "serve --sandbox" configure it, and the next
// commands create, block and unblock a user.
func TestBlackboxCall(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ingot.db")
	srv := startServe(t, childEnv(), false, "--sandbox", "--db", db)
	exports := regexp.MustCompile(`(?m)^export (INGOT_[A-Z_]+)=(\S+)$`).FindAllStringSubmatch(srv.stdout.String(), -1)
	if len(exports) != 4 {
		t.Fatalf("serve --sandbox printed %d export lines, want 4:\n%s", len(exports), srv.stdout)
	}
	var vars []string
	for _, m := range exports {
		vars = append(vars, m[1]+"="+m[2])
	}
	env := childEnv(vars...)
	if !strings.Contains(strings.Join(vars, " "), "INGOT_URL="+srv.url) {
		t.Errorf("exports %v do not point INGOT_URL at %s", vars, srv.url)
	}

	list := runCLI(t, env, "call", "user/get-all", "{}")
	if list.code != 0 || !strings.Contains(list.stdout, `"total":0`) {
		t.Fatalf("call user/get-all: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}
	create := runCLI(t, env, "call", "user/create", mustJSON(t, newUserBody("call@example.com", "")))
	if create.code != 0 {
		t.Fatalf("call user/create: exit %d\n%s%s", create.code, create.stdout, create.stderr)
	}
	var out struct {
		Data struct {
			Items []map[string]any `json:"items"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(create.stdout), &out); err != nil || len(out.Data.Items) != 1 {
		t.Fatalf("call user/create printed %q: want one JSON envelope (%v)", create.stdout, err)
	}
	id := out.Data.Items[0]["id"].(string)
	body := `{"user_id":"` + id + `"}`

	for _, c := range []struct {
		name, path string
		want       int
		stdout     string
		stderr     string
	}{
		{"block", "user/block", 0, `"status":"blocked"`, ""},
		{"unblock with the full path", "/api/v4/user/unblock", 0, `"status":"active"`, ""},
		{"API error exits 1 with the message on stderr", "user/unblock", 1, `"code":"conflict"`, "user is not blocked"},
		{"unknown user", "user/get", 1, `"code":"not_found"`, "not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := body
			if c.name == "unknown user" {
				b = `{"user_id":"user-00000000-0000-7000-8000-000000000000"}`
			}
			r := runCLI(t, env, "call", c.path, b)
			if r.code != c.want || !strings.Contains(r.stdout, c.stdout) || !strings.Contains(r.stderr, c.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", r.code, r.stdout, r.stderr, c.want, c.stdout, c.stderr)
			}
		})
	}

	t.Run("explain shows the signing string, never the secret", func(t *testing.T) {
		secret := envValue(vars, "INGOT_HMAC_SECRET")
		r := runCLI(t, childEnv(append(vars, "INGOT_HMAC_SECRET=wrong-secret")...), "call", "--explain", "user/get-all", "{}")
		if r.code != 1 || !strings.Contains(r.stderr, "HMAC signature does not match") {
			t.Fatalf("wrong secret: exit %d, stderr %q; want 1 and the 401 message", r.code, r.stderr)
		}
		for _, want := range []string{"| POST /api/v4/user/get-all HTTP/1.1", "| x-date: ", "| content-sha512: ", "Authorization: hmac username="} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("--explain output lacks %q:\n%s", want, r.stderr)
			}
		}
		if strings.Contains(r.stderr+r.stdout, "wrong-secret") || strings.Contains(r.stderr+r.stdout, secret) {
			t.Errorf("--explain printed a secret:\n%s", r.stderr)
		}
	})
	t.Run("help never prints credentials", func(t *testing.T) {
		r := runCLI(t, env, "call", "--help")
		if r.code != 0 || strings.Contains(r.stderr+r.stdout, envValue(vars, "INGOT_HMAC_SECRET")) {
			t.Errorf("call --help: exit %d, output shows the secret or fails:\n%s", r.code, r.stderr)
		}
	})
	for _, c := range []struct {
		name string
		env  []string
		args []string
		want string // in stderr
	}{
		{"no path", env, []string{"call"}, ""},
		{"body is not JSON", env, []string{"call", "user/get-all", "{nope"}, ""},
		{"too many arguments", env, []string{"call", "user/get-all", "{}", "{}"}, ""},
		{"no credentials", childEnv(), []string{"call", "user/get-all"}, "ingot program rotate-credentials"},
	} {
		t.Run("usage: "+c.name, func(t *testing.T) {
			if r := runCLI(t, c.env, c.args...); r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, want 2 and %q in stderr\n%s", r.code, c.want, r.stderr)
			}
		})
	}
}

func envValue(vars []string, name string) string {
	for _, v := range vars {
		if k, val, _ := strings.Cut(v, "="); k == name {
			return val
		}
	}
	return ""
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
