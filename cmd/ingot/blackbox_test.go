//go:build unix

package main

// These tests drive the real ingot binary as an independent client would:
// they build it once, run its subcommands as child processes with an explicit
// environment, and talk to "ingot serve" over TCP with signed requests.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/signature"
)

// Bounds on every wait, generous for a race-instrumented binary on a busy
// machine, still far below the go test timeout.
const (
	cliTimeout     = 30 * time.Second // one short-lived subcommand
	startTimeout   = 20 * time.Second // serve: until "listening on" and /healthz 200
	stopTimeout    = 15 * time.Second // serve: from the signal to the exit
	kycTimeout     = 10 * time.Second // background sandbox KYC decision
	requestTimeout = 10 * time.Second // one HTTP call
)

// ingotBin is the binary under test, built once by TestMain.
var ingotBin string

// buildFlags are extra "go build" flags (race_flag_test.go adds -race).
var buildFlags []string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ingot-blackbox-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "blackbox:", err)
		os.Exit(1)
	}
	ingotBin = filepath.Join(dir, "ingot")
	if err := buildIngot(ingotBin); err != nil {
		os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, "blackbox: build ingot:", err)
		os.Exit(1)
	}
	code := m.Run()
	testenv.StopCluster()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildIngot builds ./cmd/ingot (this package's directory) with the go
// command of the toolchain in use.
func buildIngot(out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	gobin := "go"
	if root, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output(); err == nil {
		if p := filepath.Join(strings.TrimSpace(string(root)), "bin", "go"); fileExists(p) {
			gobin = p
		}
	}
	args := append([]string{"build", "-o", out}, buildFlags...)
	cmd := exec.CommandContext(ctx, gobin, append(args, ".")...)
	cmd.Env = childEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, b)
	}
	return nil
}

// childEnv is this process's environment without any INGOT_* variable (so a
// developer's shell cannot change what the tests see), plus extra. Unless
// GORACE is set, a -race child skips the race runtime's 1 s sleep at exit.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INGOT_") {
			env = append(env, kv)
		}
	}
	if _, ok := os.LookupEnv("GORACE"); !ok {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return append(env, extra...)
}

// raceReport is how the race detector starts a report on stderr.
const raceReport = "WARNING: DATA RACE"

// randomMasterKey is a valid INGOT_MASTER_KEY value.
func randomMasterKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

