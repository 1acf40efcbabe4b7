package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// forEachEngineDSN is forEachEngine for tests that open the database more
// than once (several pools on one database, like several processes).
func forEachEngineDSN(t *testing.T, fn func(t *testing.T, dsn string, s *store.Store)) {
	t.Helper()
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			dsn := eng.DSN(t)
			fn(t, dsn, openStore(t, dsn))
		})
	}
}

// openStore opens one more store (a pool, as another process would) on
// dsn, closed when the test ends.
func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func verify(t *testing.T, s *store.Store) store.AuditReport {
	t.Helper()
	rep, err := s.VerifyAudit(context.Background())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

func mustIntact(t *testing.T, s *store.Store, events, programs int) {
	t.Helper()
	rep := verify(t, s)
	if !rep.Intact() {
		t.Fatalf("chain broken: %v", rep.Broken)
	}
	if rep.Events != events || rep.Programs != programs {
		t.Fatalf("verified %d events in %d programs, want %d in %d", rep.Events, rep.Programs, events, programs)
	}
}

func mustBroken(t *testing.T, s *store.Store, eventID, reason string) {
	t.Helper()
	rep := verify(t, s)
	if rep.Intact() {
		t.Fatalf("chain reported intact, want broken at %q (%s)", eventID, reason)
	}
	if rep.Broken.EventID != eventID || !strings.HasPrefix(rep.Broken.Reason, reason) {
		t.Fatalf("broken at %v, want event %q: %s", rep.Broken, eventID, reason)
	}
}

// eventIDs lists a program's event ids in seq order.
func eventIDs(t *testing.T, s *store.Store, pid banking.ProgramID) []string {
	t.Helper()
	rows, err := s.DB().Query(rebind(s, `SELECT id FROM events WHERE program_id = ? ORDER BY seq`), pid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func rebind(s *store.Store, q string) string {
	if s.Engine() == store.Postgres {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	return q
}

func rawExec(t *testing.T, s *store.Store, q string, args ...any) {
	t.Helper()
	res, err := s.DB().Exec(rebind(s, q), args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s: %d rows affected, want 1", q, n)
	}
}

// auditFixture makes two programs: A with three users (4 events), B with one
// (2 events).
func auditFixture(t *testing.T, s *store.Store) (a, b banking.Program) {
	a = mustProgram(t, s, "hu_audit_a")
	b = mustProgram(t, s, "hu_audit_b")
	for i := 0; i < 3; i++ {
		mustUser(t, s, a.ID, fmt.Sprintf("a%d@example.com", i), t0)
	}
	mustUser(t, s, b.ID, "b@example.com", t0)
	return a, b
}

func TestAuditChainIntact(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		a, _ := auditFixture(t, s)
		mustIntact(t, s, 6, 2)
		// An update chains too.
		ids := eventIDs(t, s, a.ID)
		u := mustUser(t, s, a.ID, "late@example.com", t0)
		if _, err := s.UpdateUser(context.Background(), a.ID, u.ID, func(u *banking.User) (*banking.Event, error) {
			ch, err := u.Block(t0)
			if err != nil {
				return nil, err
			}
			ev := banking.NewEvent(u, banking.EventUserUpdated, "test", "why", ch, t0)
			return &ev, nil
		}); err != nil {
			t.Fatal(err)
		}
		mustIntact(t, s, 8, 2)
		if got := eventIDs(t, s, a.ID); len(got) != len(ids)+2 {
			t.Fatalf("events of A = %d, want %d", len(got), len(ids)+2)
		}
	})
}

func TestAuditDetectsEditedEvent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		a, _ := auditFixture(t, s)
		ids := eventIDs(t, s, a.ID)
		rawExec(t, s, `UPDATE events SET reason = ? WHERE id = ?`, "edited", ids[2])
		mustBroken(t, s, ids[2], store.BreakContent)
	})
}

func TestAuditDetectsEditedChanges(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		a, _ := auditFixture(t, s)
		ids := eventIDs(t, s, a.ID)
		rawExec(t, s, `UPDATE events SET changes = ? WHERE id = ?`, `{}`, ids[1])
		mustBroken(t, s, ids[1], store.BreakContent)
	})
}

func TestAuditDetectsDeletedMiddleEvent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		a, _ := auditFixture(t, s)
		ids := eventIDs(t, s, a.ID)
		rawExec(t, s, `DELETE FROM events WHERE id = ?`, ids[1])
		// The event after the gap no longer links to its predecessor.
		mustBroken(t, s, ids[2], store.BreakPrevLink)
	})
}

func TestAuditDetectsDeletedLastEvent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		a, _ := auditFixture(t, s)
		ids := eventIDs(t, s, a.ID)
		rawExec(t, s, `DELETE FROM events WHERE id = ?`, ids[len(ids)-1])
		mustBroken(t, s, ids[len(ids)-2], store.BreakTail)

		// A write after the deletion chains onto the lost event: still caught.
		mustUser(t, s, a.ID, "after@example.com", t0)
		ids2 := eventIDs(t, s, a.ID)
		mustBroken(t, s, ids2[len(ids2)-1], store.BreakPrevLink)
	})
}

