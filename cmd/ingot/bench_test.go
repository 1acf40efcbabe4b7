package main

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBenchPercentile(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, ms(i))
	}
	ten := hundred[:10]
	for _, c := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", []time.Duration{ms(7)}, 99, ms(7)},
		{"p50 of 1..100", hundred, 50, ms(50)},
		{"p90 of 1..100", hundred, 90, ms(90)},
		{"p99 of 1..100", hundred, 99, ms(99)},
		{"p100 is the max", hundred, 100, ms(100)},
		{"tiny p is the min", hundred, 0.001, ms(1)},
		{"p50 of 1..10", ten, 50, ms(5)},
		{"p90 of 1..10", ten, 90, ms(9)},
		{"p99 of 1..10 rounds up to the max", ten, 99, ms(10)},
	} {
		if got := percentile(c.sorted, c.p); got != c.want {
			t.Errorf("%s: percentile(p%g) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
}

func TestBenchSummarize(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	// Unsorted on purpose; errors count in the latencies too.
	samples := []sample{
		{latency: ms(30), status: 200},
		{latency: ms(10), status: 200, late: true},
		{latency: ms(20), status: 409},
		{latency: ms(50), status: 0},
		{latency: ms(40), status: 500},
		{latency: ms(60), status: 409, late: true},
	}
	var r benchResult
	summarize(&r, samples, 2*time.Second)
	if r.Requests != 6 || r.OK != 2 || r.ErrorCount != 4 || r.Late != 2 {
		t.Errorf("requests %d ok %d errors %d late %d, want 6 2 4 2", r.Requests, r.OK, r.ErrorCount, r.Late)
	}
	want := map[string]int{"409": 2, "500": 1, "transport": 1}
	if len(r.Errors) != len(want) {
		t.Errorf("errors = %v, want %v", r.Errors, want)
	}
	for k, v := range want {
		if r.Errors[k] != v {
			t.Errorf("errors[%s] = %d, want %d", k, r.Errors[k], v)
		}
	}
	if got := r.errorList(); got != "409: 2, 500: 1, transport: 1" {
		t.Errorf("errorList = %q", got)
	}
	if r.RPS != 3 || r.ElapsedS != 2 {
		t.Errorf("rps %v elapsed %v, want 3 and 2", r.RPS, r.ElapsedS)
	}
	l := r.LatencyMS
	if l.P50 != 30 || l.P90 != 60 || l.P99 != 60 || l.Max != 60 || l.Mean != 35 {
		t.Errorf("latency = %+v, want p50 30, p90 60, p99 60, max 60, mean 35", l)
	}

	var empty benchResult
	summarize(&empty, nil, time.Second)
	if empty.Requests != 0 || empty.RPS != 0 || empty.LatencyMS != (latencySummaryMS{}) || empty.errorList() != "none" {
		t.Errorf("no samples: %+v", empty)
	}
}

func TestBenchSchedule(t *testing.T) {
	t0 := time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)
	s := schedule{t0: t0, rate: 3}
	for i, want := range []time.Duration{0, 333333333, 666666667, time.Second, 1333333333} {
		if got := s.at(int64(i)).Sub(t0); got != want {
			t.Errorf("rate 3: at(%d) = t0+%v, want t0+%v", i, got, want)
		}
	}
	// Computed from i, not accumulated: no drift after millions of requests.
	if got := (schedule{t0: t0, rate: 7}).at(7_000_000).Sub(t0); got != 1_000_000*time.Second {
		t.Errorf("rate 7: at(7e6) = t0+%v, want t0+1e6s", got)
	}
	for _, c := range []struct {
		rate float64
		d    time.Duration
		want int64
	}{
		{50, time.Second, 50},
		{3, time.Second, 3},
		{0.5, time.Second, 1},
		{0.5, 2*time.Second + 1, 2},
		{1000, time.Second + time.Millisecond, 1001},
		{1000, time.Second + time.Microsecond, 1001},
		{100, 0, 0},
	} {
		s := schedule{t0: t0, rate: c.rate}
		got := s.count(c.d)
		if got != c.want {
			t.Errorf("rate %g over %v: count = %d, want %d", c.rate, c.d, got, c.want)
		}
		// Every counted request starts inside the window, the next one not.
		if got > 0 && !s.at(got-1).Before(t0.Add(c.d)) || s.at(got).Before(t0.Add(c.d)) {
			t.Errorf("rate %g over %v: count %d disagrees with at()", c.rate, c.d, got)
		}
	}
}

// fakeClock jumps instead of sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) bool {
	if ctx.Err() != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	return true
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestBenchDispatch: the dispatcher hands out the schedule's intended times,
// never before they are due, and keeps them on schedule when the worker
// falls behind, so the worker's latency includes the time it kept the
// request waiting.
func TestBenchDispatch(t *testing.T) {
	t0 := time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)
	clk := &fakeClock{now: t0}
	sched := schedule{t0: t0, rate: 100} // one every 10 ms
	const n = 20
	const service = 25 * time.Millisecond // the worker is 2.5 times too slow
	out := make(chan time.Time)
	type got struct{ intended, received time.Time }
	var recv []got
	done := make(chan struct{})
	go func() {
		defer close(done)
		for it := range out {
			recv = append(recv, got{it, clk.Now()})
			clk.advance(service)
		}
	}()
	sent := dispatch(context.Background(), clk, sched, n, out)
	close(out)
	<-done
	if sent != n || len(recv) != n {
		t.Fatalf("dispatched %d, received %d, want %d", sent, len(recv), n)
	}
	for i, r := range recv {
		if want := t0.Add(time.Duration(i) * 10 * time.Millisecond); !r.intended.Equal(want) {
			t.Errorf("request %d intended at t0+%v, want t0+%v", i, r.intended.Sub(t0), want.Sub(t0))
		}
		if r.received.Before(r.intended) {
			t.Errorf("request %d handed out at t0+%v, before its time t0+%v", i, r.received.Sub(t0), r.intended.Sub(t0))
		}
		// Worker k cannot receive before k services have passed: the lag
		// from the intended time grows by at least 15 ms a request.
		if lag, min := r.received.Sub(r.intended), time.Duration(i)*(service-10*time.Millisecond); lag < min {
			t.Errorf("request %d: lag %v, want >= %v", i, lag, min)
		}
	}

	// A done context stops the dispatcher, which says how many it sent.
	ctx, cancel := context.WithCancel(context.Background())
	out = make(chan time.Time)
	go func() {
		for i := 0; i < 3; i++ {
			<-out
		}
		cancel()
	}()
	if sent := dispatch(ctx, &fakeClock{now: t0}, sched, 1000, out); sent != 3 {
		t.Errorf("after cancel: dispatched %d, want 3", sent)
	}
}

