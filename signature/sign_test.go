package signature

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRoundTripServer signs with a real client and verifies inside a real
// server, so RequestURI, Proto and Content-Length handling on the server side
// are the ones net/http actually produces.
func TestRoundTripServer(t *testing.T) {
	type result struct {
		err           error
		signingString string
	}
	results := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			results <- result{err: err}
			return
		}
		a, err := ParseAuthorization(r.Header.Get("Authorization"))
		ss := ""
		if err == nil {
			ss = SigningString(r, a.Headers)
		}
		lookup := lookupFor(map[string]string{testUser: testSecret})
		_, err = Verify(r, body, testNow.Add(2*time.Second), lookup)
		// Whether net/http leaves Content-Length in r.Header is an
		// implementation detail; the result must not depend on it.
		stripped := r.Clone(r.Context())
		stripped.Header.Del("Content-Length")
		if _, err2 := Verify(stripped, body, testNow.Add(2*time.Second), lookup); (err == nil) != (err2 == nil) {
			err = fmt.Errorf("with Content-Length header: %v; without: %v", err, err2)
		}
		results <- result{err, ss}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	tests := []struct {
		name   string
		target string
		body   string
		tamper string // replaces the body after signing when non-empty
		want   error
	}{
		{name: "json body", target: "/api/v4/user/unblock", body: testBody},
		{name: "query string", target: "/api/v4/transactions/search?limit=50&cursor=abc%2Fdef&q=a+b", body: `{"a":1}`},
		{name: "escaped path", target: "/api/v4/users/a%2Fb/cards", body: `{}`},
		{name: "empty body", target: "/api/v4/ping", body: ""},
		{name: "body swapped in transit", target: "/api/v4/user/unblock", body: testBody,
			tamper: strings.Replace(testBody, "user-", "USER-", 1), want: ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodPost, srv.URL+tt.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			ss, err := SignRequest(r, []byte(tt.body), testUser, []byte(testSecret), testNow)
			if err != nil {
				t.Fatal(err)
			}
			if tt.tamper != "" {
				r.Body = io.NopCloser(strings.NewReader(tt.tamper))
			}
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := <-results
			checkErr(t, got.err, tt.want)
			if tt.want == nil && got.signingString != ss {
				t.Errorf("server signing string =\n%s\nclient signed\n%s", got.signingString, ss)
			}
		})
	}
}

func TestSignRequestErrors(t *testing.T) {
	tests := []struct {
		name     string
		r        *http.Request
		username string
		secret   string
	}{
		{"nil request", nil, testUser, testSecret},
		{"empty secret", httptest.NewRequest(http.MethodPost, "/", nil), testUser, ""},
		{"empty username", httptest.NewRequest(http.MethodPost, "/", nil), "", testSecret},
		{"quote in username", httptest.NewRequest(http.MethodPost, "/", nil), `a"b`, testSecret},
		{"newline in username", httptest.NewRequest(http.MethodPost, "/", nil), "a\nb", testSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := SignRequest(tt.r, nil, tt.username, []byte(tt.secret), testNow); err == nil {
				t.Error("got success, want an error")
			}
		})
	}
}

func TestSignRequestKeepsContentType(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Content-Type", "application/vnd.ingo+json")
	if _, err := SignRequest(r, nil, testUser, []byte(testSecret), testNow); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Header.Get("Content-Type"), "application/vnd.ingo+json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Headers, RequiredHeaders) {
		t.Errorf("signed headers = %q, want %q", a.Headers, RequiredHeaders)
	}
}
