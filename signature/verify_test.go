package signature

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var (
	testNow    = time.Date(2026, time.November, 23, 20, 0, 0, 0, time.UTC)
	testUser   = "hmac-demo"
	testSecret = "demo-secret"
	testBody   = `{"user_id":"user-0b5a3c1e-8f55-4a59-9a57-6a3f0e1f2d3c"}`
	kinds      = []error{ErrNoAuthorization, ErrBadDate, ErrCannotVerify, ErrMismatch}
)

func lookupFor(users map[string]string) func(string) ([]byte, error) {
	return func(u string) ([]byte, error) {
		s, ok := users[u]
		if !ok {
			return nil, ErrUnknownUsername
		}
		return []byte(s), nil
	}
}

// newSigned returns a server-side request signed by SignRequest at testNow.
func newSigned(t *testing.T) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/api/v4/user/unblock", nil)
	if _, err := SignRequest(r, []byte(testBody), testUser, []byte(testSecret), testNow); err != nil {
		t.Fatalf("SignRequest: %v", err)
	}
	return r
}

// resign replaces r's Authorization with a correct signature over headers,
// so a test can isolate a single policy violation from signature errors.
func resign(t *testing.T, r *http.Request, username, algorithm, secret string, headers ...string) {
	t.Helper()
	a := Authorization{
		Username:  username,
		Algorithm: algorithm,
		Headers:   headers,
		Signature: Sign([]byte(secret), SigningString(r, headers)),
	}
	r.Header.Set("Authorization", a.String())
}

func resignDefault(t *testing.T, r *http.Request, headers ...string) {
	t.Helper()
	resign(t, r, testUser, Algorithm, testSecret, headers...)
}

// checkErr asserts err is want (nil, or one of the kinds), and never one of
// the other kinds, since the HTTP layer picks the first kind that matches.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("got error %v, want success", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want errors.Is(err, %v)", err, want)
	}
	for _, k := range kinds {
		if k != want && errors.Is(err, k) {
			t.Errorf("error %v also matches %v", err, k)
		}
	}
}

