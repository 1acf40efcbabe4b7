package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// scheduleWork is a Work that creates a user and schedules a job about it,
// failing afterwards when fail is set.
func scheduleWork(t *testing.T, pid banking.ProgramID, email string, runAt time.Time, fail bool) store.Work {
	t.Helper()
	u, ev := newUser(t, pid, email)
	create := store.CreateUserWork(u, ev)
	return store.Work{Program: pid, Locks: create.Locks, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
		if _, err := create.Run(ctx, tx); err != nil {
			return nil, err
		}
		tx.Schedule(store.NewJob{Program: pid, Kind: "test.job", Payload: []byte(email), RunAt: runAt})
		if fail {
			return nil, banking.Errorf(banking.CodeConflict, "no")
		}
		return nil, nil
	}}
}

func mustClaim(t *testing.T, s *store.Store, now time.Time, want int) []store.Job {
	t.Helper()
	jobs, err := s.ClaimJobs(context.Background(), now, time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != want {
		t.Fatalf("claimed %d jobs at %v, want %d", len(jobs), now, want)
	}
	return jobs
}

// TestJobsCommitWithTheirChange: a job exists exactly when the work that
// scheduled it committed, and comes due at its time, not before.
func TestJobsCommitWithTheirChange(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_jobs")
		if _, err := s.Do(ctx, scheduleWork(t, p.ID, "ok@x.io", t0.Add(time.Hour), false)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Do(ctx, scheduleWork(t, p.ID, "no@x.io", t0, true)); !banking.IsCode(err, banking.CodeConflict) {
			t.Fatalf("failing work: %v, want conflict", err)
		}
		if n, _ := s.JobCount(ctx, ""); n != 1 {
			t.Fatalf("%d jobs, want 1 (the failed work's job must not exist)", n)
		}
		mustClaim(t, s, t0.Add(59*time.Minute), 0)
		jobs := mustClaim(t, s, t0.Add(time.Hour), 1)
		if j := jobs[0]; j.Kind != "test.job" || string(j.Payload) != "ok@x.io" || j.Program != p.ID || j.Attempts != 1 {
			t.Errorf("claimed %+v", j)
		}
		// Leased: not claimable again until the lease ends.
		mustClaim(t, s, t0.Add(time.Hour+59*time.Second), 0)
		again := mustClaim(t, s, t0.Add(time.Hour+time.Minute), 1)
		if again[0].Attempts != 2 {
			t.Errorf("attempts after a lost lease = %d, want 2", again[0].Attempts)
		}
		// The first claim's completion no longer counts; the second's does.
		if err := s.CompleteJob(ctx, jobs[0]); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.JobCount(ctx, ""); n != 1 {
			t.Errorf("a stale claim completed the job")
		}
		if err := s.RetryJob(ctx, again[0], t0.Add(2*time.Hour), "try later"); err != nil {
			t.Fatal(err)
		}
		mustClaim(t, s, t0.Add(2*time.Hour-time.Millisecond), 0)
		last := mustClaim(t, s, t0.Add(2*time.Hour), 1)
		if err := s.CompleteJob(ctx, last[0]); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.JobCount(ctx, ""); n != 0 {
			t.Errorf("%d jobs after completion, want 0", n)
		}
	})
}

// lostClaim readies a job claimed twice, the first claim's lease having
// run out: it answers the program, its user, both claims and the work that
// blocks the user as a claim's job.
func lostClaim(t *testing.T, s *store.Store, hmacUser string) (banking.Program, banking.User, store.Job, store.Job, func(store.Job) store.Work) {
	t.Helper()
	p := mustProgram(t, s, hmacUser)
	u := mustUser(t, s, p.ID, "once@x.io", t0)
	if _, err := s.Do(context.Background(), store.Work{Program: p.ID, Run: func(_ context.Context, tx *store.Tx) (any, error) {
		tx.Schedule(store.NewJob{Program: p.ID, Kind: "test.block", RunAt: t0})
		return nil, nil
	}}); err != nil {
		t.Fatal(err)
	}
	first := mustClaim(t, s, t0, 1)[0]
	second := mustClaim(t, s, t0.Add(time.Minute), 1)[0] // the first lease ran out
	blockWork := func(j store.Job) store.Work {
		w := store.UpdateUserWork(p.ID, u.ID, func(_ *store.Tx, u *banking.User) (*banking.Event, error) { return toggle(u, t0) })
		w.Job = &j
		return w
	}
	return p, u, first, second, blockWork
}

