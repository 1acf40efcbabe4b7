package main

// The targets table: one row per target of the ops table and of
// suiteTargets, one cell per engine, met or MISSED; then what limits each
// missed target, as far as the run shows.

import (
	"cmp"
	"fmt"
	"strings"
)

// verdict is one target on one engine.
type verdict struct {
	cell   string
	missed bool
	op     opSpec // the op the target belongs to (zero for suite targets)
	t      target
	engine *EngineResults
}

func (w *report) targets() {
	w.line("## Targets")
	w.line()
	w.line("Reported, not asserted by any test.")
	w.line()
	head, sep := "| target |", "| --- |"
	for _, e := range w.r.Engines {
		head += " " + engineName(e.Engine) + " |"
		sep += " --- |"
	}
	w.line(head)
	w.line(sep)
	var missed []verdict
	row := func(o opSpec, t target) {
		cells := make([]string, 0, len(w.r.Engines))
		for _, e := range w.r.Engines {
			v := w.evaluate(o, t, e)
			cells = append(cells, v.cell)
			if v.missed {
				missed = append(missed, v)
			}
		}
		w.line("| ", w.label(o, t), " | ", strings.Join(cells, " | "), " |")
	}
	for _, o := range ops {
		for _, t := range o.Targets {
			row(o, t)
		}
	}
	w.webhookCostTargets(row)
	for _, t := range suiteTargets {
		row(opSpec{}, t)
	}
	consoleMissed := w.consoleTargetRow()
	w.line()
	if len(missed) == 0 && len(consoleMissed) == 0 {
		return
	}
	w.line("What limits the missed targets, as far as this run shows:")
	w.line()
	told := map[string]bool{}
	for _, v := range missed {
		// A tail explained for one limit is the same tail for another.
		key := fmt.Sprint(v.t.Kind, v.op.Op, v.engine.Engine)
		if told[key] {
			continue
		}
		told[key] = true
		w.line("- ", w.explain(v))
	}
	for _, x := range consoleMissed {
		w.line("- ", x)
	}
	w.line()
}

// label is the target's row label.
func (w *report) label(o opSpec, t target) string {
	m := w.r.Meta
	only := ""
	if t.Engines != nil {
		names := make([]string, len(t.Engines))
		for i, e := range t.Engines {
			names[i] = engineName(e)
		}
		only = " on " + andList(names)
	}
	switch t.Kind {
	case minShareOfRaw:
		return fmt.Sprintf("%s requests/s ≥ %s of the engine's raw one-row-UPDATE tx/s%s", o.Op, pct(t.Limit), only)
	case maxP99AtHalf:
		return fmt.Sprintf("%s p99 ≤ %g ms%s at half the closed-loop rate", o.Op, t.Limit, only)
	case maxBigPeakRSS:
		return fmt.Sprintf("server RSS ≤ %g MB with %s users (%s)%s", t.Limit, f0(float64(m.BigUsers)),
			strings.Join(opNames(func(o opSpec) bool { return o.Big }), ", "), only)
	case maxBigStartup:
		return fmt.Sprintf("start-up ≤ %s with %s users%s", msOrS(t.Limit), f0(float64(m.BigUsers)), only)
	case minShareOfOp:
		return fmt.Sprintf("%s requests/s ≥ %s of %s's in the same run%s", o.Op, pct(t.Limit), t.Of, only)
	case maxBigP99:
		return fmt.Sprintf("%s p99 ≤ %g ms with %s users%s", o.Op, t.Limit, f0(float64(m.BigUsers)), only)
	case minBigRPS:
		return fmt.Sprintf("%s requests/s ≥ %s with %s users%s", o.Op, f0(t.Limit), f0(float64(m.BigUsers)), only)
	case minRPS:
		what := "requests/s"
		if o.Op == "webhooks" {
			what = "events delivered/s"
		}
		return fmt.Sprintf("%s %s ≥ %s%s", o.Op, what, f0(t.Limit), only)
	case maxWebhookCost:
		return webhookCostLabel(o, t)
	case maxBacklogSettle:
		return fmt.Sprintf("%s pending top-ups settled ≤ %g s after a restart (from the exec)%s", f0(float64(m.Backlog)), t.Limit, only)
	case maxBacklogRSS:
		return fmt.Sprintf("server RSS ≤ %g MB settling %s pending top-ups after a restart%s", t.Limit, f0(float64(m.Backlog)), only)
	}
	return fmt.Sprintf("target kind %d", t.Kind)
}

