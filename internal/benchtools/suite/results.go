package main

// The results of one suite run. They are plain JSON, kept with --keep DIR
// (results.json) so that --report DIR can write the report again without
// measuring anything.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Results is everything one run measured.
type Results struct {
	Meta    Meta             `json:"meta"`
	Engines []*EngineResults `json:"engines"` // in run order
}

// Meta is the machine, the versions and the knobs of the run.
type Meta struct {
	Date           string `json:"date"`   // start, "2006-01-02 15:04:05 UTC"
	WallS          int    `json:"wall_s"` // whole run, seconds
	LoadStart      string `json:"loadavg_start"`
	LoadEnd        string `json:"loadavg_end"`
	Uname          string `json:"uname"`
	NProc          int    `json:"nproc"`
	CPU            string `json:"cpu"`
	Mem            string `json:"mem"`
	Go             string `json:"go"`
	Commit         string `json:"commit"`
	Dirty          bool   `json:"dirty"`
	PGVersion      string `json:"pg_version,omitempty"`
	PGSettings     string `json:"pg_settings,omitempty"` // "name=setting, ..."
	PGBenchVersion string `json:"pgbench_version,omitempty"`
	PGBenchCmd     string `json:"pgbench_cmd,omitempty"` // as run, with PORT for the port
	Users          int    `json:"users"`
	Concurrency    int    `json:"concurrency"`
	Duration       string `json:"duration"` // Go duration, "10s"
	BigUsers       int    `json:"big_users"`
	Backlog        int    `json:"backlog,omitempty"` // pending top-ups of the backlog step; 0: not run
	QuietWaitS     int    `json:"quiet_wait_s"`      // budget for waiting for a calm machine, in all
	// ConsoleUsers and ConsoleRenders are the console page benchmark's
	// users and renders of each page (0 when it did not run).
	ConsoleUsers   int `json:"console_users,omitempty"`
	ConsoleRenders int `json:"console_renders,omitempty"`
}

// EngineResults is one engine's baselines and ingot's runs on it.
type EngineResults struct {
	Engine    string      `json:"engine"` // "sqlite" or "pg"
	Baselines []Baseline  `json:"baselines"`
	Runs      []Run       `json:"runs"` // closed-loop and half-rate runs, in run order
	Mem       *Mem        `json:"mem"`  // the server's after Runs
	Big       *Big        `json:"big,omitempty"`
	Backlog   *Backlog    `json:"backlog,omitempty"`
	PGErrors  []ErrorLine `json:"pg_errors,omitempty"` // what PostgreSQL logged as ERROR during ingot's runs
	// WebhookCosts are the ops run with webhooks off and on (webhookcost.go).
	WebhookCosts []WebhookCost `json:"webhook_costs,omitempty"`
	Console      *ConsoleRun   `json:"console,omitempty"` // the console's pages (console.go)
}

// ConsoleRun is one engine's run of internal/console's BenchmarkPages.
type ConsoleRun struct {
	Pages []ConsolePage `json:"pages"` // in the benchmark's order
	// WallS is the whole run, seeding included, in seconds; CPU covers it
	// too.
	WallS     float64 `json:"wall_s"`
	CPU       CPU     `json:"cpu"`
	LoadStart string  `json:"loadavg_start"`
	LoadEnd   string  `json:"loadavg_end"`
}

// ConsolePage is one page's server time: the mean (ns/op) over Renders
// renders, and the median and 99th percentile the benchmark reports.
type ConsolePage struct {
	Name    string  `json:"name"`
	Renders int     `json:"renders"`
	NsPerOp float64 `json:"ns_per_op"`
	P50MS   float64 `json:"p50_ms"`
	P99MS   float64 `json:"p99_ms"`
}

// MeanMS is the page's mean server time in milliseconds.
func (p ConsolePage) MeanMS() float64 { return p.NsPerOp / 1e6 }

// Baseline is one raw-engine measurement: sqlitebaseline's or pgbench's.
type Baseline struct {
	SQLite  *SQLiteBaseline `json:"sqlite,omitempty"`
	PGBench *PGBench        `json:"pgbench,omitempty"`
	CPU     CPU             `json:"cpu"`
}

// TPS is the baseline's transactions per second.
func (b Baseline) TPS() float64 {
	if b.SQLite != nil {
		return b.SQLite.TPS
	}
	if b.PGBench != nil {
		return b.PGBench.TPS
	}
	return 0
}

// SQLiteBaseline is what internal/benchtools/sqlitebaseline prints.
type SQLiteBaseline struct {
	SQLiteVersion string  `json:"sqlite_version"`
	Queue         bool    `json:"queue"`
	Concurrency   int     `json:"concurrency"`
	Tx            int     `json:"tx"`
	Errors        int     `json:"errors"`
	TPS           float64 `json:"tps"`
	Latency       struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
		Max float64 `json:"max"`
	} `json:"latency_ms"`
}

// PGBench is what the suite reads from pgbench's report.
type PGBench struct {
	TPS       float64 `json:"tps"`
	LatencyMS float64 `json:"latency_avg_ms"`
	Failed    int     `json:"failed"`
	Clients   int     `json:"clients"`
	Threads   int     `json:"threads"`
}

