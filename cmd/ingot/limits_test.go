package main

import (
	"bufio"
	"fmt"
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
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 256<<10 {
		t.Errorf("MaxHeaderBytes = %d, want a cap in (0, 256 KiB]", srv.MaxHeaderBytes)
	}
	if shutdownGrace <= 0 || shutdownGrace > time.Minute {
		t.Errorf("shutdownGrace = %v, want (0, 1m]", shutdownGrace)
	}
}

// TestBlackboxOversizedHeaders: headers over the cap are refused with 431
// before any handler runs.
func TestBlackboxOversizedHeaders(t *testing.T) {
	t.Parallel()
	srv := startServe(t, childEnv(), false, "--sandbox", "--db", filepath.Join(t.TempDir(), "ingot.db"))
	conn, err := net.DialTimeout("tcp", srv.addr, requestTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(requestTimeout))
	fmt.Fprintf(conn, "POST /api/v4/user/get-all HTTP/1.1\r\nHost: x\r\nX-Padding: %s\r\nContent-Length: 2\r\n\r\n{}",
		strings.Repeat("a", 200<<10))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status = %d, want 431", resp.StatusCode)
	}
}
