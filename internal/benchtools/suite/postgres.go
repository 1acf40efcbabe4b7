package main

// PostgreSQL for the suite: a throwaway durable cluster (fsync,
// synchronous_commit and full_page_writes on, unlike the tests' cluster),
// pgbench's one-row UPDATE baseline, and what the server logged.

import (
	"bufio"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// pgTools are the PostgreSQL programs the suite runs.
type pgTools struct {
	bindir  string // initdb, pg_ctl
	pgbench string
}

// findPG finds the server binaries (pg_config --bindir, else Debian's
// newest /usr/lib/postgresql/N/bin) and pgbench (PATH, else that bindir).
func findPG() (pgTools, error) {
	var t pgTools
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if isExec(filepath.Join(dir, "initdb")) {
			t.bindir = dir
		}
	}
	if t.bindir == "" {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		slices.SortFunc(matches, func(a, b string) int { return cmp.Compare(pgMajor(a), pgMajor(b)) })
		if len(matches) > 0 {
			t.bindir = filepath.Dir(matches[len(matches)-1])
		}
	}
	if p, err := exec.LookPath("pgbench"); err == nil {
		t.pgbench = p
	} else if t.bindir != "" && isExec(filepath.Join(t.bindir, "pgbench")) {
		t.pgbench = filepath.Join(t.bindir, "pgbench")
	}
	if t.bindir == "" || !isExec(filepath.Join(t.bindir, "pg_ctl")) || t.pgbench == "" {
		return t, errors.New("PostgreSQL server binaries (initdb, pg_ctl) and pgbench are required " +
			"(Debian: apt-get install postgresql postgresql-contrib)")
	}
	return t, nil
}

// pgMajor is N of /usr/lib/postgresql/N/bin/initdb.
func pgMajor(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// pgCluster is a running throwaway cluster.
type pgCluster struct {
	tools pgTools
	dir   string // data/, postgres.log and the socket
	port  int
	cred  *syscall.Credential // the postgres user's when we are root
	up    bool
}

// pgServerOptions are the settings the cluster runs with: durable, as in
// production.
const pgServerOptions = "-c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=100"

// startPG creates a cluster in a new temporary directory and starts it on a
// free port with pg_ctl; as root, both run as the postgres user, because
// PostgreSQL refuses to run as root.
func startPG(ctx context.Context, tools pgTools) (*pgCluster, error) {
	c := &pgCluster{tools: tools}
	var err error
	if c.cred, err = postgresUser(); err != nil {
		return nil, err
	}
	if c.dir, err = os.MkdirTemp("", "ingot-bench-pg."); err != nil {
		return nil, err
	}
	if c.cred != nil {
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return c, err
		}
	}
	if out, err := c.asPostgres(ctx, "initdb", "-D", c.data(), "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		return c, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if c.port, err = freePort(); err != nil {
		return c, err
	}
	opts := fmt.Sprintf("-p %d -h 127.0.0.1 -k %s %s", c.port, c.dir, pgServerOptions)
	if out, err := c.asPostgres(ctx, "pg_ctl", "-D", c.data(), "-l", c.logPath(), "-w", "-o", opts,
		"start").CombinedOutput(); err != nil {
		return c, fmt.Errorf("pg_ctl start: %v\n%s%s", err, out, tail(c.logPath()))
	}
	c.up = true
	return c, nil
}

func (c *pgCluster) data() string    { return filepath.Join(c.dir, "data") }
func (c *pgCluster) logPath() string { return filepath.Join(c.dir, "postgres.log") }

// asPostgres is bindir/name args..., run as the postgres user when we are
// root, from the cluster's directory (which that user can enter).
func (c *pgCluster) asPostgres(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.tools.bindir, name), args...)
	cmd.Dir = c.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	return cmd
}

// postgresUser is the credential to run PostgreSQL with: the postgres
// user's when we are root, nil (ourselves) otherwise.
func postgresUser() (*syscall.Credential, error) {
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

// url is a URL of database db on the cluster.
func (c *pgCluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// pid is the postmaster's process id, 0 when the cluster is not up.
func (c *pgCluster) pid() int {
	if c == nil || !c.up {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	n, _ := strconv.Atoi(strings.TrimSpace(line))
	return n
}

// stop stops the cluster (fast shutdown) and removes its directory.
func (c *pgCluster) stop() {
	if c == nil {
		return
	}
	if c.up {
		c.asPostgres(context.Background(), "pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop").Run()
		c.up = false
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// setup creates the pgbench and ingot databases and reads the server's
// version and the settings that decide durability.
func (c *pgCluster) setup(ctx context.Context) (version, settings string, err error) {
	db, err := sql.Open("pgx", c.url("postgres"))
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	for _, q := range []string{"CREATE DATABASE pgbench", "CREATE DATABASE ingot"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return "", "", fmt.Errorf("%s: %w", q, err)
		}
	}
	if err := db.QueryRowContext(ctx, "SELECT version()").Scan(&version); err != nil {
		return "", "", err
	}
	rows, err := db.QueryContext(ctx, `SELECT name || '=' || setting FROM pg_settings
		WHERE name IN ('fsync','synchronous_commit','full_page_writes','wal_sync_method','shared_buffers') ORDER BY name`)
	if err != nil {
		return "", "", err
	}
	defer rows.Close()
	var s []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return "", "", err
		}
		s = append(s, v)
	}
	return version, strings.Join(s, ", "), rows.Err()
}

// pgbenchScript is the baseline's transaction: one-row UPDATE of a random
// account among the 100,000 of scale 1.
const pgbenchScript = `\set aid random(1, 100000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;
`

var (
	tpsRE     = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)
	latencyRE = regexp.MustCompile(`(?m)^latency average = ([0-9.]+) ms`)
	failedRE  = regexp.MustCompile(`(?m)^number of failed transactions: (\d+)`)
)

// parsePGBench reads tps, average latency and failed transactions from
// pgbench's report; a report without tps is an error.
func parsePGBench(out string) (PGBench, error) {
	var r PGBench
	m := tpsRE.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	r.TPS, _ = strconv.ParseFloat(m[1], 64)
	if m := latencyRE.FindStringSubmatch(out); m != nil {
		r.LatencyMS, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := failedRE.FindStringSubmatch(out); m != nil {
		r.Failed, _ = strconv.Atoi(m[1])
	}
	return r, nil
}

// loggedErrors are the five most frequent ERROR messages of the cluster's
// log, most frequent first (deadlocks, serialization failures).
func (c *pgCluster) loggedErrors() ([]ErrorLine, error) {
	f, err := os.Open(c.logPath())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return countErrors(f)
}

// countErrors counts the distinct messages after "ERROR:" in a log.
func countErrors(r io.Reader) ([]ErrorLine, error) {
	counts := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.LastIndex(line, "ERROR:"); i >= 0 {
			counts[strings.TrimSpace(line[i+len("ERROR:"):])]++
		}
	}
	var out []ErrorLine
	for msg, n := range counts {
		out = append(out, ErrorLine{Count: n, Message: msg})
	}
	slices.SortFunc(out, func(a, b ErrorLine) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Message, b.Message))
	})
	return out[:min(len(out), 5)], sc.Err()
}