func TestAuditDetectsDeletedChain(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		_, b := auditFixture(t, s)
		rawExec(t, s, `DELETE FROM audit_heads WHERE program_id = ?`, b.ID)
		mustBroken(t, s, eventIDs(t, s, b.ID)[0], store.BreakNoHead)
		if _, err := s.DB().Exec(rebind(s, `DELETE FROM events WHERE program_id = ?`), b.ID); err != nil {
			t.Fatal(err)
		}
		mustBroken(t, s, "", store.BreakNoEvents)
	})
}

func TestAuditBulkInsertChains(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		p := mustProgram(t, s, "hu_bulk")
		var users []banking.User
		var evs []banking.Event
		for i := 0; i < 1200; i++ { // more than one multi-row INSERT
			u, _, err := banking.NewUser(p.ID, banking.NewUserInput{FirstName: "Ada", LastName: "Lovelace",
				Email: fmt.Sprintf("bulk%d@example.com", i), PhoneNumber: "+14155550123", AddressOne: "1 Main St",
				City: "SF", State: "CA", Country: "US", PostalCode: "94105"}, t0)
			if err != nil {
				t.Fatal(err)
			}
			users = append(users, u)
			evs = append(evs, banking.NewEvent(&u, banking.EventUserCreated, "test", "", banking.CreatedChanges(&u), t0))
		}
		if err := s.BulkCreateUsers(context.Background(), users, evs); err != nil {
			t.Fatal(err)
		}
		mustUser(t, s, p.ID, "after-bulk@example.com", t0)
		mustIntact(t, s, 1202, 1)
	})
}

// TestAuditLegacyPrefix: events written before migration 0005 have no hash;
// they are counted as legacy and the chain starts after them.
func TestAuditLegacyPrefix(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		rawExec(t, s, `INSERT INTO programs (id, name, api_key_hash, hmac_username, hmac_secret, created_at)
			VALUES ('prog-legacy', 'legacy', ?, 'hu_legacy', ?, 0)`, []byte("h"), []byte("s"))
		for i := 0; i < 2; i++ {
			rawExec(t, s, `INSERT INTO events (id, program_id, subject_id, type, actor, reason, changes, created_at)
				VALUES (?, 'prog-legacy', 'prog-legacy', 'program.created', 'operator', '', '{}', 0)`, fmt.Sprintf("event-legacy-%d", i))
		}
		rep := verify(t, s)
		if !rep.Intact() || rep.Legacy != 2 || rep.Events != 2 {
			t.Fatalf("report %+v, want intact with 2 legacy events", rep)
		}
		mustUser(t, s, "prog-legacy", "l@example.com", t0)
		rep = verify(t, s)
		if !rep.Intact() || rep.Legacy != 2 || rep.Events != 3 {
			t.Fatalf("report %+v (broken %v), want intact, 3 events, 2 legacy", rep, rep.Broken)
		}
	})
}

// TestAuditConcurrentWriters: two pools on one database (like two
// processes) writing events of the same programs at once never chain two
// events onto the same predecessor.
func TestAuditConcurrentWriters(t *testing.T) {
	forEachEngineDSN(t, func(t *testing.T, dsn string, s1 *store.Store) {
		s2 := openStore(t, dsn)
		a := mustProgram(t, s1, "hu_conc_a")
		b := mustProgram(t, s2, "hu_conc_b")
		const writers, each = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, 2*writers*each)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := s1
				if w%2 == 1 {
					s = s2
				}
				for i := 0; i < each; i++ {
					for _, pid := range []banking.ProgramID{a.ID, b.ID} {
						u, _, err := banking.NewUser(pid, banking.NewUserInput{FirstName: "Ada", LastName: "Lovelace",
							Email: fmt.Sprintf("w%d-%d@example.com", w, i), PhoneNumber: "+14155550123", AddressOne: "1 Main St",
							City: "SF", State: "CA", Country: "US", PostalCode: "94105"}, t0)
						if err != nil {
							errs <- err
							return
						}
						ev := banking.NewEvent(&u, banking.EventUserCreated, "test", "", banking.CreatedChanges(&u), t0)
						if err := s.CreateUser(context.Background(), u, ev); err != nil {
							errs <- err
						}
					}
				}
			}()
		}
		// Verify runs alongside the writers and never sees a broken chain.
		stop := make(chan struct{})
		verified := make(chan error, 1)
		go func() {
			defer close(verified)
			for {
				select {
				case <-stop:
					return
				default:
				}
				rep, err := s2.VerifyAudit(context.Background())
				if err == nil && !rep.Intact() {
					err = fmt.Errorf("verify during writes: %v", rep.Broken)
				}
				if err != nil {
					verified <- err
					return
				}
			}
		}()
		wg.Wait()
		close(stop)
		if err := <-verified; err != nil {
			t.Error(err)
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		mustIntact(t, s1, 2+2*writers*each, 2)
	})
}