// cliResult is how a short-lived subcommand ended.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs one short-lived subcommand to completion (bounded).
func runCLI(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ingotBin, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir() // a stray default ./ingot.db lands here, not in the repo
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ingot %s: still running after %v (killed)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), cliTimeout, &stdout, &stderr)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("ingot %s: %v", strings.Join(args, " "), err)
	}
	if strings.Contains(stderr.String(), raceReport) {
		t.Errorf("ingot %s: data race in the binary:\n%s", strings.Join(args, " "), &stderr)
	}
	return cliResult{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// createProgram runs "ingot program create --json" and checks that stdout is
// exactly one JSON object with exactly the documented keys.
func createProgram(t *testing.T, env []string, name string, extra ...string) credentials {
	t.Helper()
	args := append([]string{"program", "create", "--name", name, "--json"}, extra...)
	r := runCLI(t, env, args...)
	if r.code != 0 {
		t.Fatalf("program create %s: exit %d\nstdout:\n%s\nstderr:\n%s", name, r.code, r.stdout, r.stderr)
	}
	return decodeCredentials(t, r.stdout, name)
}

func decodeCredentials(t *testing.T, stdout, name string) credentials {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var c credentials
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("program create stdout is not one credentials object: %v\n%s", err, stdout)
	}
	if tok, err := dec.Token(); err != io.EOF {
		t.Fatalf("program create printed more than one JSON object (next token %v, %v):\n%s", tok, err, stdout)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &keys); err != nil {
		t.Fatal(err)
	}
	got := make([]string, 0, len(keys))
	for k, v := range keys {
		got = append(got, k)
		var s string
		if err := json.Unmarshal(v, &s); err != nil || s == "" {
			t.Errorf("program create: %q = %s, want a non-empty string", k, v)
		}
	}
	slices.Sort(got)
	if want := []string{"api_key", "hmac_secret", "hmac_username", "name", "program_id"}; !slices.Equal(got, want) {
		t.Fatalf("program create keys = %v, want %v", got, want)
	}
	if c.Name != name {
		t.Errorf("program create name = %q, want %q", c.Name, name)
	}
	return c
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is one running "ingot serve".
type server struct {
	t              *testing.T
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{} // closed when the process has exited
	addr           string        // HOST:PORT it listens on
	url            string        // http://HOST:PORT
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// startServe runs "ingot serve ARGS --addr 127.0.0.1:PORT" (or, with
// addrViaEnv, INGOT_ADDR=127.0.0.1:PORT) and returns once it has printed its
// address and answers /healthz. The process is killed at the end of the test
// if it is still running. A port taken between freePort and the bind is
// retried with another.
func startServe(t *testing.T, env []string, addrViaEnv bool, args ...string) *server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		addr := "127.0.0.1:" + freePort(t)
		argv := append([]string{"serve"}, args...)
		cenv := env
		if addrViaEnv {
			cenv = append(slices.Clip(env), "INGOT_ADDR="+addr)
		} else {
			argv = append(argv, "--addr", addr)
		}
		s, err := launch(t, cenv, addr, argv)
		if err == nil {
			return s
		}
		if attempt < 3 && strings.Contains(s.stderr.String(), "address already in use") {
			continue
		}
		t.Fatalf("ingot %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(argv, " "), err, s.stdout, s.stderr)
	}
}

func launch(t *testing.T, env []string, addr string, argv []string) (*server, error) {
	t.Helper()
	s := &server{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{}), addr: addr, url: "http://" + addr}
	s.cmd = exec.Command(ingotBin, argv...)
	s.cmd.Env = env
	s.cmd.Dir = t.TempDir()
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start ingot: %v", err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		defer func() {
			if strings.Contains(s.stderr.String(), raceReport) {
				t.Errorf("ingot %s: data race in the binary:\n%s", strings.Join(argv, " "), s.stderr)
			}
		}()
		select {
		case <-s.done:
			return
		default:
		}
		s.cmd.Process.Kill()
		select {
		case <-s.done:
		case <-time.After(stopTimeout):
			t.Errorf("ingot serve (pid %d) did not exit after SIGKILL", s.cmd.Process.Pid)
		}
	})

	// The address line.
	deadline := time.Now().Add(startTimeout)
	for !strings.Contains(s.stdout.String(), "listening on") {
		select {
		case <-s.done:
			return s, fmt.Errorf("exited with status %d before listening", s.cmd.ProcessState.ExitCode())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("no \"listening on\" line within %v", startTimeout)
		}
	}
	var line string
	for l := range strings.Lines(s.stdout.String()) {
		if strings.Contains(l, "listening on") {
			line = strings.TrimSpace(l)
		}
	}
	if f := strings.Fields(line); len(f) == 0 || strings.TrimPrefix(f[len(f)-1], "http://") != addr {
		return s, fmt.Errorf("address line %q does not name %s", line, addr)
	}

	// Health.
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := hc.Get(s.url + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("GET /healthz not 200 within %v (last: %v)", startTimeout, err)
		}
		select {
		case <-s.done:
			return s, fmt.Errorf("exited with status %d before /healthz answered", s.cmd.ProcessState.ExitCode())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// waitExit waits (bounded) for the process to end and returns its status.
func (s *server) waitExit() int {
	s.t.Helper()
	select {
	case <-s.done:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		<-s.done
		s.t.Fatalf("ingot serve did not exit within %v of the signal\nstderr:\n%s", stopTimeout, s.stderr)
		return -1
	}
}

// stop sends sig and asserts the documented exit status 0.
func (s *server) stop(sig os.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal: %v", err)
	}
	if code := s.waitExit(); code != 0 {
		s.t.Fatalf("ingot serve exited %d after %v, want 0\nstderr:\n%s", code, sig, s.stderr)
	}
}

