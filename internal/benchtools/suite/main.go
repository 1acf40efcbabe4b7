// Command suite is `make bench`: ingot's end-to-end benchmark on this
// machine, on SQLite and PostgreSQL, against each engine's raw
// one-row-UPDATE rate measured in the same run, then a run with a large
// user count (1,000,000) for memory and start-up. It writes BENCHMARKS.md
// from the figures of this run only.
//
// Usage (from the module root):
//
//	go run ./internal/benchtools/suite [flags]
//	go run ./internal/benchtools/suite --report DIR   # rewrite the report from results kept with --keep DIR
//
// It builds ingot and internal/benchtools/sqlitebaseline, then runs, each
// as a child process: sqlitebaseline (SQLite's raw rate), pgbench on a
// throwaway durable PostgreSQL cluster (PostgreSQL's), `ingot serve
// --sandbox` on each engine and `ingot bench --json` for every op of the
// table in plan.go, closed loop and, where the table says, at half the
// closed-loop rate, then toggle and transfer with webhooks off, held and
// delivered in three interleaved rounds (webhookcost.go: 18 runs more per
// engine), then (console.go) internal/console's BenchmarkPages, built as a
// test binary, for the console's page times with --console-users users.
// Around each measurement it reads /proc for the CPU the server, the load
// generator, PostgreSQL and everything else used, and after the runs the
// server's memory. Then, on each engine, it settles a backlog after a
// restart: with the server stopped, `ingot bench --op settle-backlog`
// inserts 100,000 pending top-ups due at once, and the restarted server is
// timed until nothing is pending. The targets of the table are
// reported met or MISSED, with what limits the missed ones.
//
// On Debian as root it apt-get installs PostgreSQL and pgbench when they
// are missing. It needs Linux (/proc), go on PATH and git for the commit.
// A run takes about 35 minutes on 2 CPUs with the defaults (2,009 s at
// bc82880): the webhook cost rounds about 9 of them, the console
// pages' seeding (a million users on each engine) 5 of them, the backlog 7
// (--console-users 0 and --backlog 0 skip them).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("suite", flag.ContinueOnError)
	cfg := config{Log: os.Stderr}
	fs.StringVar(&cfg.Out, "out", "", "the report's path (default BENCHMARKS.md at the module root)")
	fs.IntVar(&cfg.Users, "users", 1000, "users each ingot bench run creates before it measures")
	fs.IntVar(&cfg.Concurrency, "concurrency", 8, "workers of ingot bench, sqlitebaseline and pgbench")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of each measured run")
	fs.IntVar(&cfg.BigUsers, "big-users", 1_000_000, "users of the memory and start-up runs; 0 skips them")
	fs.BoolVar(&cfg.PGBig, "pg-big", true, "also the big runs on PostgreSQL")
	fs.IntVar(&cfg.ConsoleUsers, "console-users", 1_000_000, "users of the console page benchmark (internal/console BenchmarkPages) on each engine; 0 skips it")
	fs.IntVar(&cfg.ConsoleIterations, "console-renders", 100, "renders of each console page")
	fs.IntVar(&cfg.Backlog, "backlog", 100_000, "pending top-ups to settle after a restart on each engine; 0 skips the step")
	engines := fs.String("engines", "sqlite,pg", "engines to measure, in order: sqlite, pg")
	fs.DurationVar(&cfg.QuietWait, "quiet-wait", 4*time.Minute, "in all, how long to wait for a busy machine to calm down before measurements; 0: never wait")
	fs.StringVar(&cfg.Keep, "keep", "", "keep the raw results (results.json) and logs in this directory")
	reportDir := fs.String("report", "", "measure nothing: write the report from DIR/results.json, kept by an earlier --keep DIR")
	fs.BoolVar(&cfg.Install, "install", true, "as root on Debian, apt-get install PostgreSQL and pgbench when missing")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	for _, e := range strings.Split(*engines, ",") {
		if e != "sqlite" && e != "pg" {
			return fmt.Errorf("%w: --engines: unknown engine %q (want sqlite, pg)", errUsage, e)
		}
		cfg.Engines = append(cfg.Engines, e)
	}
	if cfg.Users < 1 || cfg.Concurrency < 1 || cfg.Duration < time.Second || cfg.BigUsers < 0 || cfg.Backlog < 0 {
		return fmt.Errorf("%w: --users and --concurrency must be >= 1, --duration >= 1s, --big-users and --backlog >= 0", errUsage)
	}
	if cfg.ConsoleUsers < 0 || cfg.ConsoleIterations < 1 {
		return fmt.Errorf("%w: --console-users must be >= 0, --console-renders >= 1", errUsage)
	}
	var err error
	if cfg.Root, err = moduleRoot(ctx); err != nil {
		return err
	}
	if cfg.Out == "" {
		cfg.Out = filepath.Join(cfg.Root, "BENCHMARKS.md")
	}
	if cfg.Out, err = filepath.Abs(cfg.Out); err != nil {
		return err
	}

	var res *Results
	if *reportDir != "" {
		res, err = loadResults(*reportDir)
	} else {
		res, err = runSuite(ctx, cfg)
	}
	if err != nil {
		return err
	}
	if err := writeFile(cfg.Out, render(res)); err != nil {
		return err
	}
	fmt.Fprintf(cfg.Log, "[bench %s] wrote %s (run took %d s)\n", time.Now().UTC().Format("15:04:05"), cfg.Out, res.Meta.WallS)
	return nil
}

// moduleRoot is the directory of the go.mod that `go env GOMOD` finds from
// here: where ingot is built and git asked for the commit.
func moduleRoot(ctx context.Context) (string, error) {
	goBin, err := goTool()
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, goBin, "env", "GOMOD").Output()
	mod := strings.TrimSpace(string(out))
	if err != nil || mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run from inside ingot's module (go env GOMOD: %q, %v)", mod, err)
	}
	return filepath.Dir(mod), nil
}

// writeFile replaces path with content through a temporary file, so a
// failed run never leaves half a report.
func writeFile(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
