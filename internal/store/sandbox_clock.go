package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Per-program clocks (sandbox.md section 1). A program's time is the real
// time plus its offset (sandbox_clocks; none means 0), which only grows.
// Jobs keep run_at in real time, so claims compare against the real clock
// and need no join: NewJob.RunAt and RetryJob's runAt are given in the
// program's time and turned into real time by subtracting the program's
// offset in the statement that writes them, and AdvanceClock moves the
// program's waiting jobs earlier by as much as it moves the clock, in the
// same transaction. A job's due time in its program's time therefore never
// changes, however the clock moves.

// ClockOffset returns program pid's clock offset (0 when it has none).
func (s *Store) ClockOffset(ctx context.Context, pid banking.ProgramID) (time.Duration, error) {
	var ms int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT offset_ms FROM sandbox_clocks WHERE program_id = ?`), pid).Scan(&ms)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return time.Duration(ms) * time.Millisecond, s.translate(err)
}

// AdvanceClock moves program pid's clock forward by step (whole
// milliseconds, at least 0) and its waiting (unclaimed) jobs' run_at
// earlier by as much, in one transaction, and returns the new offset.
// Claimed jobs keep their lease's end: their outcome is written in program
// time, which is converted with the new offset. ev, when not nil, is the
// advance's audit event (program.clock_advanced), recorded in the same
// transaction as the move.
func (s *Store) AdvanceClock(ctx context.Context, pid banking.ProgramID, step time.Duration, ev *banking.Event) (time.Duration, error) {
	ms := step.Milliseconds()
	v, err := s.Do(ctx, Work{Program: pid, Locks: []string{LockKey("clock", string(pid))},
		Run: func(ctx context.Context, tx *Tx) (any, error) {
			if ev != nil {
				tx.Emit(*ev)
			}
			var off int64
			if err := tx.QueryRow(ctx, `INSERT INTO sandbox_clocks (program_id, offset_ms) VALUES (?, ?)
				ON CONFLICT (program_id) DO UPDATE SET offset_ms = sandbox_clocks.offset_ms + excluded.offset_ms
				RETURNING offset_ms`, pid, ms).Scan(&off); err != nil {
				return nil, err
			}
			if ms > 0 {
				if _, err := tx.Exec(ctx, `UPDATE jobs SET run_at = run_at - ? WHERE program_id = ? AND token = ''`, ms, pid); err != nil {
					return nil, err
				}
			}
			return time.Duration(off) * time.Millisecond, nil
		}})
	off, _ := v.(time.Duration)
	return off, err
}

// NextProgramJob reports when program pid's earliest waiting (unclaimed)
// job is due, in real time, and false when it has none.
func (s *Store) NextProgramJob(ctx context.Context, pid banking.ProgramID) (time.Time, bool, error) {
	var at sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT min(run_at) FROM jobs WHERE program_id = ? AND token = ''`), pid).Scan(&at)
	if err != nil || !at.Valid {
		return time.Time{}, false, s.translate(err)
	}
	return fromMillis(at.Int64), true, nil
}

// ProgramJobsBusy counts program pid's jobs that are due by now (real
// time) or claimed by some process: what a clock advance waits for.
func (s *Store) ProgramJobsBusy(ctx context.Context, pid banking.ProgramID, now time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM jobs WHERE program_id = ? AND (token <> '' OR run_at <= ?)`),
		pid, millis(now)).Scan(&n)
	return n, s.translate(err)
}

// WakeRunners wakes every job runner of this process, as a commit that
// scheduled jobs of every kind would: after a clock advance made jobs due.
func (s *Store) WakeRunners() {
	s.watchMu.Lock()
	kinds := []string{}
	for _, w := range s.watchers {
		kinds = append(kinds, w.kinds...)
	}
	s.watchMu.Unlock()
	s.notifyJobs(kinds)
}

// programRunAt is the SQL expression that turns a time in the program's
// clock (the first argument, Unix ms) into real time: the program (second
// argument) offset subtracted.
const programRunAt = `? - COALESCE((SELECT offset_ms FROM sandbox_clocks WHERE program_id = ?), 0)`
