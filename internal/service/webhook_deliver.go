package service

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/webhook"
)

// Webhook delivery (webhooks.md section 4). Every pending webhook event is
// named by a durable job (store.JobWebhookDelivery): the events of one
// program that one group committed share a job for their first attempt,
// and each attempt's outcome is recorded in one transaction with its job's
// next step: the last outcome of a first delivery's events deletes its
// job, and an event whose first attempt failed gets a job of its own,
// which completes itself or makes itself due again at the next time of
// the retry schedule. A job is claimed with a lease by one process, so
// each attempt is made by one process; one cut short by a crash is made
// again when the lease ends (30 s). Deliveries run in a pool of their own
// (webhookWorkers at once per process).

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
	// handed counts, by program, the attempts of handed deliveries
	// (store.Job.Handed) queued or running and not yet recorded: no job row
	// shows them, and a clock advance waits for them as for claimed jobs.
	handed map[banking.ProgramID]int
	// handedSince counts the same attempts by their job's creation (Unix
	// ms): the oldest is the queue's oldest wait for the metrics.
	handedSince map[int64]int
	// spilled are handed jobs (or parts) that did not fit in handoffs: no
	// job row holds them, so the pool reads their events itself when it
	// has room (runWebhooks); nudge wakes it for them.
	spilled       []store.Job
	spilledEvents int
	nudge         chan struct{}
}

// spillLimit bounds the events of spilled jobs held in memory (their ids):
// beyond it, new deliveries get job rows again.
const spillLimit = 100_000

// spillFull reports whether spilled jobs hold spillLimit events or more.
func (w *webhooks) spillFull() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.spilledEvents >= spillLimit
}

// spill keeps handed job j (its events' attempts not queued) for the
// pool, and wakes it.
func (w *webhooks) spill(j store.Job) {
	n := len(j.Events())
	w.mu.Lock()
	w.spilled = append(w.spilled, j)
	w.spilledEvents += n
	w.mu.Unlock()
	select {
	case w.nudge <- struct{}{}:
	default:
	}
}

// unspill takes up to n spilled jobs.
func (w *webhooks) unspill(n int) []store.Job {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := min(n, len(w.spilled))
	jobs := slices.Clone(w.spilled[:k])
	w.spilled = slices.Delete(w.spilled, 0, k)
	for _, j := range jobs {
		w.spilledEvents -= len(j.Events())
	}
	return jobs
}

// handedMoved adds delta to handed job j's attempts in flight.
func (w *webhooks) handedMoved(j store.Job, delta int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := w.handed[j.Program] + delta; n > 0 {
		w.handed[j.Program] = n
	} else {
		delete(w.handed, j.Program)
	}
	at := j.Created.UnixMilli()
	if n := w.handedSince[at] + delta; n > 0 {
		w.handedSince[at] = n
	} else {
		delete(w.handedSince, at)
	}
}

// handedQueue is every program's handed attempts in flight and the
// creation of the oldest one's job (zero when none): what the jobs table
// does not show of the delivery queue.
func (w *webhooks) handedQueue() (int, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, k := range w.handed {
		n += k
	}
	var oldest int64
	for at := range w.handedSince {
		if oldest == 0 || at < oldest {
			oldest = at
		}
	}
	if oldest == 0 {
		return n, time.Time{}
	}
	return n, time.UnixMilli(oldest)
}

// handedInFlight is program pid's handed attempts in flight.
func (w *webhooks) handedInFlight(pid banking.ProgramID) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.handed[pid]
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
		handed: map[banking.ProgramID]int{}, handedSince: map[int64]int{}, nudge: make(chan struct{}, 1),
		handoffs: make(chan handoff, handoffQueue)}
	if w.workers <= 0 {
		w.workers = webhookWorkers
	}
	return w
}

// handoff is one attempt of a delivery job this process holds: a job it
// committed born claimed (store.NewJob.Claimed), with what the attempt
// needs, read from the transaction that wrote it (the pool starts it
// without a claim or a read), or a job it claimed and read.
type handoff struct {
	job     store.Job
	attempt store.WebhookAttempt
	found   bool // false: the job's event does not exist
	share   *jobShare
	// redeliver: the job is a redelivery (store.WebhookJob), made even if
	// the event was delivered meanwhile.
	redeliver bool
	// several: the job names several events (a first delivery,
	// store.WebhookJob.Several); its attempts count by event, not by job.
	several bool
}