// client signs requests as one program.
type client struct {
	t     *testing.T
	url   string
	creds credentials
	http  *http.Client
}

func newClient(t *testing.T, s *server, c credentials) *client {
	return &client{t: t, url: s.url, creds: c, http: &http.Client{Timeout: requestTimeout}}
}

// response is one decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// call signs body as the client's program and POSTs it to /api/v4/path.
func (c *client) call(path string, body any) response {
	c.t.Helper()
	return c.send(path, body, c.creds.APIKey, []byte(c.creds.HMACSecret))
}

// send is call with the api_key and HMAC secret chosen by the test.
func (c *client) send(path string, body any, apiKey string, secret []byte) response {
	c.t.Helper()
	req := c.signed(path, body, apiKey, secret)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("POST %s: read body: %v", path, err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: b}
	if err := json.Unmarshal(b, &r.json); err != nil {
		c.t.Fatalf("POST %s: answer is not a JSON object: %v\n%s", path, err, b)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		c.t.Errorf("POST %s: no X-Request-Id header", path)
	}
	return r
}

// signed builds the signed request (SignRequest sets its body).
func (c *client) signed(path string, body any, apiKey string, secret []byte) *http.Request {
	c.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.url+"/api/v4/"+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_key", apiKey)
	if _, err := signature.SignRequest(req, raw, c.creds.HMACUsername, secret, time.Now()); err != nil {
		c.t.Fatal(err)
	}
	return req
}

// ok asserts a success envelope with HTTP 200.
func (r response) ok(t *testing.T) response {
	t.Helper()
	if r.status != http.StatusOK || r.json["status"] != "success" {
		t.Fatalf("status %d, want 200 success; body %s", r.status, r.body)
	}
	return r
}

// fails asserts an error envelope with the status, code and (if not "")
// message.
func (r response) fails(t *testing.T, status int, code, message string) {
	t.Helper()
	e, _ := r.json["error"].(map[string]any)
	if r.status != status || r.json["status"] != "error" || e["code"] != code {
		t.Fatalf("got %d %s, want %d error %s", r.status, r.body, status, code)
	}
	if message != "" && r.json["message"] != message {
		t.Fatalf("message = %q, want %q", r.json["message"], message)
	}
}

func (r response) data(t *testing.T) map[string]any {
	t.Helper()
	d, ok := r.json["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data object in %s", r.body)
	}
	return d
}

func (r response) items(t *testing.T) []map[string]any {
	t.Helper()
	raw, ok := r.data(t)["items"].([]any)
	if !ok {
		t.Fatalf("no data.items array in %s", r.body)
	}
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		out[i], _ = it.(map[string]any)
	}
	return out
}

func (r response) total(t *testing.T) float64 {
	t.Helper()
	p, _ := r.data(t)["pagination"].(map[string]any)
	n, ok := p["total"].(float64)
	if !ok {
		t.Fatalf("no data.pagination.total in %s", r.body)
	}
	return n
}

// user returns the one user of a single-object answer and checks it has
// exactly the keys of spec section 4.
func (r response) user(t *testing.T) map[string]any {
	t.Helper()
	its := r.items(t)
	if len(its) != 1 {
		t.Fatalf("items = %d, want 1; body %s", len(its), r.body)
	}
	checkUserKeys(t, its[0])
	return its[0]
}

var userKeys = []string{"address_one", "address_two", "city", "country", "created_at",
	"date_of_birth", "email", "first_name", "id", "kyc_status", "last_name", "middle_name",
	"phone_number", "postal_code", "ssn_last_4", "state", "status", "updated_at", "uuid"}

