package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/signature"
)

// rawSigned sends body to the server with the request target written on the
// wire exactly as target, signed over the request line signedTarget, and
// returns the answer. A raw connection, because net/http's client cleans and
// rewrites targets.
func rawSigned(t *testing.T, c *apiClient, target, signedTarget string, body []byte, extra http.Header) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://ingot"+signedTarget, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_key", c.creds.APIKey)
	for k, vs := range extra {
		req.Header[k] = vs
	}
	if _, err := signature.SignRequest(req, body, c.creds.HMACUsername, []byte(c.creds.HMACSecret), c.e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", c.e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", target, c.e.srv.Listener.Addr(), len(body))
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	io.WriteString(conn, b.String())
	conn.Write(body)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: rb}
	_ = json.Unmarshal(rb, &r.JSON)
	return r
}

// TestNonCanonicalPathsAre404: a target that is not exactly a documented path
// is 404 not_found in the error envelope with X-Request-Id, never a redirect
// (api-v4.md section 3), whatever the fault and wherever it is in the path,
// even when correctly signed over the target sent.
func TestNonCanonicalPathsAre404(t *testing.T) {
	e := newEnv(t)
	c := e.program("acme")
	body := []byte(`{}`)
	for _, target := range []string{
		"/api/v4//user/get-all",
		"//api/v4/user/get-all",
		"/api/v4/user//get-all",
		"/api//v4/user/get-all",
		"/api/v4/./user/get-all",
		"/api/v4/user/./get-all",
		"/api/v4/user/../user/get-all",
		"/api/v4/x/../user/get-all",
		"/api/v4/user/get-all/",
		"/api/v4/user/get-all/.",
		"/api/v4/user/get-all/..",
		"/api/v4/user/%67et-all",
		"/api/v4/user%2Fget-all",
		"/api/v4/user/%2e%2e/user/get-all",
		"/./api/v4/user/get-all",
		"/../api/v4/user/get-all",
		"/api/v4//user/get-all?x=1",
	} {
		t.Run(target, func(t *testing.T) {
			r := rawSigned(t, c, target, target, body, nil)
			r.wantError(t, http.StatusNotFound, "not_found", "")
			if loc := r.Header.Get("Location"); loc != "" {
				t.Errorf("Location = %q, want no redirect", loc)
			}
			if r.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
	// The documented path itself still works over the same raw connection.
	rawSigned(t, c, "/api/v4/user/get-all", "/api/v4/user/get-all", body, nil).want(t, http.StatusOK, "")
	rawSigned(t, c, "/api/v4/user/get-all?x=1", "/api/v4/user/get-all?x=1", body, nil).want(t, http.StatusOK, "")
}

// TestAbsoluteFormTarget: a request whose target is in absolute form (RFC
// 9112 section 3.2.2) signs the same request line as in origin form: method,
// path with query, protocol (api-v4.md section 2).
func TestAbsoluteFormTarget(t *testing.T) {
	e := newEnv(t)
	c := e.program("acme")
	host := e.srv.Listener.Addr().String()
	body := []byte(`{}`)
	for _, tc := range []struct{ target, signed string }{
		{"http://" + host + "/api/v4/user/get-all", "/api/v4/user/get-all"},
		{"HTTP://" + host + "/api/v4/user/get-all", "/api/v4/user/get-all"},
		{"http://" + host + "/api/v4/user/get-all?a=b", "/api/v4/user/get-all?a=b"},
		{"https://" + host + "/api/v4/user/get-all", "/api/v4/user/get-all"},
	} {
		t.Run(tc.target, func(t *testing.T) {
			rawSigned(t, c, tc.target, tc.signed, body, nil).want(t, http.StatusOK, "")
		})
	}
	// Signed over the absolute form instead: the line the server computes
	// differs, so the signature does not match.
	abs := "http://" + host + "/api/v4/user/get-all"
	rawSigned(t, c, abs, abs, body, nil).wantError(t, http.StatusUnauthorized, "unauthenticated", "HMAC signature does not match")
	// A doubled slash in an absolute-form target is as non-canonical as in
	// origin form.
	bad := "http://" + host + "/api/v4//user/get-all"
	rawSigned(t, c, bad, "/api/v4//user/get-all", body, nil).wantError(t, http.StatusNotFound, "not_found", "")
}

// TestOriginForm pins the reduction of a target to origin form.
func TestOriginForm(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v4/user/get":             "/api/v4/user/get",
		"http://h:1/api/v4/user/get":   "/api/v4/user/get",
		"HTTPS://h/api?x=1":            "/api?x=1",
		"http://h":                     "/",
		"http://h?x=1":                 "/?x=1",
		"*":                            "*",
		"ftp://h/x":                    "ftp://h/x",
		"http://user@h:8/a/b?c=d#frag": "/a/b?c=d#frag",
	} {
		if got := signature.OriginForm(in); got != want {
			t.Errorf("OriginForm(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestContentEncodingIs415: a body sent with a content coding is 415
// unsupported_media_type naming the coding (RFC 9110 section 15.5.16), not a
// 400 about its bytes; "identity" is no coding.
func TestContentEncodingIs415(t *testing.T) {
	e := newEnv(t)
	c := e.program("acme")
	for _, coding := range []string{"gzip", "deflate", "br", "GZIP", "identity, gzip"} {
		t.Run(coding, func(t *testing.T) {
			before := e.counts(t)
			r := c.send("user/create", validUser("coded@example.com"), func(r *http.Request) {
				r.Header.Set("Content-Encoding", coding)
				c.resign(r, signature.RequiredHeaders...)
			})
			r.wantError(t, http.StatusUnsupportedMediaType, "unsupported_media_type", "")
			if msg, _ := r.JSON["message"].(string); !strings.Contains(strings.ToLower(msg), strings.ToLower(strings.TrimPrefix(coding, "identity, "))) {
				t.Errorf("message %q does not name the coding %q", msg, coding)
			}
			e.wantNoWrites(t, before)
		})
	}
	c.send("user/get-all", map[string]any{}, func(r *http.Request) {
		r.Header.Set("Content-Encoding", "identity")
	}).want(t, http.StatusOK, "")
}

// TestEveryErrorCarriesEnvelopeAndID: every error ingot answers itself
// (404, 405, 413, 415 and a 401; 431 needs serve's header limit and is
// tested against the binary, cmd/ingot) comes in the error envelope with an
// X-Request-Id equal to error.request_id; only requests Go's HTTP server
// refuses before routing are exempt (api-v4.md section 3).
func TestEveryErrorCarriesEnvelopeAndID(t *testing.T) {
	e := newEnv(t)
	c := e.program("acme")
	get, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v4/user/get-all", nil)
	put, _ := http.NewRequest(http.MethodPut, e.srv.URL+"/api/v4/user/create", strings.NewReader(`{}`))
	missing, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v4/no/such", strings.NewReader(`{}`))
	big, _ := c.signed("user/get-all", bytes.Repeat([]byte(" "), 2<<20))
	text, _ := c.signed("user/get-all", []byte(`{}`))
	text.Header.Set("Content-Type", "text/plain")
	unsigned, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v4/user/get-all", strings.NewReader(`{}`))
	unsigned.Header.Set("Content-Type", "application/json")
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"405 GET", get, http.StatusMethodNotAllowed, "method_not_allowed"},
		{"405 PUT", put, http.StatusMethodNotAllowed, "method_not_allowed"},
		{"404", missing, http.StatusNotFound, "not_found"},
		{"413", big, http.StatusRequestEntityTooLarge, "too_large"},
		{"415", text, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"401", unsigned, http.StatusUnauthorized, "unauthenticated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			do(t, tc.req).wantError(t, tc.status, tc.code, "")
		})
	}
}
