// Package testenv gives tests real databases: a fresh SQLite file or a fresh
// PostgreSQL database on a throwaway cluster started from the machine's own
// binaries. No store is ever mocked.
package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// cluster is one PostgreSQL server shared by every test of a test binary.
type cluster struct {
	adminURL string // a URL to the "postgres" database, for CREATE DATABASE
	cmd      *exec.Cmd
	dir      string
	err      error
	skip     string
	bindir   string
	port     int
	cred     *syscall.Credential
}

var (
	pgOnce sync.Once
	pg     cluster
	dbSeq  atomic.Int64
)

// PostgresURL returns the URL of a new, empty database that is dropped when
// the test ends. It uses INGOT_TEST_POSTGRES_URL (a URL of a database whose
// user may CREATE DATABASE) when set; otherwise it starts a private cluster
// once per test binary. Without PostgreSQL the test is skipped with a loud
// message, except under CI=true, where missing PostgreSQL fails the test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(startCluster)
	if pg.skip != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %s", pg.skip)
		}
		t.Skipf("SKIPPING PostgreSQL TEST: %s (install postgresql, or set INGOT_TEST_POSTGRES_URL)", pg.skip)
	}
	if pg.err != nil {
		t.Fatalf("PostgreSQL test cluster: %v", pg.err)
	}
	name := fmt.Sprintf("ingot_t%d_%d", os.Getpid(), dbSeq.Add(1))
	admin, err := sql.Open("pgx", pg.adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", pg.adminURL)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return withDatabase(pg.adminURL, name)
}

// withDatabase replaces the database name in a postgres:// URL.
func withDatabase(u, db string) string {
	rest, query, _ := strings.Cut(u, "?")
	i := strings.LastIndexByte(rest, '/')
	if i < len("postgres://") {
		rest += "/"
		i = len(rest) - 1
	}
	out := rest[:i+1] + db
	if query != "" {
		out += "?" + query
	}
	return out
}

// Main runs a package's tests and then stops the private cluster, if one was
// started. Packages that use PostgresURL call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	StopCluster()
	os.Exit(code)
}

// StopCluster stops the private cluster and removes its files.
func StopCluster() {
	pg.stop()
	if pg.dir != "" {
		os.RemoveAll(pg.dir)
	}
}

func startCluster() {
	if u := os.Getenv("INGOT_TEST_POSTGRES_URL"); u != "" {
		pg.adminURL = u
		return
	}
	bindir, err := pgBindir()
	if err != nil {
		pg.skip = err.Error()
		return
	}
	pg.err = pg.start(bindir)
}

// pgBindir finds initdb and postgres: pg_config --bindir, else Debian's layout.
func pgBindir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb) found")
}

// start runs initdb and postgres. As root, both run as the "postgres" user,
// because PostgreSQL refuses to run as root.
func (c *cluster) start(bindir string) error {
	dir, err := os.MkdirTemp("", "ingot-pg-")
	if err != nil {
		return err
	}
	c.dir = dir
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	if err := os.Mkdir(sock, 0o700); err != nil {
		return err
	}
	cred, err := runAs()
	if err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
		if err := os.Chown(sock, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	initdb := exec.Command(filepath.Join(bindir, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	c.bindir, c.port, c.cred = bindir, port, cred
	c.adminURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return c.run()
}

// run starts the server on the cluster's data directory and port and waits
// until it accepts connections.
func (c *cluster) run() error {
	data, sock := filepath.Join(c.dir, "data"), filepath.Join(c.dir, "sock")
	c.cmd = exec.Command(filepath.Join(c.bindir, "postgres"), "-D", data, "-p", strconv.Itoa(c.port),
		"-h", "127.0.0.1", "-k", sock, "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=300")
	// Pdeathsig kills the server if the test binary dies without cleaning up.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGKILL}
	logf, err := os.OpenFile(filepath.Join(c.dir, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	return waitReady(c.adminURL, filepath.Join(c.dir, "postgres.log"))
}

// stop shuts the server down with a fast shutdown (SIGINT: connections are
// terminated, nothing is lost), killing it after 10 s.
func (c *cluster) stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
	c.cmd = nil
}

// Cluster is a PostgreSQL server of one test's own, for tests that stop and
// start the database under load. PostgresURL's shared cluster must never be
// stopped: other tests use it.
type Cluster struct{ c *cluster }

// PrivateCluster starts a PostgreSQL cluster for t alone and removes it when
// t ends. Without PostgreSQL binaries the test is skipped (failed under
// CI=true), as PostgresURL does.
func PrivateCluster(t testing.TB) *Cluster {
	t.Helper()
	bindir, err := pgBindir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v", err)
		}
		t.Skipf("SKIPPING PostgreSQL TEST: %v", err)
	}
	c := &cluster{}
	t.Cleanup(func() {
		c.stop()
		if c.dir != "" {
			os.RemoveAll(c.dir)
		}
	})
	if err := c.start(bindir); err != nil {
		t.Fatalf("private PostgreSQL cluster: %v", err)
	}
	return &Cluster{c}
}

// URL is the cluster's "postgres" database.
func (p *Cluster) URL() string { return p.c.adminURL }

// Stop shuts the server down (fast shutdown).
func (p *Cluster) Stop() { p.c.stop() }

// Start starts it again on the same data and port, waiting until it is ready.
func (p *Cluster) Start() error { return p.c.run() }

// runAs returns the credential to run PostgreSQL with: the postgres user when
// we are root, nil (ourselves) otherwise.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root and no postgres user to run PostgreSQL as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls until the server accepts connections, for at most 30 s.
func waitReady(url, logPath string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres did not become ready: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