func checkUserKeys(t *testing.T, u map[string]any) {
	t.Helper()
	var got []string
	for k := range u {
		got = append(got, k)
	}
	slices.Sort(got)
	if !slices.Equal(got, userKeys) {
		t.Fatalf("user keys = %v, want %v", got, userKeys)
	}
}

func newUserBody(email, ssn string) map[string]any {
	return map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "email": email,
		"phone_number": "+14155550123", "address_one": "1 Main St", "city": "San Francisco",
		"state": "CA", "postal_code": "94105", "country": "US",
		"date_of_birth": "1990-01-02", "ssn": ssn,
	}
}

// checkKeyFile asserts the sandbox master key file exists with mode 0600.
func checkKeyFile(t *testing.T, db string) {
	t.Helper()
	fi, err := os.Stat(db + ".key")
	if err != nil {
		t.Fatalf("sandbox key file: %v", err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("sandbox key file mode = %v, want 0600", m)
	}
}

// TestBlackboxLifecycle is the main path: two programs, one user through its
// lifecycle, tenant isolation, authentication, KYC, graceful stop with a
// request in flight, and a restart on the same file.
func TestBlackboxLifecycle(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ingot.db")
	env := childEnv()

	// The exact first-run flow of issue 2: program create with no master key
	// configured and no --sandbox; the sandbox key file it creates next to
	// the database is reused by serve --sandbox (docs/decisions.md).
	credsA := createProgram(t, env, "A", "--db", db)
	credsB := createProgram(t, env, "B", "--db", db)
	if credsA.ProgramID == credsB.ProgramID || credsA.APIKey == credsB.APIKey ||
		credsA.HMACUsername == credsB.HMACUsername || credsA.HMACSecret == credsB.HMACSecret {
		t.Fatalf("programs A and B share credentials: %+v %+v", credsA, credsB)
	}
	checkKeyFile(t, db)

	srv := startServe(t, env, false, "--sandbox", "--db", db)
	if out := srv.stdout.String(); strings.Contains(out, "Created sandbox program") {
		t.Errorf("serve --sandbox created a program although programs exist:\n%s", out)
	}
	a, b := newClient(t, srv, credsA), newClient(t, srv, credsB)

	// Create, get, list.
	u := a.call("user/create", newUserBody("ada@example.com", "123-45-6789")).ok(t).user(t)
	id, _ := u["id"].(string)
	if !strings.HasPrefix(id, "user-") || u["status"] != "active" || u["kyc_status"] != "not_started" || u["ssn_last_4"] != "6789" {
		t.Fatalf("created user = %v", u)
	}
	byID := map[string]any{"user_id": id}
	if got := a.call("user/get", byID).ok(t).user(t); got["id"] != id || got["email"] != "ada@example.com" {
		t.Fatalf("user/get = %v", got)
	}
	list := a.call("user/get-all", map[string]any{}).ok(t)
	if its := list.items(t); len(its) != 1 || its[0]["id"] != id || list.total(t) != 1 {
		t.Fatalf("A's user/get-all = %s", list.body)
	}

	// Block, block again (409), unblock.
	blockBody := map[string]any{"user_id": id, "reason": "suspicious"}
	if got := a.call("user/block", blockBody).ok(t).user(t); got["status"] != "blocked" {
		t.Fatalf("after block: %v", got)
	}
	a.call("user/block", blockBody).fails(t, http.StatusConflict, "conflict", "")
	if got := a.call("user/unblock", byID).ok(t).user(t); got["status"] != "active" {
		t.Fatalf("after unblock: %v", got)
	}

	// Program B sees nothing of A's.
	b.call("user/get", byID).fails(t, http.StatusNotFound, "not_found", "")
	b.call("user/block", byID).fails(t, http.StatusNotFound, "not_found", "")
	if l := b.call("user/get-all", map[string]any{}).ok(t); len(l.items(t)) != 0 || l.total(t) != 0 {
		t.Fatalf("B's user/get-all = %s", l.body)
	}

	// Authentication failures.
	a.send("user/get", byID, credsA.APIKey, []byte("not-the-secret")).
		fails(t, http.StatusUnauthorized, "unauthenticated", "HMAC signature does not match")
	a.send("user/get", byID, credsB.APIKey, []byte(credsA.HMACSecret)).
		fails(t, http.StatusUnauthorized, "unauthenticated", "Invalid API key")

	// KYC: the sandbox provider verifies an SSN ending 6789, in the background.
	v := a.call("user/send-verification-request", byID).ok(t)
	if d := v.data(t); len(d) != 0 {
		t.Fatalf("send-verification-request data = %v, want {}", d)
	}
	deadline := time.Now().Add(kycTimeout)
	for {
		got := a.call("user/get", byID).ok(t).user(t)
		if got["kyc_status"] == "verified" {
			break
		}
		if got["kyc_status"] != "pending" {
			t.Fatalf("kyc_status = %v, want pending then verified", got["kyc_status"])
		}
		if time.Now().After(deadline) {
			t.Fatalf("kyc_status still %v after %v", got["kyc_status"], kycTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// SIGTERM with a block request in flight: the server stops accepting,
	// answers the request in full, and exits 0.
	inFlightBlock(t, srv, a, blockBody)

	// Restart on the same file: the user and every change survived, and the
	// sandbox bootstrap does not run again.
	srv2 := startServe(t, env, false, "--sandbox", "--db", db)
	if out := srv2.stdout.String(); strings.Contains(out, "Created sandbox program") {
		t.Errorf("restart with --sandbox created a program although programs exist:\n%s", out)
	}
	a, b = newClient(t, srv2, credsA), newClient(t, srv2, credsB)
	got := a.call("user/get", byID).ok(t).user(t)
	if got["status"] != "blocked" || got["kyc_status"] != "verified" || got["created_at"] != u["created_at"] ||
		got["email"] != "ada@example.com" || got["ssn_last_4"] != "6789" {
		t.Fatalf("after restart: %v (created %v)", got, u)
	}
	if l := a.call("user/get-all", map[string]any{}).ok(t); l.total(t) != 1 {
		t.Fatalf("A's user/get-all after restart = %s", l.body)
	}
	if l := b.call("user/get-all", map[string]any{}).ok(t); l.total(t) != 0 {
		t.Fatalf("B's user/get-all after restart = %s", l.body)
	}
	ev := a.call("user/events", map[string]any{"user_id": id, "per_page": 50}).ok(t)
	var types []string
	for _, e := range ev.items(t) {
		s, _ := e["type"].(string)
		types = append(types, s)
	}
	slices.Sort(types)
	want := []string{"user.blocked", "user.blocked", "user.created", "user.kyc.submitted", "user.kyc.verified", "user.unblocked"}
	if !slices.Equal(types, want) {
		t.Errorf("events after restart = %v, want %v", types, want)
	}
	srv2.stop(syscall.SIGTERM)
}

// inFlightBlock sends a signed user/block over a raw connection, holding back
// the end of the body, signals SIGTERM, checks the server stops accepting but
// keeps running, then completes the request and expects a full answer and
// exit status 0.
func inFlightBlock(t *testing.T, srv *server, a *client, body map[string]any) {
	t.Helper()
	req := a.signed("user/block", body, a.creds.APIKey, []byte(a.creds.HMACSecret))
	req.Close = true
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatal(err)
	}
	raw := wire.Bytes()
	head, tail := raw[:len(raw)-5], raw[len(raw)-5:]

	conn, err := net.DialTimeout("tcp", srv.addr, requestTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * requestTimeout))
	if _, err := conn.Write(head); err != nil {
		t.Fatal(err)
	}
	// Let the server accept the connection and start the handler, which
	// then blocks reading the rest of the body.
	time.Sleep(300 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	// It stops accepting: new connections are refused (bounded poll) while
	// the process keeps running for the request in flight.
	deadline := time.Now().Add(stopTimeout)
	for {
		c, err := net.DialTimeout("tcp", srv.addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("still accepting connections %v after SIGTERM", stopTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if srv.exited() {
		t.Fatalf("ingot serve exited (status %d) with a request in flight\nstderr:\n%s", srv.cmd.ProcessState.ExitCode(), srv.stderr)
	}

	if _, err := conn.Write(tail); err != nil {
		t.Fatalf("finish the in-flight request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("in-flight request got no answer: %v\nstderr:\n%s", err, srv.stderr)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("in-flight answer: %v", err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: b}
	if err := json.Unmarshal(b, &r.json); err != nil {
		t.Fatalf("in-flight answer is not JSON: %v\n%s", err, b)
	}
	if got := r.ok(t).user(t); got["status"] != "blocked" {
		t.Fatalf("in-flight block answered %v", got)
	}
	if code := srv.waitExit(); code != 0 {
		t.Fatalf("ingot serve exited %d after SIGTERM, want 0\nstderr:\n%s", code, srv.stderr)
	}
}

// bootstrapLine finds "  NAME: VALUE" in the sandbox bootstrap output and
// checks it appears exactly once.
func bootstrapLine(t *testing.T, out, name string) string {
	t.Helper()
	var vals []string
	for l := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), name+":"); ok {
			vals = append(vals, strings.TrimSpace(v))
		}
	}
	if len(vals) != 1 || vals[0] == "" {
		t.Fatalf("%s lines in serve output = %q, want exactly one with a value:\n%s", name, vals, out)
	}
	return vals[0]
}

// TestBlackboxSandboxBootstrap: serve --sandbox on a new file creates one
// program and prints its credentials once; they work, and a second start
// prints nothing of the kind.
func TestBlackboxSandboxBootstrap(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "new.db")
	env := childEnv()

	srv := startServe(t, env, false, "--sandbox", "--db", db)
	out := srv.stdout.String()
	if n := strings.Count(out, "Created sandbox program"); n != 1 {
		t.Fatalf("first sandbox start: %d \"Created sandbox program\" lines, want 1:\n%s", n, out)
	}
	creds := credentials{
		APIKey:       bootstrapLine(t, out, "api_key"),
		HMACUsername: bootstrapLine(t, out, "hmac_username"),
		HMACSecret:   bootstrapLine(t, out, "hmac_secret"),
	}
	checkKeyFile(t, db)
	c := newClient(t, srv, creds)
	if l := c.call("user/get-all", map[string]any{}).ok(t); l.total(t) != 0 {
		t.Fatalf("new sandbox program has users: %s", l.body)
	}
	c.call("user/create", newUserBody("grace@example.com", "123456789")).ok(t)
	srv.stop(syscall.SIGINT)

	srv2 := startServe(t, env, false, "--sandbox", "--db", db)
	out2 := srv2.stdout.String()
	for _, s := range []string{"Created sandbox program", "hmac_secret", creds.APIKey, creds.HMACSecret} {
		if strings.Contains(out2, s) {
			t.Errorf("second sandbox start printed %q:\n%s", s, out2)
		}
	}
	// The same credentials still work: same program, same reused key file.
	c = newClient(t, srv2, creds)
	if l := c.call("user/get-all", map[string]any{}).ok(t); l.total(t) != 1 {
		t.Fatalf("after restart: %s", l.body)
	}
	srv2.stop(syscall.SIGTERM)
}

// TestBlackboxMasterKey: outside the sandbox serve requires a master key;
// with INGOT_MASTER_KEY the server starts and decrypts what program create
// sealed under the same key; and a server given another key than its
// programs were sealed with refuses to start, naming the problem.
func TestBlackboxMasterKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "prod.db")
	env := childEnv()

	// Refusals name the missing key, and no local key file appears.
	r := runCLI(t, env, "serve", "--db", db, "--addr", "127.0.0.1:"+freePort(t))
	if r.code == 0 || !strings.Contains(r.stderr, "INGOT_MASTER_KEY") || strings.Contains(r.stdout, "listening on") {
		t.Fatalf("serve without a master key: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if fileExists(db + ".key") {
		t.Fatalf("serve created a key file without --sandbox")
	}

	keyEnv := childEnv("INGOT_MASTER_KEY=" + randomMasterKey(t))
	creds := createProgram(t, keyEnv, "P", "--db", db)
	// INGOT_ADDR sets the address (spec 8).
	srv := startServe(t, keyEnv, true, "--db", db)
	if out := srv.stdout.String(); strings.Contains(out, "Created sandbox program") {
		t.Errorf("serve without --sandbox bootstrapped a program:\n%s", out)
	}
	c := newClient(t, srv, creds)
	if l := c.call("user/get-all", map[string]any{}).ok(t); l.total(t) != 0 {
		t.Fatalf("user/get-all = %s", l.body)
	}
	srv.stop(syscall.SIGTERM)

	r = runCLI(t, childEnv("INGOT_MASTER_KEY="+randomMasterKey(t)), "serve", "--db", db, "--addr", "127.0.0.1:"+freePort(t))
	if r.code == 0 || !strings.Contains(r.stderr, "cannot open program") {
		t.Fatalf("serve with another key: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestBlackboxCLI covers the short subcommands and their exit statuses.
func TestBlackboxCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := childEnv()

	t.Run("migrate new file", func(t *testing.T) {
		db := filepath.Join(dir, "m.db")
		r := runCLI(t, env, "migrate", "--db", db)
		if r.code != 0 || !fileExists(db) {
			t.Fatalf("migrate: exit %d, file exists %v\n%s%s", r.code, fileExists(db), r.stdout, r.stderr)
		}
		if r = runCLI(t, env, "migrate", "--db", db); r.code != 0 {
			t.Fatalf("second migrate: exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("INGOT_DB and sqlite: DSN", func(t *testing.T) {
		db := filepath.Join(dir, "env.db")
		if r := runCLI(t, childEnv("INGOT_DB=sqlite:"+db), "migrate"); r.code != 0 || !fileExists(db) {
			t.Fatalf("INGOT_DB=sqlite:%s migrate: exit %d, file exists %v\n%s", db, r.code, fileExists(db), r.stderr)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  []string // substrings of stdout+stderr
	}{
		{"program create without --name", []string{"program", "create", "--db", filepath.Join(dir, "x.db")}, 2, []string{"--name"}},
		{"unknown subcommand", []string{"frobnicate"}, 2, []string{"frobnicate", "Usage"}},
		{"no subcommand", nil, 2, []string{"Usage"}},
		{"unknown flag", []string{"serve", "--no-such-flag"}, 2, []string{"no-such-flag"}},
		{"serve --help", []string{"serve", "--help"}, 0, []string{"-addr", "-db", "-sandbox"}},
		{"program create --help", []string{"program", "create", "--help"}, 0, []string{"-name", "-json", "-db"}},
		{"migrate --help", []string{"migrate", "--help"}, 0, []string{"-db"}},
		{"help", []string{"help"}, 0, []string{"ingot serve", "ingot program create", "ingot migrate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, env, tc.args...)
			all := r.stdout + r.stderr
			if r.code != tc.code {
				t.Fatalf("ingot %v: exit %d, want %d\n%s", tc.args, r.code, tc.code, all)
			}
			for _, s := range tc.out {
				if !strings.Contains(all, s) {
					t.Errorf("ingot %v output lacks %q:\n%s", tc.args, s, all)
				}
			}
		})
	}
}
