package main

// The console pages' part of the report: the commands, the table of page
// times, and the target row (console.go runs them).

import (
	"fmt"
	"strings"
)

// consoleEngines are the engines with a console run.
func (w *report) consoleEngines() []*EngineResults {
	var out []*EngineResults
	for _, e := range w.r.Engines {
		if e.Console != nil {
			out = append(out, e)
		}
	}
	return out
}

// consoleCommands are the console runs' lines of the Commands section.
func (w *report) consoleCommands() {
	engines := w.consoleEngines()
	if len(engines) == 0 {
		return
	}
	m := w.r.Meta
	if !strings.HasSuffix(w.String(), "\n\n") {
		w.line()
	}
	w.linef("# console pages, after each engine's runs: %s users, %d renders of each page (the benchmark seeds its own program)",
		f0(float64(m.ConsoleUsers)), m.ConsoleRenders)
	w.line("go test -c -o console.test ./internal/console/")
	for _, e := range engines {
		env := ""
		if e.Engine == "pg" {
			env = "INGOT_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable' "
		}
		w.linef("INGOT_BENCH_USERS=%d %s./console.test -test.run '^$' -test.bench '^BenchmarkPages$/^%s$/' -test.benchtime %dx",
			m.ConsoleUsers, env, consoleBenchEngine(e.Engine), m.ConsoleRenders)
	}
}

// consolePagesSection is the table of the console's page times.
func (w *report) consolePagesSection() {
	engines := w.consoleEngines()
	if len(engines) == 0 {
		return
	}
	m := w.r.Meta
	w.line("## Console pages")
	w.line()
	w.linef("Server time of each page of the operator console (`BenchmarkPages` in internal/console: the console's "+
		"handler from the session lookup to the last byte of HTML, without the network), %d renders of each, after "+
		"seeding one program with %s users (bulk), one account in 1,000 of them funded by five inbound wires, as "+
		"many users with a pending webhook delivery each, and a business in review; on PostgreSQL in a database of "+
		"the cluster above, on SQLite in a file. Target: %d ms a page (issue 16), held to the mean; p50 and p99 "+
		"show the spread.", m.ConsoleRenders, f0(float64(m.ConsoleUsers)), consoleTargetMS)
	w.line()
	head, sep := "| page | what it shows |", "| --- | --- |"
	for _, e := range engines {
		n := engineName(e.Engine)
		head += " " + n + " ms/page | " + n + " p50 / p99 ms |"
		sep += " ---: | ---: |"
	}
	w.line(head)
	w.line(sep)
	for _, name := range w.r.consoleRows() {
		row := "| " + name + " | " + consoleNote(name) + " |"
		for _, e := range engines {
			p := e.Console.page(name)
			if p == nil {
				row += " not run | |"
				continue
			}
			row += fmt.Sprintf(" %s: %s | %s / %s |", f2(p.MeanMS()), met(p.MeanMS() <= consoleTargetMS), f2(p.P50MS), f2(p.P99MS))
		}
		w.line(row)
	}
	w.line()
	var runs []string
	for _, e := range engines {
		c := e.Console
		runs = append(runs, fmt.Sprintf("%s took %.0f s, seeding included (load average %s at its start, %s at its end; "+
			"machine %s busy over the run, other processes %s)", engineName(e.Engine), c.WallS, c.LoadStart, c.LoadEnd,
			pct(c.CPU.MachineBusyPct/100), pct(c.CPU.OtherPct/100)))
	}
	w.line("The run on ", andList(runs), ".")
	w.line()
}

// consoleTargetRow is the targets table's row of the console's pages, with
// the explanations of the engines that missed it; nothing when no console
// run was made.
func (w *report) consoleTargetRow() (explain []string) {
	if len(w.consoleEngines()) == 0 {
		return nil
	}
	m := w.r.Meta
	cells := make([]string, 0, len(w.r.Engines))
	for _, e := range w.r.Engines {
		c := e.Console
		if c == nil {
			cells = append(cells, "not run")
			continue
		}
		over, slow := c.over(consoleTargetMS), c.slowest()
		if len(over) == 0 {
			cells = append(cells, fmt.Sprintf("all %d pages, slowest %s %s ms: met", len(c.Pages), slow.Name, f2(slow.MeanMS())))
			continue
		}
		names := make([]string, len(over))
		for i, p := range over {
			names[i] = fmt.Sprintf("%s %s ms", p.Name, f2(p.MeanMS()))
		}
		cells = append(cells, fmt.Sprintf("%d of %d pages over (%s): %s", len(over), len(c.Pages), strings.Join(names, ", "), met(false)))
		explain = append(explain, fmt.Sprintf("%s console pages over %d ms with %s users: %s. The machine was %.0f%% busy "+
			"during the run (other processes %.0f%%; load average %s at its start, %s at its end), and the benchmark's "+
			"renders share its %d CPUs with the database.", engineName(e.Engine), consoleTargetMS, f0(float64(m.ConsoleUsers)),
			consoleOverDetail(over), c.CPU.MachineBusyPct, c.CPU.OtherPct, c.LoadStart, c.LoadEnd, m.NProc))
	}
	w.line("| every console page ≤ ", fmt.Sprint(consoleTargetMS), " ms of server time with ", f0(float64(m.ConsoleUsers)),
		" users (mean of ", fmt.Sprint(m.ConsoleRenders), " renders) | ", strings.Join(cells, " | "), " |")
	return explain
}

// consoleOverDetail is each page over the target with its spread.
func consoleOverDetail(over []ConsolePage) string {
	parts := make([]string, len(over))
	for i, p := range over {
		what := ""
		if n := consoleNote(p.Name); n != "" {
			what = " (" + strings.ToLower(n[:1]) + n[1:] + ")"
		}
		parts[i] = fmt.Sprintf("%s%s %s ms, p50 %s ms, p99 %s ms", p.Name, what, f2(p.MeanMS()), f2(p.P50MS), f2(p.P99MS))
	}
	return andList(parts)
}
