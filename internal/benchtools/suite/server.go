package main

// The ingot server under test: `ingot serve --sandbox` as a child process,
// timed from exec to its first healthy answer.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// server is one running `ingot serve`.
type server struct {
	cmd    *exec.Cmd
	url    string
	done   chan struct{} // closed when the process has exited
	stdout string        // file its stdout went to
}

// healthTimeout bounds how long a server may take to answer /healthz.
const healthTimeout = 120 * time.Second

// startServer starts `bin serve --sandbox` on a free port with database
// dsn, its output in dir/name.out and dir/name.log, and waits for GET
// /healthz to answer 200. It returns the server and how long that took from
// just before exec.
func startServer(ctx context.Context, bin, dsn, dir, name string) (*server, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s := &server{url: "http://" + addr, done: make(chan struct{}), stdout: filepath.Join(dir, name+".out")}
	out, err := os.Create(s.stdout)
	if err != nil {
		return nil, 0, err
	}
	defer out.Close()
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, 0, err
	}
	defer logf.Close()
	s.cmd = exec.Command(bin, "serve", "--sandbox", "--addr", addr, "--db", dsn)
	s.cmd.Stdout, s.cmd.Stderr = out, logf
	// The server must not outlive the suite, even when the suite is killed.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start ingot serve (%s): %w", name, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()

	client := &http.Client{Timeout: time.Second}
	for {
		if ok := s.healthy(ctx, client); ok {
			return s, time.Since(t0), nil
		}
		select {
		case <-s.done:
			return nil, 0, fmt.Errorf("ingot serve (%s) exited: %s\n%s%s", name, s.cmd.ProcessState,
				tail(s.stdout), tail(filepath.Join(dir, name+".log")))
		case <-ctx.Done():
			s.stop()
			return nil, 0, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Since(t0) > healthTimeout {
			s.stop()
			return nil, 0, fmt.Errorf("ingot serve (%s) not healthy after %v", name, healthTimeout)
		}
	}
}

func (s *server) healthy(ctx context.Context, client *http.Client) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// pid is the server's process id.
func (s *server) pid() int { return s.cmd.Process.Pid }

// stop sends SIGTERM and waits up to 10 s for the server to exit, then
// kills it.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// exportRE matches the credential lines `serve --sandbox` prints when it
// creates the sandbox program.
var exportRE = regexp.MustCompile(`(?m)^export (INGOT_[A-Z_]+)=(\S+)$`)

// credentials are the NAME=VALUE pairs of the server's export lines, but
// INGOT_URL, which is the suite's to set; none when the database already had
// a program.
func (s *server) credentials() ([]string, error) {
	b, err := os.ReadFile(s.stdout)
	if err != nil {
		return nil, err
	}
	var env []string
	for _, m := range exportRE.FindAllStringSubmatch(string(b), -1) {
		if m[1] != "INGOT_URL" {
			env = append(env, m[1]+"="+m[2])
		}
	}
	return env, nil
}

// freePort asks the kernel for a port nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail is the last 2 KB of a log file, for an error message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2048 {
		b = b[len(b)-2048:]
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	return s + "\n"
}
