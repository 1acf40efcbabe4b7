package main

// The console's pages (issue 16: every page in ≤ 50 ms of server time at
// 1,000,000 users, on both engines): internal/console's BenchmarkPages,
// built into a test binary and run on each engine after its big runs. The
// benchmark seeds its own program (bulk users, then accounts,
// transactions and webhook events through the service); on PostgreSQL in
// a database of the suite's durable cluster, on SQLite in a file of the
// work directory.

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// consoleTargetMS is each page's server-time goal (issue 16), held to the
// mean over the run's renders.
const consoleTargetMS = 50

// consolePageNotes say what each of BenchmarkPages's pages shows, in the
// report's order; a page the benchmark adds without a note here is listed
// after them by its name alone.
var consolePageNotes = []struct{ Name, What string }{
	{"programs", "Programs, with each one's counts"},
	{"users", "Users, first page"},
	{"users_page2", "Users, page 2"},
	{"users_search_rare", "Users, a search matching 5 users"},
	{"users_search_common", "Users, a search matching a tenth of them"},
	{"users_email", "Users, one email"},
	{"users_blocked", "Users, status blocked (1 in 10,000)"},
	{"users_kyc_pending", "Users, KYC pending (1 in 10,000)"},
	{"users_kyc_rejected", "Users, KYC rejected (1 in 10,000)"},
	{"user", "A user: profile, businesses, accounts, audit trail and its chain check"},
	{"user_with_account", "A user with an account"},
	{"businesses", "Businesses"},
	{"business", "A business: owners, documents, contacts, accounts, trail"},
	{"review", "Review queue"},
	{"accounts", "Accounts, first page"},
	{"accounts_page2", "Accounts, page 2"},
	{"accounts_last4", "Accounts, search by last four digits"},
	{"accounts_holder", "Accounts, search by holder (every account matches)"},
	{"accounts_frozen", "Accounts, status frozen (none)"},
	{"account", "An account: balances, transactions, trail"},
	{"transactions", "Transactions, first page"},
	{"transactions_page2", "Transactions, page 2"},
	{"transactions_filtered", "Transactions, completed inbound transfers"},
	{"transactions_none", "Transactions, payouts (none)"},
	{"transaction", "A transaction: entries, timeline, deliveries, trail"},
	{"webhooks", "Webhook deliveries"},
	{"webhooks_failed", "Webhook deliveries, failed"},
	{"sandbox", "Sandbox: the clock and the reset"},
}

// consoleBenchEngine is the benchmark's name of a suite engine.
func consoleBenchEngine(e string) string {
	if e == "pg" {
		return "postgres"
	}
	return e
}

// consolePages runs BenchmarkPages on engine e (pgAdmin, for PostgreSQL,
// is a URL of the cluster's postgres database, where the benchmark creates
// and drops its own database) and records it in e.Console.
func (s *suite) consolePages(ctx context.Context, e *EngineResults, pgAdmin string) error {
	name := consoleBenchEngine(e.Engine)
	s.logf("%s: console pages with %d users (BenchmarkPages, %d renders each)", engineName(e.Engine),
		s.cfg.ConsoleUsers, s.cfg.ConsoleIterations)
	cmd := exec.CommandContext(ctx, s.cfg.ConsoleBin, "-test.run", "^$", "-test.bench", "^BenchmarkPages$/^"+name+"$/",
		"-test.benchtime", strconv.Itoa(s.cfg.ConsoleIterations)+"x", "-test.timeout", "60m")
	cmd.Dir = s.work
	cmd.Env = append(os.Environ(), "INGOT_BENCH_USERS="+strconv.Itoa(s.cfg.ConsoleUsers), "TMPDIR="+s.work)
	if pgAdmin != "" {
		cmd.Env = append(cmd.Env, "INGOT_TEST_POSTGRES_URL="+pgAdmin)
	}
	c := &ConsoleRun{LoadStart: loadAvg()}
	start := time.Now()
	out, cpu, err := s.measure(ctx, cmd)
	c.WallS, c.CPU, c.LoadEnd = time.Since(start).Seconds(), cpu, loadAvg()
	if err != nil {
		return fmt.Errorf("console page benchmark: %v\n%s%s", err, lastLines(out, 20), tail(s.clientLog.Name()))
	}
	if c.Pages, err = parseConsoleBench(string(out), name); err != nil {
		return err
	}
	e.Console = c
	for _, p := range c.Pages {
		s.logf("  %-22s %8.2f ms/page, p50 %.2f ms, p99 %.2f ms", p.Name, p.MeanMS(), p.P50MS, p.P99MS)
	}
	return nil
}

// benchLine is one result line of `go test -bench`: name (without the
// -GOMAXPROCS suffix), iterations, ns/op and the other metrics.
var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+(\d+)\s+([0-9.]+) ns/op(.*)$`)

// parseConsoleBench reads the pages of engine's BenchmarkPages results
// from go test's output; no page at all is an error (the benchmark was
// skipped or never ran).
func parseConsoleBench(out, engine string) ([]ConsolePage, error) {
	var pages []ConsolePage
	prefix := "Pages/" + engine + "/"
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil || !strings.HasPrefix(m[1], prefix) {
			continue
		}
		p := ConsolePage{Name: strings.TrimPrefix(m[1], prefix)}
		p.Renders, _ = strconv.Atoi(m[2])
		p.NsPerOp, _ = strconv.ParseFloat(m[3], 64)
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "p50-ms":
				p.P50MS = v
			case "p99-ms":
				p.P99MS = v
			}
		}
		pages = append(pages, p)
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("the console page benchmark printed no result for %s:\n%s", engine, lastLines([]byte(out), 20))
	}
	return pages, nil
}

// lastLines is the last n lines of b.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n") + "\n"
}

// consoleRows are the pages of every engine's console run in the report's
// order: the noted ones first, then any other, as first seen.
func (r *Results) consoleRows() []string {
	seen := map[string]bool{}
	for _, e := range r.Engines {
		if e.Console != nil {
			for _, p := range e.Console.Pages {
				seen[p.Name] = true
			}
		}
	}
	var names []string
	for _, n := range consolePageNotes {
		if seen[n.Name] {
			names = append(names, n.Name)
			delete(seen, n.Name)
		}
	}
	for _, e := range r.Engines {
		if e.Console == nil {
			continue
		}
		for _, p := range e.Console.Pages {
			if seen[p.Name] {
				names = append(names, p.Name)
				delete(seen, p.Name)
			}
		}
	}
	return names
}

// consoleNote is what page name shows ("" when the suite has no note).
func consoleNote(name string) string {
	for _, n := range consolePageNotes {
		if n.Name == name {
			return n.What
		}
	}
	return ""
}

// page is the console run's page name, or nil.
func (c *ConsoleRun) page(name string) *ConsolePage {
	if c == nil {
		return nil
	}
	for i := range c.Pages {
		if c.Pages[i].Name == name {
			return &c.Pages[i]
		}
	}
	return nil
}

// over are the pages slower than limit ms (mean), slowest first.
func (c *ConsoleRun) over(limit float64) []ConsolePage {
	var out []ConsolePage
	for _, p := range c.Pages {
		if p.MeanMS() > limit {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b ConsolePage) int { return cmp.Compare(b.NsPerOp, a.NsPerOp) })
	return out
}

// slowest is the page with the highest mean.
func (c *ConsoleRun) slowest() ConsolePage {
	var s ConsolePage
	for _, p := range c.Pages {
		if p.NsPerOp > s.NsPerOp {
			s = p
		}
	}
	return s
}
