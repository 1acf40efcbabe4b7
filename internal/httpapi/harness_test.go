package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/httpapi"
	"github.com/ingot-dev/ingot/internal/kyc"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
	"github.com/ingot-dev/ingot/signature"
)

// clock is an injectable, settable time source shared by the server and the
// signing client, so signature windows and timestamps are deterministic.
type clock struct {
	mu sync.Mutex
	t  time.Time
	// live makes Now the real time plus whatever Advance added (webhook
	// tests: retries come due by themselves).
	live   bool
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live {
		return time.Now().Add(c.offset)
	}
	return c.t
}

// Advance moves time forward, as a real clock would between calls.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.offset += d
}

// logBuffer collects log output; safe for concurrent writers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is one running server on a temporary SQLite file.
type env struct {
	t     *testing.T
	dsn   string
	key   []byte
	clock *clock
	// kyc is the provider the next start uses; nil means the sandbox
	// provider without delay. Change it with restartWithKYC.
	kyc kyc.Provider
	// logs receives every log line of the service and the handler, across
	// restarts, so tests can check what is (and is not) logged.
	logs *logBuffer
	// maxBody is the body limit the next start uses; 0 means the default.
	maxBody int64
	// production starts the server without --sandbox: no sandbox calls.
	production bool
	// achDelay is the sandbox rail's ACH settlement delay of the next start.
	achDelay time.Duration
	// rail is the next start's rail of external movements; nil means the
	// sandbox rail with achDelay.
	rail service.Rail
	// hooks are the next start's webhook settings (webhooks_test.go).
	hooks   service.WebhookConfig
	metrics *httpapi.Metrics
	store   *store.Store
	svc     *service.Service
	srv     *httptest.Server
}

var testKey = bytes.Repeat([]byte{7}, 32)

// engines runs fn once per database engine, each on a fresh database, as
// subtests named after the engine. Every HTTP test goes through it so the
// whole suite proves both engines behave alike.
func engines(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			fn(t, newEnvDSN(t, eng.DSN(t)))
		})
	}
}

// newEnv starts a server on a fresh SQLite database.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvDSN(t, filepath.Join(t.TempDir(), "ingot.db"))
}

func newEnvDSN(t *testing.T, dsn string) *env {
	t.Helper()
	e := &env{t: t, dsn: dsn, key: testKey, logs: &logBuffer{},
		clock: &clock{t: time.Date(2026, 4, 16, 12, 34, 56, 0, time.UTC)}}
	e.start()
	return e
}

