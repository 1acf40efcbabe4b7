package service

import (
	"context"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Per-program clocks (sandbox.md section 1; store/sandbox_clock.go). In a
// sandbox every program has its own time, the real time plus an offset that
// only grows; the service reads each program's offset through a cache that
// lives clockTTL, so a call costs no query, and an advance made by another
// process is seen within clockTTL (this process's own at once). In
// production no offset exists and nowFor is the clock.

// clockTTL is how long a program's cached offset is trusted.
const clockTTL = 200 * time.Millisecond

// MaxAdvance is the largest single sandbox/clock/advance: one year.
const MaxAdvance = 31_536_000

// advanceWait bounds how long an advance waits for the jobs it made due
// (jobs claimed by a process that died are claimed again when their lease
// ends, up to the job lease later).
const advanceWait = time.Minute

// maxAdvanceSteps bounds the steps of one advance: a job that comes due
// again at once forever must not hold the call.
const maxAdvanceSteps = 10_000

type clocks struct {
	mu      sync.Mutex
	offsets map[banking.ProgramID]cachedOffset
}

type cachedOffset struct {
	off  time.Duration
	read time.Time
}

// nowFor is program pid's current time at the API's millisecond precision.
func (s *Service) nowFor(pid banking.ProgramID) time.Time {
	if !s.sandbox || pid == "" {
		return s.clock()
	}
	now := s.now()
	s.clocks.mu.Lock()
	c, ok := s.clocks.offsets[pid]
	s.clocks.mu.Unlock()
	if !ok || now.Sub(c.read) > clockTTL || now.Before(c.read) {
		off, err := s.store.ClockOffset(context.Background(), pid)
		if err != nil {
			// The last known offset (or none): timestamps stay sound,
			// perhaps short of a recent advance.
			s.log.Warn("reading a program's clock failed", "program_id", pid, "err", err)
			off = c.off
		}
		c = s.cacheOffset(pid, off, now)
	}
	return now.Add(c.off).UTC().Truncate(time.Millisecond)
}

// cacheOffset records pid's offset as read at now; an offset never goes
// back, so a stale read never replaces a larger one.
func (s *Service) cacheOffset(pid banking.ProgramID, off time.Duration, now time.Time) cachedOffset {
	s.clocks.mu.Lock()
	defer s.clocks.mu.Unlock()
	if s.clocks.offsets == nil {
		s.clocks.offsets = map[banking.ProgramID]cachedOffset{}
	}
	if old, ok := s.clocks.offsets[pid]; ok && old.off > off {
		off = old.off
	}
	c := cachedOffset{off: off, read: now}
	s.clocks.offsets[pid] = c
	return c
}

// forgetClock drops pid's cached offset (a reset set it back to 0).
func (s *Service) forgetClock(pid banking.ProgramID) {
	s.clocks.mu.Lock()
	delete(s.clocks.offsets, pid)
	s.clocks.mu.Unlock()
}

// ClockNow is sandbox/clock/get: the caller's program time, read from the
// database.
func (s *Service) ClockNow(ctx context.Context, c Caller) (time.Time, error) {
	off, err := s.store.ClockOffset(ctx, c.ProgramID)
	if err != nil {
		return time.Time{}, err
	}
	now := s.now()
	return now.Add(s.cacheOffset(c.ProgramID, off, now).off).UTC().Truncate(time.Millisecond), nil
}

// AdvanceClock is sandbox/clock/advance: it moves the caller's program
// clock forward by seconds (1 to MaxAdvance; else 400 naming seconds) and
// answers the new time once every job of the program due by then has run.
// It steps from one due job to the next, so that each job runs at its own
// time and what it schedules within the advance (a webhook's next retry, a
// settlement a decision starts) runs too; at each step it waits for the
// job runners, which the step wakes, to finish the program's due jobs.
//
// The advance is one program.clock_advanced audit event (actor "sandbox",
// or the console's operator), its change "now" from the program's time
// before to the time asked for, recorded in the transaction of the first
// step that moves the clock: an advance cut short afterwards (its error
// says so) is in the trail all the same, and one that never moved the
// clock is not.
func (s *Service) AdvanceClock(ctx context.Context, c Caller, seconds int64) (time.Time, error) {
	if seconds < 1 || seconds > MaxAdvance {
		return time.Time{}, banking.Invalid("seconds", "must be a whole number from 1 to 31536000")
	}
	pid := c.ProgramID
	remaining := time.Duration(seconds) * time.Second
	before, err := s.ClockNow(ctx, c)
	if err != nil {
		return time.Time{}, err
	}
	ev := &banking.Event{ID: banking.NewEventID(before), ProgramID: pid, SubjectID: string(pid),
		Type: banking.EventClockAdvanced, Actor: c.controlActor(), CreatedAt: before,
		Changes: banking.Changes{"now": {From: wireTime(before), To: wireTime(before.Add(remaining))}}}
	// A real bound on the wait, whatever s.now says.
	waitCtx, cancel := context.WithTimeout(ctx, advanceWait)
	defer cancel()
	for step := 0; ; step++ {
		if err := s.waitProgramJobs(ctx, waitCtx, pid); err != nil {
			return time.Time{}, err
		}
		if remaining <= 0 || step >= maxAdvanceSteps {
			break
		}
		move := remaining
		if at, ok, err := s.store.NextProgramJob(ctx, pid); err != nil {
			return time.Time{}, err
		} else if ok {
			// Due in whole milliseconds, as run_at is stored.
			if gap := at.Sub(s.now().Truncate(time.Millisecond)); gap < move {
				move = max(gap, 0)
			}
		}
		if move > 0 {
			off, err := s.store.AdvanceClock(ctx, pid, move, ev)
			if err != nil {
				return time.Time{}, err
			}
			ev = nil // recorded with this first move
			s.cacheOffset(pid, off, s.now())
			remaining -= move
		}
		s.store.WakeRunners()
	}
	return s.ClockNow(ctx, c)
}

// wireTime is t as the API writes times (and the audit trail's changes
// record them): UTC, to the millisecond.
func wireTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// waitProgramJobs waits until program pid has no job due or claimed, or
// until waitCtx ends (then the advance answers anyway: what is left runs in
// the background); ctx is the call's.
func (s *Service) waitProgramJobs(ctx, waitCtx context.Context, pid banking.ProgramID) error {
	for wait := time.Millisecond; ; wait = min(2*wait, 20*time.Millisecond) {
		n, err := s.store.ProgramJobsBusy(ctx, pid, s.now())
		n += s.hooks.handedInFlight(pid) // first deliveries with no job row
		if err != nil || n == 0 {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-waitCtx.Done():
			t.Stop()
			s.log.Warn("clock advance answered with jobs still running", "program_id", pid, "jobs", n)
			return nil
		case <-t.C:
		}
	}
}
