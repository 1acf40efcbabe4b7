package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestBlackboxConsoleTokens: serve --sandbox prints one console token on its
// first start and none on the next; the token signs in to /console/ of the
// real binary; create, list and revoke work on the database while the
// server runs, and a revocation ends the token's session in that server.
func TestBlackboxConsoleTokens(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "console.db")
	srv := startServe(t, childEnv(), false, "--sandbox", "--db", db)
	out := srv.stdout.String()
	token := bootstrapLine(t, out, "console_token")
	if !strings.Contains(out, "Operator console: "+srv.url+"/console/") {
		t.Errorf("first start does not say where the console is:\n%s", out)
	}
	if n := len(exportVars(t, out, 4)); n != 4 {
		t.Fatalf("%d export lines", n)
	}

	sandbox := signInConsole(t, srv.url, token)
	list := runCLI(t, childEnv(), "console", "token", "list", "--db", db)
	if list.code != 0 || !regexp.MustCompile(`(?m)^sandbox\s+\S+\s+\S+\s+1$`).MatchString(list.stdout) || strings.Contains(list.stdout, token) {
		t.Fatalf("console token list: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}

	created := runCLI(t, childEnv(), "console", "token", "create", "--name", "ada", "--db", db)
	ada := bootstrapLine(t, created.stdout, "console_token")
	if created.code != 0 || !strings.HasPrefix(ada, "ict_") {
		t.Fatalf("console token create: exit %d\n%s%s", created.code, created.stdout, created.stderr)
	}
	adaSession := signInConsole(t, srv.url, ada)
	if r := runCLI(t, childEnv(), "console", "token", "create", "--name", "ada", "--db", db); r.code == 0 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("a second token named ada: exit %d\n%s", r.code, r.stderr)
	}
	if r := runCLI(t, childEnv(), "console", "token", "create", "--name", "no spaces", "--db", db); r.code != 2 {
		t.Errorf("a token name with a space: exit %d, want 2\n%s", r.code, r.stderr)
	}

	revoke := runCLI(t, childEnv(), "console", "token", "revoke", "--name", "ada", "--db", db)
	if revoke.code != 0 || !strings.Contains(revoke.stdout, `Revoked console token "ada" and ended its 1 session.`) {
		t.Fatalf("console token revoke: exit %d\n%s%s", revoke.code, revoke.stdout, revoke.stderr)
	}
	if status, loc := consoleGet(t, adaSession, srv.url+"/console/"); status != http.StatusSeeOther || loc != "/console/sign-in" {
		t.Errorf("revoked token's session: %d to %q, want 303 to sign-in", status, loc)
	}
	if status, _ := consoleGet(t, sandbox, srv.url+"/console/"); status != http.StatusOK {
		t.Errorf("the sandbox token's session after another's revocation: %d, want 200", status)
	}
	if r := runCLI(t, childEnv(), "console", "token", "revoke", "--name", "ada", "--db", db); r.code == 0 || !strings.Contains(r.stderr, `no console token named "ada"`) {
		t.Errorf("revoking twice: exit %d\n%s", r.code, r.stderr)
	}
	srv.stop(syscall.SIGTERM)

	srv2 := startServe(t, childEnv(), false, "--sandbox", "--db", db)
	out2 := srv2.stdout.String()
	if strings.Contains(out2, "console_token:") || strings.Contains(out2, token) || !strings.Contains(out2, "console token create --name NAME") {
		t.Errorf("second start printed a token, or no way to get one:\n%s", out2)
	}
	srv2.stop(syscall.SIGTERM)
}

// signInConsole signs in to a running server's console and returns the
// client holding the session.
func signInConsole(t *testing.T, base, token string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/console/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("sign-in page has no CSRF token:\n%s", body)
	}
	resp, err = c.PostForm(base+"/console/sign-in", url.Values{"csrf": {string(m[1])}, "token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("console sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return c
}

func consoleGet(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}