func TestVerify(t *testing.T) {
	defaultLookup := lookupFor(map[string]string{testUser: testSecret})
	tests := []struct {
		name   string
		setup  func(t *testing.T, r *http.Request, body *string)
		now    time.Time // zero means testNow
		lookup func(string) ([]byte, error)
		want   error
	}{
		{name: "valid", want: nil},
		{name: "missing authorization", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Del("Authorization")
		}, want: ErrNoAuthorization},
		{name: "garbage authorization", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("Authorization", "Basic aGVsbG86d29ybGQ=")
		}, want: ErrNoAuthorization},
		{name: "hmac with junk", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("Authorization", "hmac ☃")
		}, want: ErrNoAuthorization},
		{name: "missing signature param", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("Authorization", `hmac username="hmac-demo", algorithm="hmac-sha512", headers="request-line x-date content-sha512"`)
		}, want: ErrNoAuthorization},
		{name: "two authorization headers", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Add("Authorization", r.Header.Get("Authorization"))
		}, want: ErrNoAuthorization},
		{name: "wrong algorithm", setup: func(t *testing.T, r *http.Request, _ *string) {
			resign(t, r, testUser, "hmac-sha256", testSecret, RequiredHeaders...)
		}, want: ErrCannotVerify},
		{name: "algorithm in upper case", setup: func(t *testing.T, r *http.Request, _ *string) {
			resign(t, r, testUser, "HMAC-SHA512", testSecret, RequiredHeaders...)
		}, want: nil},
		{name: "request-line not signed", setup: func(t *testing.T, r *http.Request, _ *string) {
			resignDefault(t, r, "x-date", "content-type", "content-sha512", "content-length")
		}, want: ErrCannotVerify},
		{name: "x-date not signed", setup: func(t *testing.T, r *http.Request, _ *string) {
			resignDefault(t, r, "request-line", "content-type", "content-sha512", "content-length")
		}, want: ErrCannotVerify},
		{name: "content-sha512 not signed", setup: func(t *testing.T, r *http.Request, _ *string) {
			resignDefault(t, r, "request-line", "x-date", "content-type", "content-length")
		}, want: ErrCannotVerify},
		{name: "date signed but x-date used", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("Date", r.Header.Get("X-Date"))
			resignDefault(t, r, "request-line", "date", "content-sha512")
		}, want: ErrCannotVerify},
		{name: "minimal signed set", setup: func(t *testing.T, r *http.Request, _ *string) {
			resignDefault(t, r, "request-line", "x-date", "content-sha512")
		}, want: nil},
		{name: "extra headers in another order", setup: func(t *testing.T, r *http.Request, _ *string) {
			resignDefault(t, r, "content-length", "host", "x-date", "content-type", "content-sha512", "request-line")
		}, want: nil},
		{name: "mixed-case header names", setup: func(t *testing.T, r *http.Request, _ *string) {
			resignDefault(t, r, "Request-Line", "X-Date", "Content-SHA512")
		}, want: nil},
		{name: "date missing", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Del("X-Date")
		}, want: ErrBadDate},
		{name: "date ISO 8601", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("X-Date", "2026-11-23T20:00:00Z")
		}, want: ErrBadDate},
		{name: "date in UTC not GMT", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("X-Date", "Mon, 23 Nov 2026 20:00:00 UTC")
		}, want: ErrBadDate},
		{name: "date with wrong weekday", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("X-Date", "Tue, 23 Nov 2026 20:00:00 GMT")
		}, want: ErrBadDate},
		{name: "two x-date headers", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Add("X-Date", r.Header.Get("X-Date"))
		}, want: ErrBadDate},
		{name: "exactly MaxSkew old", now: testNow.Add(300 * time.Second), want: nil},
		{name: "one second too old", now: testNow.Add(301 * time.Second), want: ErrBadDate},
		{name: "exactly MaxSkew in future", now: testNow.Add(-300 * time.Second), want: nil},
		{name: "one second too far in future", now: testNow.Add(-301 * time.Second), want: ErrBadDate},
		{name: "Date used when X-Date absent", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("Date", r.Header.Get("X-Date"))
			r.Header.Del("X-Date")
			resignDefault(t, r, "request-line", "date", "content-sha512")
		}, want: nil},
		{name: "Date too old when X-Date absent", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("Date", testNow.Add(-time.Hour).Format(http.TimeFormat))
			r.Header.Del("X-Date")
			resignDefault(t, r, "request-line", "date", "content-sha512")
		}, want: ErrBadDate},
		{name: "bad X-Date does not fall back to Date", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("Date", r.Header.Get("X-Date"))
			r.Header.Set("X-Date", "yesterday")
		}, want: ErrBadDate},
		{name: "unknown username", setup: func(t *testing.T, r *http.Request, _ *string) {
			resign(t, r, "nobody", Algorithm, testSecret, RequiredHeaders...)
		}, want: ErrCannotVerify},
		{name: "lookup wraps ErrUnknownUsername", lookup: func(string) ([]byte, error) {
			return nil, fmt.Errorf("store: no row: %w", ErrUnknownUsername)
		}, want: ErrCannotVerify},
		{name: "tampered body", setup: func(t *testing.T, r *http.Request, body *string) {
			*body = strings.Replace(*body, "0b5a", "0b5b", 1)
		}, want: ErrMismatch},
		{name: "tampered path", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.RequestURI = "/api/v4/user/block"
		}, want: ErrMismatch},
		{name: "query added", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.RequestURI += "?force=true"
		}, want: ErrMismatch},
		{name: "wrong secret", lookup: lookupFor(map[string]string{testUser: "other-secret"}), want: ErrMismatch},
		{name: "signature not base64", setup: func(t *testing.T, r *http.Request, _ *string) {
			a, _ := ParseAuthorization(r.Header.Get("Authorization"))
			a.Signature = "not*base64!"
			r.Header.Set("Authorization", a.String())
		}, want: ErrMismatch},
		{name: "missing content-sha512", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Del("Content-Sha512")
		}, want: ErrMismatch},
		{name: "signed content-sha512 of another body", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("Content-Sha512", ContentDigest([]byte("{}")))
			resignDefault(t, r, RequiredHeaders...)
		}, want: ErrMismatch},
		{name: "content-type changed", setup: func(t *testing.T, r *http.Request, _ *string) {
			r.Header.Set("Content-Type", "text/plain")
		}, want: ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newSigned(t)
			body := testBody
			if tt.setup != nil {
				tt.setup(t, r, &body)
			}
			now := tt.now
			if now.IsZero() {
				now = testNow
			}
			lookup := tt.lookup
			if lookup == nil {
				lookup = defaultLookup
			}
			a, err := Verify(r, []byte(body), now, lookup)
			checkErr(t, err, tt.want)
			if err == nil && a.Username != testUser {
				t.Errorf("Username = %q, want %q", a.Username, testUser)
			}
		})
	}
}

