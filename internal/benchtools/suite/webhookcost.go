package main

// What webhooks cost the API (issue 14: "emitting events must cost the API
// ≤ 15 % of its toggle and transfer requests/s, measured with webhooks on
// and off in one run"): each op of webhookCosts runs in webhookRounds
// rounds of, in turn, no endpoint (off), an endpoint whose receiver holds
// every delivery (hold: the events, and on PostgreSQL their delivery jobs, are written,
// none delivered) and one that answers at once (answer: every event is
// delivered too). Interleaving the modes spreads whatever else the machine
// does over all three, and medians take out a round that something else
// disturbed. The target is on hold against off: emitting. Delivering also
// costs the same CPUs the server and the load generator share (and the
// receiver, which runs in the load generator), so answer's cost is
// reported beside it, not held to the target.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// webhookCost is an op measured with webhooks off and on, and its limit:
// the share of its requests/s emitting may cost.
type webhookCost struct {
	Op    string
	Limit float64
}

// webhookCosts are run on every engine, in this order, after the ops.
var webhookCosts = []webhookCost{
	{Op: "toggle", Limit: 0.15},
	{Op: "transfer", Limit: 0.15},
}

// The webhook modes in their run order within a round, and the rounds.
const (
	webhookOff    = "off"
	webhookHold   = "hold"
	webhookAnswer = "answer"
	webhookRounds = 3
)

var webhookModes = []string{webhookOff, webhookHold, webhookAnswer}

// WebhookCost is one op's interleaved rounds (webhookcost.go).
type WebhookCost struct {
	Op string `json:"op"`
	// Runs are in run order; each is named by its mode: off, hold or
	// answer.
	Runs []Run `json:"runs"`
}

// median is the median requests/s of the runs of mode (0 when none).
func (c *WebhookCost) median(mode string) float64 {
	var xs []float64
	for _, r := range c.Runs {
		if r.Name == mode {
			xs = append(xs, r.Bench.RPS)
		}
	}
	return median(xs)
}

// cost is how much less mode's median requests/s is than off's, as a
// share of off's (negative when it was faster); ok is false when either
// is missing.
func (c *WebhookCost) cost(mode string) (float64, bool) {
	off, on := c.median(webhookOff), c.median(mode)
	if off == 0 || on == 0 {
		return 0, false
	}
	return 1 - on/off, true
}

// median of xs, 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// webhookCost returns e's rounds of op, or nil.
func (e *EngineResults) webhookCost(op string) *WebhookCost {
	for i := range e.WebhookCosts {
		if e.WebhookCosts[i].Op == op {
			return &e.WebhookCosts[i]
		}
	}
	return nil
}

// webhookCostRuns measures every op of webhookCosts on the running server
// (database dsn): the rounds of off, hold and answer, deleting the
// endpoint after each run that set it (ingot program webhook delete), so
// that the next off run has none.
func (s *suite) webhookCostRuns(ctx context.Context, e *EngineResults, dsn string) error {
	pid, err := s.programID(ctx, dsn)
	if err != nil {
		return err
	}
	// An earlier op (webhooks) may have left an endpoint.
	if err := s.deleteEndpoint(ctx, dsn, pid); err != nil {
		return err
	}
	users := strconv.Itoa(s.cfg.Users)
	for _, c := range webhookCosts {
		wc := WebhookCost{Op: c.Op}
		for round := 1; round <= webhookRounds; round++ {
			for _, mode := range webhookModes {
				args := []string{"--op", c.Op, "--users", users}
				if mode != webhookOff {
					args = append(args, "--webhook-receiver", mode)
				}
				r, err := s.bench(ctx, c.Op+" webhooks "+mode, s.cfg.Duration, args...)
				if err != nil {
					return err
				}
				r.Name = mode
				wc.Runs = append(wc.Runs, r)
				if mode != webhookOff {
					if err := s.deleteEndpoint(ctx, dsn, pid); err != nil {
						return err
					}
				}
			}
		}
		e.WebhookCosts = append(e.WebhookCosts, wc)
		for _, mode := range webhookModes[1:] {
			if x, ok := wc.cost(mode); ok {
				s.logf("  %s: %s costs %s of the requests/s (medians %s → %s)", c.Op, mode, pct(x),
					f0(wc.median(webhookOff)), f0(wc.median(mode)))
			}
		}
	}
	return nil
}