// msOrS is a limit in ms as "1 s" when whole seconds, else "250 ms".
func msOrS(ms float64) string {
	if ms >= 1000 && int(ms)%1000 == 0 {
		return fmt.Sprintf("%d s", int(ms)/1000)
	}
	return fmt.Sprintf("%g ms", ms)
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**MISSED**"
}

// evaluate is target t of op o on engine e.
func (w *report) evaluate(o opSpec, t target, e *EngineResults) verdict {
	v := verdict{op: o, t: t, engine: e, cell: "not run"}
	if !t.applies(e.Engine) {
		names := make([]string, len(t.Engines))
		for i, x := range t.Engines {
			names[i] = engineName(x)
		}
		v.cell = "(" + andList(names) + " only)"
		return v
	}
	switch t.Kind {
	case minShareOfRaw:
		r, raw := e.run(o.Op), e.raw()
		if r == nil || raw == 0 {
			return v
		}
		ratio := r.Bench.RPS / raw
		v.missed = ratio < t.Limit
		v.cell = fmt.Sprintf("%s ÷ %s = %s: %s", f0(r.Bench.RPS), f0(raw), pct(ratio), met(!v.missed))
	case maxP99AtHalf:
		r := e.run(o.Op + ".half")
		if r == nil {
			return v
		}
		p99 := r.Bench.LatencyMS.P99
		v.missed = p99 > t.Limit
		v.cell = fmt.Sprintf("p99 %s ms at %s/s: %s", f2(p99), f0(r.Bench.Rate), met(!v.missed))
	case maxBigPeakRSS:
		if e.Big == nil || len(e.Big.Runs) == 0 {
			return v
		}
		var hwm int64
		for _, r := range e.Big.Runs {
			if r.Mem != nil {
				hwm = max(hwm, r.Mem.HWMKB)
			}
		}
		v.missed = float64(hwm) > t.Limit*1024
		v.cell = fmt.Sprintf("peak VmHWM %s: %s", mb(hwm), met(!v.missed))
	case maxBigStartup:
		if e.Big == nil {
			return v
		}
		v.missed = float64(e.Big.StartupMS) > t.Limit
		v.cell = fmt.Sprintf("%s ms: %s", f0(float64(e.Big.StartupMS)), met(!v.missed))
	case minShareOfOp:
		r, of := e.run(o.Op), e.run(t.Of)
		if r == nil || of == nil || of.Bench.RPS == 0 {
			return v
		}
		ratio := r.Bench.RPS / of.Bench.RPS
		v.missed = ratio < t.Limit
		v.cell = fmt.Sprintf("%s ÷ %s = %s: %s", f0(r.Bench.RPS), f0(of.Bench.RPS), pct(ratio), met(!v.missed))
	case maxBigP99:
		r := e.bigRun(o.Op)
		if r == nil {
			return v
		}
		v.missed = r.Bench.LatencyMS.P99 > t.Limit
		v.cell = fmt.Sprintf("p99 %s ms: %s", f2(r.Bench.LatencyMS.P99), met(!v.missed))
	case minBigRPS:
		r := e.bigRun(o.Op)
		if r == nil {
			return v
		}
		v.missed = r.Bench.RPS < t.Limit
		v.cell = fmt.Sprintf("%s/s: %s", f0(r.Bench.RPS), met(!v.missed))
	case minRPS:
		r := e.run(o.Op)
		if r == nil {
			return v
		}
		v.missed = r.Bench.RPS < t.Limit
		v.cell = fmt.Sprintf("%s/s: %s", f0(r.Bench.RPS), met(!v.missed))
	case maxWebhookCost:
		v.cell, v.missed = webhookCostCell(o.Op, t, e)
	case maxBacklogSettle:
		b := e.Backlog
		if b == nil {
			return v
		}
		v.missed = float64(b.SettleMS) > t.Limit*1000
		v.cell = fmt.Sprintf("%.1f s: %s", float64(b.SettleMS)/1000, met(!v.missed))
	case maxBacklogRSS:
		b := e.Backlog
		if b == nil || b.Mem == nil {
			return v
		}
		v.missed = float64(b.Mem.HWMKB) > t.Limit*1024
		v.cell = fmt.Sprintf("peak VmHWM %s: %s", mb(b.Mem.HWMKB), met(!v.missed))
	}
	return v
}

