package service

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// The job runner. Every process that serves the API runs one: it claims due
// jobs (store/jobs.go) and hands each to the handler of its kind. Jobs are
// found through the run_at index, never by loading every pending row at
// start, and a job whose process died is claimed again when its lease ends.

// JobHandler carries out one claimed job. It returns nil when the job is
// done: the runner then deletes it, unless the handler's own Work already
// did (Work.Job, for effects that must happen exactly once). A banking error
// other than internal means the job can never succeed (its subject is gone,
// a state forbids it): the job is dropped and logged. Any other error retries
// the job later: at RetryAt's time when the handler says, else with
// exponential back-off.
type JobHandler func(ctx context.Context, j store.Job) error

// RetryAt is a JobHandler error asking for the next attempt at At.
type RetryAt struct {
	At  time.Time
	Err error
}

func (r *RetryAt) Error() string {
	return "retry at " + r.At.Format(time.RFC3339) + ": " + r.Err.Error()
}
func (r *RetryAt) Unwrap() error { return r.Err }

// Runner tuning.
const (
	// jobLease is how long a claimed job is this process's by default
	// (Config.JobLease). A handler must
	// finish well within it (a webhook attempt times out after 10 s).
	jobLease = 30 * time.Second
	// jobPoll bounds how long the runner sleeps without looking, so jobs
	// scheduled by other processes are seen within it.
	jobPoll = time.Second
	// jobBatch is how many jobs one claim takes.
	jobBatch = 128
	// jobWorkers bounds how many handlers of claimed jobs run at once in
	// this process (jobs taken at insert, take, are one per movement). As
	// many as a claim takes: a backlog of settlements then reaches the
	// group committer in groups of tens, which share their commits (16
	// made groups of about 9 and the backlog step of make bench half as
	// fast; 128 beat 64 by about 8 %: docs/decisions.md).
	jobWorkers = jobBatch
	// maxBackoff caps the exponential back-off of failing jobs.
	maxBackoff = 5 * time.Minute
)

// jobRunner is the service's runner state.
type jobRunner struct {
	mu       sync.Mutex
	handlers map[string]JobHandler
}

// handle registers the handler of a job kind; call it before the runner
// starts (New).
func (s *Service) handle(kind string, h JobHandler) {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	if s.jobs.handlers == nil {
		s.jobs.handlers = map[string]JobHandler{}
	}
	s.jobs.handlers[kind] = h
}

func (s *Service) handler(kind string) JobHandler {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	return s.jobs.handlers[kind]
}

// pool is one runner's share of the jobs: the kinds it claims, how many
// handlers it runs at once, and what wakes it. Webhook deliveries have a
// pool of their own (webhooks.go), so a slow endpoint holding its workers
// for 10 s each never delays a KYC decision.
type pool struct {
	name string
	// kinds are the job kinds the pool claims.
	kinds   []string
	workers int
	batch   int
	wake    <-chan struct{}
	// linger is how long a wake-up waits before claiming, so jobs that
	// commit in quick succession are claimed in one transaction.
	linger time.Duration
}

// generalPool runs every kind of job that has a handler but webhook
// deliveries. A job of a kind no handler knows (written by a newer ingot
// sharing the database) waits for a process that knows it.
func (s *Service) generalPool() pool {
	s.jobs.mu.Lock()
	var kinds []string
	for k := range s.jobs.handlers {
		if k != store.JobWebhookDelivery {
			kinds = append(kinds, k)
		}
	}
	s.jobs.mu.Unlock()
	slices.Sort(kinds)
	return pool{name: "jobs", kinds: kinds, workers: jobWorkers, batch: jobBatch, wake: s.store.WatchJobs(kinds...)}
}

// runJobs claims and runs p's due jobs until ctx ends. It claims no more
// jobs than it has free workers, so a claimed job never waits for one while
// its lease runs.
func (s *Service) runJobs(ctx context.Context, p pool) {
	sem := make(chan struct{}, p.workers)
	var running sync.WaitGroup
	defer running.Wait()
	for ctx.Err() == nil {
		// Wait for a free worker.
		select {
		case sem <- struct{}{}:
			<-sem
		case <-ctx.Done():
			return
		}
		n := min(p.batch, cap(sem)-len(sem))
		jobs, err := s.store.ClaimJobKinds(ctx, p.kinds, s.now(), s.jobLease, n)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("claiming jobs failed", "pool", p.name, "err", err)
			}
			s.sleep(ctx, jobPoll)
			continue
		}
		for _, j := range jobs {
			sem <- struct{}{}
			running.Add(1)
			go func() {
				defer func() { <-sem; running.Done() }()
				s.runJob(ctx, j)
			}()
		}
		if len(jobs) == n {
			continue // more may be due at once
		}
		s.waitForJobs(ctx, p)
	}
}

// waitForJobs sleeps until the next job is due, a job is scheduled in this
// process, or jobPoll passes, whichever is first.
func (s *Service) waitForJobs(ctx context.Context, p pool) {
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
	case <-p.wake:
		if p.linger > 0 {
			s.sleep(ctx, p.linger)
		}
	}
}

