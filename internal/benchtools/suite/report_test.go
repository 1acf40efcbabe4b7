package main

import (
	"strings"
	"testing"
	"time"
)

// fixture is a whole run's results on both engines, with figures chosen so
// that some targets are met and others missed, PostgreSQL logged deadlocks,
// and one run had errors and unsent requests.
func fixture() *Results {
	run := func(name, op string, rps, p99 float64, busyPct float64) Run {
		r := Run{Name: name, CPU: CPU{ServerS: 2, ClientS: 1.5, MachineBusyPct: busyPct, OtherPct: 1}}
		r.Bench = BenchResult{Op: op, Mode: "closed", Users: 1000, Requests: int(rps * 10), OK: int(rps * 10), RPS: rps}
		if strings.HasSuffix(name, ".half") {
			r.Bench.Mode, r.Bench.Rate, r.Bench.Late = "open", rps, 42
		}
		r.Bench.LatencyMS.P50, r.Bench.LatencyMS.P90, r.Bench.LatencyMS.P99, r.Bench.LatencyMS.Max = p99/4, p99/2, p99, 2*p99
		return r
	}
	engine := func(e string, raw float64, toggle, toggleP99, getP99 float64) *EngineResults {
		er := &EngineResults{Engine: e, Mem: &Mem{HWMKB: 85300, RSSKB: 81700}}
		for _, o := range ops {
			rps := 4000.0
			if o.Op == "toggle" {
				rps = toggle
			}
			er.Runs = append(er.Runs, run(o.Op, o.Op, rps, 5, 70))
		}
		for _, o := range ops {
			if o.HalfRate {
				p99 := getP99
				if o.Op == "toggle" {
					p99 = toggleP99
				}
				er.Runs = append(er.Runs, run(o.Op+".half", o.Op, er.run(o.Op).Bench.RPS/2, p99, 65))
			}
		}
		er.Big = &Big{Seed: Run{Bench: BenchResult{SeedS: 86.4}}, StartupMS: 1234}
		for _, o := range ops {
			if o.Big {
				r := run(o.Op, o.Op, 5000, 3, 90)
				r.Mem = &Mem{HWMKB: 160 * 1024, RSSKB: 40 * 1024}
				er.Big.Runs = append(er.Big.Runs, r)
			}
		}
		return er
	}
	sqlite := engine("sqlite", 7164, 5695, 5.88, 2.21)
	q := &SQLiteBaseline{SQLiteVersion: "3.54.1", Queue: true, TPS: 7164}
	nq := &SQLiteBaseline{SQLiteVersion: "3.54.1", TPS: 7105}
	nq.Latency.Max = 10023
	sqlite.Baselines = []Baseline{{SQLite: q, CPU: CPU{MachineBusyPct: 32}}, {SQLite: nq, CPU: CPU{MachineBusyPct: 30}}}
	g := sqlite.run("get")
	g.Bench.ErrorCount, g.Bench.OK = 3, g.Bench.Requests-3
	g.Bench.Errors = map[string]int{"transport": 1, "409": 2}
	sqlite.run("get.half").Bench.Unsent = 7

	pg := engine("pg", 14173, 2050, 12.39, 5.87)
	pg.Baselines = []Baseline{{PGBench: &PGBench{TPS: 14173, LatencyMS: 0.56, Clients: 8, Threads: 2}, CPU: CPU{MachineBusyPct: 80}}}
	pg.PGErrors = []ErrorLine{{Count: 4, Message: "deadlock detected"}}
	backlog := func(settleMS, hwmMB int64, busyPct float64) *Backlog {
		b := &Backlog{Count: 100_000, StartupMS: 420, SettleMS: settleMS, Mem: &Mem{HWMKB: hwmMB * 1024, RSSKB: 50 * 1024},
			CPU: CPU{MachineBusyPct: busyPct, OtherPct: 12}, LoadStart: "1.10 1.20 1.30", LoadEnd: "2.10 1.50 1.40"}
		b.Insert.Bench = BenchResult{Op: "settle-backlog", Requests: 100_000, OK: 100_000, RPS: 2500, ElapsedS: 40}
		return b
	}
	sqlite.Backlog = backlog(45_200, 66, 95)
	pg.Backlog = backlog(75_000, 160, 88)
	return &Results{
		Meta: Meta{Date: "2026-11-23 23:42:26 UTC", WallS: 444, LoadStart: "1.99 1.79 2.11", LoadEnd: "3.85 2.61 2.33",
			Uname: "Linux vm", NProc: 2, CPU: "AMD EPYC", Mem: "24105 MiB total", Go: "go version go1.26.8 linux/amd64",
			Commit: "24cbb35", PGVersion: "PostgreSQL 15.18", PGSettings: "fsync=on, synchronous_commit=on",
			PGBenchVersion: "pgbench (PostgreSQL) 15.18", PGBenchCmd: "pgbench -h 127.0.0.1 -p PORT -U postgres -n -f update.sql -c 8 -j 2 -T 10 pgbench",
			Users: 1000, Concurrency: 8, Duration: "10s", BigUsers: 1_000_000, QuietWaitS: 240, Backlog: 100_000},
		Engines: []*EngineResults{sqlite, pg},
	}
}

