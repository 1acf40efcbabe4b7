package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// TestStatementCacheIsBounded: each set of changed columns is a statement of
// its own, so a client could otherwise grow the cache at will.
func TestStatementCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)
	s, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := banking.Program{ID: banking.NewProgramID(at), Name: "p", APIKeyHash: banking.HashAPIKey("k"),
		HMACUsername: "p", HMACSecretSealed: []byte("sealed"), CreatedAt: at}
	if err := s.CreateProgram(ctx, p, banking.Event{ID: banking.NewEventID(at), ProgramID: p.ID, SubjectID: string(p.ID),
		Type: banking.EventProgramCreated, Actor: "op", CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	u, _, err := banking.NewUser(p.ID, banking.NewUserInput{FirstName: "A", LastName: "B", Email: "a@x.io",
		PhoneNumber: "+14155550123", AddressOne: "1 Main", City: "SF", State: "CA", Country: "US", PostalCode: "94105"}, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, u, banking.NewEvent(&u, banking.EventUserCreated, "t", "", banking.CreatedChanges(&u), at)); err != nil {
		t.Fatal(err)
	}
	for mask := 1; mask < 1<<9; mask++ {
		_, err := s.UpdateUser(ctx, p.ID, u.ID, func(x *banking.User) (*banking.Event, error) {
			fields := []*string{&x.MiddleName, &x.AddressTwo, &x.City, &x.State, &x.PostalCode, &x.Username,
				&x.PhoneNumber, &x.AddressOne, &x.FirstName}
			for i, f := range fields {
				if mask&(1<<i) != 0 {
					*f = fmt.Sprint(mask, i)
				}
			}
			ev := banking.NewEvent(x, banking.EventUserUpdated, "t", "", banking.Changes{}, at)
			return &ev, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s.warm.Wait()
	n := 0
	s.stmts.Range(func(_, _ any) bool { n++; return true })
	if n > maxStmts || n != int(s.nstmts.Load()) {
		t.Errorf("%d statements cached (counted %d) after 511 distinct updates, want at most %d", n, s.nstmts.Load(), maxStmts)
	}
	if n < 100 {
		t.Errorf("only %d statements cached: is the cache used at all?", n)
	}
}
