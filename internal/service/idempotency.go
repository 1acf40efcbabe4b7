package service

import (
	"context"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Idempotency timings (spec section 6).
const (
	// IdempotencyTTL is how long a key's answer is replayed.
	IdempotencyTTL = 24 * time.Hour
	// IdempotencyLease is how long a reservation may stay in flight before
	// another request may take it over: its process is presumed dead.
	IdempotencyLease = 60 * time.Second
	// pruneEvery is the least time between two prunes of expired keys.
	pruneEvery = time.Minute
)

// pruner remembers when expired keys were last pruned.
type pruner struct {
	mu   sync.Mutex
	last time.Time
}

// ReserveIdempotency claims key for a call of endpoint whose body hashes to
// hash, or reports what the key holds. It also starts a background prune of
// expired keys, at most once a minute of the service's clock.
func (s *Service) ReserveIdempotency(ctx context.Context, c Caller, key, endpoint, hash string) (store.IdemReservation, error) {
	now := s.clock()
	s.maybePrune(now)
	return s.store.ReserveIdempotency(ctx, store.IdemRequest{
		ProgramID: c.ProgramID, Key: key, Endpoint: endpoint, Hash: hash,
		Now: now, Lease: IdempotencyLease, TTL: IdempotencyTTL,
	})
}

// IdempotencyFinish returns the step that stores a reserved key's success
// answer, rendered by render, in the mutation's transaction. Set it as the
// Caller's Idem.
func (s *Service) IdempotencyFinish(ref store.IdemRef, render func(banking.User) ([]byte, error)) *store.IdemFinish {
	return &store.IdemFinish{Ref: ref, Now: s.clock, Render: render}
}

// CompleteIdempotency stores the answer of a call that failed with a domain
// error and so changed nothing.
func (s *Service) CompleteIdempotency(ctx context.Context, ref store.IdemRef, status int, body []byte) error {
	return s.store.CompleteIdempotency(ctx, ref, status, body, s.clock())
}

// ReleaseIdempotency forgets a reservation whose call failed unexpectedly, so
// a retry under the same key runs.
func (s *Service) ReleaseIdempotency(ctx context.Context, ref store.IdemRef) error {
	return s.store.ReleaseIdempotency(ctx, ref)
}

// PruneIdempotency deletes keys older than IdempotencyTTL.
func (s *Service) PruneIdempotency(ctx context.Context) (int64, error) {
	return s.store.PruneIdempotency(ctx, s.clock().Add(-IdempotencyTTL))
}

func (s *Service) maybePrune(now time.Time) {
	s.prune.mu.Lock()
	due := s.prune.last.IsZero() || now.Sub(s.prune.last) >= pruneEvery
	if due {
		s.prune.last = now
	}
	s.prune.mu.Unlock()
	if !due {
		return
	}
	// In the background: a prune can delete up to 100,000 keys, which is no
	// business of the request that happened to come due.
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if n, err := s.PruneIdempotency(s.bgCtx); err != nil && s.bgCtx.Err() == nil {
			s.log.Warn("pruning idempotency keys failed", "err", err)
		} else if n > 0 {
			s.log.Debug("pruned idempotency keys", "deleted", n)
		}
	}()
}