// programID is the id of the one program in the database.
func (s *suite) programID(ctx context.Context, dsn string) (string, error) {
	cmd := exec.CommandContext(ctx, s.cfg.IngotBin, "program", "list", "--db", dsn, "--json")
	cmd.Stderr = s.clientLog
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("ingot program list: %v\n%s", err, tail(s.clientLog.Name()))
	}
	var ps []struct {
		ID string `json:"program_id"`
	}
	if err := json.Unmarshal(out, &ps); err != nil || len(ps) != 1 || ps[0].ID == "" {
		return "", fmt.Errorf("ingot program list: want one program, got %s (%v)", out, err)
	}
	return ps[0].ID, nil
}

// deleteEndpoint removes program pid's webhook endpoint, if it has one.
func (s *suite) deleteEndpoint(ctx context.Context, dsn, pid string) error {
	cmd := exec.CommandContext(ctx, s.cfg.IngotBin, "program", "webhook", "delete", "--program", pid, "--db", dsn)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit) && strings.Contains(string(out), "no webhook endpoint"):
		return nil
	}
	return fmt.Errorf("ingot program webhook delete: %v\n%s", err, out)
}

// webhookCostTargets are the targets table's rows of webhookCosts.
func (w *report) webhookCostTargets(row func(opSpec, target)) {
	for _, c := range webhookCosts {
		row(opSpec{Op: c.Op}, target{Kind: maxWebhookCost, Limit: c.Limit})
	}
}

// webhookCostLabel is a maxWebhookCost target's row label.
func webhookCostLabel(o opSpec, t target) string {
	return fmt.Sprintf("%s: emitting webhooks costs ≤ %s of its requests/s (medians of %d interleaved rounds, off → hold)",
		o.Op, pct(t.Limit), webhookRounds)
}

// webhookCostCell is target t (maxWebhookCost) of op on engine e.
func webhookCostCell(op string, t target, e *EngineResults) (string, bool) {
	c := e.webhookCost(op)
	if c == nil {
		return "not run", false
	}
	emit, ok := c.cost(webhookHold)
	if !ok {
		return "not run", false
	}
	missed := emit > t.Limit
	cell := fmt.Sprintf("%s → %s/s, %s less", f0(c.median(webhookOff)), f0(c.median(webhookHold)), signedPct(emit))
	if deliver, ok := c.cost(webhookAnswer); ok {
		cell += fmt.Sprintf(" (delivering too: %s/s, %s less)", f0(c.median(webhookAnswer)), signedPct(deliver))
	}
	return cell + ": " + met(!missed), missed
}

// signedPct is a cost as a percentage; a negative one (faster with
// webhooks, noise) keeps its sign.
func signedPct(x float64) string {
	if x < 0 {
		return "-" + pct(-x)
	}
	return pct(x)
}

// explainWebhookCost says what a missed webhook cost is made of.
func explainWebhookCost(v verdict) string {
	e, name := v.engine, engineName(v.engine.Engine)
	c := e.webhookCost(v.op.Op)
	var off, hold CPU
	var offReq, holdReq int
	var other float64
	for _, r := range c.Runs {
		other += r.CPU.OtherPct / float64(len(c.Runs))
		switch r.Name {
		case webhookOff:
			off.ServerS, off.PGS, offReq = off.ServerS+r.CPU.ServerS, off.PGS+r.CPU.PGS, offReq+r.Bench.Requests
		case webhookHold:
			hold.ServerS, hold.PGS, holdReq = hold.ServerS+r.CPU.ServerS, hold.PGS+r.CPU.PGS, holdReq+r.Bench.Requests
		}
	}
	perReq := func(c CPU, n int) string {
		s := f2(1000*c.ServerS/float64(max(1, n))) + " ms"
		if e.Engine == "pg" {
			s += " (PostgreSQL " + f2(1000*c.PGS/float64(max(1, n))) + " ms)"
		}
		return s
	}
	// SQLite writes no job row for a first delivery its writer's process
	// holds (docs/decisions.md, "SQLite hands first deliveries over
	// without a job row").
	what := "its events' outbox rows and its group's delivery job in the same transaction"
	if e.Engine == "sqlite" {
		what = "its events' outbox rows (no delivery job row: the first attempt is handed to this process) in the " +
			"same transaction, inside SQLite's one writer"
	}
	return fmt.Sprintf("%s %s emitting webhooks at %s of its requests/s: each change also writes %s. The server spent %s of CPU per request with webhooks off and %s emitting "+
		"them, over whole runs (seeding and, for hold, the backlog's delivery after the run included).%s", name,
		v.op.Op, signedPct(mustCost(c)), what, perReq(off, offReq), perReq(hold, holdReq), others(CPU{OtherPct: other}))
}

