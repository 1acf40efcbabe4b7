package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/client/webhook"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// receiver is a webhook endpoint on loopback for the binary's deliveries:
// it counts every request per event id, verifies signatures once the
// secret is known, and answers as answer says (200 when nil).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	counts map[string]int
	total  int
	secret string
	bad    int // deliveries whose signature did not verify
	answer func(id string) int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, counts: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		id := req.Header.Get("webhook-id")
		r.mu.Lock()
		r.counts[id]++
		r.total++
		if r.secret != "" {
			if err := webhook.Verify(r.secret, req.Header, body); err != nil {
				r.bad++
			}
		}
		answer := r.answer
		r.mu.Unlock()
		status := http.StatusOK
		if answer != nil {
			status = answer(id)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) snapshot() (map[string]int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.counts))
	for k, v := range r.counts {
		out[k] = v
	}
	return out, r.total
}

func (r *receiver) setAnswer(f func(id string) int) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

// committedEvents reads every webhook event id the database holds.
func committedEvents(t *testing.T, dsn string) []string {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.DB().Query(`SELECT id FROM webhook_events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return ids
}

// undelivered counts the deliveries not recorded delivered.
func undelivered(t *testing.T, dsn string) int {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM webhook_events WHERE status <> 'delivered'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitAllDelivered waits (up to limit) until the receiver has had every id
// at least once.
func waitAllDelivered(t *testing.T, r *receiver, ids []string, limit time.Duration) map[string]int {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		got, _ := r.snapshot()
		missing := 0
		for _, id := range ids {
			if got[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d committed events never delivered within %v", missing, len(ids), limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWebhookCLI: program webhook set, show, rotate-secret and delete
// through the binary, and the address rules of webhooks.md section 1
// outside the sandbox.
func TestWebhookCLI(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv()
			creds := createProgram(t, env, "hooks", "--db", dsn)
			wh := func(args ...string) cliResult {
				return runCLI(t, env, append([]string{"program", "webhook"}, append(args, "--db", dsn)...)...)
			}
			// Outside the sandbox: private and loopback addresses, named
			// or literal, are refused (exit 2, naming --url).
			for _, u := range []string{"http://127.0.0.1:8080/h", "http://10.1.2.3/h", "http://169.254.169.254/latest/meta-data/",
				"http://[::1]:9000/h", "http://localhost:9000/h", "http://0.0.0.0/", "http://[::ffff:10.0.0.1]/"} {
				r := wh("set", "--program", creds.ProgramID, "--url", u)
				if r.code != 2 || !strings.Contains(r.stderr, "--url") || !strings.Contains(r.stderr, "address") {
					t.Errorf("set %s: exit %d, stderr %q; want 2, refused for its address", u, r.code, r.stderr)
				}
			}
			if r := wh("show", "--program", creds.ProgramID); r.code != 1 || !strings.Contains(r.stderr, "no webhook endpoint") {
				t.Errorf("show before set: exit %d %q", r.code, r.stderr)
			}
			// A public address needs no resolver; the secret is shown once.
			r := wh("set", "--program", creds.ProgramID, "--url", "https://93.184.216.34/hooks", "--events", "user.blocked,user.unblocked", "--json")
			var out struct {
				URL, Status, Secret string
				Events              []string
			}
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil {
				t.Fatalf("set: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if out.URL != "https://93.184.216.34/hooks" || out.Status != "enabled" || !strings.HasPrefix(out.Secret, "whsec_") || len(out.Events) != 2 {
				t.Errorf("set printed %+v", out)
			}
			r = wh("set", "--program", creds.ProgramID, "--url", "https://93.184.216.34/other")
			if r.code != 0 || strings.Contains(r.stdout, "whsec_") || !strings.Contains(r.stdout, "unchanged") {
				t.Errorf("second set: exit %d, %q; want the secret kept and not shown", r.code, r.stdout)
			}
			if r := wh("set", "--program", creds.ProgramID, "--url", "https://93.184.216.34/", "--events", "user.created"); r.code != 2 || !strings.Contains(r.stderr, "--events") {
				t.Errorf("unknown event type: exit %d %q", r.code, r.stderr)
			}
			// --sandbox (or --webhook-allow-private) accepts loopback.
			if r := wh("set", "--program", creds.ProgramID, "--url", "http://127.0.0.1:9/h", "--webhook-allow-private"); r.code != 0 {
				t.Errorf("allow private: exit %d %q", r.code, r.stderr)
			}
			r = wh("rotate-secret", "--program", creds.ProgramID)
			if r.code != 0 || !strings.Contains(r.stdout, "whsec_") {
				t.Errorf("rotate-secret: exit %d %q", r.code, r.stdout)
			}
			r = wh("show", "--program", creds.ProgramID)
			if r.code != 0 || strings.Contains(r.stdout, "whsec_") || !strings.Contains(r.stdout, "http://127.0.0.1:9/h") ||
				!strings.Contains(r.stdout, "signs until") || !strings.Contains(r.stdout, "status:  enabled") {
				t.Errorf("show: exit %d\n%s", r.code, r.stdout)
			}
			if r := wh("delete", "--program", creds.ProgramID); r.code != 0 {
				t.Errorf("delete: exit %d %q", r.code, r.stderr)
			}
			if r := wh("delete", "--program", creds.ProgramID); r.code != 1 {
				t.Errorf("second delete: exit %d, want 1", r.code)
			}
			if r := wh("set", "--program", "prog-nope", "--url", "https://93.184.216.34/"); r.code != 1 || !strings.Contains(r.stderr, "program not found") {
				t.Errorf("unknown program: exit %d %q", r.code, r.stderr)
			}
			if r := wh("set", "--program", creds.ProgramID); r.code != 2 {
				t.Errorf("set without --url: exit %d, want 2", r.code)
			}
		})
	}
}

// TestWebhookSurvivesSIGKILL: events committed while the receiver holds
// every request (so some attempts are in flight and the rest wait
// unattempted) are all delivered after the server is killed with SIGKILL
// and started again; none is lost, and the duplicates (attempts cut short
// by the kill, made again when their lease ends) are counted.
func TestWebhookSurvivesSIGKILL(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv()
			creds := createProgram(t, env, "crash", "--db", dsn)
			rec := newReceiver(t)
			hold := make(chan struct{})
			rec.setAnswer(func(string) int { <-hold; return http.StatusOK })
			defer func() {
				select {
				case <-hold:
				default:
					close(hold)
				}
			}()
			args := []string{"--sandbox", "--db", dsn, "--webhook-url", rec.srv.URL, "--webhook-retry-scale", "0.001"}
			srv := startServe(t, env, false, args...)
			c := newClient(t, srv, creds)
			const users = 40
			for i := range users {
				id := firstItemID(c.call("user/create", newUserBody(fmt.Sprintf("k%d@example.com", i), "")).ok(t).json)
				c.call("user/block", map[string]any{"user_id": id}).ok(t)
				c.call("user/unblock", map[string]any{"user_id": id}).ok(t)
			}
			// Some attempts are in flight (held), the rest wait.
			deadline := time.Now().Add(10 * time.Second)
			for _, n := rec.snapshot(); n == 0 && time.Now().Before(deadline); _, n = rec.snapshot() {
				time.Sleep(10 * time.Millisecond)
			}
			if err := srv.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-srv.done
			_, inFlight := rec.snapshot()
			close(hold)
			ids := committedEvents(t, dsn)
			if len(ids) != 2*users {
				t.Fatalf("%d webhook events committed, want %d (one per acknowledged block and unblock)", len(ids), 2*users)
			}
			if inFlight == 0 || inFlight >= len(ids) {
				t.Fatalf("%d attempts in flight at the kill, want some but not all of %d", inFlight, len(ids))
			}

			start := time.Now()
			startServe(t, env, false, args...)
			waitAllDelivered(t, rec, ids, 60*time.Second)
			// On PostgreSQL the events were committed born claimed by the
			// killed process (the ones it had not attempted yet too):
			// every delivery it had not recorded is made again when its
			// lease (30 s) ends, and only then is every delivery recorded
			// delivered. On SQLite they had no job row: the restart finds
			// them by their handed mark and delivers them at once.
			for undelivered(t, dsn) > 0 {
				if time.Since(start) > 60*time.Second {
					t.Fatalf("%d deliveries not recorded delivered 60 s after the restart", undelivered(t, dsn))
				}
				time.Sleep(200 * time.Millisecond)
			}
			got, _ := rec.snapshot()
			dups := 0
			for _, id := range ids {
				dups += got[id] - 1
			}
			t.Logf("%s: %d events, %d attempts in flight at SIGKILL, %d delivered twice, all recorded %v after the restart",
				eng.Name, len(ids), inFlight, dups, time.Since(start).Round(time.Second))
			if dups != inFlight {
				t.Errorf("%d duplicates, want the %d attempts cut short, each made once more", dups, inFlight)
			}
		})
	}
}

// TestWebhookTwoProcesses: two servers on one PostgreSQL deliver 1,000
// events between them; each is delivered, and no attempt is made by both
// (the receiver, which always acknowledges, gets every event exactly once).
func TestWebhookTwoProcesses(t *testing.T) {
	var pg *testenv.Engine
	for _, eng := range testenv.Engines() {
		if eng.Name == "postgres" {
			pg = &eng
		}
	}
	if pg == nil {
		t.Skip("needs PostgreSQL")
	}
	dsn := pg.DSN(t)
	env := childEnv()
	creds := createProgram(t, env, "two", "--db", dsn)
	rec := newReceiver(t)
	args := []string{"--sandbox", "--db", dsn, "--webhook-url", rec.srv.URL}
	a := startServe(t, env, false, args...)
	b := startServe(t, env, false, args...)
	const users, events = 250, 1000
	var wg sync.WaitGroup
	for w, s := range []*server{a, b} {
		wg.Go(func() {
			c := newClient(t, s, creds)
			for i := w; i < users; i += 2 {
				id := firstItemID(c.call("user/create", newUserBody(fmt.Sprintf("p%d@example.com", i), "")).ok(t).json)
				for range events / users / 2 {
					c.call("user/block", map[string]any{"user_id": id}).ok(t)
					c.call("user/unblock", map[string]any{"user_id": id}).ok(t)
				}
			}
		})
	}
	wg.Wait()
	ids := committedEvents(t, dsn)
	if len(ids) != events {
		t.Fatalf("%d events committed, want %d", len(ids), events)
	}
	waitAllDelivered(t, rec, ids, 60*time.Second)
	for deadline := time.Now().Add(10 * time.Second); undelivered(t, dsn) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries not recorded delivered", undelivered(t, dsn))
		}
	}
	got, total := rec.snapshot()
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("event %s delivered %d times, want once", id, got[id])
		}
	}
	if total != events {
		t.Errorf("%d requests for %d events", total, events)
	}
	// Both processes made attempts.
	for name, s := range map[string]*server{"a": a, "b": b} {
		n := metricSum(t, s, `ingot_webhook_attempts_total{event_type="user.`)
		t.Logf("process %s made %d attempts", name, n)
		if n == 0 {
			t.Errorf("process %s made no attempt: the test did not exercise two processes", name)
		}
	}
}

// metricSum adds up the /metrics samples whose line starts with prefix.
func metricSum(t *testing.T, s *server, prefix string) int {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n := 0
	for line := range strings.Lines(string(b)) {
		if strings.HasPrefix(line, prefix) {
			var v float64
			f := strings.Fields(line)
			fmt.Sscan(f[len(f)-1], &v)
			n += int(v)
		}
	}
	return n
}

// TestWebhookAttemptRefusesPrivate: an endpoint on loopback (set by an
// operator who allowed it) is still refused at every attempt by a server
// that does not allow private addresses; the receiver is never called and
// the log says why.
func TestWebhookAttemptRefusesPrivate(t *testing.T) {
	dsn := t.TempDir() + "/ingot.db"
	env := childEnv("INGOT_MASTER_KEY=" + randomMasterKey(t))
	creds := createProgram(t, env, "private", "--db", dsn)
	rec := newReceiver(t)
	if r := runCLI(t, env, "program", "webhook", "set", "--program", creds.ProgramID, "--url", rec.srv.URL,
		"--webhook-allow-private", "--db", dsn); r.code != 0 {
		t.Fatalf("set: exit %d %s", r.code, r.stderr)
	}
	srv := startServe(t, env, false, "--db", dsn)
	c := newClient(t, srv, creds)
	id := firstItemID(c.call("user/create", newUserBody("p@example.com", "")).ok(t).json)
	c.call("user/block", map[string]any{"user_id": id}).ok(t)
	var d map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		items := c.call("webhook/deliveries", map[string]any{}).ok(t).items(t)
		if len(items) == 1 && items[0]["attempts"] == 1.0 {
			d = items[0]
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d == nil || d["status"] != "pending" || !strings.Contains(d["last_error"].(string), "refused: forbidden address") ||
		!strings.Contains(d["last_error"].(string), "loopback") || d["last_status_code"] != 0.0 {
		t.Errorf("delivery %v, want the attempt refused for a loopback address", d)
	}
	if _, n := rec.snapshot(); n != 0 {
		t.Errorf("receiver got %d requests, want 0", n)
	}
}

// TestServeWebhookFlags: the sandbox-only flags are refused elsewhere.
func TestServeWebhookFlags(t *testing.T) {
	env := childEnv("INGOT_MASTER_KEY=" + randomMasterKey(t))
	for _, args := range [][]string{
		{"serve", "--webhook-url", "http://127.0.0.1:9/"},
		{"serve", "--webhook-retry-scale", "0.01"},
		{"serve", "--sandbox", "--webhook-retry-scale", "0"},
	} {
		if r := runCLI(t, env, args...); r.code != 2 || !strings.Contains(r.stderr, "webhook") {
			t.Errorf("%v: exit %d %q, want 2", args, r.code, r.stderr)
		}
	}
}
