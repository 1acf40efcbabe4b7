package service

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/webhook"
)

// Webhook delivery (webhooks.md section 4). Every webhook event has a
// durable job (store.JobWebhookDelivery) that makes one attempt each time
// it runs and then, in one transaction, records the outcome and either
// completes itself or makes itself due again at the next time of the retry
// schedule. A job is claimed with a lease by one process, so each attempt
// is made by one process; one cut short by a crash is made again when the
// lease ends (30 s). Deliveries run in a pool of their own (webhookWorkers
// at once per process).

// Delivery pool tuning.
const (
	// webhookWorkers bounds attempts in flight per process: enough for a
	// local receiver to be kept busy, and for an endpoint that takes the
	// whole 10 s to hold up only its own deliveries' pace.
	webhookWorkers = 64
	// webhookLinger is how long the pool waits after a wake-up before
	// claiming, so the events of consecutive commits are claimed in one
	// transaction instead of one each (claims are writes).
	webhookLinger = 50 * time.Millisecond
)

// webhooks is the service's delivery state.
type webhooks struct {
	guard    *webhook.Guard
	sender   *webhook.Sender
	schedule webhook.Schedule
	observer WebhookObserver
	workers  int

	// handoffs are jobs this process committed born claimed, waiting for
	// a worker; delivering is set while the pool runs (one-shot commands
	// deliver nothing, and hand nothing over).
	handoffs   chan handoff
	delivering atomic.Bool

	// keys caches each program's opened signing keys by endpoint version
	// (a rotation bumps it), so an attempt does not decrypt them.
	mu   sync.Mutex
	keys map[banking.ProgramID]signingKeys
}

type signingKeys struct {
	version int64
	keys    []signingKey
}

type signingKey struct {
	key     []byte
	expires time.Time // zero for the current secret
}

func newWebhooks(cfg WebhookConfig) *webhooks {
	g := &webhook.Guard{AllowPrivate: cfg.AllowPrivate, Resolve: cfg.Resolve}
	w := &webhooks{guard: g, sender: webhook.NewSender(g), schedule: webhook.Schedule{Scale: cfg.RetryScale},
		observer: cfg.Observer, workers: cfg.Workers, keys: map[banking.ProgramID]signingKeys{},
		handoffs: make(chan handoff, handoffQueue)}
	if w.workers <= 0 {
		w.workers = webhookWorkers
	}
	return w
}

// handoff is a delivery job this process committed born claimed
// (store.NewJob.Claimed), with what its attempt needs, read from the
// transaction that wrote it: the pool starts it without a claim or a read.
type handoff struct {
	job     store.Job
	attempt store.WebhookAttempt
	lease   time.Time // when the job's claim ends
}

// Hand-over limits.
const (
	// handoffQueue bounds the hand-overs waiting for a worker; beyond it
	// (a slow endpoint), new jobs are left for the pool to claim.
	handoffQueue = 4096
	// leaseMargin: a hand-over still waiting this close to its lease's end
	// is left to be claimed when the lease ends, rather than risk an
	// attempt outliving the lease.
	leaseMargin = webhook.AttemptTimeout + 5*time.Second
)

// takeHandoff is the outbox's hand-over (store.Handoff) of an event to ep
// while this process delivers: the event's job is born claimed, and queued
// for the pool after the commit, unless the queue is half full.
func (s *Service) takeHandoff(ep store.WebhookEndpoint) func(*store.WebhookEvent) (func(store.Job), time.Time) {
	if !s.hooks.delivering.Load() {
		return nil
	}
	return func(e *store.WebhookEvent) (func(store.Job), time.Time) {
		if len(s.hooks.handoffs) >= handoffQueue/2 {
			return nil, time.Time{}
		}
		lease := s.now().Add(jobLease)
		a := store.WebhookAttempt{Event: *e, HasEndpoint: true, Endpoint: ep}
		return func(j store.Job) {
			select {
			case s.hooks.handoffs <- handoff{job: j, attempt: a, lease: lease}:
			default: // full after all: claimed when its lease ends
			}
		}, lease
	}
}

