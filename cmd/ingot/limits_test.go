package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServerLimits checks the limits every server is built with, so removing
// one (a zero timeout means none) fails here.
func TestServerLimits(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	for _, c := range []struct {
		name     string
		got, max time.Duration
	}{
		{"ReadHeaderTimeout", srv.ReadHeaderTimeout, 30 * time.Second},
		{"ReadTimeout", srv.ReadTimeout, time.Minute},
		{"WriteTimeout", srv.WriteTimeout, time.Minute},
		{"IdleTimeout", srv.IdleTimeout, 5 * time.Minute},
	} {
		if c.got <= 0 || c.got > c.max {
			t.Errorf("%s = %v, want a limit in (0, %v]", c.name, c.got, c.max)
		}
	}
	if srv.MaxHeaderBytes <= maxHeaderBytes || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes = %d, want a cap in (%d, 1 MiB]: above ingot's own, so ingot answers first",
			srv.MaxHeaderBytes, maxHeaderBytes)
	}
	if shutdownGrace <= 0 || shutdownGrace > time.Minute {
		t.Errorf("shutdownGrace = %v, want (0, 1m]", shutdownGrace)
	}
}

// TestBlackboxOversizedHeaders: headers over ingot's cap get 431
// headers_too_large in the error envelope, with X-Request-Id; past
// net/http's larger cap, net/http refuses them before any handler runs.
func TestBlackboxOversizedHeaders(t *testing.T) {
	t.Parallel()
	srv := startServe(t, childEnv(), false, "--sandbox", "--db", filepath.Join(t.TempDir(), "ingot.db"))
	for _, c := range []struct {
		name     string
		padding  int
		envelope bool
	}{
		{"over ingot's cap", 200 << 10, true},
		{"over net/http's cap", 2 << 20, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", srv.addr, requestTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(requestTimeout))
			fmt.Fprintf(conn, "POST /api/v4/user/get-all HTTP/1.1\r\nHost: x\r\nX-Padding: %s\r\nContent-Length: 2\r\n\r\n{}",
				strings.Repeat("a", c.padding))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("read answer: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Fatalf("status = %d, want 431", resp.StatusCode)
			}
			if !c.envelope {
				return
			}
			var env struct {
				Status string `json:"status"`
				Error  struct {
					Code      string `json:"code"`
					RequestID string `json:"request_id"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			rid := resp.Header.Get("X-Request-Id")
			if env.Status != "error" || env.Error.Code != "headers_too_large" || rid == "" || env.Error.RequestID != rid {
				t.Errorf("answer = %s (X-Request-Id %q), want the envelope with code headers_too_large and the request id", body, rid)
			}
		})
	}
}

// TestBlackboxOptionsStar: "OPTIONS *" is no documented call: 404 in the
// envelope with X-Request-Id, not net/http's bare 200 (api-v4.md section 3;
// a review found the bare 200).
func TestBlackboxOptionsStar(t *testing.T) {
	t.Parallel()
	srv := startServe(t, childEnv(), false, "--sandbox", "--db", filepath.Join(t.TempDir(), "ingot.db"))
	conn, err := net.DialTimeout("tcp", srv.addr, requestTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(requestTimeout))
	fmt.Fprintf(conn, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("X-Request-Id") == "" || !strings.Contains(string(body), `"not_found"`) {
		t.Errorf("OPTIONS * = %d, X-Request-Id %q, body %s; want 404 not_found in the envelope with an id",
			resp.StatusCode, resp.Header.Get("X-Request-Id"), body)
	}
}