// jobShare is what the attempts of one held delivery job share: how many
// of its events still wait for an outcome, whether an outcome could not be
// recorded, and the claim's lease. The last outcome settles the job
// (store.WebhookOutcome's KeepJob false) unless one could not be recorded:
// then the job is left to its lease's end and claimed again, and only its
// events that are still unattempted are attempted again. An attempt never
// made (shutdown, a lease lost before it started) never counts down
// either.
type jobShare struct {
	remaining atomic.Int32
	spoiled   atomic.Bool
	// lease is when the claim ends (Unix ns), moved on while attempts of
	// the job wait (holdLease); lost is set once it could not be.
	lease atomic.Int64
	lost  atomic.Bool
}

func newShare(events int, lease time.Time) *jobShare {
	sh := &jobShare{}
	sh.remaining.Store(int32(events))
	sh.lease.Store(lease.UnixNano())
	return sh
}

// done counts one of the job's events as settled; it reports whether it
// was the last. Only the recorder counts (webhookRecorder.flush), in the
// order it records.
func (sh *jobShare) done() bool { return sh.remaining.Add(-1) == 0 }

// Hand-over limits.
const (
	// handoffQueue bounds the hand-overs waiting for a worker; beyond it
	// (a slow endpoint), new jobs are left for the pool to claim.
	handoffQueue = 4096
	// leaseMargin: an attempt still waiting this close to its job's lease's
	// end has the lease extended before it starts (holdLease), so no
	// attempt outlives the lease.
	leaseMargin = webhook.AttemptTimeout + 5*time.Second
)

// takeHandoff is the outbox's hand-over (store.Handoff) of a delivery job
// of events to ep while this process delivers: the job is born claimed,
// and its events' attempts are queued for the pool after the commit,
// unless the queue would be more than half full.
func (s *Service) takeHandoff(ep store.WebhookEndpoint) func([]*store.WebhookEvent) (func(store.Job), time.Time) {
	if !s.hooks.delivering.Load() {
		return nil
	}
	return func(evs []*store.WebhookEvent) (func(store.Job), time.Time) {
		full := len(s.hooks.handoffs)+len(evs) > handoffQueue/2
		if full && (!s.store.HandsOverWithoutJobs() || s.hooks.spillFull()) {
			return nil, time.Time{}
		}
		lease := s.now().Add(jobLease)
		attempts := make([]store.WebhookAttempt, len(evs))
		for i, e := range evs {
			attempts[i] = store.WebhookAttempt{Event: *e, HasEndpoint: true, Endpoint: ep}
		}
		return func(j store.Job) {
			if j.Handed() {
				s.hooks.handedMoved(j, len(attempts))
				if full {
					s.hooks.spill(j)
					return
				}
			}
			share := newShare(len(attempts), lease)
			for i, a := range attempts {
				select {
				case s.hooks.handoffs <- handoff{job: j, attempt: a, found: true, share: share, several: len(attempts) > 1}:
				default:
					// Full after all: the rest wait for the lease's end, or,
					// with no job row to hold them, for the pool to read them.
					if j.Handed() {
						ids := make([]string, 0, len(attempts)-i)
						for _, a := range attempts[i:] {
							ids = append(ids, a.Event.ID)
						}
						s.hooks.spill(j.HandedPart(ids))
					}
					return
				}
			}
		}, lease
	}
}