// runWebhooks is the delivery pool. Jobs this process committed come
// handed over (no claim, no read); others (retries, redeliveries, another
// process's, one whose hand-over was lost) are claimed when due, no more
// than there are free workers, and read with their events and endpoints in
// one query. Each attempt runs on a worker of its own, and the outcomes are
// recorded in batches (webhookRecorder): a delivery costs the database a
// share of a few statements rather than a transaction.
func (s *Service) runWebhooks(ctx context.Context) {
	p := pool{name: "webhooks", kinds: []string{store.JobWebhookDelivery}, workers: s.hooks.workers,
		batch: s.hooks.workers, wake: s.store.WatchJobs(store.JobWebhookDelivery), linger: webhookLinger}
	rec := newWebhookRecorder(s)
	free := make(chan struct{}, p.workers) // one token per idle worker
	for range p.workers {
		free <- struct{}{}
	}
	// release returns an idle worker's token. It never blocks: a token
	// beyond the pool's size (a claim that answered more jobs than asked)
	// is dropped rather than stalling the pool.
	release := func() {
		select {
		case free <- struct{}{}:
		default:
		}
	}
	var running sync.WaitGroup
	defer func() {
		running.Wait()
		rec.close()
	}()
	start := func(j store.Job, a store.WebhookAttempt, found bool) {
		running.Add(1)
		go func() {
			defer func() { release(); running.Done() }()
			s.deliver(ctx, rec, j, a, found)
		}()
	}
	var next *handoff // a hand-over received while waiting
	// due: jobs may be due in the database (at start, after a wake-up or a
	// poll, and after a full claim); between, hand-overs need no claim.
	due := true
	for ctx.Err() == nil {
		select {
		case <-free:
		case <-ctx.Done():
			return
		}
		h := next
		next = nil
		if h == nil {
			select {
			case x := <-s.hooks.handoffs:
				h = &x
			default:
			}
		}
		if h != nil {
			if s.now().After(h.lease.Add(-leaseMargin)) {
				release() // left to be claimed when its lease ends
				continue
			}
			start(h.job, h.attempt, true)
			continue
		}
		if !due {
			release()
			next = s.waitForDeliveries(ctx, p)
			due = next == nil
			continue
		}
		// Claim for this worker and every other idle one.
		n := 1
	idle:
		for n < p.batch {
			select {
			case <-free:
				n++
			default:
				break idle
			}
		}
		jobs, err := s.store.ClaimJobKinds(ctx, p.kinds, s.now(), jobLease, n)
		var attempts map[string]store.WebhookAttempt
		if err == nil && len(jobs) > 0 {
			attempts, err = s.store.WebhookAttempts(ctx, jobs)
		}
		if err != nil {
			for range n {
				release()
			}
			if ctx.Err() == nil {
				s.log.Error("claiming webhook deliveries failed; their leases run out and they are claimed again", "err", err)
			}
			s.sleep(ctx, jobPoll)
			continue
		}
		for _, j := range jobs {
			a, found := attempts[webhookEventOf(j)]
			start(j, a, found)
		}
		for range n - len(jobs) {
			release()
		}
		// A full claim: more may be due at once.
		due = len(jobs) == n
	}
}

// webhookEventOf is the event id a delivery job names ("" if none).
func webhookEventOf(j store.Job) string {
	p, _ := store.ParseWebhookJob(j.Payload)
	return p.EventID
}

