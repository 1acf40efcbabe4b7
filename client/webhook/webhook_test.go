package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/client/webhook"
	server "github.com/ingot-dev/ingot/internal/webhook"
)

// signed is a delivery as ingot's server signs it.
func signed(t *testing.T, keys [][]byte, at time.Time) (http.Header, []byte) {
	t.Helper()
	e := server.Event{ID: server.NewEventID(time.Now()), Type: server.UserKYCFailed, ResourceID: "user-0190a0b0-0000-7000-8000-000000000001",
		OccurredAt: at, Fields: []server.Field{{Key: "user_id", Value: "42"}, {Key: "reasons", Value: []string{"SSN does not match"}},
			{Key: "reasons_code", Value: []string{"SSN_MISMATCH"}}}}
	body := e.Body()
	h := http.Header{}
	h.Set(webhook.HeaderID, e.ID)
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(webhook.HeaderSignature, server.Sign(keys, e.ID, at, body))
	return h, body
}

func TestVerify(t *testing.T) {
	key, other := server.NewSecret(), server.NewSecret()
	secret := server.FormatSecret(key)
	now := time.Now()
	h, body := signed(t, [][]byte{key}, now)
	if err := webhook.Verify(secret, h, body); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	tampered := []byte(strings.Replace(string(body), `"42"`, `"43"`, 1))
	old, oldBody := signed(t, [][]byte{key}, now.Add(-6*time.Minute))
	rotated, rotBody := signed(t, [][]byte{other, key}, now)
	for _, c := range []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		want   error
	}{
		{"a body changed by one byte", secret, h, tampered, webhook.ErrSignature},
		{"another secret", server.FormatSecret(other), h, body, webhook.ErrSignature},
		{"six minutes old", secret, old, oldBody, webhook.ErrTimestamp},
		{"no headers", secret, http.Header{}, body, webhook.ErrMissingHeaders},
		{"malformed secret", "whsec_%%%", h, body, webhook.ErrSecret},
		{"rotation: the old secret", secret, rotated, rotBody, nil},
		{"rotation: the new secret", server.FormatSecret(other), rotated, rotBody, nil},
	} {
		if err := webhook.Verify(c.secret, c.h, c.body); !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := webhook.VerifyAt(secret, old, oldBody, now.Add(-6*time.Minute)); err != nil {
		t.Errorf("VerifyAt with the delivery's own time: %v", err)
	}
}

func TestParse(t *testing.T) {
	_, body := signed(t, [][]byte{server.NewSecret()}, time.Date(2026, 4, 16, 12, 34, 56, 0, time.UTC))
	ev, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	d := ev.Data
	if ev.Event != webhook.UserKYCFailed || d.EventType != ev.Event || d.UserID != "42" || d.ReasonsCode[0] != "SSN_MISMATCH" ||
		d.Reasons[0] != "SSN does not match" || !strings.HasPrefix(d.EventID, "inn_whe_") || ev.CreatedAt != "16-04-2026 12:34 PM" {
		t.Errorf("Parse = %+v", ev)
	}
	if at, err := ev.Time(); err != nil || !at.Equal(time.Date(2026, 4, 16, 12, 34, 56, 0, time.UTC)) {
		t.Errorf("Time() = %v, %v", at, err)
	}
	for _, bad := range []string{`[]`, `{}`, `{"event":"x","data":{"event_id":"e","event_type":"y"}}`} {
		if _, err := webhook.Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s) succeeded", bad)
		}
	}
}

func TestHandler(t *testing.T) {
	key := server.NewSecret()
	fail := errors.New("not now")
	var calls int
	h := webhook.Handler(server.FormatSecret(key), func(_ context.Context, ev webhook.Event) error {
		calls++
		if calls == 2 {
			return fail
		}
		return nil
	})
	send := func(hdr http.Header, body []byte) int {
		r := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(string(body)))
		r.Header = hdr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		io.Copy(io.Discard, w.Body)
		return w.Code
	}
	hdr, body := signed(t, [][]byte{key}, time.Now())
	for i, want := range []int{http.StatusNoContent, http.StatusInternalServerError} {
		if got := send(hdr, body); got != want {
			t.Errorf("call %d: %d, want %d", i+1, got, want)
		}
	}
	if got := send(hdr, append(body, ' ')); got != http.StatusUnauthorized {
		t.Errorf("changed body: %d, want 401", got)
	}
	if calls != 2 {
		t.Errorf("fn called %d times, want 2 (never for a delivery that does not verify)", calls)
	}
}
