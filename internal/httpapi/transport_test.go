package httpapi_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/signature"
)

// Spec section 1: transport. Content type (415), body limit (413), methods
// (405), routes (404), health checks, and the request id on every answer.

func TestContentType(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		for _, tc := range []struct {
			name, contentType string
			status            int
			code              string
		}{
			{"missing", "", http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"text/plain", "text/plain", http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"form", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"json suffix", "application/problem+json", http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"unparsable", "application/json;;", http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"json", "application/json", http.StatusOK, ""},
			{"json with charset", "application/json; charset=utf-8", http.StatusOK, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts(t)
				email := strings.NewReplacer(" ", "", "/", "", "+", "", ";", "").Replace(tc.name) + "@example.com"
				// Signed with the content type it carries, so only the type
				// can be what is refused.
				r := c.send("user/create", validUser(email), func(r *http.Request) {
					if tc.contentType == "" {
						r.Header.Del("Content-Type")
					} else {
						r.Header.Set("Content-Type", tc.contentType)
					}
					c.resign(r, signature.RequiredHeaders...)
				})
				if tc.status == http.StatusOK {
					r.want(t, http.StatusOK, "")
					return
				}
				r.wantError(t, tc.status, tc.code, "")
				e.wantNoWrites(t, before)
			})
		}
	})
}

// stalledUpload posts body to get-all over a raw connection with the given
// framing header and never finishes the upload, then wants a 413 answer. A
// raw connection, because net/http's client returns only once it has sent
// the whole body.
func stalledUpload(t *testing.T, e *env, framing string, body []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /api/v4/user/get-all HTTP/1.1\r\nHost: ingot\r\nContent-Type: application/json\r\n%s\r\n\r\n", framing)
	chunked := strings.Contains(framing, "chunked")
	for len(body) > 0 {
		n := min(len(body), 64<<10)
		if chunked {
			fmt.Fprintf(conn, "%x\r\n", n)
		}
		if _, err := conn.Write(body[:n]); err != nil {
			break // the server stopped reading: fine
		}
		if chunked {
			io.WriteString(conn, "\r\n")
		}
		body = body[n:]
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer while the body was still being sent: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", resp.StatusCode)
	}
}

// TestBodyLimitConfigured: the limit is configurable, and a body just over a
// small limit is not drained either.
func TestBodyLimitConfigured(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.maxBody = 1000
		e.restart()
		c := e.program("acme")
		c.call("user/get-all", append([]byte(`{}`), bytes.Repeat([]byte(" "), 998)...)).want(t, http.StatusOK, "")
		c.call("user/get-all", append([]byte(`{}`), bytes.Repeat([]byte(" "), 999)...)).
			wantError(t, http.StatusRequestEntityTooLarge, "too_large", "")
		stalledUpload(t, e, "Content-Length: 2000", bytes.Repeat([]byte(" "), 1500))
		stalledUpload(t, e, "Transfer-Encoding: chunked", bytes.Repeat([]byte(" "), 1500))
	})
}

// hiddenLength hides a reader's length so the client sends it chunked.
type hiddenLength struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		const limit = 1 << 20
		// padded is a valid get-all body of exactly n bytes.
		padded := func(n int) []byte {
			b := []byte(`{"per_page":1}`)
			return append(b, bytes.Repeat([]byte(" "), n-len(b))...)
		}
		chunked := func(r *http.Request) {
			b := readBody(t, r)
			r.Body = io.NopCloser(hiddenLength{bytes.NewReader(b)})
			r.GetBody = nil
			r.ContentLength = -1
			r.Header.Del("Content-Length")
			// Content-Length cannot be signed for a chunked body.
			c.resign(r, "request-line", "x-date", "content-type", "content-sha512")
		}
		for _, tc := range []struct {
			name   string
			body   []byte
			tamper func(*http.Request)
			status int
		}{
			{"exactly the limit", padded(limit), nil, http.StatusOK},
			{"one byte over, with Content-Length", padded(limit + 1), nil, http.StatusRequestEntityTooLarge},
			{"far over, with Content-Length", padded(4 * limit), nil, http.StatusRequestEntityTooLarge},
			{"small, chunked", padded(100), chunked, http.StatusOK},
			{"exactly the limit, chunked", padded(limit), chunked, http.StatusOK},
			{"one byte over, chunked", padded(limit + 1), chunked, http.StatusRequestEntityTooLarge},
			{"far over, chunked", padded(4 * limit), chunked, http.StatusRequestEntityTooLarge},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := c.send("user/get-all", tc.body, tc.tamper)
				if tc.status == http.StatusOK {
					r.want(t, http.StatusOK, "")
					return
				}
				r.wantError(t, tc.status, "too_large", "")
			})
		}

		// The server answers 413 without waiting for the rest of the body: the
		// client sends a little more than the limit and never finishes, yet
		// gets its answer.
		t.Run("not read further, with Content-Length", func(t *testing.T) {
			stalledUpload(t, e, fmt.Sprintf("Content-Length: %d", 100*limit), padded(limit+4096))
		})
		t.Run("not read further, chunked", func(t *testing.T) {
			stalledUpload(t, e, "Transfer-Encoding: chunked", padded(limit+4096))
		})

		t.Run("create over the limit writes nothing", func(t *testing.T) {
			before := e.counts(t)
			b := validUser("big@example.com")
			b["address_two"] = strings.Repeat("x", limit)
			c.call("user/create", b).wantError(t, http.StatusRequestEntityTooLarge, "too_large", "")
			e.wantNoWrites(t, before)
		})
	})
}