// TestRenderEverySection: the report has every section, a row for every
// op of the table on every engine, every target, and explanations for the
// missed ones.
func TestRenderEverySection(t *testing.T) {
	md := render(fixture())
	want := []string{
		"# ingot benchmarks",
		"the whole run took 7 min 24 s",
		"## Machine and versions", "| `nproc` | 2 (AMD EPYC) |", "| PostgreSQL | PostgreSQL 15.18 |",
		"| SQLite | 3.54.1 (modernc.org/sqlite", "| ingot | commit `24cbb35` |",
		"Load average (1, 5, 15 min) at the start: 1.99 1.79 2.11; at the end: 3.85 2.61 2.33.",
		"no coordinated omission",
		"## Commands", "```sh", "go build -o ingot ./cmd/ingot",
		"sqlitebaseline --concurrency 8 --duration 10s baseline.db",
		"--op OP   # OP: create, get, list, search, toggle",
		"--op OP   # OP: create, get, list, search, toggle, business-create, business-get, transfer, transfer-hot, topup, search-common, search-miss, webhooks\ningot program webhook delete --program ID --db DSN   # the webhooks op leaves its endpoint",
		"--op toggle --rate R   # R: half the closed-loop toggle requests/s",
		"pgbench -h 127.0.0.1 -p PORT -U postgres -n -f update.sql -c 8 -j 2 -T 10 pgbench",
		"#   UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;",
		"# 1,000,000 users (SQLite, then PostgreSQL)",
		"--bulk-db DSN --op OP   # OP: get, list, search",
		"PostgreSQL settings in effect: `fsync=on, synchronous_commit=on`.",
		"## Raw baselines",
		"| SQLite | one-row UPDATE per transaction, 8 goroutines queued on a Go mutex (as ingot's store) | 7,164 |",
		"| SQLite | the same, 8 goroutines contending in SQLite's busy handler | 7,105 | p50 0.00 ms, p99 0.00 ms, max 10,023 ms | 30% (0%) |",
		"| PostgreSQL | pgbench, one-row UPDATE per transaction, -c 8 -j 2 | 14,173 | average 0.56 ms (0 failed) | 80% (0%) |",
		"The ratios below divide by the higher SQLite figure (7,164 tx/s) and by pgbench's 14,173 tx/s.",
		"## ingot, 1,000 users, 8 workers, 10s per run",
		`| SQLite | get | closed loop | 4,000 | 1.25 | 2.50 | 5.00 | 10.00 | 3 {"409": 2, "transport": 1} | 56% | 0.05 | 70% (1%) |`,
		"| SQLite | get | fixed 2,000/s (7 unsent) | 2,000 |",
		"| PostgreSQL | toggle | closed loop | 2,050 |",
		"(up to 30 s, 4 min in all)",
		"Server memory after these runs:", "| SQLite | 83.3 MB | 79.8 MB |",
		"## 1,000,000 users",
		"the get, list, search, search-common and search-miss runs each add 1,000 more bulk users",
		"| SQLite | 86 s | 1,234 ms | get | 5,000 |",
		"## Targets",
		"| target | SQLite | PostgreSQL |",
		"| toggle requests/s ≥ 50% of the engine's raw one-row-UPDATE tx/s | 5,695 ÷ 7,164 = 79%: met | 2,050 ÷ 14,173 = 14%: **MISSED** |",
		"| toggle p99 ≤ 10 ms at half the closed-loop rate | p99 5.88 ms at 2,848/s: met | p99 12.39 ms at 1,025/s: **MISSED** |",
		"| get p99 ≤ 10 ms at half the closed-loop rate | p99 2.21 ms at 2,000/s: met | p99 5.87 ms at 2,000/s: met |",
		"| get p99 ≤ 2 ms on SQLite at half the closed-loop rate | p99 2.21 ms at 2,000/s: **MISSED** | (SQLite only) |",
		"| server RSS ≤ 150 MB with 1,000,000 users (get, list, search, search-common, search-miss) | peak VmHWM 160.0 MB: **MISSED** |",
		"| start-up ≤ 1 s with 1,000,000 users | 1,234 ms: **MISSED** | 1,234 ms: **MISSED** |",
		"What limits the missed targets, as far as this run shows:",
		"- PostgreSQL toggle at 14% of raw: not CPU (machine 70% busy): lock waits. PostgreSQL logged 4 `deadlock detected`",
		"PostgreSQL's errors during ingot's runs (count, error): `4 deadlock detected`.",
		// get at 28% of pgbench's rate: the front end costs as much as the transaction.
		"ran at 4,000/s in this run, 28% of the raw rate, so HTTP, signing and JSON in front of the database already cost about as much as pgbench's whole transaction",
		"- SQLite get p99 2.21 ms at 2,000/s (p50 0.55 ms, 42 requests started > 1 ms late, machine 65% busy): the tail is most likely CPU scheduling",
		"- PostgreSQL memory above 150 MB with 1,000,000 users.",
		"- SQLite start-up above 1 s with 1,000,000 users",
	}
	for _, s := range want {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	// Every op of the table has its rows, on each engine.
	for _, e := range []string{"SQLite", "PostgreSQL"} {
		for _, o := range ops {
			if !strings.Contains(md, "| "+e+" | "+o.Op+" | closed loop |") {
				t.Errorf("no closed-loop row for %s %s", e, o.Op)
			}
			if o.HalfRate && !strings.Contains(md, "| "+e+" | "+o.Op+" | fixed ") {
				t.Errorf("no half-rate row for %s %s", e, o.Op)
			}
		}
	}
	if n := strings.Count(md, "- PostgreSQL toggle p99"); n != 1 {
		t.Errorf("PostgreSQL toggle's tail explained %d times, want 1", n)
	}
	if !strings.HasSuffix(md, "\n") || strings.HasSuffix(md, "\n\n") {
		t.Errorf("report should end in exactly one newline")
	}
}

// TestRenderOneEngine: a SQLite-only run has no PostgreSQL rows or
// commands, and a target's cell says "not run" when its run is missing.
func TestRenderOneEngine(t *testing.T) {
	r := fixture()
	r.Engines = r.Engines[:1]
	r.Engines[0].Big = nil
	md := render(r)
	for _, s := range []string{"| PostgreSQL", "# PostgreSQL", "pgbench", "## 1,000,000 users"} {
		if strings.Contains(md, s) {
			t.Errorf("SQLite-only report mentions %q", s)
		}
	}
	for _, s := range []string{"| target | SQLite |", "| start-up ≤ 1 s with 1,000,000 users | not run |"} {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q", s)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{f0(0), "0"},
		{f0(999.4), "999"},
		{f0(14173.4), "14,173"},
		{f0(1_234_567), "1,234,567"},
		{f0(-1234), "-1,234"},
		{f2(0.555), "0.56"},
		{pct(0.045), "4.5%"},
		{pct(0.0999), "10.0%"},
		{pct(0.8), "80%"},
		{pct(2.19), "219%"},
		{mb(85300), "83.3 MB"},
		{busy(CPU{MachineBusyPct: 69.5, OtherPct: 0.4}), "70% (0%)"},
		{minutes(240), "4 min"},
		{minutes(90), "90 s"},
		{msOrS(1000), "1 s"},
		{msOrS(250), "250 ms"},
		{andList([]string{"get"}), "get"},
		{andList([]string{"get", "list", "search"}), "get, list and search"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestParsePGBench(t *testing.T) {
	out := `pgbench (15.18 (Debian 15.18-0+deb12u1))
transaction type: update.sql
scaling factor: 1
query mode: simple
number of clients: 8
number of threads: 2
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 141731
number of failed transactions: 3 (0.002%)
latency average = 0.564 ms
initial connection time = 8.418 ms
tps = 14173.456789 (without initial connection time)
`
	got, err := parsePGBench(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.TPS != 14173.456789 || got.LatencyMS != 0.564 || got.Failed != 3 {
		t.Errorf("parsePGBench = %+v, want tps 14173.456789, latency 0.564, failed 3", got)
	}
	if _, err := parsePGBench("pgbench: error: connection refused\n"); err == nil {
		t.Error("a report without tps parsed")
	}
}

func TestCountErrors(t *testing.T) {
	log := `2026-11-23 23:44:01.123 UTC [123] LOG:  checkpoint starting: time
2026-11-23 23:44:02.456 UTC [124] ERROR:  deadlock detected
2026-11-23 23:44:02.456 UTC [124] DETAIL:  Process 124 waits for ShareLock on transaction 9
2026-11-23 23:44:03.000 UTC [125] ERROR:  could not serialize access due to concurrent update
2026-11-23 23:44:04.000 UTC [126] ERROR:  deadlock detected
`
	got, err := countErrors(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	want := []ErrorLine{{2, "deadlock detected"}, {1, "could not serialize access due to concurrent update"}}
	if len(got) != len(want) {
		t.Fatalf("countErrors = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("countErrors[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestCPUSplit(t *testing.T) {
	// 2 CPUs for 10 s: 2,000 ticks, 500 idle, 100 iowait; the server used
	// 600, PostgreSQL 300, the client 3 s (300 ticks): 200 ticks are others'.
	a := machineTicks{total: 10_000, idle: 4_000, iowait: 1_000}
	b := machineTicks{total: 12_000, idle: 4_500, iowait: 1_100}
	c := cpuSplit(a, b, 600, 300, 3*time.Second)
	want := CPU{ServerS: 6, PGS: 3, ClientS: 3, MachineBusyPct: 70, OtherPct: 10, IOWaitPct: 5}
	if c != want {
		t.Errorf("cpuSplit = %+v, want %+v", c, want)
	}
	// Rounding between sources never makes others' share negative.
	if c := cpuSplit(a, b, 1400, 0, 0); c.OtherPct != 0 {
		t.Errorf("other share %v, want 0", c.OtherPct)
	}
}

// TestExplainThroughputScale: a get much faster than the raw transaction
// puts the gap on the op's own writes, not on HTTP, signing and JSON.
func TestExplainThroughputScale(t *testing.T) {
	r := fixture()
	pg := r.engine("pg")
	pg.run("get").Bench.RPS = 20_000 // 141% of pgbench's 14,173
	md := render(r)
	want := "ran at 20,000/s in this run, 141% of the raw rate, so most of the gap is the toggle's own work in the database"
	if !strings.Contains(md, want) {
		t.Errorf("report lacks %q", want)
	}
	if strings.Contains(md, "already cost about as much as pgbench's") {
		t.Error("report says the front end costs as much as pgbench's transaction while get ran at 141% of it")
	}
}

// TestBigSearchTargets: issue 18's targets at the big user count are rows
// of the targets table, a missed one is explained from the run's CPU, and
// the search indexes' share of the database is reported.
func TestBigSearchTargets(t *testing.T) {
	r := fixture()
	pg := r.engine("pg")
	common := pg.bigRun("search-common")
	common.Bench.LatencyMS.P50, common.Bench.LatencyMS.P99, common.Bench.RPS, common.Bench.Requests = 45, 180, 60, 600
	common.CPU.ServerS, common.CPU.PGS = 3, 9
	pg.bigRun("search").Bench.RPS = 900
	pg.Big.Seed.Bench.SearchIndexBytes, pg.Big.Seed.Bench.DBBytes = 200<<20, 2000<<20
	r.engine("sqlite").Big.Seed.Bench.SearchIndexBytes, r.engine("sqlite").Big.Seed.Bench.DBBytes = 300<<20, 2000<<20
	md := render(r)
	for _, want := range []string{
		"| list p99 ≤ 20 ms with 1,000,000 users | p99 3.00 ms: met | p99 3.00 ms: met |",
		"| search p99 ≤ 50 ms with 1,000,000 users | p99 3.00 ms: met | p99 3.00 ms: met |",
		"| search requests/s ≥ 1,000 with 1,000,000 users | 5,000/s: met | 900/s: **MISSED** |",
		"| search-common p99 ≤ 100 ms with 1,000,000 users | p99 3.00 ms: met | p99 180.00 ms: **MISSED** |",
		"| search-miss requests/s ≥ 1,000 with 1,000,000 users | 5,000/s: met | 5,000/s: met |",
		"- PostgreSQL search-common with 1,000,000 users at 60 requests/s, p50 45.00 ms, p99 180.00 ms (machine 90% busy): " +
			"the server spent 5.00 ms of CPU per request on HTTP, HMAC-SHA512, JSON and a walk of the program's users",
		", and PostgreSQL 15.00 ms;",
		"take SQLite 300.0 MB of 2000.0 MB (15%) and PostgreSQL 200.0 MB of 2000.0 MB (10%) of the database.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "- SQLite search") {
		t.Error("report explains a met SQLite search target")
	}
}

// withConsole adds console page runs to r's engines: every page met on
// SQLite; on PostgreSQL the common search over the target.
func withConsole(r *Results) *Results {
	r.Meta.ConsoleUsers, r.Meta.ConsoleRenders = 1_000_000, 100
	for _, e := range r.Engines {
		c := &ConsoleRun{WallS: 151, LoadStart: "2.30 1.60 0.96", LoadEnd: "3.82 3.04 1.74",
			CPU: CPU{MachineBusyPct: 97, OtherPct: 41}}
		for i, n := range consolePageNotes {
			c.Pages = append(c.Pages, ConsolePage{Name: n.Name, Renders: 100, NsPerOp: float64(1+i) * 1e6,
				P50MS: float64(1+i) * 0.9, P99MS: float64(1+i) * 3})
		}
		if e.Engine == "pg" {
			p := c.page("users_search_common")
			p.NsPerOp, p.P50MS, p.P99MS = 61.5e6, 44, 143
		}
		e.Console = c
	}
	return r
}

// TestRenderConsolePages: the console's pages are a table of their own,
// one row per page with each engine's mean (met or MISSED against 50 ms),
// p50 and p99; the commands say how they ran; the targets table has one
// row for them, and a page over the target is explained with its spread
// and the machine's load.
func TestRenderConsolePages(t *testing.T) {
	md := render(withConsole(fixture()))
	for _, want := range []string{
		"# console pages, after each engine's runs: 1,000,000 users, 100 renders of each page (the benchmark seeds its own program)",
		"go test -c -o console.test ./internal/console/",
		"INGOT_BENCH_USERS=1000000 ./console.test -test.run '^$' -test.bench '^BenchmarkPages$/^sqlite$/' -test.benchtime 100x",
		"INGOT_BENCH_USERS=1000000 INGOT_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable' ./console.test -test.run '^$' -test.bench '^BenchmarkPages$/^postgres$/' -test.benchtime 100x",
		"## Console pages",
		"100 renders of each, after seeding one program with 1,000,000 users",
		"| page | what it shows | SQLite ms/page | SQLite p50 / p99 ms | PostgreSQL ms/page | PostgreSQL p50 / p99 ms |",
		"| programs | Programs, with each one's counts | 1.00: met | 0.90 / 3.00 | 1.00: met | 0.90 / 3.00 |",
		"| users_search_common | Users, a search matching a tenth of them | 5.00: met | 4.50 / 15.00 | 61.50: **MISSED** | 44.00 / 143.00 |",
		"| sandbox | Sandbox: the clock and the reset | 28.00: met | 25.20 / 84.00 | 28.00: met | 25.20 / 84.00 |",
		"The run on SQLite took 151 s, seeding included (load average 2.30 1.60 0.96 at its start, 3.82 3.04 1.74 at its end; machine 97% busy over the run, other processes 41%)",
		"| every console page ≤ 50 ms of server time with 1,000,000 users (mean of 100 renders) | all 28 pages, slowest sandbox 28.00 ms: met | 1 of 28 pages over (users_search_common 61.50 ms): **MISSED** |",
		"- PostgreSQL console pages over 50 ms with 1,000,000 users: users_search_common (users, a search matching a tenth of them) 61.50 ms, p50 44.00 ms, p99 143.00 ms. The machine was 97% busy",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if i, j := strings.Index(md, "## Console pages"), strings.Index(md, "## Targets"); i < 0 || j < i {
		t.Errorf("the console pages section is not before the targets")
	}
	if strings.Count(md, "- SQLite console pages") != 0 {
		t.Error("report explains SQLite's console pages, which all met the target")
	}
	// A page only one engine ran is "not run" on the other, and a page
	// the suite has no note for is listed by its name.
	r := withConsole(fixture())
	r.engine("sqlite").Console.Pages = append(r.engine("sqlite").Console.Pages, ConsolePage{Name: "audit", Renders: 100, NsPerOp: 2e6})
	if md := render(r); !strings.Contains(md, "| audit |  | 2.00: met | 0.00 / 0.00 | not run | |") {
		t.Errorf("a page run on SQLite only is not listed as such")
	}
	// Without console runs, the report has neither the section nor the row.
	md = render(fixture())
	for _, s := range []string{"Console pages", "console page", "console.test"} {
		if strings.Contains(md, s) {
			t.Errorf("a report without console runs mentions %q", s)
		}
	}
}

func TestParseConsoleBench(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/ingot-dev/ingot/internal/console
cpu: Intel(R) Xeon(R) Processor
BenchmarkPages/sqlite/programs-2         	     100	    140110 ns/op	         0.1120 p50-ms	         1.116 p99-ms
BenchmarkPages/sqlite/users_search_common-2       	     100	  45347405 ns/op	        38.31 p50-ms	       105.3 p99-ms
BenchmarkPages/postgres/users-2                   	     100	   4313295 ns/op	         2.862 p50-ms	        18.86 p99-ms
BenchmarkPages/sqlite/sandbox                     	       3	     68960 ns/op	         0.06000 p50-ms	         0.3350 p99-ms
PASS
`
	got, err := parseConsoleBench(out, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	want := []ConsolePage{
		{Name: "programs", Renders: 100, NsPerOp: 140110, P50MS: 0.112, P99MS: 1.116},
		{Name: "users_search_common", Renders: 100, NsPerOp: 45347405, P50MS: 38.31, P99MS: 105.3},
		{Name: "sandbox", Renders: 3, NsPerOp: 68960, P50MS: 0.06, P99MS: 0.335},
	}
	if len(got) != len(want) {
		t.Fatalf("parseConsoleBench = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("page %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := parseConsoleBench("--- SKIP: BenchmarkPages/postgres\nPASS\n", "postgres"); err == nil {
		t.Error("an output without results parsed")
	}
}

// TestBacklogRendering: the backlog step has its commands, its section with
// a row per engine, its two targets, and explanations of the missed ones;
// topup is held to half of transfer's requests/s.
func TestBacklogRendering(t *testing.T) {
	r := fixture()
	r.engine("pg").run("topup").Bench.RPS = 1500 // 38% of transfer's 4,000
	md := render(r)
	for _, want := range []string{
		"ingot bench --json --op settle-backlog --count 100000 --bulk-db DSN --concurrency 32",
		"ingot serve --sandbox --addr 127.0.0.1:PORT --db DSN   # timed from exec until no transaction is pending",
		"## Settling a backlog after a restart",
		"inserted 100,000 pending top-ups into its database",
		"| SQLite | 100,000 in 40.0 s (2,500/s) | 420 ms | 45.2 s | 2,212 | 66.0 MB | 50.0 MB | 95% (12%) | 1.10 1.20 1.30 → 2.10 1.50 1.40 |",
		"| PostgreSQL | 100,000 in 40.0 s (2,500/s) | 420 ms | 75.0 s | 1,333 | 160.0 MB |",
		"| 100,000 pending top-ups settled ≤ 60 s after a restart (from the exec) | 45.2 s: met | 75.0 s: **MISSED** |",
		"| server RSS ≤ 150 MB settling 100,000 pending top-ups after a restart | peak VmHWM 66.0 MB: met | peak VmHWM 160.0 MB: **MISSED** |",
		"| topup requests/s ≥ 50% of transfer's in the same run | 4,000 ÷ 4,000 = 100%: met | 1,500 ÷ 4,000 = 38%: **MISSED** |",
		"- PostgreSQL settled 100,000 pending top-ups in 75.0 s after the exec (start-up 420 ms, 1,333 a second; machine 88% busy)",
		"Other processes took 12% of the machine during this run.",
		"- PostgreSQL memory above 150 MB settling 100,000 pending top-ups after a restart.",
		"- PostgreSQL topup at 1,500 requests/s, below 50% of transfer: it does a read of the linked account, then a Work that claims its idempotent_key",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "- SQLite settled") {
		t.Error("report explains SQLite's met backlog target")
	}

	// Without the step: no section, no command, the targets not run.
	for _, e := range r.Engines {
		e.Backlog = nil
	}
	md = render(r)
	for _, s := range []string{"## Settling a backlog", "--op settle-backlog"} {
		if strings.Contains(md, s) {
			t.Errorf("a report without the backlog step mentions %q", s)
		}
	}
	if want := "| 100,000 pending top-ups settled ≤ 60 s after a restart (from the exec) | not run | not run |"; !strings.Contains(md, want) {
		t.Errorf("report lacks %q", want)
	}
}
