package service

import (
	"context"

	"github.com/ingot-dev/ingot/internal/banking"
	"sync"
	"time"

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

// IdemOutcome is what reserving an idempotency key found.
type IdemOutcome int

// Reservation outcomes (api-v4.md section 6).
const (
	// IdemReserved: the key is this call's now; run it, and its answer is
	// stored with its change.
	IdemReserved IdemOutcome = iota + 1
	// IdemReplay: the key holds the finished answer of the same request;
	// Status and Body are it.
	IdemReplay
	// IdemMismatch: the key was used with another endpoint or body (422).
	IdemMismatch
	// IdemInFlight: the same request is still running under the key (409).
	IdemInFlight
)

// Reservation is the outcome of ReserveIdempotency.
type Reservation struct {
	Outcome IdemOutcome
	// Status and Body are the stored answer, for IdemReplay.
	Status int
	Body   []byte
	ref    store.IdemRef
}

// IdemCall is one mutating call made under a reserved key, set as the
// Caller's Idem by Bind. The store completes it in the transaction of the
// call's Work, with the answer rendered from the Work's value.
type IdemCall struct {
	ref store.IdemRef
	fin *store.IdemFinish
}

// StoredAnswer is the success body stored with the call's change, or nil
// when no Work of the call stored one (it changed nothing, or failed).
func (ic *IdemCall) StoredAnswer() []byte { return ic.fin.Body }

// Claims reports whether the call claims its key in its Work (Claim)
// rather than under a reservation made before it (Bind).
func (ic *IdemCall) Claims() bool { return ic.fin.Claim != nil }

// Taken reports whether the call's Work, claiming its key, found the key
// already held (and so changed nothing).
func (ic *IdemCall) Taken() bool { return ic.fin.Taken }

// ReserveIdempotency claims key for a call of endpoint whose body hashes to
// hash, or reports what the key holds. It also starts a background prune of
// expired keys, at most once a minute of the service's clock.
func (s *Service) ReserveIdempotency(ctx context.Context, c Caller, key, endpoint, hash string) (Reservation, error) {
	now := s.clock()
	s.maybePrune(now)
	r, err := s.store.ReserveIdempotency(ctx, store.IdemRequest{
		ProgramID: c.ProgramID, Key: key, Endpoint: endpoint, Hash: hash,
		Now: now, Lease: s.idemLease, TTL: IdempotencyTTL,
	})
	if err != nil {
		return Reservation{}, err
	}
	out := Reservation{Status: r.Status, Body: r.Body, ref: r.Ref}
	switch r.Outcome {
	case store.IdemReserved:
		out.Outcome = IdemReserved
	case store.IdemReplay:
		out.Outcome = IdemReplay
	case store.IdemMismatch:
		out.Outcome = IdemMismatch
	default:
		out.Outcome = IdemInFlight
	}
	return out, nil
}

// ReserveClaimed reserves the key of c's claiming call (Claim) whose Work
// did not store an answer with a change: it failed, or found the key held.
// The outcome is ReserveIdempotency's, for the claim's endpoint and body.
func (s *Service) ReserveClaimed(ctx context.Context, c Caller) (Reservation, error) {
	f := c.Idem.fin
	return s.ReserveIdempotency(ctx, c, f.Ref.Key, f.Claim.Endpoint, f.Claim.Hash)
}

// Bind returns c making its call under r (an IdemReserved reservation):
// render turns the answer of the call's Work, the value the service method
// returns, into the exact success body to store and replay.
func (s *Service) Bind(c Caller, r Reservation, render func(answer any) ([]byte, error)) Caller {
	c.Idem = &IdemCall{ref: r.ref, fin: &store.IdemFinish{Ref: r.ref, Now: s.clock, Render: render}}
	return c
}

// Claim returns c making its call under key without reserving the key
// first: the call's one Work inserts the key with its success answer in its
// own transaction (store.IdemFinish.Claim), so a fresh key costs no
// transaction of its own. Only for a call that runs exactly one Work, which
// carries c.Idem, and writes nothing before it. When the call fails, or its
// Work finds the key held (IdemCall.Taken), the caller reserves the key
// (ReserveIdempotency) and goes on as for a reserved call. Like
// ReserveIdempotency it starts the background prune when one is due.
func (s *Service) Claim(c Caller, key, endpoint, hash string, render func(answer any) ([]byte, error)) Caller {
	now := s.clock()
	s.maybePrune(now)
	ref := store.NewIdemRef(c.ProgramID, key)
	c.Idem = &IdemCall{ref: ref, fin: &store.IdemFinish{Ref: ref, Now: s.clock, Render: render,
		Claim: &store.IdemClaim{Endpoint: endpoint, Hash: hash, Created: now}}}
	return c
}

// CompleteIdempotency stores the answer of a call that changed nothing (a
// success that ran no Work, or a refusal for a state reason).
func (s *Service) CompleteIdempotency(ctx context.Context, ic *IdemCall, status int, body []byte) error {
	return s.store.CompleteIdempotency(ctx, ic.ref, status, body, s.clock())
}

// ReleaseIdempotency forgets a reservation whose call failed unexpectedly or
// was malformed, so a retry under the same key runs. When the store cannot be
// reached (the reason the call failed, often), it keeps trying in the
// background until the reservation's lease would have run out anyway:
// otherwise the client's retry under the same key would meet "still in
// progress" for the whole lease after the database came back. Releasing is
// safe even if the call's change did commit: that change stored its answer
// in the same transaction, and a completed key is never released, so the
// retry replays it.
func (s *Service) ReleaseIdempotency(ctx context.Context, ic *IdemCall) error {
	err := s.store.ReleaseIdempotency(ctx, ic.ref)
	if err != nil && banking.IsCode(err, banking.CodeUnavailable) {
		s.spawn(func() {
			deadline := s.now().Add(s.idemLease)
			for s.now().Before(deadline) {
				s.sleep(s.bgCtx, releaseRetryEvery)
				if s.bgCtx.Err() != nil || s.store.ReleaseIdempotency(s.bgCtx, ic.ref) == nil {
					return
				}
			}
		})
	}
	return err
}

// releaseRetryEvery paces background retries of a failed release.
const releaseRetryEvery = 200 * time.Millisecond

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
	s.spawn(func() {
		if n, err := s.PruneIdempotency(s.bgCtx); err != nil && s.bgCtx.Err() == nil {
			s.log.Warn("pruning idempotency keys failed", "err", err)
		} else if n > 0 {
			s.log.Debug("pruned idempotency keys", "deleted", n)
		}
	})
}