// TestJobWorkRunsOnce: a work that carries its job commits its effect and
// the job's completion together; once the job's lease has passed to another
// claim, the first claim's work fails and changes nothing.
func TestJobWorkRunsOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p, u, first, second, blockWork := lostClaim(t, s, "hu_once")
		if _, err := s.Do(ctx, blockWork(first)); !banking.IsCode(err, banking.CodeConflict) {
			t.Fatalf("work of a lost claim: err = %v, want conflict", err)
		}
		if got, _ := s.User(ctx, p.ID, u.ID); got.Status != banking.StatusActive {
			t.Fatalf("the lost claim's work changed the user: %s", got.Status)
		}
		if _, err := s.Do(ctx, blockWork(second)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.User(ctx, p.ID, u.ID); got.Status != banking.StatusBlocked {
			t.Errorf("status = %s, want blocked", got.Status)
		}
		if n, _ := s.JobCount(ctx, ""); n != 0 {
			t.Errorf("%d jobs left, want 0", n)
		}
	})
}

// TestJobWorkRunsOnceInAGroup is TestJobWorkRunsOnce with both claims'
// works in one group, each in its own savepoint: the lost claim's work
// fails alone and changes nothing, the other commits its effect and the
// job's completion.
func TestJobWorkRunsOnceInAGroup(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p, u, first, second, blockWork := lostClaim(t, s, "hu_once_group")
		// Hold every lane, so both works queue and the next group takes
		// them together.
		release := make(chan struct{})
		var held sync.WaitGroup
		for range 2 {
			entered := make(chan struct{})
			held.Go(func() {
				s.Do(ctx, store.Work{Program: p.ID, Run: func(context.Context, *store.Tx) (any, error) {
					close(entered)
					<-release
					return nil, nil
				}})
			})
			select {
			case <-entered:
			case <-time.After(time.Second): // SQLite has one lane: the second waits in the queue
			}
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, j := range []store.Job{first, second} {
			wg.Go(func() { _, errs[i] = s.Do(ctx, blockWork(j)) })
		}
		time.Sleep(100 * time.Millisecond) // both queued
		close(release)
		wg.Wait()
		held.Wait()
		if store.LargestGroup(s) < 2 {
			t.Fatalf("largest group %d: the test wants both works in one group", store.LargestGroup(s))
		}
		if !banking.IsCode(errs[0], banking.CodeConflict) {
			t.Errorf("work of the lost claim: err = %v, want conflict", errs[0])
		}
		if errs[1] != nil {
			t.Errorf("work of the live claim: %v", errs[1])
		}
		if got, _ := s.User(ctx, p.ID, u.ID); got.Status != banking.StatusBlocked {
			t.Errorf("status = %s, want blocked (once)", got.Status)
		}
		if n, _ := s.JobCount(ctx, ""); n != 0 {
			t.Errorf("%d jobs left, want 0", n)
		}
	})
}

// TestJobsClaimedByOneProcess: two stores on one database claiming at once
// never both get a job.
func TestJobsClaimedByOneProcess(t *testing.T) {
	forEachEngineDSN(t, func(t *testing.T, dsn string, s1 *store.Store) {
		s2 := openStore(t, dsn)
		ctx := context.Background()
		p := mustProgram(t, s1, "hu_claims")
		const n = 300
		if _, err := s1.Do(ctx, store.Work{Program: p.ID, Run: func(_ context.Context, tx *store.Tx) (any, error) {
			for i := range n {
				tx.Schedule(store.NewJob{Program: p.ID, Kind: "test.job", Payload: []byte(fmt.Sprint(i)), RunAt: t0})
			}
			return nil, nil
		}}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := s1
				if w%2 == 1 {
					s = s2
				}
				for {
					jobs, err := s.ClaimJobs(ctx, t0, time.Hour, 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(jobs) == 0 {
						return
					}
					if len(jobs) > 7 {
						// A pool that starts one worker per job would
						// then have more jobs than workers (it deadlocked).
						t.Errorf("a claim of at most 7 returned %d jobs", len(jobs))
					}
					mu.Lock()
					for _, j := range jobs {
						seen[j.ID]++
					}
					mu.Unlock()
					for _, j := range jobs {
						if err := s.CompleteJob(ctx, j); err != nil {
							t.Error(err)
						}
					}
				}
			}()
		}
		wg.Wait()
		if len(seen) != n {
			t.Errorf("%d distinct jobs claimed, want %d", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("job %d claimed %d times", id, c)
			}
		}
	})
}

// TestPullJobsIn moves only unclaimed jobs of one kind due later than the
// new horizon.
func TestPullJobsIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_pull")
		if _, err := s.Do(ctx, store.Work{Program: p.ID, Run: func(_ context.Context, tx *store.Tx) (any, error) {
			tx.Schedule(store.NewJob{Program: p.ID, Kind: "a", RunAt: t0.Add(time.Hour)})
			tx.Schedule(store.NewJob{Program: p.ID, Kind: "a", RunAt: t0})
			tx.Schedule(store.NewJob{Program: p.ID, Kind: "b", RunAt: t0.Add(time.Hour)})
			return nil, nil
		}}); err != nil {
			t.Fatal(err)
		}
		n, err := s.PullJobsIn(ctx, "a", t0.Add(time.Second))
		if err != nil || n != 1 {
			t.Fatalf("PullJobsIn = %d, %v; want 1", n, err)
		}
		mustClaim(t, s, t0.Add(time.Second), 2)
	})
}
