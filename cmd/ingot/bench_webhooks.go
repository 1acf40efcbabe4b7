package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Webhooks in "ingot bench". The load generator hosts a receiver on
// loopback that answers every delivery at once (204), and points the
// program's endpoint at it through the sandbox call program/webhook/update,
// so both need a server started with --sandbox.
//
// --op webhooks measures delivery throughput: for up to webhookHold of the
// run it toggles users (each toggle commits one webhook event) while the
// receiver holds every request it gets, so the server's delivery workers
// all wait on it and the other events pile up unattempted; then the
// receiver lets go and answers at once, and the run measures how fast the
// backlog drains: events first received after the release ÷ the time from
// the release to the last of them.
//
// --webhook-receiver answer, with any other op, only points the endpoint at
// the receiver (answering at once) for the run, to measure what emitting and
// delivering webhooks costs that op (run it again without to compare); it
// reports how many deliveries arrived and waits (up to webhookDrainWait)
// for the rest. --webhook-receiver hold holds every delivery instead: the
// server's delivery workers all wait on the receiver, so the run measures
// what emitting the events costs (writing them and their jobs) without
// delivering them (each held delivery is answered after webhookHoldMax, so
// no attempt times out: a few dozen deliveries every 8 s); after the run
// the receiver lets go and the backlog is delivered (not measured), so the
// server is idle again when the bench ends.

// Webhook bench limits.
const (
	// webhookHold bounds the held phase: a held attempt times out after
	// 10 s on the server, and must not.
	webhookHold = 5 * time.Second
	// webhookDrainWait bounds the wait for the last delivery.
	webhookDrainWait = 2 * time.Minute
	// webhookHoldMax bounds how long the receiver holds one delivery, below
	// the server's 10 s attempt timeout: a held attempt that timed out would
	// be retried a minute later, and the run's drain would wait for it.
	webhookHoldMax = 8 * time.Second
)

// webhookStats is what the webhook runs add to the result.
type webhookStats struct {
	// Events is how many webhook events the run's acknowledged requests
	// committed (opEvents: a toggle one, a transfer four).
	Events int `json:"events"`
	// Received counts deliveries the receiver got (duplicates included);
	// Distinct the events among them.
	Received int `json:"received"`
	Distinct int `json:"distinct"`
	// Held is how many deliveries were in flight, held, at the release
	// (op webhooks).
	Held int `json:"held,omitempty"`
	// DrainS is the time from the release (op webhooks) or the end of the
	// run (--webhook-receiver) to the last event's first delivery.
	DrainS float64 `json:"drain_s"`
	// EventsPerS is op webhooks' delivery throughput: events first
	// received after the release ÷ DrainS.
	EventsPerS float64 `json:"events_per_s,omitempty"`
	// GenerateRPS is op webhooks' toggle requests/s while the receiver held.
	GenerateRPS float64 `json:"generate_rps,omitempty"`
}

// sink is the bench's webhook receiver.
type sink struct {
	srv      *http.Server
	url      string
	mu       sync.Mutex
	seen     map[string]bool
	received int
	last     time.Time // the last first arrival of an event
	held     atomic.Int64
	release  chan struct{}
	released atomic.Bool
}

// startSink listens on loopback; with hold, requests wait for letGo.
func startSink(hold bool) (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{seen: map[string]bool{}, url: "http://" + ln.Addr().String() + "/webhooks", release: make(chan struct{})}
	if !hold {
		s.letGo()
	}
	s.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(s.serve)}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	id := r.Header.Get("webhook-id")
	now := time.Now()
	s.mu.Lock()
	s.received++
	if !s.seen[id] {
		s.seen[id] = true
		s.last = now
	}
	s.mu.Unlock()
	if !s.released.Load() {
		s.held.Add(1)
		t := time.NewTimer(webhookHoldMax)
		select {
		case <-s.release:
		case <-t.C:
		}
		t.Stop()
	}
	w.WriteHeader(http.StatusNoContent)
}

// letGo answers the held requests and every later one at once.
func (s *sink) letGo() {
	if s.released.CompareAndSwap(false, true) {
		close(s.release)
	}
}

func (s *sink) counts() (received, distinct int, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received, len(s.seen), s.last
}

