package store

import (
	"context"
	"time"
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
	v, err := s.Do(ctx, Work{Run: func(ctx context.Context, tx *Tx) (any, error) {
		res, err := tx.Exec(ctx, `UPDATE jobs SET run_at = ? WHERE kind IN (`+placeholders(len(kinds))+`)
			AND token <> '' AND run_at > ?`, args...)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	}})
	n, _ := v.(int)
	return n, err
}
