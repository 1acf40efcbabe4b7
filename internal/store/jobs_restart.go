package store

import (
	"context"
	"time"
	"unicode/utf8"
)

// EndClaims ends the leases of every claimed job of kinds (leases ending
// after now, real time): they are due at once, for any runner to claim.
// It answers how many it ended.
//
// A SQLite server calls it as it starts, before it claims or takes any job
// itself: one process serves a SQLite file, so every claim then is a dead
// process's, and its lease (--job-lease, 30 s by default, or whatever that
// process ran with) would only keep it waiting (a settlement taken at
// insert when that process was SIGKILLed: docs/decisions.md, "A settlement
// due at once is claimed at its insert"). Ending a claim that is still held
// is safe, only wasteful: the job's Work deletes it under the claim's
// token, so of two runs one takes effect and the other fails with a
// conflict (Work.Job). Name only kinds whose whole effect is that Work
// (settlements), not those that call out first (a webhook delivery would
// be sent twice).
func (s *Store) EndClaims(ctx context.Context, kinds []string, now time.Time) (int, error) {
	if len(kinds) == 0 {
		return 0, nil
	}
	args := []any{millis(now)}
	for _, k := range kinds {
		args = append(args, k)
	}
	args = append(args, millis(now))
	return s.endLeases(ctx, `UPDATE jobs SET run_at = ? WHERE kind IN (`+placeholders(len(kinds))+`)
		AND token <> '' AND run_at > ?`, args)
}

// endLeases runs update, which ends leases, as a Work, and answers how
// many rows it changed.
func (s *Store) endLeases(ctx context.Context, update string, args []any) (int, error) {
	v, err := s.Do(ctx, Work{Run: func(ctx context.Context, tx *Tx) (any, error) {
		res, err := tx.Exec(ctx, update, args...)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	}})
	n, _ := v.(int)
	return n, err
}

// SetClaimant names this process in the tokens of the job claims it makes
// from now on (claimant + "/" + random): a name that is the same each time
// the same server starts (ingot serve uses its host name and listen
// address), so that the next start can end what this one claimed if it is
// killed (EndClaimsOf). Call it before the process claims anything; "" (the
// default) names no one.
func (s *Store) SetClaimant(claimant string) { s.claimant.Store(&claimant) }

// claimToken is a new claim's token: random, after the claimant's name.
func (s *Store) claimToken() string {
	if c := s.claimant.Load(); c != nil && *c != "" {
		return *c + "/" + newToken()
	}
	return newToken()
}

// EndClaimsOf ends the leases of the jobs of kinds claimed under claimant's
// name (SetClaimant) that end after now (real time): they are due at once.
// (Kinds, so that it reads the jobs through their (kind, run_at) index:
// nothing scans every job at start.) A server calls it as it starts,
// before it claims anything, with its own name: a claim under it is its
// previous run's, a process that is gone
// (the same host and address cannot serve twice at once), so its jobs need
// not wait out their leases (--job-lease) when it was killed. Unlike
// EndClaims it may name every kind: the claimant is known to be dead, so a
// job runs again exactly as it would once the lease ended, only sooner.
// It answers how many it ended.
func (s *Store) EndClaimsOf(ctx context.Context, claimant string, kinds []string, now time.Time) (int, error) {
	if claimant == "" || len(kinds) == 0 {
		return 0, nil
	}
	prefix := claimant + "/"
	args := []any{millis(now)}
	for _, k := range kinds {
		args = append(args, k)
	}
	// substr counts characters on both engines.
	args = append(args, millis(now), utf8.RuneCountInString(prefix), prefix)
	return s.endLeases(ctx, `UPDATE jobs SET run_at = ? WHERE kind IN (`+placeholders(len(kinds))+`)
		AND token <> '' AND run_at > ? AND substr(token, 1, CAST(? AS INTEGER)) = ?`, args)
}
