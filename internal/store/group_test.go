package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// storm runs fns at once, released together, and returns their errors in
// order.
func storm(fns []func() error) []error {
	errs := make([]error, len(fns))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, fn := range fns {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = fn()
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

func newUser(t *testing.T, pid banking.ProgramID, email string) (banking.User, banking.Event) {
	t.Helper()
	u, _, err := banking.NewUser(pid, banking.NewUserInput{FirstName: "Ada", LastName: "Lovelace", Email: email,
		PhoneNumber: "+14155550123", AddressOne: "1 Main St", City: "SF", State: "CA", Country: "US",
		PostalCode: "94105"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return u, banking.NewEvent(&u, banking.EventUserCreated, "test", "", banking.CreatedChanges(&u), t0)
}

func block(u *banking.User) (*banking.Event, error) {
	ch, err := u.Block(t0)
	if err != nil {
		return nil, err
	}
	ev := banking.NewEvent(u, banking.EventUserBlocked, "test", "", ch, t0)
	return &ev, nil
}

// TestGroupCommitKeepsEachOutcome sends mutations that share transactions
// and fail in both ways a grouped mutation can: before writing (a block of a
// blocked user, a missing user) and after (a duplicate email). Each must get
// the answer it would get alone, and the database must hold exactly the
// successful changes, each with its event.
func TestGroupCommitKeepsEachOutcome(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_g")
		const n = 24
		blocked := make([]banking.User, n)
		for i := range blocked {
			blocked[i] = mustUser(t, s, p.ID, fmt.Sprintf("b%d@x.io", i), t0)
			if _, err := s.UpdateUser(ctx, p.ID, blocked[i].ID, block); err != nil {
				t.Fatal(err)
			}
		}
		active := make([]banking.User, n)
		for i := range active {
			active[i] = mustUser(t, s, p.ID, fmt.Sprintf("a%d@x.io", i), t0)
		}
		for round := 0; store.LargestGroup(s) < 2; round++ {
			if round == 5 {
				t.Fatalf("no two mutations shared a transaction in %d rounds", round)
			}
			var fns []func() error
			want := map[int]banking.Code{} // index in fns → expected code ("" = success)
			add := func(code banking.Code, fn func() error) {
				want[len(fns)] = code
				fns = append(fns, fn)
			}
			for i := 0; i < n; i++ {
				if i < 8 {
					u, ev := newUser(t, p.ID, fmt.Sprintf("dup%d-%d@x.io", round, i/2)) // pairs share an email
					add("dup", func() error { return s.CreateUser(ctx, u, ev) })
				}
				u, ev := newUser(t, p.ID, fmt.Sprintf("new%d-%d@x.io", round, i))
				add("", func() error { return s.CreateUser(ctx, u, ev) })
				if round == 0 {
					id := active[i].ID
					add("", func() error { _, err := s.UpdateUser(ctx, p.ID, id, block); return err })
				}
				id := blocked[i].ID
				add(banking.CodeConflict, func() error { _, err := s.UpdateUser(ctx, p.ID, id, block); return err })
				add(banking.CodeNotFound, func() error {
					_, err := s.UpdateUser(ctx, p.ID, banking.NewUserID(t0), block)
					return err
				})
			}
			errs := storm(fns)
			dupOK := 0
			for i, err := range errs {
				switch code := want[i]; code {
				case "dup":
					if err == nil {
						dupOK++
					} else if !banking.IsCode(err, banking.CodeConflict) {
						t.Errorf("create with a shared email: err = %v, want success or conflict", err)
					}
				case "":
					if err != nil {
						t.Errorf("mutation %d: %v, want success", i, err)
					}
				default:
					if !banking.IsCode(err, code) {
						t.Errorf("mutation %d: err = %v, want %s", i, err, code)
					}
				}
			}
			if dupOK != 4 {
				t.Errorf("round %d: %d creates of shared emails succeeded, want one per email (4)", round, dupOK)
			}
		}
		// Every user present has its event, every event its user, and the
		// chain is whole.
		var users, events, blockedN int
		db := s.DB()
		if err := db.QueryRow(`SELECT count(*) FROM users`).Scan(&users); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM events WHERE type = 'user.created'`).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM events WHERE type = 'user.blocked'`).Scan(&blockedN); err != nil {
			t.Fatal(err)
		}
		if events != users {
			t.Errorf("%d users but %d user.created events", users, events)
		}
		if blockedN != 2*n {
			t.Errorf("%d user.blocked events, want %d", blockedN, 2*n)
		}
		_, total, err := s.ListUsers(ctx, p.ID, banking.UserFilter{Status: banking.StatusBlocked, Page: 1, PerPage: 1})
		if err != nil {
			t.Fatal(err)
		}
		if total.N != 2*n {
			t.Errorf("blocked count = %d, want %d", total.N, 2*n)
		}
		if rep := verify(t, s); !rep.Intact() {
			t.Errorf("audit chain broken after grouped writes: %v", rep.Broken)
		}
	})
}

// TestClosedStoreRefusesMutations: a mutation after Close fails instead of
// waiting for a committer that is gone.
func TestClosedStoreRefusesMutations(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		p := mustProgram(t, s, "hu_c")
		mustUser(t, s, p.ID, "first@x.io", t0) // starts the committer
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		u, ev := newUser(t, p.ID, "late@x.io")
		if err := s.CreateUser(context.Background(), u, ev); !banking.IsCode(err, banking.CodeInternal) {
			t.Errorf("create after close: err = %v, want internal", err)
		}
	})
}