// waitForDeliveries sleeps until a hand-over arrives (returned), a retry or
// redelivery is scheduled, the next job is due, or jobPoll passes.
func (s *Service) waitForDeliveries(ctx context.Context, p pool) *handoff {
	wait := jobPoll
	if at, ok, err := s.store.NextJobDue(ctx, p.kinds...); err == nil && ok {
		if d := at.Sub(s.now()); d < wait {
			wait = max(d, time.Millisecond)
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case h := <-s.hooks.handoffs:
		return &h
	case <-p.wake:
		s.sleep(ctx, p.linger)
	}
	return nil
}

// deliver makes one attempt of a claimed delivery job and records it; a
// is its event and endpoint (found false when the event does not exist).
func (s *Service) deliver(ctx context.Context, rec *webhookRecorder, j store.Job, a store.WebhookAttempt, found bool) {
	p, err := store.ParseWebhookJob(j.Payload)
	if err != nil || !found || a.Event.ProgramID != j.Program {
		// Nothing to deliver (a malformed payload, an event gone with its
		// program's data): the job is dropped.
		s.log.Warn("webhook delivery job names no event; dropped", "job_id", j.ID, "program_id", j.Program, "payload", string(j.Payload))
		if err := s.store.CompleteJob(context.WithoutCancel(ctx), j); err != nil {
			s.log.Error("dropping a webhook job failed", "job_id", j.ID, "err", err)
		}
		return
	}
	now := s.nowFor(j.Program)
	o := store.WebhookOutcome{ProgramID: j.Program, EventID: p.EventID, At: now, DisableAfter: s.hooks.schedule.Window()}
	outcome := "failed"
	var took time.Duration
	switch {
	case a.Event.Status == store.DeliveryDelivered && !p.Redeliver:
		// Delivered by another job (a redelivery) meanwhile.
		if err := s.store.CompleteJob(context.WithoutCancel(ctx), j); err != nil {
			s.log.Error("completing a webhook job failed", "job_id", j.ID, "err", err)
		}
		return
	case !a.HasEndpoint:
		o.NoAttempt, o.Error = true, "the program has no webhook endpoint"
	case a.Endpoint.Status != store.EndpointEnabled:
		o.NoAttempt, o.Error = true, "the webhook endpoint is disabled"
	default:
		keys, err := s.signingKeys(ctx, j.Program, a.Endpoint.Version, now)
		if err != nil {
			s.log.Error("webhook signing keys", "program_id", j.Program, "err", err)
			return // the lease runs out and the attempt is made again
		}
		r := s.hooks.sender.Send(ctx, a.Endpoint.URL, p.EventID, a.Event.Payload, keys, now)
		if ctx.Err() != nil {
			return // shutting down: the lease runs out and the attempt is made again
		}
		took = r.Duration
		o.Delivered, o.StatusCode, o.Error, o.Gone = r.Delivered, r.StatusCode, r.Error, r.Gone
		o.WasFailing = !a.Endpoint.FailingSince.IsZero()
		o.At = s.nowFor(j.Program)
		switch {
		case r.Delivered:
			outcome = "delivered"
		case r.Gone:
		default:
			if next, ok := s.hooks.schedule.Next(j.Attempts, j.Created, o.At, rand.Float64()); ok {
				o.Next, outcome = next, "retry"
			}
		}
	}
	// The worker goes on to its next attempt while the outcome waits for
	// its batch: the commit's latency does not hold up the attempts.
	rec.submit(o, &j, func(recorded bool, err error) {
		switch {
		case err != nil:
			s.log.Error("recording a webhook attempt failed; it is made again when its lease ends",
				"job_id", j.ID, "event_id", p.EventID, "err", err)
		case !recorded:
			s.log.Warn("a webhook attempt's lease ran out before its outcome was recorded; the process holding it now decides",
				"job_id", j.ID, "event_id", p.EventID)
		case s.hooks.observer != nil && !o.NoAttempt:
			s.hooks.observer.Attempt(a.Event.Type, outcome, took)
		}
	})
}

// signingKeys returns the keys that sign a program's deliveries at now, the
// current one first, opening them when the endpoint's version is new.
func (s *Service) signingKeys(ctx context.Context, pid banking.ProgramID, version int64, now time.Time) ([][]byte, error) {
	s.hooks.mu.Lock()
	c, ok := s.hooks.keys[pid]
	s.hooks.mu.Unlock()
	if !ok || c.version != version {
		ep, secrets, err := s.store.WebhookEndpoint(ctx, pid, now)
		if err != nil {
			return nil, err
		}
		c = signingKeys{version: ep.Version}
		for _, sec := range secrets {
			key, err := s.sealer.Open(sec.Sealed, webhookSecretAAD(sec.ID))
			if err != nil {
				return nil, banking.Internal(err)
			}
			c.keys = append(c.keys, signingKey{key: key, expires: sec.ExpiresAt})
		}
		s.hooks.mu.Lock()
		s.hooks.keys[pid] = c
		s.hooks.mu.Unlock()
	}
	keys := make([][]byte, 0, len(c.keys))
	for _, k := range c.keys {
		if k.expires.IsZero() || k.expires.After(now) {
			keys = append(keys, k.key)
		}
	}
	if len(keys) == 0 {
		return nil, banking.Internal(errNoSecret)
	}
	return keys, nil
}

var errNoSecret = banking.Errorf(banking.CodeInternal, "the webhook endpoint has no signing secret")
