package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/client"
	"github.com/ingot-dev/ingot/signature"
)

const (
	fakeUser   = "hu_fake"
	fakeSecret = "fake-secret"
)

// attempt is what a fake server saw in one request.
type attempt struct {
	path  string
	xdate string
	body  map[string]any
	// signed is whether the request carried a valid signature and API key.
	signed bool
}

// fake is a scripted server: answer n (0-based) is script(n), and every
// request is recorded after its signature is checked.
type fake struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []attempt
}

func newFake(t *testing.T, script func(n int, w http.ResponseWriter)) *fake {
	t.Helper()
	f := &fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		_, verr := signature.Verify(r, raw, time.Now(), func(u string) ([]byte, error) {
			if u != fakeUser {
				return nil, signature.ErrUnknownUsername
			}
			return []byte(fakeSecret), nil
		})
		a := attempt{path: r.URL.Path, xdate: r.Header.Get("X-Date"),
			signed: verr == nil && r.Header.Get("api_key") == "ak_fake" && r.Method == http.MethodPost &&
				r.Header.Get("Content-Type") == "application/json"}
		_ = json.Unmarshal(raw, &a.body)
		f.mu.Lock()
		n := len(f.got)
		f.got = append(f.got, a)
		f.mu.Unlock()
		script(n, w)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) attempts() []attempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.got)
}

// client returns a client of the fake with tiny backoff, so retries are fast.
func (f *fake) client(opts ...client.Option) *client.Client {
	opts = append([]client.Option{client.WithBackoff(time.Millisecond, 2*time.Millisecond)}, opts...)
	return client.New(f.srv.URL, "ak_fake", fakeUser, fakeSecret, opts...)
}

// okUser answers a single-object success envelope.
func okUser(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(apitype.Envelope[apitype.Page[apitype.User]]{
		Status: "success", Message: "operation completed",
		Data: apitype.Page[apitype.User]{Items: []apitype.User{{ID: "user-1", Status: "active", KYCStatus: "not_started"}},
			Pagination: apitype.Pagination{Page: 1, PerPage: 1, Total: 1}},
	})
}

// failThen answers status for the first n requests, then okUser.
func failThen(n, status int) func(int, http.ResponseWriter) {
	return func(i int, w http.ResponseWriter) {
		if i < n {
			w.WriteHeader(status)
			return
		}
		okUser(w)
	}
}

func TestRetryMutationKeepsIdempotentKey(t *testing.T) {
	f := newFake(t, failThen(2, http.StatusServiceUnavailable))
	// A clock that moves a second per signature shows each attempt is
	// signed afresh.
	var tick atomic.Int64
	start := time.Now()
	c := f.client(client.WithClock(func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Second) }))

	u, err := c.CreateUser(context.Background(), validUser("ada@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "user-1" {
		t.Errorf("user = %+v", u)
	}
	got := f.attempts()
	if len(got) != 3 {
		t.Fatalf("attempts = %d, want 3", len(got))
	}
	key, _ := got[0].body["idempotent_key"].(string)
	if len(key) != 32 {
		t.Errorf("idempotent_key = %q, want 32 hex characters", key)
	}
	for i, a := range got {
		if a.body["idempotent_key"] != key {
			t.Errorf("attempt %d idempotent_key = %v, want %q", i, a.body["idempotent_key"], key)
		}
		if !a.signed || a.path != "/api/v4/user/create" {
			t.Errorf("attempt %d: signed=%v path=%s", i, a.signed, a.path)
		}
		if i > 0 && a.xdate == got[i-1].xdate {
			t.Errorf("attempt %d reuses X-Date %s: not re-signed", i, a.xdate)
		}
	}

	// The next logical call gets a key of its own.
	if _, err := c.BlockUser(context.Background(), "user-1", ""); err != nil {
		t.Fatal(err)
	}
	if k := f.attempts()[3].body["idempotent_key"]; k == key || k == "" || k == nil {
		t.Errorf("second call's idempotent_key = %v, want a new one", k)
	}
}

func TestRetryUsesCallersIdempotentKey(t *testing.T) {
	f := newFake(t, failThen(1, http.StatusBadGateway))
	req := apitype.UpdateUserRequest{UserID: "user-1", City: ptr("Oakland")}
	req.IdempotentKey = "my-key-1"
	if _, err := f.client().UpdateUser(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	for i, a := range f.attempts() {
		if a.body["idempotent_key"] != "my-key-1" {
			t.Errorf("attempt %d idempotent_key = %v, want my-key-1", i, a.body["idempotent_key"])
		}
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"status":"error","message":"rate limited","error":{"code":"rate_limited","request_id":"req-1"}}`)
			return
		}
		okUser(w)
	})
	start := time.Now()
	if _, err := f.client().GetUser(context.Background(), "user-1"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.attempts()); n != 2 {
		t.Errorf("attempts = %d, want 2", n)
	}
	// The backoff is 1-2ms, so only Retry-After explains this wait.
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("retried after %v, want Retry-After's 1s", d)
	}
}

func TestNoRetryOf4xx(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"status":"error","message":"validation failed","error":{"code":"invalid","fields":{"email":"must be a valid email address"},"request_id":"req-9"}}`)
	})
	_, err := f.client().CreateUser(context.Background(), validUser("x"))
	e := wantAPIError(t, err, 400, client.ErrInvalid)
	if e.Fields["email"] != "must be a valid email address" || e.RequestID != "req-9" || e.Message != "validation failed" {
		t.Errorf("error = %#v", e)
	}
	if n := len(f.attempts()); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestRetriesExhausted(t *testing.T) {
	f := newFake(t, failThen(100, http.StatusInternalServerError))
	_, err := f.client(client.WithMaxRetries(2)).ListUsers(context.Background(), apitype.ListUsersRequest{})
	wantAPIError(t, err, 500, client.ErrInternal)
	if n := len(f.attempts()); n != 3 {
		t.Errorf("attempts = %d, want 3 (1 + 2 retries)", n)
	}
}