func TestBenchToggler(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	tg := newToggler(1)
	i, blocked := tg.acquire(rng)
	if i != 0 || blocked {
		t.Fatalf("first acquire = %d, %v; want 0, active", i, blocked)
	}
	// While the only user is in flight, acquire waits.
	got := make(chan bool)
	go func() { _, b := tg.acquire(rng); got <- b }()
	select {
	case <-got:
		t.Fatal("acquire returned a user already in flight")
	case <-time.After(20 * time.Millisecond):
	}
	tg.release(0, http.StatusOK) // blocked now
	if b := <-got; !b {
		t.Fatal("after a 200 block the user is not blocked")
	}
	tg.release(0, http.StatusInternalServerError) // unknown: unchanged
	if _, b := tg.acquire(rng); !b {
		t.Fatal("a 500 changed the state")
	}
	tg.release(0, http.StatusConflict) // "not blocked": it is active
	if _, b := tg.acquire(rng); b {
		t.Fatal("a 409 on unblock did not make the user active")
	}
}

// TestBenchOpenLoopCoordinatedOmission: a server that stalls once for 200 ms
// under a 100/s schedule with one worker. Measured from the intended times,
// every request held up behind the stall is slow; measured from the actual
// sends (what a closed loop does) only one would be.
func TestBenchOpenLoopCoordinatedOmission(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 2 {
			time.Sleep(200 * time.Millisecond)
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	b := &bencher{base: srv.URL + "/api/v4/", apiKey: "k", username: "u", secret: []byte("s"),
		client: srv.Client(), op: "list"}
	samples, elapsed, scheduled, unsent := b.openLoop(context.Background(), realClock{}, 1, 500*time.Millisecond, 100)
	var r benchResult
	summarize(&r, samples, elapsed)
	if scheduled != 50 || int64(r.Requests)+unsent != scheduled || r.ErrorCount != 0 {
		t.Fatalf("scheduled %d, requests %d, unsent %d, errors %v", scheduled, r.Requests, unsent, r.Errors)
	}
	// The ~20 requests due during the stall each waited; with one worker
	// the backlog drains slowly, so at least 10% are over 100 ms.
	if r.LatencyMS.P90 < 100 || r.Late < 10 {
		t.Errorf("p90 %.1f ms, late %d: the stall is not charged to the delayed requests", r.LatencyMS.P90, r.Late)
	}
	if !(r.LatencyMS.P50 <= r.LatencyMS.P99 && r.LatencyMS.P99 <= r.LatencyMS.Max) {
		t.Errorf("percentiles out of order: %+v", r.LatencyMS)
	}
}

// TestBenchSearchTerms: search finds exactly one pre-created user (by its
// last name, every user's its own),
// search-common more than a tenth of them, search-miss none, each by the
// search text user/get-all matches (first name, email).
func TestBenchSearchTerms(t *testing.T) {
	const n = 1000
	b := &bencher{run: "0a1b2c3d", ids: make([]string, n)}
	matches := func(op string, rng *mrand.Rand) int {
		b.op = op
		var body struct{ Search string }
		if err := json.Unmarshal(b.searchBody(rng), &body); err != nil {
			t.Fatal(err)
		}
		term := strings.ToLower(body.Search)
		count := 0
		for i := range n {
			if strings.Contains(strings.ToLower(benchFirstName(i)+"\x1f"+benchLastName(b.run, i)+"\x1f"+seedEmail(b.run, i)), term) {
				count++
			}
		}
		return count
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	for range 20 {
		if got := matches("search", rng); got != 1 {
			t.Errorf("search matched %d users, want 1", got)
		}
		if got := matches("search-common", rng); got*10 <= n {
			t.Errorf("search-common matched %d of %d users, want more than a tenth", got, n)
		}
		if got := matches("search-miss", rng); got != 0 {
			t.Errorf("search-miss matched %d users, want 0", got)
		}
	}
}

// TestBenchEINs: a run's EINs are 9 digits after an IRS prefix, none
// ending in 0001 or 0002 (the sandbox rejects or reviews those); the
// businesses it seeds (counting down) and creates (counting up) never share
// one, even where its place wraps around; two runs whose tokens share the
// prefix byte but not the place get different EINs.
func TestBenchEINs(t *testing.T) {
	seen := map[string]string{}
	// Places 0, 2,000 and 5,000,000 with one prefix; 16 (seeding wraps
	// around past 0) and 6,777,215 with another.
	for _, run := range []string{"0a000000", "0a0007d0", "0a4c4b40", "ff000010", "ffffffff"} {
		b := &bencher{run: run}
		for i := range int64(500) {
			for _, n := range []int64{9_999_999 - i, i + 1} {
				e := b.ein(n)
				if len(e) != 9 || !slices.Contains(einPrefixes, e[:2]) {
					t.Fatalf("run %s: ein(%d) = %q", run, n, e)
				}
				if l := e[5:]; l == "0001" || l == "0002" {
					t.Fatalf("run %s: ein(%d) = %s, which the sandbox's KYB does not verify", run, n, e)
				}
				if other, ok := seen[e]; ok {
					t.Fatalf("run %s: ein(%d) = %s, already %s's", run, n, e, other)
				}
				seen[e] = fmt.Sprintf("run %s ein(%d)", run, n)
			}
		}
	}
}