// explain says what limits a missed target, from the run's own figures.
func (w *report) explain(v verdict) string {
	m, e, name := w.r.Meta, v.engine, engineName(v.engine.Engine)
	switch v.t.Kind {
	case minShareOfRaw:
		return w.explainThroughput(v)
	case maxP99AtHalf:
		r := e.run(v.op.Op + ".half")
		b, c := r.Bench, r.CPU
		why := "queueing behind commits (fsync), not CPU."
		if c.MachineBusyPct >= 60 {
			why = fmt.Sprintf("most likely CPU scheduling: server, load generator and database share %d CPUs, and a "+
				"request whose goroutine or process waits for a core waits a time slice.", m.NProc)
		}
		return fmt.Sprintf("%s %s p99 %s ms at %s/s (p50 %s ms, %d requests started > 1 ms late, machine %.0f%% busy): "+
			"the tail is %s%s", name, v.op.Op, f2(b.LatencyMS.P99), f0(b.Rate), f2(b.LatencyMS.P50), b.Late,
			c.MachineBusyPct, why, others(c))
	case maxBigPeakRSS:
		return fmt.Sprintf("%s memory above %g MB with %s users.", name, v.t.Limit, f0(float64(m.BigUsers)))
	case minShareOfOp:
		r := e.run(v.op.Op)
		return fmt.Sprintf("%s %s at %s requests/s, below %s of %s: it does %s; the machine was %.0f%% busy.%s",
			name, v.op.Op, f0(r.Bench.RPS), pct(v.t.Limit), v.t.Of, cmp.Or(v.op.Work, "its own statements"),
			r.CPU.MachineBusyPct, others(r.CPU))
	case maxBigP99, minBigRPS:
		r := e.bigRun(v.op.Op)
		b, c := r.Bench, r.CPU
		why := fmt.Sprintf("the server spent %s ms of CPU per request on HTTP, HMAC-SHA512, JSON and %s",
			f2(serverMSPerRequest(*r)), cmp.Or(v.op.Work, "its own statements"))
		if e.Engine == "pg" {
			why += fmt.Sprintf(", and PostgreSQL %s ms", f2(1000*c.PGS/float64(max(1, b.Requests))))
		}
		return fmt.Sprintf("%s %s with %s users at %s requests/s, p50 %s ms, p99 %s ms (machine %.0f%% busy): %s; "+
			"%d workers share %d CPUs with the load generator, so a request's latency includes waiting for a core.%s",
			name, v.op.Op, f0(float64(m.BigUsers)), f0(b.RPS), f2(b.LatencyMS.P50), f2(b.LatencyMS.P99),
			c.MachineBusyPct, why, m.Concurrency, m.NProc, others(c))
	case maxBigStartup:
		return fmt.Sprintf("%s start-up above %s with %s users: the time before /healthz answers is opening the "+
			"database, checking migrations and the master key, and resuming pending KYC checks.",
			name, msOrS(v.t.Limit), f0(float64(m.BigUsers)))
	case maxWebhookCost:
		return explainWebhookCost(v)
	case maxBacklogSettle:
		b := e.Backlog
		return fmt.Sprintf("%s settled %s pending top-ups in %.1f s after the exec (start-up %s ms, %s a second; machine %.0f%% "+
			"busy): each settlement is a rail job claimed in batches of 128 by 128 workers and decided in its own Work (posting "+
			"the entries, the RBA's balance, the payment intent, an audit event and the job's deletion in one group commit, "+
			"which writes the clearing account's balance once for all its settlements).%s",
			name, f0(float64(b.Count)), float64(b.SettleMS)/1000, f0(float64(b.StartupMS)), f0(backlogRate(b)),
			b.CPU.MachineBusyPct, others(b.CPU))
	case maxBacklogRSS:
		return fmt.Sprintf("%s memory above %g MB settling %s pending top-ups after a restart.", name, v.t.Limit,
			f0(float64(e.Backlog.Count)))
	case minRPS:
		c := e.run(v.op.Op).CPU
		return fmt.Sprintf("%s %s at %s/s, below %s/s: the machine was %.0f%% busy during the run (the receiver and the "+
			"load generator share its %d CPUs with the server and the database).%s", name, v.op.Op,
			f0(e.run(v.op.Op).Bench.RPS), f0(v.t.Limit), c.MachineBusyPct, m.NProc, others(c))
	}
	return name + ": missed."
}

