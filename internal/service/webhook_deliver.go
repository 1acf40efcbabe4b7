package service

import (
	"context"
	"math/rand/v2"
	"sync"
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
	webhookLinger = 5 * time.Millisecond
)

// webhooks is the service's delivery state.
type webhooks struct {
	guard    *webhook.Guard
	sender   *webhook.Sender
	schedule webhook.Schedule
	observer WebhookObserver
	workers  int

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
		observer: cfg.Observer, workers: cfg.Workers, keys: map[banking.ProgramID]signingKeys{}}
	if w.workers <= 0 {
		w.workers = webhookWorkers
	}
	return w
}

// webhookPool claims delivery jobs only.
func (s *Service) webhookPool() pool {
	return pool{name: "webhooks", kinds: []string{store.JobWebhookDelivery}, workers: s.hooks.workers,
		batch: s.hooks.workers, wake: s.store.WatchJobs(store.JobWebhookDelivery), linger: webhookLinger}
}

// runWebhookDelivery is the handler of a delivery job: one attempt, and its
// outcome recorded with the job's next step.
func (s *Service) runWebhookDelivery(ctx context.Context, j store.Job) error {
	p, err := store.ParseWebhookJob(j.Payload)
	if err != nil {
		return err // dropped
	}
	a, err := s.store.WebhookAttempt(ctx, j.Program, p.EventID)
	if err != nil {
		return err // not found: dropped
	}
	now := s.clock()
	o := store.WebhookOutcome{ProgramID: j.Program, EventID: p.EventID, At: now,
		DisableAfter: s.hooks.schedule.Window()}
	outcome := "failed"
	switch {
	case a.Event.Status == store.DeliveryDelivered && !p.Redeliver:
		return nil // delivered by another job (a redelivery)
	case !a.HasEndpoint:
		o.NoAttempt, o.Error = true, "the program has no webhook endpoint"
	case a.Endpoint.Status != store.EndpointEnabled:
		o.NoAttempt, o.Error = true, "the webhook endpoint is disabled"
	default:
		keys, err := s.signingKeys(ctx, j.Program, a.Endpoint.Version, now)
		if err != nil {
			return err
		}
		r := s.hooks.sender.Send(ctx, a.Endpoint.URL, p.EventID, a.Event.Payload, keys, now)
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: the lease runs out and the attempt is made again
		}
		o.Delivered, o.StatusCode, o.Error, o.Gone = r.Delivered, r.StatusCode, r.Error, r.Gone
		o.At = s.clock()
		switch {
		case r.Delivered:
			outcome = "delivered"
		case r.Gone:
		default:
			if next, ok := s.hooks.schedule.Next(j.Attempts, j.Created, o.At, rand.Float64()); ok {
				o.Next, outcome = next, "retry"
			}
		}
		defer func() {
			if s.hooks.observer != nil {
				s.hooks.observer.Attempt(a.Event.Type, outcome, r.Duration)
			}
		}()
	}
	_, err = s.store.Do(ctx, store.WebhookOutcomeWork(o, &j))
	if banking.IsCode(err, banking.CodeConflict) {
		return nil // the lease was lost: the process that holds the job now records its own attempt
	}
	return err
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