// runWebhooks is the delivery pool. Jobs this process committed come
// handed over (no claim, no read); others (retries, redeliveries, another
// process's, one whose hand-over was lost) are claimed when due, no more
// than there are free workers, and only once the attempts of the last
// claim have all started, and read with their events and endpoints in one
// query; the attempts of a claimed job that names several events wait in a
// queue of the pool's own for a worker. A claim of n jobs may so queue up
// to n×256 attempts, more than can start within one lease when the
// endpoint is slow: an attempt whose job's lease is about to end extends
// it before it starts (holdLease), so the job stays this process's until
// its attempts are made instead of being dropped and waiting for its
// lease's end, round after round. Each attempt runs on a worker of its
// own, and the outcomes are recorded in batches (webhookRecorder): a
// delivery costs the database a share of a few statements rather than a
// transaction.
func (s *Service) runWebhooks(ctx context.Context) {
	s.recoverHanded(ctx)
	s.hooks.delivering.Store(true)
	p := pool{name: "webhooks", kinds: []string{store.JobWebhookDelivery}, workers: s.hooks.workers,
		batch: s.hooks.workers, wake: s.store.WatchJobs(store.JobWebhookDelivery), linger: webhookLinger}
	rec := newWebhookRecorder(s)
	free := make(chan struct{}, p.workers) // one token per idle worker
	for range p.workers {
		free <- struct{}{}
	}
	// release returns an idle worker's token. It never blocks: a token
	// beyond the pool's size is dropped rather than stalling the pool.
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
	start := func(h handoff) {
		running.Add(1)
		go func() {
			defer func() { release(); running.Done() }()
			s.deliver(ctx, rec, h)
		}()
	}
	var next *handoff   // a hand-over received while waiting
	var queue []handoff // claimed jobs' attempts waiting for a worker
	// due: jobs may be due in the database (at start, after a wake-up or a
	// poll, and after a full claim); between, hand-overs need no claim.
	due := true
	var look time.Time // when to ask the database again (waitForDeliveries)
	for ctx.Err() == nil {
		select {
		case <-free:
		case <-ctx.Done():
			return
		}
		h := next
		next = nil
		if h == nil && len(queue) > 0 {
			h, queue = &queue[0], queue[1:]
		}
		if h == nil {
			select {
			case x := <-s.hooks.handoffs:
				h = &x
			default:
			}
		}
		if h != nil {
			if !s.holdLease(ctx, h) {
				release() // left to be claimed when its lease ends
				continue
			}
			start(*h)
			continue
		}
		if spilled := s.hooks.unspill(1 + len(free)); len(spilled) > 0 {
			// Handed jobs that did not fit in handoffs: read, not claimed.
			for range len(spilled) - 1 {
				<-free
			}
			attempts, err := s.store.WebhookAttempts(ctx, spilled)
			for range spilled {
				release()
			}
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("reading handed webhook deliveries failed; trying again", "err", err)
				}
				for _, j := range spilled {
					s.hooks.spill(j)
				}
				s.sleep(ctx, jobPoll)
				continue
			}
			for _, j := range spilled {
				queue = s.claimedAttempts(rec, j, attempts, s.now().Add(jobLease), queue)
			}
			continue
		}
		if !due {
			release()
			next = s.waitForDeliveries(ctx, p, &look)
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
		lease := s.now().Add(jobLease)
		jobs, err := s.store.ClaimJobKinds(ctx, p.kinds, s.now(), jobLease, n)
		var attempts map[string]store.WebhookAttempt
		if err == nil && len(jobs) > 0 {
			attempts, err = s.store.WebhookAttempts(ctx, jobs)
		}
		for range n {
			release()
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("claiming webhook deliveries failed; their leases run out and they are claimed again", "err", err)
			}
			s.sleep(ctx, jobPoll)
			continue
		}
		for _, j := range jobs {
			queue = s.claimedAttempts(rec, j, attempts, lease, queue)
		}
		// A full claim: more may be due at once.
		due = len(jobs) == n
	}
}

// claimedAttempts appends to queue the attempts claimed job j asks for.
// A job that names several events (a first delivery) asks for those still
// unattempted: one delivered, failed, or pending with attempts of its own
// (a job of its own retries it) is settled at once.
func (s *Service) claimedAttempts(rec *webhookRecorder, j store.Job, attempts map[string]store.WebhookAttempt,
	lease time.Time, queue []handoff) []handoff {
	p, err := store.ParseWebhookJob(j.Payload)
	if err != nil {
		// Nothing to deliver: the job is dropped.
		s.log.Warn("webhook delivery job names no event; dropped", "job_id", j.ID, "program_id", j.Program, "payload", string(j.Payload))
		s.skipAttempt(rec, j, newShare(1, lease), "")
		return queue
	}
	ids := p.Events()
	share := newShare(len(ids), lease)
	for _, id := range ids {
		a, found := attempts[id]
		if (p.Several() || j.Handed()) && (!found || a.Event.ProgramID != j.Program || a.Event.Status != store.DeliveryPending ||
			a.Event.Attempts > 0) {
			s.skipAttempt(rec, j, share, id)
			continue
		}
		queue = append(queue, handoff{job: j, attempt: a, found: found, share: share, redeliver: p.Redeliver,
			several: p.Several()})
	}
	return queue
}