// start opens the store and serves it; restart calls it again on the same file.
func (e *env) start() {
	e.t.Helper()
	metrics := httpapi.NewMetrics()
	st, err := store.Open(context.Background(), e.dsn, store.Options{Observe: metrics.ObserveStore})
	if err != nil {
		e.t.Fatalf("open store: %v", err)
	}
	sealer, err := vault.New(e.key)
	if err != nil {
		e.t.Fatal(err)
	}
	provider := e.kyc
	if provider == nil {
		provider = kyc.Sandbox{}
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.store = st
	hooks := e.hooks
	if hooks.Observer == nil {
		hooks.Observer = metrics
	}
	e.metrics = metrics
	e.svc = service.New(service.Config{Store: st, Sealer: sealer, KYC: provider, Now: e.clock.Now, Logger: log,
		ACHSettleDelay: e.achDelay, Rail: e.rail, Webhooks: hooks, Sandbox: !e.production})
	e.srv = httptest.NewServer(httpapi.NewHandler(httpapi.Config{Service: e.svc, Now: e.clock.Now, Logger: log, MaxBody: e.maxBody,
		Metrics: metrics, Sandbox: !e.production}))
	e.t.Cleanup(e.stop)
	// As `ingot serve` does before it accepts requests: checks left in flight
	// by a previous process are started again.
	if _, err := e.svc.ResumeKYC(context.Background()); err != nil {
		e.t.Fatalf("resume kyc: %v", err)
	}
}

// restartWithKYC restarts the server with another KYC provider, e.g. the
// sandbox with a delay long enough to keep checks in flight.
func (e *env) restartWithKYC(p kyc.Provider) {
	e.t.Helper()
	e.kyc = p
	e.restart()
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
	req, err := c.signed(path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if tamper != nil {
		tamper(req)
	}
	return do(c.e.t, req)
}

// signed builds a signed request for /api/v4/path.
func (c *apiClient) signed(path string, body any) (*http.Request, error) {
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequest(http.MethodPost, c.e.srv.URL+"/api/v4/"+path, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_key", c.creds.APIKey)
	if _, err := signature.SignRequest(req, raw, c.creds.HMACUsername, []byte(c.creds.HMACSecret), c.e.clock.Now()); err != nil {
		return nil, err
	}
	return req, nil
}

// try is call for other goroutines than the test's: it reports failures
// instead of stopping the test.
func (c *apiClient) try(path string, body any) (response, error) {
	req, err := c.signed(path, body)
	if err != nil {
		return response{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	_ = json.Unmarshal(b, &r.JSON)
	return r, nil
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	reqBody := peekBody(t, req)
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
	validateExchange(t, req, reqBody, r.Status, r.Header, r.Body)
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

// resign replaces r's Authorization with one signed by c over the given header
// names, in that order, from r's current headers: a test that alters a header
// after signing calls it to make the signature valid again, so that only the
// alteration it means to test is wrong.
func (c *apiClient) resign(r *http.Request, headers ...string) {
	a := signature.Authorization{
		Username:  c.creds.HMACUsername,
		Algorithm: signature.Algorithm,
		Headers:   headers,
		Signature: signature.Sign([]byte(c.creds.HMACSecret), signature.SigningString(r, headers)),
	}
	r.Header.Set("Authorization", a.String())
}

// setBody replaces the body r will send (and its length) without re-signing.
func setBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r.ContentLength = int64(len(b))
	r.Header.Set("Content-Length", strconv.Itoa(len(b)))
}

// readBody returns the bytes r is about to send, leaving r able to send them.
func readBody(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	setBody(r, b)
	return b
}

// raw sends an unsigned request, for what is answered before authentication
// (routing, health checks) or must fail it.
func (e *env) raw(method, path, contentType string, body []byte) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(e.t, req)
}

// wantError checks an error answer completely: status, code, message (unless
// message is ""), and the envelope of spec section 3 key by key, with
// error.request_id equal to the X-Request-Id header.
func (r response) wantError(t *testing.T, status int, code, message string) response {
	t.Helper()
	r.want(t, status, code)
	if r.JSON == nil {
		t.Fatalf("error body is not a JSON object: %s", r.Body)
	}
	wantKeys(t, "error envelope", r.JSON, "status", "message", "error")
	if r.JSON["status"] != "error" {
		t.Errorf("status = %v, want error; body %s", r.JSON["status"], r.Body)
	}
	msg, ok := r.JSON["message"].(string)
	if !ok || msg == "" {
		t.Errorf("message = %v, want a non-empty string; body %s", r.JSON["message"], r.Body)
	}
	if message != "" && msg != message {
		t.Errorf("message = %q, want %q", msg, message)
	}
	detail, _ := r.JSON["error"].(map[string]any)
	for k := range detail {
		// hint: a 401 of a sandbox server (api-v4.md section 2.5), which
		// the harness serves by default; its content is the hint tests'.
		if k != "code" && k != "fields" && k != "request_id" && !(k == "hint" && r.Status == http.StatusUnauthorized) {
			t.Errorf("error has unexpected key %q; body %s", k, r.Body)
		}
	}
	rid, _ := detail["request_id"].(string)
	if !strings.HasPrefix(rid, "req-") || len(rid) <= len("req-") {
		t.Errorf("error.request_id = %q, want req-...", rid)
	}
	if h := r.Header.Get("X-Request-Id"); h != rid {
		t.Errorf("X-Request-Id = %q, error.request_id = %q: want equal", h, rid)
	}
	if f, ok := detail["fields"]; ok {
		m, isMap := f.(map[string]any)
		if !isMap || len(m) == 0 {
			t.Errorf("error.fields = %v, want a non-empty object when present", f)
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return r
}

// fields returns error.fields (nil when absent).
func (r response) fields() map[string]any {
	detail, _ := r.JSON["error"].(map[string]any)
	f, _ := detail["fields"].(map[string]any)
	return f
}

// wantFields fails unless error.fields names exactly the given fields.
func (r response) wantFields(t *testing.T, names ...string) {
	t.Helper()
	got := slices.Sorted(maps.Keys(r.fields()))
	want := slices.Sorted(slices.Values(names))
	if !slices.Equal(got, want) {
		t.Errorf("error.fields names %v, want %v; body %s", got, want, r.Body)
	}
}

// wantKeys fails unless m has exactly the given keys.
func wantKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	got := slices.Sorted(maps.Keys(m))
	want := slices.Sorted(slices.Values(keys))
	if !slices.Equal(got, want) {
		t.Errorf("%s keys = %v, want %v", what, got, want)
	}
}

// rowCounts is how many users and events the database holds, across programs.
type rowCounts struct{ users, events int }

// counts reads the row counts with portable SQL, to prove a refused call
// wrote nothing.
func (e *env) counts(t *testing.T) rowCounts {
	t.Helper()
	var c rowCounts
	db := e.store.DB()
	if err := db.QueryRow(`SELECT count(*) FROM users`).Scan(&c.users); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM events`).Scan(&c.events); err != nil {
		t.Fatal(err)
	}
	return c
}

// wantNoWrites fails if users or events were written since before.
func (e *env) wantNoWrites(t *testing.T, before rowCounts) {
	t.Helper()
	if after := e.counts(t); after != before {
		t.Errorf("rows (users, events) = %+v, want unchanged %+v", after, before)
	}
}

// create creates a user from body and returns it.
func (c *apiClient) create(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	return c.call("user/create", body).want(t, http.StatusOK, "").user(t)
}

// newUser creates a valid user with email and returns its id.
func (c *apiClient) newUser(t *testing.T, email string) string {
	t.Helper()
	return c.create(t, validUser(email))["id"].(string)
}

// newKYCUser creates a user ready for verification whose SSN ends in last4.
func (c *apiClient) newKYCUser(t *testing.T, email, last4 string) string {
	t.Helper()
	b := validUser(email)
	b["date_of_birth"] = "1990-12-10"
	b["ssn"] = "123-45-" + last4
	return c.create(t, b)["id"].(string)
}

// get reads one user.
func (c *apiClient) get(t *testing.T, id string) map[string]any {
	t.Helper()
	return c.call("user/get", map[string]any{"user_id": id}).want(t, http.StatusOK, "").user(t)
}

// events returns a user's whole audit trail, newest first.
func (c *apiClient) events(t *testing.T, id string) []map[string]any {
	t.Helper()
	return c.call("user/events", map[string]any{"user_id": id, "per_page": 500}).want(t, http.StatusOK, "").items(t)
}

// eventTypes lists the events' types in order.
func eventTypes(evs []map[string]any) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i], _ = ev["type"].(string)
	}
	return out
}

// wantEventTypes fails unless the user's trail is exactly want, newest first.
func (c *apiClient) wantEventTypes(t *testing.T, id string, want ...string) []map[string]any {
	t.Helper()
	evs := c.events(t, id)
	if got := eventTypes(evs); !slices.Equal(got, want) {
		t.Errorf("event types of %s = %v, want %v", id, got, want)
	}
	return evs
}

// ids lists the items' ids in order.
func ids(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it["id"].(string)
	}
	return out
}

// eventually polls cond every 10 ms for up to 5 s: a bounded wait for
// background work (KYC checks), not a timing assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after 5s waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitKYC waits until the user's kyc_status is want and returns the user.
func (c *apiClient) waitKYC(t *testing.T, id, want string) map[string]any {
	t.Helper()
	var u map[string]any
	eventually(t, "kyc_status "+want, func() bool {
		u = c.get(t, id)
		return u["kyc_status"] == want
	})
	return u
}
