package main

// The pure parts of "ingot bench": the open-loop schedule and its
// dispatcher (with an injectable clock), and the latency statistics.

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// lateThreshold is how far past its intended time a request may start
// before it counts as late.
const lateThreshold = time.Millisecond

// schedule is a fixed arrival rate: request i is intended to start at
// t0 + i/rate, computed from i each time so rounding never accumulates.
type schedule struct {
	t0   time.Time
	rate float64 // requests per second, > 0
}

// at is request i's intended start.
func (s schedule) at(i int64) time.Time {
	return s.t0.Add(time.Duration(math.Round(float64(i) * float64(time.Second) / s.rate)))
}

// count is how many requests are intended to start in [t0, t0+d).
func (s schedule) count(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	n := int64(math.Ceil(d.Seconds() * s.rate))
	// Correct the float estimate against at() itself.
	for n > 0 && !s.at(n-1).Before(s.t0.Add(d)) {
		n--
	}
	for s.at(n).Before(s.t0.Add(d)) {
		n++
	}
	return n
}

// clock is time as the dispatcher and workers see it; tests inject a fake.
type clock interface {
	Now() time.Time
	// SleepUntil returns at t, or false early when ctx is done.
	SleepUntil(ctx context.Context, t time.Time) bool
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) SleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dispatch hands the intended start times of sched's first n requests to
// the workers on out, each no earlier than its time. When every worker is
// busy it waits, and the times it hands out next are already past: the
// workers measure latency from them, so a stalled server cannot hide the
// requests it delayed (coordinated omission). It stops early when ctx is
// done and returns how many times it handed out.
func dispatch(ctx context.Context, clk clock, sched schedule, n int64, out chan<- time.Time) int64 {
	var i int64
	for ; i < n; i++ {
		t := sched.at(i)
		if !clk.SleepUntil(ctx, t) {
			break
		}
		select {
		case out <- t:
		case <-ctx.Done():
			return i
		}
	}
	return i
}

// sample is the outcome of one request.
type sample struct {
	latency time.Duration // from the intended start (open loop) or the actual start (closed loop)
	status  int           // HTTP status; 0 for a transport error
	late    bool          // open loop: started more than lateThreshold after its intended time
}

// benchResult is what "ingot bench --json" prints.
type benchResult struct {
	Op          string  `json:"op"`
	Mode        string  `json:"mode"` // "closed" or "open"
	Rate        float64 `json:"rate,omitempty"`
	Concurrency int     `json:"concurrency"`
	DurationS   float64 `json:"duration_s"`
	ElapsedS    float64 `json:"elapsed_s"`
	Users       int     `json:"users"`
	SeededVia   string  `json:"seeded_via,omitempty"` // "api" or "bulk-db"
	SeedS       float64 `json:"seed_s"`
	// SearchIndexBytes and DBBytes, after seeding with --bulk-db: the
	// search indexes' size and the whole database's.
	SearchIndexBytes int64            `json:"search_index_bytes,omitempty"`
	DBBytes          int64            `json:"db_bytes,omitempty"`
	Requests         int              `json:"requests"`
	OK               int              `json:"ok"`
	ErrorCount       int              `json:"error_count"`
	Errors           map[string]int   `json:"errors"` // HTTP status or "transport" -> count
	RPS              float64          `json:"rps"`
	LatencyMS        latencySummaryMS `json:"latency_ms"`
	Scheduled        int64            `json:"scheduled,omitempty"` // open loop: requests intended in the duration
	Late             int              `json:"late"`                // open loop: started > 1 ms after the intended time
	Unsent           int64            `json:"unsent"`              // open loop: intended but never started
	// Webhooks: --op webhooks and --webhook-receiver (bench_webhooks.go).
	Webhooks *webhookStats `json:"webhooks,omitempty"`
}

type latencySummaryMS struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted:
// the smallest value with at least p% of the values at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// summarize fills r's counts, errors, throughput and latency from the
// samples (all of them, errors included) over elapsed.
func summarize(r *benchResult, samples []sample, elapsed time.Duration) {
	lat := make([]time.Duration, len(samples))
	r.Errors = map[string]int{}
	var sum time.Duration
	for i, s := range samples {
		lat[i] = s.latency
		sum += s.latency
		switch {
		case s.status == 0:
			r.Errors["transport"]++
		case s.status/100 != 2:
			r.Errors[fmt.Sprint(s.status)]++
		default:
			r.OK++
		}
		if s.late {
			r.Late++
		}
	}
	r.Requests = len(samples)
	r.ErrorCount = r.Requests - r.OK
	r.ElapsedS = elapsed.Seconds()
	if elapsed > 0 {
		r.RPS = float64(len(samples)) / elapsed.Seconds()
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r.LatencyMS = latencySummaryMS{
		P50: ms(percentile(lat, 50)), P90: ms(percentile(lat, 90)), P99: ms(percentile(lat, 99)),
	}
	if len(lat) > 0 {
		r.LatencyMS.Max = ms(lat[len(lat)-1])
		r.LatencyMS.Mean = ms(sum / time.Duration(len(lat)))
	}
}

// errorList is "409: 3, transport: 1", statuses in order, or "none".
func (r *benchResult) errorList() string {
	keys := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys) // three-digit statuses sort numerically; "transport" last
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, r.Errors[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// printTable writes the human-readable report.
func (r *benchResult) printTable(w io.Writer) {
	mode := "closed loop"
	if r.Mode == "open" {
		mode = fmt.Sprintf("open loop at %g requests/s", r.Rate)
	}
	fmt.Fprintf(w, "op %s, %d users, concurrency %d, %s, %gs\n", r.Op, r.Users, r.Concurrency, mode, r.DurationS)
	fmt.Fprintf(w, "  requests      %d in %.2fs\n", r.Requests, r.ElapsedS)
	fmt.Fprintf(w, "  requests/s    %.1f\n", r.RPS)
	latFrom := "from each request's start"
	if r.Mode == "open" {
		latFrom = "from each request's intended start"
	}
	fmt.Fprintf(w, "  latency (ms, %s)\n", latFrom)
	fmt.Fprintf(w, "    p50         %.3f\n    p90         %.3f\n    p99         %.3f\n    max         %.3f\n",
		r.LatencyMS.P50, r.LatencyMS.P90, r.LatencyMS.P99, r.LatencyMS.Max)
	fmt.Fprintf(w, "  ok            %d\n", r.OK)
	fmt.Fprintf(w, "  errors        %d (%s)\n", r.ErrorCount, r.errorList())
	if r.DBBytes > 0 {
		fmt.Fprintf(w, "  search indexes %.1f MB of the database's %.1f MB\n", float64(r.SearchIndexBytes)/1e6, float64(r.DBBytes)/1e6)
	}
	if r.Mode == "open" {
		fmt.Fprintf(w, "  late > 1ms    %d of %d scheduled\n", r.Late, r.Scheduled)
		fmt.Fprintf(w, "  unsent        %d\n", r.Unsent)
	}
	if h := r.Webhooks; h != nil {
		fmt.Fprintf(w, "  webhooks      %d events, %d deliveries received (%d distinct), last %.2fs after the %s\n",
			h.Events, h.Received, h.Distinct, h.DrainS, map[bool]string{true: "release", false: "run"}[r.Op == "webhooks"])
		if r.Op == "webhooks" {
			fmt.Fprintf(w, "  delivered/s   %.1f after the release (%d were held in flight; toggles ran at %.1f/s)\n",
				h.EventsPerS, h.Held, h.GenerateRPS)
		}
	}
}