func TestNonJSONErrorBody(t *testing.T) {
	for _, tt := range []struct {
		status   int
		sentinel error
	}{
		{http.StatusBadGateway, client.ErrInternal},
		{http.StatusNotFound, client.ErrNotFound},
		{http.StatusRequestEntityTooLarge, client.ErrTooLarge},
	} {
		f := newFake(t, func(n int, w http.ResponseWriter) {
			w.Header().Set("X-Request-Id", "req-proxy")
			w.WriteHeader(tt.status)
			io.WriteString(w, "<html>proxy error</html>")
		})
		_, err := f.client(client.WithMaxRetries(0)).GetUser(context.Background(), "user-1")
		if e := wantAPIError(t, err, tt.status, tt.sentinel); e.RequestID != "req-proxy" {
			t.Errorf("RequestID = %q, want the X-Request-Id header", e.RequestID)
		}
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFake(t, func(n int, w http.ResponseWriter) {
		w.WriteHeader(http.StatusServiceUnavailable)
		// The caller gives up while the client waits out a minute's backoff.
		time.AfterFunc(50*time.Millisecond, cancel)
	})
	c := client.New(f.srv.URL, "ak_fake", fakeUser, fakeSecret, client.WithBackoff(time.Minute, time.Minute))
	start := time.Now()
	_, err := c.GetUser(ctx, "user-1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(f.attempts()); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("returned after %v: waited out the backoff", d)
	}
}

func TestDoRetriesOnlyWhenSafe(t *testing.T) {
	ctx := context.Background()
	t.Run("raw read is retried", func(t *testing.T) {
		f := newFake(t, failThen(1, http.StatusServiceUnavailable))
		if err := f.client().Do(ctx, "user/get", []byte(`{"user_id":"user-1"}`), nil); err != nil {
			t.Fatal(err)
		}
		if n := len(f.attempts()); n != 2 {
			t.Errorf("attempts = %d, want 2", n)
		}
	})
	t.Run("raw mutation is sent once", func(t *testing.T) {
		f := newFake(t, failThen(1, http.StatusServiceUnavailable))
		err := f.client().Do(ctx, "/api/v4/user/block", []byte(`{"user_id":"user-1"}`), nil)
		// A bare 503 is code unavailable (api-v4.md section 3).
		wantAPIError(t, err, 503, client.ErrUnavailable)
		if n := len(f.attempts()); n != 1 {
			t.Errorf("attempts = %d, want 1", n)
		}
	})
	t.Run("unknown struct mutation is sent once", func(t *testing.T) {
		f := newFake(t, failThen(1, http.StatusServiceUnavailable))
		body := struct {
			UserID string `json:"user_id"`
		}{"user-1"}
		if err := f.client().Do(ctx, "user/unblock", body, nil); err == nil {
			t.Fatal("want the 503")
		}
		if n := len(f.attempts()); n != 1 {
			t.Errorf("attempts = %d, want 1", n)
		}
	})
	t.Run("keyed mutation is retried with one key", func(t *testing.T) {
		f := newFake(t, failThen(2, http.StatusServiceUnavailable))
		req := &apitype.BlockUserRequest{UserID: "user-1"}
		if err := f.client().Do(ctx, "user/block", req, nil); err != nil {
			t.Fatal(err)
		}
		if req.IdempotentKey != "" {
			t.Error("Do set a key in the caller's struct")
		}
		got := f.attempts()
		if len(got) != 3 || got[0].body["idempotent_key"] == nil ||
			got[0].body["idempotent_key"] != got[1].body["idempotent_key"] || got[1].body["idempotent_key"] != got[2].body["idempotent_key"] {
			t.Errorf("attempts = %+v, want 3 with one idempotent_key", got)
		}
	})
	t.Run("reads carry no key", func(t *testing.T) {
		f := newFake(t, failThen(0, 0))
		if _, err := f.client().GetUser(ctx, "user-1"); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.attempts()[0].body["idempotent_key"]; ok {
			t.Error("GetUser sent an idempotent_key")
		}
	})
}

func TestRetryTransportError(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			// Drop the connection without an answer.
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		okUser(w)
	})
	if _, err := f.client().UnblockUser(context.Background(), "user-1", "ok"); err != nil {
		t.Fatal(err)
	}
	got := f.attempts()
	if len(got) != 2 || got[0].body["idempotent_key"] != got[1].body["idempotent_key"] {
		t.Errorf("attempts = %+v, want 2 with one idempotent_key", got)
	}
}

func TestSingleObjectNeedsOneItem(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter) {
		io.WriteString(w, `{"status":"success","message":"operation completed","data":{"items":[],"pagination":{"page":1,"per_page":1,"total":0}}}`)
	})
	if _, err := f.client().GetUser(context.Background(), "user-1"); err == nil {
		t.Error("GetUser with no items succeeded")
	}
}
