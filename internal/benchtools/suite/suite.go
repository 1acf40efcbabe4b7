package main

// The run itself: build, then per engine its raw baseline, ingot's runs of
// every op of the table, and the big runs; every measurement with the CPU
// split of the machine during it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// config is one run's knobs.
type config struct {
	Root        string        // the module's root: go build and git run there
	Out         string        // the report's path
	Users       int           // users each ingot bench run creates first
	Concurrency int           // workers of ingot bench, sqlitebaseline and pgbench
	Duration    time.Duration // of each measured run
	BigUsers    int           // users of the big runs; 0: no big runs
	Backlog     int           // pending top-ups settled after a restart (backlog.go); 0: no such step
	PGBig       bool          // also the big runs on PostgreSQL
	Engines     []string      // of "sqlite", "pg", in run order
	QuietWait   time.Duration // waiting for a calm machine allowed in all; 0: no waiting nor sampling
	Keep        string        // when set, the results and logs are copied there
	Install     bool          // apt-get install missing tools (as root)
	IngotBin    string        // a built ingot; empty: go build it
	BaselineBin string        // a built sqlitebaseline; empty: go build it
	Log         io.Writer     // progress
	// ConsoleUsers are the users of the console page benchmark (0: not
	// run); ConsoleIterations its renders of each page.
	ConsoleUsers      int
	ConsoleIterations int
	ConsoleBin        string // a built console test binary; empty: go test -c it
}

// suite is one run in progress.
type suite struct {
	cfg       config
	work      string // temporary directory: binaries, databases, logs
	quiet     quiet
	server    *server
	pg        *pgCluster
	creds     []string // INGOT_* credentials for ingot bench
	clientLog *os.File // ingot bench's stderr
}