// explainThroughput tells CPU from the single writer from lock waits.
func (w *report) explainThroughput(v verdict) string {
	m, e, o := w.r.Meta, v.engine, v.op
	r := e.run(o.Op)
	b, c := r.Bench, r.CPU
	raw := e.raw()
	work := o.Work
	if work == "" {
		work = "its own statements"
	}
	var baseBusy float64
	if len(e.Baselines) > 0 {
		baseBusy = e.Baselines[0].CPU.MachineBusyPct
	}
	deadlocks := 0
	for _, l := range e.PGErrors {
		if strings.Contains(l.Message, "deadlock detected") {
			deadlocks += l.Count
		}
	}
	var why string
	switch {
	case c.MachineBusyPct >= 90:
		why = fmt.Sprintf("CPU: the machine was %.0f%% busy during the %s run (the server alone spent %s ms of CPU per "+
			"request on HTTP, HMAC-SHA512 verification, JSON and %s) against %.0f%% for the bare UPDATE loop, and the "+
			"load generator shares the same %d CPUs.", c.MachineBusyPct, o.Op, f2(serverMSPerRequest(*r)), work, baseBusy, m.NProc)
	case e.Engine == "sqlite":
		why = fmt.Sprintf("not CPU (machine %.0f%% busy) but the single writer: SQLite commits one group at a time, and "+
			"each %s runs %s, where the baseline runs one UPDATE per commit.", c.MachineBusyPct, o.Op, work)
	case deadlocks > 0 && o.LockNote != "":
		why = fmt.Sprintf("not CPU (machine %.0f%% busy): lock waits. PostgreSQL logged %d `deadlock detected` during "+
			"ingot's runs. %s; PostgreSQL detects it only after deadlock_timeout (1 s), and meanwhile other %ss queue "+
			"behind those rows, so a deadlock can stall most workers for up to 1 s (the run's p99 is %s ms, its p50 %s ms). "+
			"Beyond that, every write of a program locks that program's audit-chain head row until it commits, so one "+
			"program's writes commit one at a time, where pgbench's updates of different rows share WAL flushes.",
			c.MachineBusyPct, deadlocks, o.LockNote, o.Op, f0(b.LatencyMS.P99), f2(b.LatencyMS.P50))
	default:
		why = fmt.Sprintf("not CPU (machine %.0f%% busy): each %s runs %s, where pgbench runs one UPDATE per "+
			"transaction; every group of a program holds that program's audit-chain head row until it commits, so one "+
			"program's groups commit one at a time, and each round trip to the server in between is time the next "+
			"group waits.", c.MachineBusyPct, o.Op, work)
	}
	if g := e.run("get"); g != nil && o.Op != "get" {
		// A get is HTTP, signing and JSON around one indexed SELECT: when it
		// is no faster than the bare transaction, the front end alone costs
		// that much; when it is much faster, the gap is the op's own writes.
		so := fmt.Sprintf("so HTTP, signing and JSON in front of the database already cost about as much as %s on these CPUs",
			baselineWhole(e.Engine))
		if g.Bench.RPS > 1.25*raw {
			so = fmt.Sprintf("so most of the gap is the %s's own work in the database, not HTTP, signing and JSON in front of it", o.Op)
		}
		why += fmt.Sprintf(" For scale: a get, one indexed SELECT with no commit, ran at %s/s in this run, %s of the raw "+
			"rate, %s.", f0(g.Bench.RPS), pct(g.Bench.RPS/raw), so)
	}
	if len(e.PGErrors) > 0 {
		quoted := make([]string, len(e.PGErrors))
		for i, l := range e.PGErrors {
			quoted[i] = fmt.Sprintf("`%d %s`", l.Count, strings.Join(strings.Fields(l.Message), " "))
		}
		why += " PostgreSQL's errors during ingot's runs (count, error): " + strings.Join(quoted, "; ") + "."
	}
	return fmt.Sprintf("%s %s at %s of raw: %s%s", engineName(e.Engine), o.Op, pct(b.RPS/raw), why, others(c))
}

// baselineWhole names the baseline's whole transaction.
func baselineWhole(engine string) string {
	if engine == "pg" {
		return "pgbench's whole transaction"
	}
	return "the baseline's whole transaction"
}

// others mentions other processes' share of the machine when it is large
// enough to matter.
func others(c CPU) string {
	if c.OtherPct >= 10 {
		return fmt.Sprintf(" Other processes took %.0f%% of the machine during this run.", c.OtherPct)
	}
	return ""
}
