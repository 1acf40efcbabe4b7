package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// writeThenFail is a Work that writes a user row and an event, then fails
// (or panics): the shape of the old g.wrote hole, where such a mutation's
// write was committed with its group while its caller heard it failed.
func writeThenFail(pid banking.ProgramID, u banking.User, ev banking.Event, panicking bool) store.Work {
	create := store.CreateUserWork(u, ev)
	return store.Work{Program: pid, Locks: create.Locks, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
		if _, err := create.Run(ctx, tx); err != nil {
			return nil, err
		}
		if panicking {
			panic("after writing")
		}
		return nil, banking.Errorf(banking.CodeConflict, "changed my mind")
	}}
}

// TestFailedWorkLeavesNothing: works that write and then fail, sharing
// groups with works that succeed, leave no row, no event and no count
// behind, while every successful work's change is committed.
func TestFailedWorkLeavesNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_hole")
		var failedIDs []banking.UserID
		okCount := 0
		for round := 0; store.LargestGroup(s) < 4; round++ {
			if round == 10 {
				t.Fatalf("no group of 4 works formed in %d rounds (largest %d)", round, store.LargestGroup(s))
			}
			var fns []func() error
			var wantFail []bool
			for i := range 24 {
				u, ev := newUser(t, p.ID, fmt.Sprintf("r%d-%d@x.io", round, i))
				switch i % 3 {
				case 0, 1:
					w := writeThenFail(p.ID, u, ev, i%3 == 1)
					failedIDs = append(failedIDs, u.ID)
					fns = append(fns, func() error { _, err := s.Do(ctx, w); return err })
					wantFail = append(wantFail, true)
				default:
					fns = append(fns, func() error { return s.CreateUser(ctx, u, ev) })
					wantFail = append(wantFail, false)
				}
			}
			for i, err := range storm(fns) {
				switch {
				case wantFail[i] && err == nil:
					t.Errorf("round %d work %d: succeeded, want its error", round, i)
				case !wantFail[i] && err != nil:
					t.Errorf("round %d work %d: %v, want success", round, i, err)
				case !wantFail[i]:
					okCount++
				}
			}
		}
		for _, id := range failedIDs {
			if _, err := s.User(ctx, p.ID, id); !banking.IsCode(err, banking.CodeNotFound) {
				t.Errorf("user %s of a failed work: err = %v, want not_found", id, err)
			}
		}
		var users, events int
		if err := s.DB().QueryRow(`SELECT count(*) FROM users`).Scan(&users); err != nil {
			t.Fatal(err)
		}
		if err := s.DB().QueryRow(`SELECT count(*) FROM events WHERE type = 'user.created'`).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if users != okCount || events != okCount {
			t.Errorf("%d users and %d user.created events, want %d of each", users, events, okCount)
		}
		_, total, err := s.ListUsers(ctx, p.ID, banking.UserFilter{Page: 1, PerPage: 1})
		if err != nil || total.N != okCount {
			t.Errorf("counted users = %d (%v), want %d", total.N, err, okCount)
		}
		mustIntact(t, s, 1+okCount, 1)
	})
}

// swap is a Work that blocks one user and unblocks the other, naming both
// lock keys in the given order.
func swap(pid banking.ProgramID, a, b banking.UserID, at time.Time) store.Work {
	wa := store.UpdateUserWork(pid, a, func(_ *store.Tx, u *banking.User) (*banking.Event, error) { return toggle(u, at) })
	wb := store.UpdateUserWork(pid, b, func(_ *store.Tx, u *banking.User) (*banking.Event, error) { return toggle(u, at) })
	return store.Work{Program: pid, Locks: append(wa.Locks, wb.Locks...), Run: func(ctx context.Context, tx *store.Tx) (any, error) {
		if _, err := wa.Run(ctx, tx); err != nil {
			return nil, err
		}
		return wb.Run(ctx, tx)
	}}
}

func toggle(u *banking.User, at time.Time) (*banking.Event, error) {
	typ, step := banking.EventUserBlocked, u.Block
	if u.Status == banking.StatusBlocked {
		typ, step = banking.EventUserUnblocked, u.Unblock
	}
	ch, err := step(at)
	if err != nil {
		return nil, err
	}
	ev := banking.NewEvent(u, typ, "test", "", ch, at)
	return &ev, nil
}

// TestWorkLocksAcrossProcesses: works that each change two rows, named in
// opposite orders and run at once through two stores on one database (two
// processes), all complete without a deadlock, and every change is counted.
func TestWorkLocksAcrossProcesses(t *testing.T) {
	forEachEngineDSN(t, func(t *testing.T, dsn string, s1 *store.Store) {
		s2 := openStore(t, dsn)
		p := mustProgram(t, s1, "hu_locks")
		const nUsers = 6
		var ids []banking.UserID
		for i := range nUsers {
			ids = append(ids, mustUser(t, s1, p.ID, fmt.Sprintf("l%d@x.io", i), t0).ID)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failures []error
		const each = 40
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := s1
				if w%2 == 1 {
					s = s2
				}
				for i := range each {
					a, b := ids[(w+i)%nUsers], ids[(w+i+1)%nUsers]
					if w%2 == 1 {
						a, b = b, a
					}
					if _, err := s.Do(ctx, swap(p.ID, a, b, t0)); err != nil {
						mu.Lock()
						failures = append(failures, err)
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		for _, err := range failures {
			t.Errorf("swap: %v", err)
		}
		if ctx.Err() != nil {
			t.Fatal("swaps did not finish in 60 s: deadlocked?")
		}
		if n := store.Deadlocks(s1) + store.Deadlocks(s2); n != 0 {
			t.Errorf("%d groups were deadlock victims, want 0: locks are not taken in one order", n)
		}
		var changes int
		if err := s1.DB().QueryRow(`SELECT count(*) FROM events WHERE type IN ('user.blocked', 'user.unblocked')`).Scan(&changes); err != nil {
			t.Fatal(err)
		}
		if want := 2 * 8 * each; changes != want {
			t.Errorf("%d block/unblock events, want %d", changes, want)
		}
		mustIntact(t, s1, 1+nUsers+2*8*each, 1)
	})
}

// TestWorkAnswerIsItsValue: Do hands back exactly what Run returned.
func TestWorkAnswerIsItsValue(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		p := mustProgram(t, s, "hu_val")
		v, err := s.Do(context.Background(), store.Work{Program: p.ID, Run: func(context.Context, *store.Tx) (any, error) {
			return 42, nil
		}})
		if err != nil || v != 42 {
			t.Errorf("Do = %v, %v; want 42, nil", v, err)
		}
		want := errors.New("plain")
		_, err = s.Do(context.Background(), store.Work{Program: p.ID, Run: func(context.Context, *store.Tx) (any, error) {
			return nil, want
		}})
		if !banking.IsCode(err, banking.CodeInternal) || !errors.Is(err, want) {
			t.Errorf("Do of a failing work = %v, want internal wrapping %v", err, want)
		}
	})
}