func (s *suite) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "[bench %s] %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// runSuite measures everything cfg asks for and returns the results.
func runSuite(ctx context.Context, cfg config) (*Results, error) {
	start := time.Now()
	s := &suite{cfg: cfg}
	s.quiet = quiet{on: cfg.QuietWait > 0, budget: cfg.QuietWait, logf: s.logf}
	res := &Results{Meta: Meta{
		Date: start.UTC().Format("2006-01-02 15:04:05 UTC"), LoadStart: loadAvg(),
		Users: cfg.Users, Concurrency: cfg.Concurrency, Duration: cfg.Duration.String(), BigUsers: cfg.BigUsers,
		Backlog:    cfg.Backlog,
		QuietWaitS: int(cfg.QuietWait.Seconds()),
	}}
	if cfg.ConsoleUsers > 0 {
		res.Meta.ConsoleUsers, res.Meta.ConsoleRenders = cfg.ConsoleUsers, cfg.ConsoleIterations
	}
	var tools pgTools
	if wants(cfg.Engines, "pg") {
		var err error
		if tools, err = ensurePG(ctx, cfg.Install, s.logf); err != nil {
			return nil, err
		}
	}
	var err error
	if s.work, err = os.MkdirTemp("", "ingot-bench."); err != nil {
		return nil, err
	}
	defer os.RemoveAll(s.work)
	s.logf("work dir %s", s.work)
	if s.clientLog, err = os.Create(filepath.Join(s.work, "bench-client.log")); err != nil {
		return nil, err
	}
	defer s.clientLog.Close()
	// The server goes first: it may be connected to the cluster.
	defer func() { s.pg.stop() }()
	defer s.stopServer()

	if err := s.build(ctx); err != nil {
		return nil, err
	}
	for _, e := range cfg.Engines {
		switch e {
		case "sqlite":
			err = s.sqlite(ctx, res)
		case "pg":
			err = s.postgres(ctx, res, tools)
		default:
			err = fmt.Errorf("unknown engine %q", e)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", engineName(e), err)
		}
	}
	if err := s.meta(ctx, &res.Meta); err != nil {
		return nil, err
	}
	res.Meta.WallS = int(time.Since(start).Seconds())
	if cfg.Keep != "" {
		if err := s.keep(res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func wants(engines []string, e string) bool {
	for _, x := range engines {
		if x == e {
			return true
		}
	}
	return false
}

// build compiles ingot, sqlitebaseline and (when the console pages are
// measured) internal/console's test binary into the work directory unless
// the config names built ones.
func (s *suite) build(ctx context.Context) error {
	type target struct {
		bin     *string
		pkg     string
		command []string
	}
	targets := []target{{&s.cfg.IngotBin, "./cmd/ingot", []string{"build"}},
		{&s.cfg.BaselineBin, "./internal/benchtools/sqlitebaseline", []string{"build"}}}
	if s.cfg.ConsoleUsers > 0 {
		targets = append(targets, target{&s.cfg.ConsoleBin, "./internal/console", []string{"test", "-c"}})
	}
	for _, b := range targets {
		if *b.bin != "" {
			continue
		}
		goBin, err := goTool()
		if err != nil {
			return err
		}
		out := filepath.Join(s.work, filepath.Base(b.pkg))
		if b.command[0] == "test" {
			out += ".test"
		}
		cmd := exec.CommandContext(ctx, goBin, append(b.command, "-o", out, b.pkg)...)
		cmd.Dir = s.cfg.Root
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s %s: %v\n%s", strings.Join(b.command, " "), b.pkg, err, msg)
		}
		*b.bin = out
	}
	return nil
}

// measure runs cmd (after waiting for a calm machine) and returns its
// stdout and how the machine's CPU went meanwhile. Its stderr goes to the
// client log unless the caller set it.
func (s *suite) measure(ctx context.Context, cmd *exec.Cmd) ([]byte, CPU, error) {
	before := s.quiet.wait(ctx)
	var out bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = s.clientLog
	}
	serverPID := 0
	if s.server != nil {
		serverPID = s.server.pid()
	}
	m0, err := readMachineTicks()
	if err != nil {
		return nil, CPU{}, err
	}
	s0, p0 := procTicks(serverPID), treeTicks(s.pg.pid())
	runErr := cmd.Run()
	m1, err := readMachineTicks()
	if err != nil {
		return nil, CPU{}, err
	}
	s1, p1 := procTicks(serverPID), treeTicks(s.pg.pid())
	var client time.Duration
	if cmd.ProcessState != nil {
		client = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	c := cpuSplit(m0, m1, s1-s0, p1-p0, client)
	c.BusyBeforePct = before
	return out.Bytes(), c, runErr
}

// cpuSplit divides the machine's busy ticks between a and b into the
// server's, the PostgreSQL cluster's, the client's and the rest.
func cpuSplit(a, b machineTicks, server, pg int64, client time.Duration) CPU {
	c := CPU{ServerS: float64(server) / userHZ, PGS: float64(pg) / userHZ, ClientS: client.Seconds()}
	dt := float64(b.total - a.total)
	if dt <= 0 {
		return c
	}
	busy := dt - float64(b.idle-a.idle) - float64(b.iowait-a.iowait)
	other := max(0, busy-float64(server)-float64(pg)-client.Seconds()*userHZ)
	c.MachineBusyPct = 100 * busy / dt
	c.OtherPct = 100 * other / dt
	c.IOWaitPct = 100 * float64(b.iowait-a.iowait) / dt
	return c
}

// bench runs `ingot bench --json` for d against the running server (when
// one runs) and returns its result as run name.
func (s *suite) bench(ctx context.Context, name string, d time.Duration, args ...string) (Run, error) {
	full := append([]string{"bench", "--json", "--concurrency", strconv.Itoa(s.cfg.Concurrency),
		"--duration", d.String()}, args...)
	s.logf("ingot bench %s (%s)", strings.Join(args, " "), name)
	cmd := exec.CommandContext(ctx, s.cfg.IngotBin, full...)
	cmd.Env = append(os.Environ(), s.creds...)
	if s.server != nil { // none for an op that writes the database itself
		cmd.Env = append(cmd.Env, "INGOT_URL="+s.server.url)
	}
	out, cpu, err := s.measure(ctx, cmd)
	if err != nil {
		return Run{}, fmt.Errorf("ingot %s: %v\n%s", strings.Join(full, " "), err, tail(s.clientLog.Name()))
	}
	r := Run{Name: name, CPU: cpu}
	if err := json.Unmarshal(out, &r.Bench); err != nil {
		return Run{}, fmt.Errorf("ingot bench printed no result (%v):\n%s", err, out)
	}
	b := r.Bench
	s.logf("  %s %s: %.0f requests/s, p50 %.2f ms, p99 %.2f ms, %d errors; machine %.0f%% busy (other %.0f%%), server %.2f s CPU",
		b.Op, b.Mode, b.RPS, b.LatencyMS.P50, b.LatencyMS.P99, b.ErrorCount, cpu.MachineBusyPct, cpu.OtherPct, cpu.ServerS)
	return r, nil
}

// startServer starts ingot serve on dsn and takes the credentials it prints.
func (s *suite) startServer(ctx context.Context, name, dsn string) (time.Duration, error) {
	srv, took, err := startServer(ctx, s.cfg.IngotBin, dsn, s.work, name)
	if err != nil {
		return 0, err
	}
	s.server = srv
	if creds, err := srv.credentials(); err != nil {
		return 0, err
	} else if len(creds) > 0 {
		s.creds = creds
	}
	s.logf("ingot serve (%s) pid %d healthy at %s after %d ms", name, srv.pid(), srv.url, took.Milliseconds())
	return took, nil
}

func (s *suite) stopServer() {
	if s.server != nil {
		s.server.stop()
		s.server = nil
	}
}

// engineRuns runs every op closed loop, then the half-rate ones, then reads
// the server's memory (database dsn). The webhooks op leaves the program's
// endpoint pointing at its receiver, gone when that run ends: the endpoint
// is deleted before the half-rate runs, or their toggles' events would be
// attempted against a closed port and retried in the background of every
// later run (it doubled toggle's p99 at half rate in a hand run).
func (s *suite) engineRuns(ctx context.Context, e *EngineResults, dsn string) error {
	users := strconv.Itoa(s.cfg.Users)
	for _, o := range ops {
		r, err := s.bench(ctx, o.Op, s.cfg.Duration, "--op", o.Op, "--users", users)
		if err != nil {
			return err
		}
		e.Runs = append(e.Runs, r)
	}
	pid, err := s.programID(ctx, dsn)
	if err != nil {
		return err
	}
	if err := s.deleteEndpoint(ctx, dsn, pid); err != nil {
		return err
	}
	for _, o := range ops {
		if !o.HalfRate {
			continue
		}
		rate := max(1, math.Floor(e.run(o.Op).Bench.RPS/2))
		r, err := s.bench(ctx, o.Op+".half", s.cfg.Duration, "--op", o.Op, "--users", users,
			"--rate", strconv.FormatFloat(rate, 'f', 0, 64))
		if err != nil {
			return err
		}
		e.Runs = append(e.Runs, r)
	}
	m, err := readMem(s.server.pid())
	if err != nil {
		return err
	}
	e.Mem = &m
	return nil
}

// bigRuns seeds BigUsers users straight into the database, restarts the
// server timing its start-up, and runs the table's big ops, reading the
// server's memory after each.
func (s *suite) bigRuns(ctx context.Context, e *EngineResults, dsn string) error {
	s.logf("%s: seeding %d users with --bulk-db", engineName(e.Engine), s.cfg.BigUsers)
	seed, err := s.bench(ctx, "seed", time.Second, "--op", "list", "--users", strconv.Itoa(s.cfg.BigUsers), "--bulk-db", dsn)
	if err != nil {
		return err
	}
	s.stopServer()
	took, err := s.startServer(ctx, e.Engine+".big", dsn)
	if err != nil {
		return err
	}
	e.Big = &Big{Seed: seed, StartupMS: took.Milliseconds()}
	for _, o := range ops {
		if !o.Big {
			continue
		}
		r, err := s.bench(ctx, o.Op, s.cfg.Duration, "--op", o.Op, "--users", strconv.Itoa(s.cfg.Users), "--bulk-db", dsn)
		if err != nil {
			return err
		}
		m, err := readMem(s.server.pid())
		if err != nil {
			return err
		}
		r.Mem = &m
		e.Big.Runs = append(e.Big.Runs, r)
	}
	return nil
}

// meta fills in the machine and the versions.
func (s *suite) meta(ctx context.Context, m *Meta) error {
	m.LoadEnd = loadAvg()
	m.NProc = runtime.NumCPU()
	m.CPU = cpuModel()
	m.Mem = memTotal()
	m.Uname = output(ctx, "", "uname", "-a")
	if goBin, err := goTool(); err == nil {
		m.Go = output(ctx, s.cfg.Root, goBin, "version")
	}
	m.Commit = output(ctx, s.cfg.Root, "git", "rev-parse", "HEAD")
	if m.Commit == "" {
		m.Commit = "unknown"
	}
	// The report itself does not make the tree dirty.
	out, _ := filepath.Rel(s.cfg.Root, s.cfg.Out)
	for _, line := range strings.Split(output(ctx, s.cfg.Root, "git", "status", "--porcelain"), "\n") {
		if len(line) > 3 && line[3:] != out {
			m.Dirty = true
		}
	}
	return nil
}

// output is a command's trimmed stdout, "" when it fails.
func output(ctx context.Context, dir, name string, args ...string) string {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// keep copies the results and the logs of the run to cfg.Keep.
func (s *suite) keep(res *Results) error {
	if err := res.save(s.cfg.Keep); err != nil {
		return err
	}
	// Not the servers' stdout: it holds the sandbox credentials.
	logs, _ := filepath.Glob(filepath.Join(s.work, "*.log"))
	var errs []error
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err == nil {
			err = os.WriteFile(filepath.Join(s.cfg.Keep, filepath.Base(p)), b, 0o644)
		}
		errs = append(errs, err)
	}
	s.logf("results kept in %s", s.cfg.Keep)
	return errors.Join(errs...)
}