func mustCost(c *WebhookCost) float64 {
	x, _ := c.cost(webhookHold)
	return x
}

// webhookCostSection is the report's section of the webhook rounds.
func (w *report) webhookCostSection() {
	var any bool
	for _, e := range w.r.Engines {
		any = any || len(e.WebhookCosts) > 0
	}
	if !any {
		return
	}
	m := w.r.Meta
	w.line("## Webhooks on and off")
	w.line()
	w.linef("What emitting and delivering webhooks costs the API (issue 14): each op below ran in %d rounds of, in turn, "+
		"no webhook endpoint (off), an endpoint whose receiver holds every delivery (hold: each change also writes its "+
		"events, and on PostgreSQL their delivery job, none is delivered during the run), and one whose receiver answers at once "+
		"(answer: every event is delivered as well). The receiver runs in the load generator, on the same CPUs. "+
		"Costs compare the medians of the rounds with off's.", webhookRounds)
	w.line()
	w.line("```sh")
	w.linef("# %d rounds of, for OP in %s:", webhookRounds, strings.Join(webhookCostOps(), ", "))
	bench := fmt.Sprintf("ingot bench --json --concurrency %d --duration %s --users %d --op OP", m.Concurrency, m.Duration, m.Users)
	w.line(bench, "                           # off")
	w.line(bench, " --webhook-receiver hold    # emitting")
	w.line("ingot program webhook delete --program ID --db DSN")
	w.line(bench, " --webhook-receiver answer  # delivering too")
	w.line("ingot program webhook delete --program ID --db DSN")
	w.line("```")
	w.line()
	w.line("| engine | op | round | off requests/s | hold requests/s | answer requests/s | events delivered (answer) |")
	w.line("| --- | --- | --- | ---: | ---: | ---: | ---: |")
	for _, e := range w.r.Engines {
		for i := range e.WebhookCosts {
			c := &e.WebhookCosts[i]
			rounds := map[string][]Run{}
			for _, r := range c.Runs {
				rounds[r.Name] = append(rounds[r.Name], r)
			}
			for k := range rounds[webhookOff] {
				cell := func(mode string) string {
					if k < len(rounds[mode]) {
						return f0(rounds[mode][k].Bench.RPS)
					}
					return ""
				}
				delivered := ""
				if k < len(rounds[webhookAnswer]) {
					if h := rounds[webhookAnswer][k].Bench.Webhooks; h != nil {
						delivered = fmt.Sprintf("%s of %s", f0(float64(h.Distinct)), f0(float64(h.Events)))
					}
				}
				w.linef("| %s | %s | %d | %s | %s | %s | %s |", engineName(e.Engine), c.Op, k+1, cell(webhookOff),
					cell(webhookHold), cell(webhookAnswer), delivered)
			}
			costOf := func(mode string) string {
				x, ok := c.cost(mode)
				if !ok {
					return ""
				}
				return fmt.Sprintf("%s (%s less)", f0(c.median(mode)), signedPct(x))
			}
			w.linef("| %s | %s | median | %s | %s | %s | |", engineName(e.Engine), c.Op, f0(c.median(webhookOff)),
				costOf(webhookHold), costOf(webhookAnswer))
		}
	}
	w.line()
}

// webhookCostOps are the ops of webhookCosts.
func webhookCostOps() []string {
	var names []string
	for _, c := range webhookCosts {
		names = append(names, c.Op)
	}
	return names
}