// holdLease reports whether h's attempt may start: its job's lease ends
// more than leaseMargin from now, or has just been extended by a lease
// from now (store.ExtendLease: one statement per job per lease, while its
// attempts wait for workers). False when the claim was lost (the lease
// ended and another process claimed the job, or its outcomes settled it):
// the attempts of that claim are then left to whoever holds the job.
func (s *Service) holdLease(ctx context.Context, h *handoff) bool {
	if h.job.Handed() {
		return true // no lease: nothing can take it from this process
	}
	sh := h.share
	if sh.lost.Load() {
		return false
	}
	now := s.now()
	if now.Before(time.Unix(0, sh.lease.Load()).Add(-leaseMargin)) {
		return true
	}
	lease := now.Add(jobLease)
	held, err := s.store.ExtendLease(ctx, h.job, lease)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("extending a webhook job's lease failed; its attempt is made when the job is claimed again",
				"job_id", h.job.ID, "err", err)
		}
		return false
	}
	if !held {
		sh.lost.Store(true)
		return false
	}
	sh.lease.Store(lease.UnixNano())
	return true
}

// waitForDeliveries sleeps until a hand-over arrives (returned), a retry or
// redelivery is scheduled, the next job is due, or jobPoll passes; look is
// when to look in the database again, zero to ask it now when that is.
// Between hand-overs the pool waits here often, and the database is asked
// only when the last answer has passed, not at every wait.
func (s *Service) waitForDeliveries(ctx context.Context, p pool, look *time.Time) *handoff {
	now := s.now()
	if look.IsZero() {
		*look = now.Add(jobPoll)
		if at, ok, err := s.store.NextJobDue(ctx, p.kinds...); err == nil && ok && at.Before(*look) {
			*look = at
		}
	}
	t := time.NewTimer(max(look.Sub(now), time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case h := <-s.hooks.handoffs:
		return &h
	case <-s.hooks.nudge:
	case <-p.wake:
		s.sleep(ctx, p.linger)
	}
	*look = time.Time{}
	return nil
}

// skipAttempt settles one event of held job j that needs no attempt; the
// last of the job's events to settle has the job deleted.
func (s *Service) skipAttempt(rec *webhookRecorder, j store.Job, share *jobShare, eventID string) {
	rec.submit(store.WebhookOutcome{ProgramID: j.Program, EventID: eventID, Skipped: true}, &j, share,
		func(recorded bool, err error) {
			if err != nil {
				s.log.Error("settling a webhook job failed; it is claimed again when its lease ends", "job_id", j.ID, "err", err)
			}
		})
}

// deliver makes one attempt of an event of a held delivery job and records
// it; h.attempt is its event and endpoint (h.found false when the event
// does not exist).
func (s *Service) deliver(ctx context.Context, rec *webhookRecorder, h handoff) {
	j, a := h.job, h.attempt
	if !h.found || a.Event.ProgramID != j.Program {
		// Nothing to deliver (an event gone with its program's data): the
		// job is dropped.
		s.log.Warn("webhook delivery job names no event; dropped", "job_id", j.ID, "program_id", j.Program, "payload", string(j.Payload))
		s.skipAttempt(rec, j, h.share, a.Event.ID)
		return
	}
	eventID := a.Event.ID
	now := s.nowFor(j.Program)
	o := store.WebhookOutcome{ProgramID: j.Program, EventID: eventID, At: now, DisableAfter: s.hooks.schedule.Window()}
	outcome := "failed"
	var took time.Duration
	switch {
	case a.Event.Status == store.DeliveryDelivered && !h.redeliver:
		// Delivered by another job (a redelivery) meanwhile.
		s.skipAttempt(rec, j, h.share, eventID)
		return
	case !a.HasEndpoint:
		o.NoAttempt, o.Error = true, "the program has no webhook endpoint"
	case a.Endpoint.Status != store.EndpointEnabled:
		o.NoAttempt, o.Error = true, "the webhook endpoint is disabled"
	default:
		keys, err := s.signingKeys(ctx, j.Program, a.Endpoint.Version, now)
		if err != nil {
			s.log.Error("webhook signing keys", "program_id", j.Program, "err", err)
			if j.Handed() {
				// No lease to run out: a job row makes the attempt later
				// (closing, the next start finds it instead).
				s.spawn(func() {
					s.requeueHanded(j.Program, []string{eventID})
					s.hooks.handedMoved(j, -1) // its job row is due now
				})
			}
			return // the lease runs out and the attempt is made again
		}
		// Signed at the real time, not the program's clock: receivers
		// check webhook-timestamp against their own clock, as the server
		// checks X-Date (docs/decisions.md, "webhook-timestamp is real
		// time").
		r := s.hooks.sender.Send(ctx, a.Endpoint.URL, eventID, a.Event.Payload, keys, s.clock())
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
			// A job of one event counts its claims; a shared job's claims
			// are not its events' attempts (claimed again after a lost
			// lease, it attempts only those never attempted), so this is
			// the event's first attempt (store.WebhookOutcomesWork gives a
			// job of its own the same count).
			n := j.Attempts
			if h.several {
				n = a.Event.Attempts + 1
			}
			if next, ok := s.hooks.schedule.Next(n, j.Created, o.At, rand.Float64()); ok {
				o.Next, outcome = next, "retry"
			}
		}
	}
	// The worker goes on to its next attempt while the outcome waits for
	// its batch: the commit's latency does not hold up the attempts.
	rec.submit(o, &j, h.share, func(recorded bool, err error) {
		switch {
		case err != nil:
			s.log.Error("recording a webhook attempt failed; it is made again when its lease ends",
				"job_id", j.ID, "event_id", eventID, "err", err)
		case !recorded:
			s.log.Warn("a webhook attempt's lease ran out before its outcome was recorded; the process holding it now decides",
				"job_id", j.ID, "event_id", eventID)
		case s.hooks.observer != nil && !o.NoAttempt:
			s.hooks.observer.Attempt(a.Event.Type, outcome, took)
		}
	})
}