func TestRoutes(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		t.Run("every API path refuses other methods with 405", func(t *testing.T) {
			for _, path := range []string{"user/create", "user/get-all", "user/get", "user/update",
				"user/block", "user/unblock", "user/send-verification-request", "user/events"} {
				for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch} {
					r := e.raw(method, "/api/v4/"+path, "application/json", []byte(`{}`))
					r.wantError(t, http.StatusMethodNotAllowed, "method_not_allowed", "")
					if got := r.Header.Get("Allow"); got != http.MethodPost {
						t.Errorf("%s %s: Allow = %q, want POST", method, path, got)
					}
				}
			}
		})
		t.Run("unknown routes are 404 in the error envelope", func(t *testing.T) {
			for _, tc := range []struct{ method, path string }{
				{http.MethodPost, "/api/v4/user/delete"},
				{http.MethodPost, "/api/v4/users/create"},
				{http.MethodPost, "/api/v4/user/create/"},
				{http.MethodPost, "/api/v3/user/create"},
				{http.MethodPost, "/api/v4/"},
				{http.MethodGet, "/api/v4/user/nope"},
				{http.MethodGet, "/"},
			} {
				e.raw(tc.method, tc.path, "application/json", []byte(`{}`)).
					wantError(t, http.StatusNotFound, "not_found", "")
			}
		})
		t.Run("unknown route with a valid signature is still 404", func(t *testing.T) {
			c.call("user/delete", map[string]any{}).wantError(t, http.StatusNotFound, "not_found", "")
		})
		t.Run("health checks need no signature", func(t *testing.T) {
			for _, path := range []string{"/healthz", "/readyz"} {
				r := e.raw(http.MethodGet, path, "", nil).want(t, http.StatusOK, "")
				if r.JSON["status"] != "ok" {
					t.Errorf("GET %s = %s, want status ok", path, r.Body)
				}
			}
		})
		t.Run("request ids differ per request", func(t *testing.T) {
			a := c.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
			b := c.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
			if a.Header.Get("X-Request-Id") == b.Header.Get("X-Request-Id") {
				t.Errorf("two requests share X-Request-Id %q", a.Header.Get("X-Request-Id"))
			}
			if !strings.HasPrefix(a.Header.Get("X-Request-Id"), "req-") {
				t.Errorf("X-Request-Id = %q, want req-...", a.Header.Get("X-Request-Id"))
			}
		})
	})
}

func TestSuccessEnvelope(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		id := c.newUser(t, "ada@example.com")
		single := map[string]any{"page": 1.0, "per_page": 1.0, "total": 1.0, "sort": "created_at:desc", "search": ""}
		for _, tc := range []struct {
			path string
			body map[string]any
			page map[string]any
		}{
			{"user/get", map[string]any{"user_id": id}, single},
			{"user/update", map[string]any{"user_id": id, "city": "Oakland"}, single},
			{"user/block", map[string]any{"user_id": id}, single},
			{"user/unblock", map[string]any{"user_id": id}, single},
			{"user/create", validUser("bob@example.com"), single},
			{"user/get-all", map[string]any{}, map[string]any{"page": 1.0, "per_page": 10.0, "total": 2.0, "sort": "created_at:desc", "search": ""}},
		} {
			t.Run(tc.path, func(t *testing.T) {
				r := c.call(tc.path, tc.body).want(t, http.StatusOK, "")
				wantKeys(t, "envelope", r.JSON, "status", "message", "data")
				if r.JSON["status"] != "success" || r.JSON["message"] != "operation completed" {
					t.Errorf("status, message = %v, %v; want success, operation completed", r.JSON["status"], r.JSON["message"])
				}
				data, _ := r.JSON["data"].(map[string]any)
				wantKeys(t, "data", data, "items", "pagination")
				p := r.pagination(t)
				for k, want := range tc.page {
					if p[k] != want {
						t.Errorf("pagination.%s = %v, want %v", k, p[k], want)
					}
				}
				wantKeys(t, "pagination", p, "page", "per_page", "total", "sort", "search")
			})
		}
	})
}
