package main

import (
	"strings"
	"testing"
)

// webhookRounds adds interleaved webhook rounds of op to e: requests/s per
// round for off, hold and answer.
func addWebhookRounds(e *EngineResults, op string, off, hold, answer []float64) {
	c := WebhookCost{Op: op}
	for i := range off {
		for _, m := range []struct {
			mode      string
			rps, cost float64 // cost: CPU per request, as a multiple of off's
		}{{webhookOff, off[i], 1}, {webhookHold, hold[i], 1.2}, {webhookAnswer, answer[i], 1.5}} {
			r := Run{Name: m.mode, CPU: CPU{ServerS: m.cost * m.rps / 1000, PGS: m.cost * m.rps / 2000, OtherPct: 12}}
			r.Bench = BenchResult{Op: op, Mode: "closed", Requests: int(m.rps * 10), OK: int(m.rps * 10), RPS: m.rps}
			if m.mode == webhookAnswer {
				r.Bench.Webhooks = &WebhookStats{Events: int(m.rps * 10), Distinct: int(m.rps * 10)}
			}
			c.Runs = append(c.Runs, r)
		}
	}
	e.WebhookCosts = append(e.WebhookCosts, c)
}

// TestRenderWebhookCosts: the rounds of webhooks off, hold and answer are
// a section of the report, one row per round and a row of medians per op;
// each op of webhookCosts is a target row per engine, met or missed on the
// medians of hold against off (answer's cost beside it), and a missed one
// is explained.
func TestRenderWebhookCosts(t *testing.T) {
	r := fixture()
	sqlite, pg := r.engine("sqlite"), r.engine("pg")
	addWebhookRounds(sqlite, "toggle", []float64{4000, 3900, 4100}, []float64{3700, 3600, 3800}, []float64{3000, 3100, 2900})
	addWebhookRounds(sqlite, "transfer", []float64{900, 1000, 950}, []float64{1000, 960, 980}, []float64{800, 850, 900})
	addWebhookRounds(pg, "toggle", []float64{1600, 1700, 1650}, []float64{1500, 1450, 1550}, []float64{1300, 1200, 1250})
	addWebhookRounds(pg, "transfer", []float64{300, 320, 310}, []float64{250, 240, 260}, []float64{200, 210, 220})
	md := render(r)
	for _, want := range []string{
		"## Webhooks on and off",
		"# 3 rounds of, for OP in toggle, transfer:",
		"ingot bench --json --concurrency 8 --duration 10s --users 1000 --op OP --webhook-receiver hold    # emitting",
		"| engine | op | round | off requests/s | hold requests/s | answer requests/s | events delivered (answer) |",
		"| SQLite | toggle | 1 | 4,000 | 3,700 | 3,000 | 30,000 of 30,000 |",
		"| SQLite | toggle | 3 | 4,100 | 3,800 | 2,900 | 29,000 of 29,000 |",
		"| SQLite | toggle | median | 4,000 | 3,700 (7.5% less) | 3,000 (25% less) | |",
		"| SQLite | transfer | median | 950 | 980 (-3.2% less) | 850 (11% less) | |",
		"| toggle: emitting webhooks costs ≤ 15% of its requests/s (medians of 3 interleaved rounds, off → hold) | " +
			"4,000 → 3,700/s, 7.5% less (delivering too: 3,000/s, 25% less): met | " +
			"1,650 → 1,500/s, 9.1% less (delivering too: 1,250/s, 24% less): met |",
		"| transfer: emitting webhooks costs ≤ 15% of its requests/s (medians of 3 interleaved rounds, off → hold) | " +
			"950 → 980/s, -3.2% less (delivering too: 850/s, 11% less): met | " +
			"310 → 250/s, 19% less (delivering too: 210/s, 32% less): **MISSED** |",
		"- PostgreSQL transfer emitting webhooks at 19% of its requests/s: each change also writes its events' outbox rows",
		"delivery job in the same transaction. The server spent 0.10 ms (PostgreSQL 0.05 ms) of CPU per request with " +
			"webhooks off and 0.12 ms (PostgreSQL 0.06 ms) emitting them",
		"Other processes took 12% of the machine during this run.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The section comes after ingot's runs and before the big runs.
	if i, j, k := strings.Index(md, "## ingot, "), strings.Index(md, "## Webhooks on and off"), strings.Index(md, "## 1,000,000 users"); !(i < j && j < k) {
		t.Errorf("sections at %d, %d, %d: want the webhook rounds between ingot's runs and the big runs", i, j, k)
	}
	if strings.Contains(md, "- SQLite toggle emitting") {
		t.Error("report explains a met webhook cost")
	}
}

// TestRenderWebhookCostsNotRun: results without webhook rounds (an older
// results.json) have no section, and their target cells say "not run".
func TestRenderWebhookCostsNotRun(t *testing.T) {
	md := render(fixture())
	if strings.Contains(md, "## Webhooks on and off") {
		t.Error("a section of webhook rounds without any")
	}
	want := "| toggle: emitting webhooks costs ≤ 15% of its requests/s (medians of 3 interleaved rounds, off → hold) | not run | not run |"
	if !strings.Contains(md, want) {
		t.Errorf("report lacks %q", want)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
}