// Run is one `ingot bench` invocation and the CPU the machine spent on it.
type Run struct {
	Name  string      `json:"name"` // op, or op + ".half" for the half-rate run
	Bench BenchResult `json:"bench"`
	CPU   CPU         `json:"cpu"`
	Mem   *Mem        `json:"mem,omitempty"` // big runs: the server's right after the run
}

// BenchResult is the part of `ingot bench --json` the report uses
// (cmd/ingot/bench_stats.go's benchResult).
type BenchResult struct {
	Op    string  `json:"op"`
	Mode  string  `json:"mode"` // "closed" or "open"
	Rate  float64 `json:"rate"`
	Users int     `json:"users"`
	SeedS float64 `json:"seed_s"`
	// After seeding with --bulk-db: the search indexes' bytes and the
	// whole database's.
	SearchIndexBytes int64          `json:"search_index_bytes"`
	DBBytes          int64          `json:"db_bytes"`
	ElapsedS         float64        `json:"elapsed_s"`
	Requests         int            `json:"requests"`
	OK               int            `json:"ok"`
	ErrorCount       int            `json:"error_count"`
	Errors           map[string]int `json:"errors"`
	RPS              float64        `json:"rps"`
	LatencyMS        struct {
		P50 float64 `json:"p50"`
		P90 float64 `json:"p90"`
		P99 float64 `json:"p99"`
		Max float64 `json:"max"`
	} `json:"latency_ms"`
	Late   int   `json:"late"`
	Unsent int64 `json:"unsent"`
	// Webhooks: with --webhook-receiver, the events the run committed and
	// how many of them the receiver got.
	Webhooks *WebhookStats `json:"webhooks,omitempty"`
}

// WebhookStats is the part of `ingot bench`'s webhooks object the report
// uses.
type WebhookStats struct {
	Events   int `json:"events"`
	Distinct int `json:"distinct"`
}

// CPU is how the machine's CPU time went during one measurement: the ingot
// server's, the load generator's (the measured child process), the
// PostgreSQL cluster's, and everyone else's.
type CPU struct {
	ServerS        float64 `json:"server_cpu_s"`
	ClientS        float64 `json:"client_cpu_s"`
	PGS            float64 `json:"pg_cpu_s"`
	MachineBusyPct float64 `json:"machine_busy_pct"` // of all CPUs
	OtherPct       float64 `json:"other_pct"`        // of all CPUs, by processes not of this run
	IOWaitPct      float64 `json:"iowait_pct"`
	BusyBeforePct  int     `json:"busy_before_pct"` // -1: not sampled
}

// Mem is a process's memory from /proc/PID/status, in kB.
type Mem struct {
	HWMKB int64 `json:"hwm_kb"` // VmHWM, the peak
	RSSKB int64 `json:"rss_kb"` // VmRSS, now
}

// Big is the run with the big user count: the seed, the timed restart and
// the op runs (each with Mem).
type Big struct {
	Seed      Run   `json:"seed"`
	StartupMS int64 `json:"startup_ms"`
	Runs      []Run `json:"runs"`
}

// Backlog is the settlement of a backlog after a restart (backlog.go).
type Backlog struct {
	// Count is how many pending top-ups were inserted.
	Count int `json:"count"`
	// Insert is `ingot bench --op settle-backlog`, which inserted them.
	Insert Run `json:"insert"`
	// StartupMS is the restarted server's exec to its first /healthz 200;
	// SettleMS its exec to nothing pending.
	StartupMS int64 `json:"startup_ms"`
	SettleMS  int64 `json:"settle_ms"`
	// Mem is the server's when nothing was pending (VmHWM: its peak since
	// the exec).
	Mem *Mem `json:"mem"`
	// CPU is the machine's from the exec to nothing pending.
	CPU       CPU    `json:"cpu"`
	LoadStart string `json:"loadavg_start"`
	LoadEnd   string `json:"loadavg_end"`
}

// ErrorLine is one distinct error message PostgreSQL logged, with its count.
type ErrorLine struct {
	Count   int    `json:"count"`
	Message string `json:"message"`
}

// engine returns e's results, or nil when e was not run.
func (r *Results) engine(e string) *EngineResults {
	for _, x := range r.Engines {
		if x.Engine == e {
			return x
		}
	}
	return nil
}

// run returns the run named name, or nil.
func (e *EngineResults) run(name string) *Run {
	return findRun(e.Runs, name)
}

// bigRun is the run of op with the big user count, or nil.
func (e *EngineResults) bigRun(op string) *Run {
	if e.Big == nil {
		return nil
	}
	return findRun(e.Big.Runs, op)
}

// raw is the engine's raw tx/s that ratios divide by: the best of its baselines.
func (e *EngineResults) raw() float64 {
	var best float64
	for _, b := range e.Baselines {
		best = max(best, b.TPS())
	}
	return best
}

func findRun(runs []Run, name string) *Run {
	for i := range runs {
		if runs[i].Name == name {
			return &runs[i]
		}
	}
	return nil
}

const resultsFile = "results.json"

// save writes r to dir/results.json.
func (r *Results) save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, resultsFile), append(b, '\n'), 0o644)
}

// loadResults reads what save wrote.
func loadResults(dir string) (*Results, error) {
	b, err := os.ReadFile(filepath.Join(dir, resultsFile))
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, resultsFile), err)
	}
	return &r, nil
}