func (s *sink) close() {
	s.letGo()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
}

// opEvents are the webhook event types a successful request of op commits
// (what the endpoint subscribes to for the run), and how many events each
// commits: a toggle one; a transfer, between two RBAs, account.transfer.
// created and, at its settlement, .completed for each of them.
func opEvents(op string) (types []string, each int) {
	switch op {
	case "transfer", "transfer-hot":
		return []string{"account.transfer.created", "account.transfer.completed"}, 4
	case "toggle":
		return []string{"user.blocked", "user.unblocked"}, 1
	}
	return []string{"user.blocked", "user.unblocked"}, 0
}

// pointEndpoint sets the program's webhook endpoint to url for the events
// the run's op commits (opEvents).
func (b *bencher) pointEndpoint(url string) error {
	types, _ := opEvents(b.op)
	body, _ := json.Marshal(map[string]any{"webhook_url": url, "events": types})
	status, answer, err := b.post("program/webhook/update", body, true)
	switch {
	case err != nil:
		return err
	case status == http.StatusNotFound:
		return errors.New("the server has no program/webhook/update: start it with --sandbox")
	case status != http.StatusOK:
		return fmt.Errorf("program/webhook/update answered %d: %s", status, strings.TrimSpace(string(answer)))
	}
	return nil
}

// waitDistinct waits until the sink has seen n events (or limit passes).
func (s *sink) waitDistinct(ctx context.Context, n int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		if _, d, _ := s.counts(); d >= n {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, d, _ := s.counts()
	return d >= n
}

// webhooksRun is op webhooks: hold, toggle, release, measure the drain.
func (b *bencher) webhooksRun(ctx context.Context, c int, d time.Duration) (*webhookStats, []sample, time.Duration, error) {
	s, err := startSink(true)
	if err != nil {
		return nil, nil, 0, err
	}
	defer s.close()
	if err := b.pointEndpoint(s.url); err != nil {
		return nil, nil, 0, err
	}
	b.op = "toggle"
	samples, elapsed := b.closedLoop(ctx, realClock{}, c, min(d, webhookHold))
	b.op = "webhooks"
	st := &webhookStats{GenerateRPS: float64(len(samples)) / elapsed.Seconds()}
	for _, x := range samples {
		if x.status == http.StatusOK {
			st.Events++
		}
	}
	_, before, _ := s.counts()
	st.Held = int(s.held.Load())
	t0 := time.Now()
	s.letGo()
	ok := s.waitDistinct(ctx, st.Events, webhookDrainWait)
	st.Received, st.Distinct, _ = s.counts()
	_, _, last := s.counts()
	if !ok {
		return st, samples, elapsed, fmt.Errorf("%d of %d events delivered %v after the release", st.Distinct, st.Events, webhookDrainWait)
	}
	if drained := st.Distinct - before; drained > 0 && last.After(t0) {
		st.DrainS = last.Sub(t0).Seconds()
		st.EventsPerS = float64(drained) / st.DrainS
	}
	return st, samples, elapsed, nil
}

// withReceiver runs the op with the endpoint on a receiver that answers at
// once (then waits for the deliveries of the run's events) or, with hold,
// holds every delivery.
func (b *bencher) withReceiver(ctx context.Context, hold bool, run func() ([]sample, time.Duration)) (*webhookStats, []sample, time.Duration, error) {
	s, err := startSink(hold)
	if err != nil {
		return nil, nil, 0, err
	}
	defer s.close()
	if err := b.pointEndpoint(s.url); err != nil {
		return nil, nil, 0, err
	}
	samples, elapsed := run()
	st := &webhookStats{}
	_, each := opEvents(b.op)
	for _, x := range samples {
		if x.status == http.StatusOK {
			st.Events += each
		}
	}
	end := time.Now()
	// Held deliveries are let go and drained too, after the measured run:
	// left behind, they would fail against the closed receiver and be
	// retried while whatever runs next is measured.
	s.letGo()
	s.waitDistinct(ctx, st.Events, webhookDrainWait)
	st.Received, st.Distinct, _ = s.counts()
	if _, _, last := s.counts(); last.After(end) {
		st.DrainS = last.Sub(end).Seconds()
	}
	return st, samples, elapsed, nil
}
