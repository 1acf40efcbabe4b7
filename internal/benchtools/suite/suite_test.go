package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSuiteTinySQLite runs the whole suite on SQLite at toy size (short
// runs, few users, a small "big" run): it builds ingot and sqlitebaseline,
// measures the baselines, every op of the table and the restart, and the
// report has every section with real figures. Timings are not asserted.
func TestSuiteTinySQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ingot and runs it for several seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root, err := moduleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keep := t.TempDir()
	res, err := runSuite(ctx, config{
		Root: root, Out: filepath.Join(keep, "BENCHMARKS.md"), Users: 10, Concurrency: 2,
		Duration: 300 * time.Millisecond, BigUsers: 500, Backlog: 300, Engines: []string{"sqlite"}, Keep: keep,
		Log: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}

	e := res.engine("sqlite")
	if e == nil || len(e.Baselines) != 2 || e.raw() <= 0 || e.Mem == nil || e.Mem.HWMKB <= 0 {
		t.Fatalf("SQLite results incomplete: %+v", e)
	}
	var half int
	for _, o := range ops {
		if o.HalfRate {
			half++
			if r := e.run(o.Op + ".half"); r == nil || r.Bench.Mode != "open" || r.Bench.Rate < 1 {
				t.Errorf("%s at half rate: %+v", o.Op, r)
			}
		}
		r := e.run(o.Op)
		if r == nil || r.Bench.Op != o.Op || r.Bench.Mode != "closed" || r.Bench.Requests == 0 || r.Bench.ErrorCount != 0 {
			t.Errorf("%s closed loop: %+v", o.Op, r)
		}
	}
	if len(e.Runs) != len(ops)+half {
		t.Errorf("%d runs, want %d", len(e.Runs), len(ops)+half)
	}
	// The backlog: inserted with the server stopped, settled after the
	// restart (nothing is pending at the end, or the step would still wait).
	if b := e.Backlog; b == nil || b.Count != 300 || b.Insert.Bench.OK != 300 || b.Insert.Bench.ErrorCount != 0 ||
		b.StartupMS <= 0 || b.SettleMS < b.StartupMS || b.Mem == nil || b.Mem.HWMKB <= 0 || b.LoadEnd == "" {
		t.Errorf("backlog step: %+v", b)
	}
	if e.Big == nil || e.Big.Seed.Bench.Users != 500 || e.Big.StartupMS <= 0 {
		t.Fatalf("big run: %+v", e.Big)
	}
	for _, r := range e.Big.Runs {
		if r.Mem == nil || r.Bench.Requests == 0 {
			t.Errorf("big %s: %+v", r.Name, r)
		}
	}
	// The webhook rounds: every mode of every round of each op, every
	// event of the answer runs delivered.
	for _, c := range webhookCosts {
		wc := e.webhookCost(c.Op)
		if wc == nil || len(wc.Runs) != webhookRounds*len(webhookModes) {
			t.Fatalf("webhook rounds of %s: %+v", c.Op, wc)
		}
		for i, r := range wc.Runs {
			if r.Name != webhookModes[i%len(webhookModes)] || r.Bench.Op != c.Op || r.Bench.Requests == 0 || r.Bench.ErrorCount != 0 {
				t.Errorf("%s webhook run %d: %+v", c.Op, i, r)
			}
			if h := r.Bench.Webhooks; r.Name == webhookAnswer && (h == nil || h.Events == 0 || h.Distinct != h.Events) {
				t.Errorf("%s answer run %d: webhooks %+v, want every event delivered", c.Op, i, h)
			}
		}
	}
	if res.Meta.NProc < 1 || res.Meta.Go == "" || res.Meta.Commit == "" {
		t.Errorf("meta: %+v", res.Meta)
	}

	md := render(res)
	for _, s := range []string{"## Machine and versions", "## Commands", "## Raw baselines",
		"## ingot, 10 users, 2 workers, 300ms per run", "Server memory after these runs:", "## 500 users", "## Targets",
		"| SQLite | one-row UPDATE per transaction", "| start-up ≤ 1 s with 500 users |",
		"## Webhooks on and off", "| SQLite | transfer | median |",
		"## Settling a backlog after a restart", "| SQLite | 300 in ", "| 300 pending top-ups settled ≤ 60 s after a restart",
		"| topup requests/s ≥ 50% of transfer's in the same run |"} {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q:\n%s", s, md)
		}
	}
	if strings.Contains(md, "not run") || strings.Contains(md, "NaN") {
		t.Errorf("report has a missing figure:\n%s", md)
	}

	// --keep kept what --report needs: the same report again, measuring nothing.
	out := filepath.Join(t.TempDir(), "again.md")
	if err := run(ctx, []string{"--report", keep, "--out", out}); err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != md {
		t.Errorf("--report wrote a different report:\n%s\nwant:\n%s", again, md)
	}
	if _, err := os.Stat(filepath.Join(keep, "bench-client.log")); err != nil {
		t.Errorf("--keep kept no client log: %v", err)
	}
}

// testWriter logs the suite's progress with the test's output.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestConsoleStepTinySQLite runs the console page step on SQLite at toy
// size: it builds internal/console's test binary, runs BenchmarkPages
// with 2,000 users and two renders a page, and records every page,
// the sandbox's and the money pages among them, with real figures.
func TestConsoleStepTinySQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds internal/console's tests and seeds a database")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root, err := moduleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{cfg: config{Root: root, ConsoleUsers: 2000, ConsoleIterations: 2, Log: testWriter{t},
		// Only the console's binary is built.
		IngotBin: "unused", BaselineBin: "unused"}, work: t.TempDir()}
	if s.clientLog, err = os.Create(filepath.Join(s.work, "bench-client.log")); err != nil {
		t.Fatal(err)
	}
	defer s.clientLog.Close()
	if err := s.build(ctx); err != nil {
		t.Fatal(err)
	}
	e := &EngineResults{Engine: "sqlite"}
	if err := s.consolePages(ctx, e, ""); err != nil {
		t.Fatal(err)
	}
	for _, n := range consolePageNotes {
		p := e.Console.page(n.Name)
		if p == nil || p.Renders != 2 || p.NsPerOp <= 0 || p.P99MS <= 0 {
			t.Errorf("page %s: %+v, want two renders with their times", n.Name, p)
		}
	}
	if len(e.Console.Pages) != len(consolePageNotes) {
		t.Errorf("%d pages measured, the suite notes %d: keep consolePageNotes in step with BenchmarkPages",
			len(e.Console.Pages), len(consolePageNotes))
	}
	md := render(&Results{Meta: Meta{NProc: 1, ConsoleUsers: 2000, ConsoleRenders: 2}, Engines: []*EngineResults{e}})
	for _, want := range []string{"## Console pages", "| sandbox | Sandbox: the clock and the reset |",
		"| every console page ≤ 50 ms of server time with 2,000 users (mean of 2 renders) |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
