package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// delivery is one request a test receiver got.
type delivery struct {
	header http.Header
	body   []byte
	// Decoded: the envelope's event and data.
	Event string         `json:"event"`
	Data  map[string]any `json:"data"`
}

func (d delivery) id() string { return d.header.Get("webhook-id") }

// hookReceiver is a webhook endpoint on loopback: it records every request
// and answers with answer(n) for the n-th (counting from 1).
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []delivery
	answer func(n int) int
}

func newHookReceiver(t *testing.T, answer func(n int) int) *hookReceiver {
	t.Helper()
	r := &hookReceiver{answer: answer}
	if r.answer == nil {
		r.answer = func(int) int { return http.StatusOK }
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		d := delivery{header: req.Header.Clone(), body: b}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Errorf("webhook body is not JSON: %v: %s", err, b)
		}
		r.mu.Lock()
		r.got = append(r.got, d)
		n, answer := len(r.got), r.answer
		r.mu.Unlock()
		w.WriteHeader(answer(n))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// setAnswer changes how the receiver answers from now on.
func (r *hookReceiver) setAnswer(answer func(n int) int) {
	r.mu.Lock()
	r.answer = answer
	r.mu.Unlock()
}

// all returns what the receiver got so far.
func (r *hookReceiver) all() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// of returns the deliveries of one event type, in arrival order.
func (r *hookReceiver) of(typ string) []delivery {
	var out []delivery
	for _, d := range r.all() {
		if d.Event == typ {
			out = append(out, d)
		}
	}
	return out
}

// waitFor waits (bounded) until the receiver got n deliveries of typ and
// returns them.
func (r *hookReceiver) waitFor(t *testing.T, typ string, n int) []delivery {
	t.Helper()
	eventually(t, "webhook "+typ, func() bool { return len(r.of(typ)) >= n })
	return r.of(typ)
}

// webhookEnv starts a sandbox server whose clock is the real time (so
// retries come due) with the retry schedule compressed by scale, and sets
// the program's endpoint to a fresh receiver through the sandbox call.
func webhookEnv(t *testing.T, dsn string, scale float64, answer func(n int) int) (*env, *apiClient, *hookReceiver, string) {
	t.Helper()
	e := &env{t: t, dsn: dsn, key: testKey, logs: &logBuffer{},
		clock: &clock{live: true}, hooks: service.WebhookConfig{AllowPrivate: true, RetryScale: scale}}
	e.start()
	c := e.program("acme")
	rec := newHookReceiver(t, answer)
	ep := c.call("program/webhook/update", map[string]any{"webhook_url": rec.srv.URL + "/hooks"}).want(t, http.StatusOK, "").user(t)
	secret, _ := ep["secret"].(string)
	return e, c, rec, secret
}

// webhookEngines runs fn on each engine's webhook env.
func webhookEngines(t *testing.T, scale float64, answer func(n int) int, fn func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, secret string)) {
	t.Helper()
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			e, c, rec, secret := webhookEnv(t, eng.DSN(t), scale, answer)
			fn(t, e, c, rec, secret)
		})
	}
}

// verify checks a delivery's Standard Webhooks signature with the
// reference library (timestamp within its 5 minutes of now).
func verify(t *testing.T, secret string, d delivery) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(d.body, d.header); err != nil {
		t.Errorf("signature of %s: %v", d.id(), err)
	}
}

// deliveries reads the delivery log with filters.
func (c *apiClient) deliveries(t *testing.T, filter map[string]any) []map[string]any {
	t.Helper()
	if filter == nil {
		filter = map[string]any{}
	}
	filter["per_page"] = 500
	return c.call("webhook/deliveries", filter).want(t, http.StatusOK, "").items(t)
}

// waitDelivery waits until the event's delivery has status and returns it.
func (c *apiClient) waitDelivery(t *testing.T, eventID, status string) map[string]any {
	t.Helper()
	var d map[string]any
	eventually(t, "delivery "+status, func() bool {
		items := c.deliveries(t, map[string]any{"event_id": eventID})
		if len(items) == 1 {
			d = items[0]
		}
		return d != nil && d["status"] == status
	})
	return d
}

// entityNumber reads a user's or business's number from the database.
func (e *env) entityNumber(t *testing.T, table, id string) string {
	t.Helper()
	var n int64
	q := `SELECT entity_number FROM ` + table + ` WHERE id = ?`
	if e.store.Engine() == "postgres" {
		q = `SELECT entity_number FROM ` + table + ` WHERE id = $1`
	}
	if err := e.store.DB().QueryRow(q, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return jsonNumber(n)
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// settle waits a little for background work that should not happen, so a
// test can check that it did not.
func settle() { time.Sleep(200 * time.Millisecond) }