func TestVerifyUnknownUsernameKeepsCause(t *testing.T) {
	r := newSigned(t)
	_, err := Verify(r, []byte(testBody), testNow, lookupFor(nil))
	if !errors.Is(err, ErrUnknownUsername) {
		t.Errorf("got %v, want it to wrap ErrUnknownUsername too", err)
	}
}

// TestVerifyLookupFailure makes sure an outage is not reported to the
// client as a credential problem: it must not match any failure kind.
func TestVerifyLookupFailure(t *testing.T) {
	outage := errors.New("database is down")
	tests := []struct {
		name   string
		lookup func(string) ([]byte, error)
		is     error
	}{
		{"store error", func(string) ([]byte, error) { return nil, outage }, outage},
		{"empty secret", func(string) ([]byte, error) { return nil, nil }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(newSigned(t), []byte(testBody), testNow, tt.lookup)
			if err == nil {
				t.Fatal("got success, want an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("got %v, want it to wrap %v", err, tt.is)
			}
			for _, k := range kinds {
				if errors.Is(err, k) {
					t.Errorf("got %v, which matches %v; want an unclassified error", err, k)
				}
			}
		})
	}
}

// TestVerifyOrder pins the check order: a request with several faults gets
// the earliest one, and the secret store is not consulted for requests that
// fail before the lookup step.
func TestVerifyOrder(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T, r *http.Request)
		want       error
		wantLookup bool
	}{
		{"no auth beats bad date", func(t *testing.T, r *http.Request) {
			r.Header.Del("Authorization")
			r.Header.Del("X-Date")
		}, ErrNoAuthorization, false},
		{"bad date beats bad algorithm", func(t *testing.T, r *http.Request) {
			resign(t, r, testUser, "hmac-md5", testSecret, RequiredHeaders...)
			r.Header.Set("X-Date", "soon")
		}, ErrBadDate, false},
		{"bad algorithm beats unknown user", func(t *testing.T, r *http.Request) {
			resign(t, r, "nobody", "hmac-md5", testSecret, RequiredHeaders...)
		}, ErrCannotVerify, false},
		{"unsigned header beats unknown user", func(t *testing.T, r *http.Request) {
			resign(t, r, "nobody", Algorithm, testSecret, "x-date", "content-sha512")
		}, ErrCannotVerify, false},
		{"lookup consulted once the request is acceptable", func(t *testing.T, r *http.Request) {}, ErrMismatch, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newSigned(t)
			tt.setup(t, r)
			called := false
			lookup := func(u string) ([]byte, error) {
				called = true
				return lookupFor(map[string]string{testUser: testSecret})(u)
			}
			_, err := Verify(r, []byte("tampered"), testNow, lookup)
			checkErr(t, err, tt.want)
			if called != tt.wantLookup {
				t.Errorf("lookup called = %v, want %v", called, tt.wantLookup)
			}
		})
	}
}