// TestCancelledMutationIsNotRun: a mutation whose context ended before its
// group started writes nothing.
func TestCancelledMutationIsNotRun(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		p := mustProgram(t, s, "hu_x")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		u, ev := newUser(t, p.ID, "gone@x.io")
		if err := s.CreateUser(ctx, u, ev); err == nil {
			t.Fatal("create with a cancelled context succeeded")
		}
		if _, err := s.User(context.Background(), p.ID, u.ID); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("user after a cancelled create: err = %v, want not_found", err)
		}
	})
}

// TestMutationsNeedOneConnection: with a pool of one connection, every write
// path still completes. A transaction that asked the pool for a second
// connection (to prepare a statement) waited for itself forever.
func TestMutationsNeedOneConnection(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			s, err := store.Open(context.Background(), eng.DSN(t), store.Options{MaxOpenConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p := mustProgram(t, s, "hu_one")
			var fns []func() error
			for i := range 16 {
				u, ev := newUser(t, p.ID, fmt.Sprintf("one%d@x.io", i))
				fns = append(fns, func() error {
					if err := s.CreateUser(ctx, u, ev); err != nil {
						return err
					}
					_, err := s.UpdateUser(ctx, p.ID, u.ID, block)
					return err
				})
				fns = append(fns, func() error {
					err := s.CompleteIdempotency(ctx, store.IdemRef{ProgramID: p.ID, Key: fmt.Sprint(i), Token: "t"}, 400, []byte("{}"), t0)
					return err
				})
			}
			for i, err := range storm(fns) {
				if err != nil {
					t.Errorf("call %d: %v", i, err)
				}
			}
		})
	}
}

// TestPanickingMutationFailsAlone: a mutation that panics (a bug) gets an
// internal error; it does not take the process down with the committer, and
// the store keeps working.
func TestPanickingMutationFailsAlone(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_panic")
		u := mustUser(t, s, p.ID, "p@x.io", t0)
		_, err := s.UpdateUser(ctx, p.ID, u.ID, func(*banking.User) (*banking.Event, error) { panic("boom") })
		if !banking.IsCode(err, banking.CodeInternal) {
			t.Errorf("panicking mutation: err = %v, want internal", err)
		}
		if _, err := s.UpdateUser(ctx, p.ID, u.ID, block); err != nil {
			t.Errorf("the next mutation: %v", err)
		}
	})
}
