package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/httpapi"
	"github.com/ingot-dev/ingot/internal/kyc"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/vault"
	"github.com/ingot-dev/ingot/signature"
)

// clock is an injectable, settable time source shared by the server and the
// signing client, so signature windows and timestamps are deterministic.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves time forward, as a real clock would between calls.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one running server on a temporary SQLite file.
type env struct {
	t     *testing.T
	dsn   string
	key   []byte
	clock *clock
	store *store.Store
	svc   *service.Service
	srv   *httptest.Server
}

var testKey = bytes.Repeat([]byte{7}, 32)

// engines runs fn once per database engine, each on a fresh database, as
// subtests named after the engine. Every HTTP test goes through it so the
// whole suite proves both engines behave alike.
func engines(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, eng := range testEngines {
		t.Run(eng.name, func(t *testing.T) {
			fn(t, newEnvDSN(t, eng.dsn(t)))
		})
	}
}

// testEngines lists the engines under test; each gives a fresh database.
var testEngines = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "ingot.db") }},
}

// newEnv starts a server on a fresh SQLite database.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvDSN(t, filepath.Join(t.TempDir(), "ingot.db"))
}

func newEnvDSN(t *testing.T, dsn string) *env {
	t.Helper()
	e := &env{t: t, dsn: dsn, key: testKey,
		clock: &clock{t: time.Date(2026, 4, 16, 12, 34, 56, 0, time.UTC)}}
	e.start()
	return e
}

// start opens the store and serves it; restart calls it again on the same file.
func (e *env) start() {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.dsn, store.Options{})
	if err != nil {
		e.t.Fatalf("open store: %v", err)
	}
	sealer, err := vault.New(e.key)
	if err != nil {
		e.t.Fatal(err)
	}
	e.store = st
	e.svc = service.New(service.Config{Store: st, Sealer: sealer, KYC: kyc.Sandbox{}, Now: e.clock.Now})
	e.srv = httptest.NewServer(httpapi.NewHandler(httpapi.Config{Service: e.svc, Now: e.clock.Now}))
	e.t.Cleanup(e.stop)
}

func (e *env) stop() {
	if e.srv == nil {
		return
	}
	e.srv.Close()
	e.svc.Close()
	e.store.Close()
	e.srv = nil
}

// restart stops the server and serves the same database file again.
func (e *env) restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

// program creates a program and returns a client signing as it.
func (e *env) program(name string) *apiClient {
	e.t.Helper()
	c, err := e.svc.CreateProgram(context.Background(), name)
	if err != nil {
		e.t.Fatalf("create program: %v", err)
	}
	return &apiClient{e: e, creds: c}
}

// apiClient signs requests as one program.
type apiClient struct {
	e     *env
	creds service.Credentials
}

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	// JSON is the body decoded generically, for assertions on exact keys.
	JSON map[string]any
}

// call signs and sends body (marshalled if not []byte) to /api/v4/path.
func (c *apiClient) call(path string, body any) response {
	c.e.t.Helper()
	return c.send(path, body, nil)
}

// send is call with a hook to tamper with the signed request before it goes.
func (c *apiClient) send(path string, body any, tamper func(r *http.Request)) response {
	c.e.t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			c.e.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, c.e.srv.URL+"/api/v4/"+path, bytes.NewReader(raw))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_key", c.creds.APIKey)
	if _, err := signature.SignRequest(req, raw, c.creds.HMACUsername, []byte(c.creds.HMACSecret), c.e.clock.Now()); err != nil {
		c.e.t.Fatal(err)
	}
	if tamper != nil {
		tamper(req)
	}
	return do(c.e.t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	_ = json.Unmarshal(b, &r.JSON)
	return r
}

// want fails the test unless the response has the status (and, for errors,
// the error code) expected.
func (r response) want(t *testing.T, status int, code string) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Body)
	}
	if code != "" {
		got, _ := r.JSON["error"].(map[string]any)
		if got["code"] != code {
			t.Fatalf("error code = %v, want %s; body %s", got["code"], code, r.Body)
		}
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Errorf("no X-Request-Id header")
	}
	return r
}

// items returns data.items of a success answer.
func (r response) items(t *testing.T) []map[string]any {
	t.Helper()
	data, _ := r.JSON["data"].(map[string]any)
	raw, _ := data["items"].([]any)
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		out[i], _ = it.(map[string]any)
	}
	return out
}

// user returns the single user of a single-object answer.
func (r response) user(t *testing.T) map[string]any {
	t.Helper()
	its := r.items(t)
	if len(its) != 1 {
		t.Fatalf("items = %d, want 1; body %s", len(its), r.Body)
	}
	return its[0]
}

// pagination returns data.pagination.
func (r response) pagination(t *testing.T) map[string]any {
	t.Helper()
	data, _ := r.JSON["data"].(map[string]any)
	p, _ := data["pagination"].(map[string]any)
	return p
}

// validUser is a create body that passes every rule; tests change one thing.
func validUser(email string) map[string]any {
	return map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "email": email,
		"phone_number": "+14155550123", "address_one": "1 Main St", "city": "San Francisco",
		"state": "CA", "postal_code": "94105", "country": "US",
	}
}