func (s *Service) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// runJob runs one job's handler and records its outcome.
func (s *Service) runJob(ctx context.Context, j store.Job) {
	h := s.handler(j.Kind)
	var err error
	if h == nil {
		err = errors.New("no handler for job kind " + j.Kind)
	} else {
		err = h(ctx, j)
	}
	// The outcome is recorded even when the service is closing: a job that
	// finished must not run again.
	bg := context.WithoutCancel(ctx)
	var retry *RetryAt
	switch {
	case err == nil && j.Completed():
		// The handler's Work deleted the job with its effect.
	case err == nil:
		err = s.store.CompleteJob(bg, j)
	case errors.As(err, &retry):
		s.log.Warn("job failed; retrying", "kind", j.Kind, "job_id", j.ID, "attempt", j.Attempts, "next", retry.At, "err", err)
		err = s.store.RetryJob(bg, j, retry.At, err.Error())
	case banking.ErrorCode(err) != banking.CodeInternal && banking.ErrorCode(err) != banking.CodeUnavailable:
		// Refused for good (not found, conflict, invalid). The database
		// unreachable is transient (503 unavailable): like an internal
		// failure it is retried, or a settlement's job would be gone with
		// its movement still pending.
		s.log.Warn("job cannot succeed; dropped", "kind", j.Kind, "job_id", j.ID, "program_id", j.Program, "err", err)
		err = s.store.CompleteJob(bg, j)
	case ctx.Err() != nil:
		// Cut short by shutdown: the lease runs out and any process retries.
		return
	default:
		next := s.nowFor(j.Program).Add(backoff(j.Attempts)) // in the program's time, as RetryJob takes it
		s.log.Error("job failed; retrying", "kind", j.Kind, "job_id", j.ID, "attempt", j.Attempts, "next", next, "err", err)
		err = s.store.RetryJob(bg, j, next, err.Error())
	}
	if err != nil {
		s.log.Error("recording a job's outcome failed; it runs again when its lease ends", "kind", j.Kind, "job_id", j.ID, "err", err)
	}
}

// backoff is the wait before attempt n+1 of a failing job: 1 s doubling,
// capped at maxBackoff, with ±10 % jitter so failures do not retry in step.
func backoff(attempts int) time.Duration {
	d := maxBackoff
	if attempts < 20 {
		d = min(time.Second<<max(attempts-1, 0), maxBackoff)
	}
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}

// bgGate lets background goroutines start until Close (Service.spawn).
type bgGate struct {
	mu     sync.Mutex
	closed bool
}

// close lets no more background goroutines start.
func (g *bgGate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// spawn runs f in a goroutine that Close waits for, and reports whether it
// did: once Close has begun, f is not run.
func (s *Service) spawn(f func()) bool {
	s.gate.mu.Lock()
	defer s.gate.mu.Unlock()
	if s.gate.closed {
		return false
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f()
	}()
	return true
}

// delayOrTake makes job j, due at its RunAt, due d later. When d is zero
// and this process takes jobs at insert (Service.takeJobs), j is inserted
// claimed by this process instead, with a lease of Config.JobLease, and run
// by take once its transaction commits: a movement's settlement or first
// rail step goes from the movement's commit straight to its handler, with no
// claim (a Work and an UPDATE of the jobs table) in between (issue 12's
// transfer bench: docs/decisions.md, "A settlement due at once is claimed
// at its insert"). A process that runs no jobs leaves it unclaimed, for one
// that does.
func (s *Service) delayOrTake(j *store.NewJob, d time.Duration) {
	if d > 0 || !s.takeJobs {
		j.RunAt = j.RunAt.Add(d)
		return
	}
	j.Claimed = s.take
	j.Lease = s.now().Add(s.jobLease)
}

// take runs claimed job j in the background like a job of the general pool,
// unless the service is closing (then j's lease ends and any process claims
// it). Each taken job is one goroutine: there is one per movement committed
// and not yet settled, and each is a Work waiting in the group committer.
// Close gives it takeGrace before cutting it short: a taken job is one
// Work, and finishing it spares its lease's wait after a restart.
func (s *Service) take(j store.Job) {
	s.spawn(func() { s.runJob(s.takeCtx, j) })
}

// endEarlierClaims makes due at once, so that after a crash they run now
// and not when their leases end, the jobs claimed by this process's
// previous run (claimant's, any kind: store.EndClaimsOf) and, on SQLite,
// which one process serves, every settlement an earlier process had
// claimed (taken at insert, or claimed by its runner: store.EndClaims),
// then claims under claimant's name. New calls it before this process
// claims or takes a job. On failure they wait for their leases, as before.
func (s *Service) endEarlierClaims(claimant string) {
	ctx, cancel := context.WithTimeout(context.Background(), endClaimsTimeout)
	defer cancel()
	kinds := append(slices.Sorted(maps.Keys(s.jobs.handlers)), store.JobWebhookDelivery)
	n, err := s.store.EndClaimsOf(ctx, claimant, kinds, s.now())
	if err == nil && s.store.Engine() == store.SQLite {
		var m int
		m, err = s.store.EndClaims(ctx, []string{jobSettle, jobRail}, s.now())
		n += m
	}
	switch {
	case err != nil:
		s.log.Error("ending an earlier process's job claims failed; its jobs run when their leases end", "err", err)
	case n > 0:
		s.log.Info("jobs claimed by an earlier process are due at once", "jobs", n)
	}
	s.store.SetClaimant(claimant)
}

// endClaimsTimeout bounds endEarlierClaims, which New waits for.
const endClaimsTimeout = 10 * time.Second

// takeGrace is how long Close lets taken jobs finish before cutting them
// short (their leases then run out, and any process runs them).
const takeGrace = 5 * time.Second