// requeueHanded gives the handed deliveries of events ids of program pid
// job rows (store.HandedToJobsWork): attempts this process could not make
// or record, which no lease would bring back. The first try is made before
// it returns (callers count the attempts in flight until then, so a clock
// advance waits for it, though not for the tries after it); when it fails
// (the database unreachable, a disk error), it is tried again in the
// background, from requeueFirstWait doubling to requeueMaxWait, until it
// succeeds or the service closes, and then the next start finds them
// (store.RecoverHandedDeliveries).
func (s *Service) requeueHanded(pid banking.ProgramID, ids []string) {
	if s.requeueOnce(pid, ids) == nil {
		return
	}
	retrying := s.spawn(func() {
		for wait := requeueFirstWait; ; wait = min(2*wait, requeueMaxWait) {
			if s.sleep(s.bgCtx, wait); s.bgCtx.Err() != nil {
				s.log.Warn("handed webhook deliveries still have no job rows at close; the next start delivers them",
					"program_id", pid, "events", len(ids))
				return
			}
			if s.requeueOnce(pid, ids) == nil {
				s.log.Info("handed webhook deliveries given job rows after a failure", "program_id", pid, "events", len(ids))
				return
			}
		}
	})
	if !retrying {
		s.log.Warn("closing: handed webhook deliveries have no job rows; the next start delivers them",
			"program_id", pid, "events", len(ids))
	}
}

// Back-off of requeueHanded's tries after the first.
const (
	requeueFirstWait = jobPoll
	requeueMaxWait   = 30 * time.Second
)

// requeueOnce is one try of requeueHanded, logged when it fails.
func (s *Service) requeueOnce(pid banking.ProgramID, ids []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := s.store.Do(ctx, store.HandedToJobsWork(pid, ids))
	if err != nil {
		s.log.Error("giving handed webhook deliveries job rows failed; trying again",
			"program_id", pid, "events", len(ids), "err", err)
	}
	return err
}

// recoverHanded gives job rows to the handed deliveries an earlier process
// left unmade (store.RecoverHandedDeliveries), trying again until it
// succeeds or ctx ends; the pool hands nothing over until then.
func (s *Service) recoverHanded(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := s.store.RecoverHandedDeliveries(ctx)
		if err == nil {
			if n > 0 {
				s.log.Info("webhook deliveries left by an earlier process are queued", "events", n)
			}
			return
		}
		if ctx.Err() == nil {
			s.log.Error("finding the webhook deliveries an earlier process left failed; trying again", "err", err)
		}
		s.sleep(ctx, jobPoll)
	}
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
