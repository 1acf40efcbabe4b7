package main

import (
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// getStatus GETs url and returns the status and body.
func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	hc := &http.Client{Timeout: requestTimeout}
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestBlackboxPprof: --pprof-addr (or INGOT_PPROF_ADDR) serves the runtime
// profiles on their own listener, logs its address and stops with the
// server; the API port never serves them, with or without the flag.
func TestBlackboxPprof(t *testing.T) {
	t.Parallel()
	for _, viaEnv := range []bool{false, true} {
		name := "flag"
		if viaEnv {
			name = "env"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pprofAddr := "127.0.0.1:" + freePort(t)
			env, args := childEnv(), []string{"--sandbox", "--db", filepath.Join(t.TempDir(), "p.db")}
			if viaEnv {
				env = append(slices.Clip(env), "INGOT_PPROF_ADDR="+pprofAddr)
			} else {
				args = append(args, "--pprof-addr", pprofAddr)
			}
			srv := startServe(t, env, false, args...)
			if !strings.Contains(srv.stderr.String(), "msg=\"serving pprof\" addr="+pprofAddr) {
				t.Errorf("the log does not name the pprof address %s:\n%s", pprofAddr, srv.stderr)
			}
			if code, body := getStatus(t, "http://"+pprofAddr+"/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
				t.Fatalf("GET pprof /debug/pprof/: %d\n%s", code, body)
			}
			if code, _ := getStatus(t, "http://"+pprofAddr+"/debug/pprof/cmdline"); code != http.StatusOK {
				t.Fatalf("GET pprof /debug/pprof/cmdline: %d", code)
			}
			if code, body := getStatus(t, srv.url+"/debug/pprof/"); code != http.StatusNotFound {
				t.Fatalf("GET API /debug/pprof/ with --pprof-addr: %d, want 404\n%s", code, body)
			}
			// The API's own paths are not served on the pprof listener.
			if code, _ := getStatus(t, "http://"+pprofAddr+"/healthz"); code != http.StatusNotFound {
				t.Fatalf("GET pprof /healthz: %d, want 404", code)
			}
			srv.stop(syscall.SIGTERM)
			hc := &http.Client{Timeout: 2 * time.Second}
			if resp, err := hc.Get("http://" + pprofAddr + "/debug/pprof/"); err == nil {
				resp.Body.Close()
				t.Fatalf("pprof still answers after the server stopped: %d", resp.StatusCode)
			}
		})
	}
	t.Run("off", func(t *testing.T) {
		t.Parallel()
		srv := startServe(t, childEnv(), false, "--sandbox", "--db", filepath.Join(t.TempDir(), "p.db"))
		for _, p := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap"} {
			if code, body := getStatus(t, srv.url+p); code != http.StatusNotFound {
				t.Fatalf("GET API %s without --pprof-addr: %d, want 404\n%s", p, code, body)
			}
		}
		if strings.Contains(srv.stderr.String(), "serving pprof") {
			t.Errorf("pprof mentioned in the log without --pprof-addr:\n%s", srv.stderr)
		}
		srv.stop(syscall.SIGTERM)
	})
}
