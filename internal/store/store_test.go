package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// forEachEngine runs fn against a fresh store on every engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			s, err := store.Open(context.Background(), eng.DSN(t), store.Options{})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)

func mustProgram(t *testing.T, s *store.Store, username string) banking.Program {
	t.Helper()
	p := banking.Program{ID: banking.NewProgramID(t0), Name: username, APIKeyHash: banking.HashAPIKey("key-" + username),
		HMACUsername: username, HMACSecretSealed: []byte("sealed"), CreatedAt: t0}
	ev := banking.Event{ID: banking.NewEventID(t0), ProgramID: p.ID, SubjectID: string(p.ID),
		Type: banking.EventProgramCreated, Actor: "operator", CreatedAt: t0}
	if err := s.CreateProgram(context.Background(), p, ev); err != nil {
		t.Fatalf("create program: %v", err)
	}
	return p
}

func mustUser(t *testing.T, s *store.Store, pid banking.ProgramID, email string, at time.Time) banking.User {
	t.Helper()
	u, _, err := banking.NewUser(pid, banking.NewUserInput{FirstName: "Ada", LastName: "Lovelace", Email: email,
		PhoneNumber: "+14155550123", AddressOne: "1 Main St", City: "SF", State: "CA", Country: "US",
		PostalCode: "94105"}, at)
	if err != nil {
		t.Fatal(err)
	}
	ev := banking.NewEvent(&u, banking.EventUserCreated, "test", "", banking.CreatedChanges(&u), at)
	if err := s.CreateUser(context.Background(), u, ev); err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

func TestUserRoundTrip(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		u := mustUser(t, s, p.ID, "Ada@Example.com", t0)
		got, err := s.User(ctx, p.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(u, got); diff != "" {
			t.Errorf("read back differs (-want +got):\n%s", diff)
		}
		other := mustProgram(t, s, "hu_b")
		if _, err := s.User(ctx, other.ID, u.ID); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("other program's read: err = %v, want not_found", err)
		}
		// Same email, case-insensitively, in the same program: conflict.
		dup, _, _ := banking.NewUser(p.ID, banking.NewUserInput{FirstName: "A", LastName: "B", Email: "ada@EXAMPLE.com",
			PhoneNumber: "+14155550123", AddressOne: "x", City: "y", State: "CA", Country: "US", PostalCode: "94105"}, t0)
		ev := banking.NewEvent(&dup, banking.EventUserCreated, "test", "", nil, t0)
		if err := s.CreateUser(ctx, dup, ev); !banking.IsCode(err, banking.CodeConflict) {
			t.Errorf("duplicate email: err = %v, want conflict", err)
		}
		// In another program the same email is fine.
		mustUser(t, s, other.ID, "ada@example.com", t0)
	})
}

func TestUpdateUserWritesChangeAndEventTogether(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		u := mustUser(t, s, p.ID, "a@example.com", t0)
		at := t0.Add(time.Minute)
		got, err := s.UpdateUser(ctx, p.ID, u.ID, func(u *banking.User) (*banking.Event, error) {
			ch, err := u.Block(at)
			ev := banking.NewEvent(u, banking.EventUserBlocked, "test", "why", ch, at)
			return &ev, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != banking.StatusBlocked || !got.UpdatedAt.Equal(at) {
			t.Errorf("after block: status %s updated_at %v, want blocked %v", got.Status, got.UpdatedAt, at)
		}
		// A failing mutation writes nothing.
		_, err = s.UpdateUser(ctx, p.ID, u.ID, func(u *banking.User) (*banking.Event, error) {
			_, err := u.Block(at)
			return nil, err
		})
		if !banking.IsCode(err, banking.CodeConflict) {
			t.Fatalf("second block: err = %v, want conflict", err)
		}
		evs, total, err := s.Events(ctx, p.ID, string(u.ID), 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		var types []banking.EventType
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		want := []banking.EventType{banking.EventUserBlocked, banking.EventUserCreated}
		if total != 2 || !cmp.Equal(types, want) {
			t.Errorf("events = %v (total %d), want %v", types, total, want)
		}
		if evs[0].Reason != "why" || evs[0].Changes["status"].To != "blocked" {
			t.Errorf("blocked event = %+v", evs[0])
		}
		if _, err := s.UpdateUser(ctx, p.ID, banking.NewUserID(t0), nil); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("update of missing user: err = %v, want not_found", err)
		}
	})
}

func TestListUsers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		var ids []banking.UserID
		for i, email := range []string{"one@x.io", "two_100%@x.io", "three@x.io"} {
			ids = append(ids, mustUser(t, s, p.ID, email, t0.Add(time.Duration(i)*time.Second)).ID)
		}
		for _, c := range []struct {
			name  string
			f     banking.UserFilter
			want  []banking.UserID
			total int
		}{
			{"newest first", banking.UserFilter{Page: 1, PerPage: 10}, []banking.UserID{ids[2], ids[1], ids[0]}, 3},
			{"ascending", banking.UserFilter{Page: 1, PerPage: 10, Ascending: true}, ids, 3},
			{"page 2 of 2", banking.UserFilter{Page: 2, PerPage: 2}, []banking.UserID{ids[0]}, 3},
			{"beyond the end", banking.UserFilter{Page: 3, PerPage: 2}, nil, 3},
			{"email any case", banking.UserFilter{Email: "TWO_100%@X.IO", Page: 1, PerPage: 10}, ids[1:2], 1},
			{"search literal %", banking.UserFilter{Search: "100%", Page: 1, PerPage: 10}, ids[1:2], 1},
			{"search _ is not a wildcard", banking.UserFilter{Search: "e_x", Page: 1, PerPage: 10}, nil, 0},
			{"search case-insensitive", banking.UserFilter{Search: "THREE", Page: 1, PerPage: 10}, ids[2:3], 1},
			{"search id", banking.UserFilter{Search: string(ids[0])[5:20], Page: 1, PerPage: 10}, ids[0:1], 1},
			{"status blocked", banking.UserFilter{Status: banking.StatusBlocked, Page: 1, PerPage: 10}, nil, 0},
			{"short search scans", banking.UserFilter{Search: "ov", Page: 1, PerPage: 10}, []banking.UserID{ids[2], ids[1], ids[0]}, 3},
			{"search and status", banking.UserFilter{Search: "three", Status: banking.StatusActive, Page: 1, PerPage: 10}, ids[2:3], 1},
		} {
			t.Run(c.name, func(t *testing.T) {
				users, total, err := s.ListUsers(ctx, p.ID, c.f)
				if err != nil {
					t.Fatal(err)
				}
				var got []banking.UserID
				for _, u := range users {
					got = append(got, u.ID)
				}
				if !cmp.Equal(got, c.want) || total.N != c.total {
					t.Errorf("got %v (total %d), want %v (total %d)", got, total.N, c.want, c.total)
				}
			})
		}
	})
}

// TestCountsFollowTransitions checks the maintained counters behind an
// unfiltered total against a real count after creates and transitions.
func TestCountsFollowTransitions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		mustProgram(t, s, "hu_b")
		var users []banking.User
		for i := 0; i < 5; i++ {
			users = append(users, mustUser(t, s, p.ID, fmt.Sprintf("u%d@x.io", i), t0))
		}
		for _, u := range users[:2] {
			if _, err := s.UpdateUser(ctx, p.ID, u.ID, func(u *banking.User) (*banking.Event, error) {
				ch, err := u.Block(t0)
				ev := banking.NewEvent(u, banking.EventUserBlocked, "test", "", ch, t0)
				return &ev, err
			}); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			f    banking.UserFilter
			want int
		}{
			{banking.UserFilter{}, 5},
			{banking.UserFilter{Status: banking.StatusBlocked}, 2},
			{banking.UserFilter{Status: banking.StatusActive}, 3},
			{banking.UserFilter{KYCStatus: banking.KYCNotStarted}, 5},
			{banking.UserFilter{Status: banking.StatusActive, KYCStatus: banking.KYCPending}, 0},
		} {
			c.f.Page, c.f.PerPage = 1, 1
			_, total, err := s.ListUsers(ctx, p.ID, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if total.N != c.want {
				t.Errorf("total for %+v = %d, want %d", c.f, total.N, c.want)
			}
		}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate #%d: %v", i+2, err)
			}
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ms, _ := store.Migrations(s.Engine())
		if v != len(ms) {
			t.Errorf("schema version = %d, want %d", v, len(ms))
		}
	})
}

// TestSchemaParity checks that both engines end up with the same tables and
// columns, so a feature cannot quietly exist on one engine only. SQLite's
// *_fts* tables are its search indexes, the counterpart of PostgreSQL's
// trigram indexes, and are left out (TestSearchIndexes checks both).
func TestSchemaParity(t *testing.T) {
	schemas := map[store.Engine]map[string][]string{}
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		q := `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '%\_fts%' ESCAPE '\'`
		if s.Engine() == store.Postgres {
			q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`
		}
		rows, err := s.DB().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols := map[string][]string{}
		for rows.Next() {
			var table, col string
			if err := rows.Scan(&table, &col); err != nil {
				t.Fatal(err)
			}
			cols[table] = append(cols[table], col)
		}
		for _, c := range cols {
			sort.Strings(c)
		}
		schemas[s.Engine()] = cols
	})
	if len(schemas) != 2 {
		t.Skip("needs both engines")
	}
	if diff := cmp.Diff(schemas[store.SQLite], schemas[store.Postgres]); diff != "" {
		t.Errorf("schemas differ (-sqlite +postgres):\n%s", diff)
	}
}

func TestParseDSN(t *testing.T) {
	for _, c := range []struct {
		in      string
		engine  store.Engine
		src     string
		wantErr bool
	}{
		{"./ingot.db", store.SQLite, "./ingot.db", false},
		{"sqlite:/tmp/x.db", store.SQLite, "/tmp/x.db", false},
		{"sqlite:///tmp/x.db", store.SQLite, "/tmp/x.db", false},
		{"postgres://u@h/db", store.Postgres, "postgres://u@h/db", false},
		{"postgresql://u@h/db", store.Postgres, "postgresql://u@h/db", false},
		{"", "", "", true},
		{"x.db?mode=ro", "", "", true},
	} {
		e, src, err := store.ParseDSN(c.in)
		if (err != nil) != c.wantErr || e != c.engine || src != c.src {
			t.Errorf("ParseDSN(%q) = %q, %q, %v; want %q, %q, err %v", c.in, e, src, err, c.engine, c.src, c.wantErr)
		}
	}
}

func TestSandboxKeyIsCreatedOnceAndReused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, err := s.SandboxKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.SandboxKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != 32 || !cmp.Equal(a, b) {
			t.Errorf("keys = %x, %x; want one 32-byte key twice", a, b)
		}
	})
}

// TestCreateFirstProgramOnce: several pools (like several processes
// bootstrapping a sandbox on one empty database) race; exactly one program
// is created.
func TestCreateFirstProgramOnce(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			dsn := eng.DSN(t)
			const racers = 4
			stores := make([]*store.Store, racers)
			for i := range stores {
				s, err := store.Open(context.Background(), dsn, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				stores[i] = s
			}
			var wg sync.WaitGroup
			created := make(chan bool, racers)
			for i, s := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					id := banking.NewProgramID(t0)
					ok, err := s.CreateFirstProgram(context.Background(), banking.Program{ID: id, Name: "sandbox",
						APIKeyHash: banking.HashAPIKey(fmt.Sprint("k", i)), HMACUsername: fmt.Sprint("hu_", i),
						HMACSecretSealed: []byte("x"), CreatedAt: t0},
						banking.Event{ID: banking.NewEventID(t0), ProgramID: id, SubjectID: string(id),
							Type: banking.EventProgramCreated, Actor: "test", CreatedAt: t0})
					if err != nil {
						t.Error(err)
					}
					created <- ok
				}()
			}
			wg.Wait()
			close(created)
			n := 0
			for ok := range created {
				if ok {
					n++
				}
			}
			ps, err := stores[0].Programs(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 || len(ps) != 1 {
				t.Errorf("created reported %d times, %d programs stored; want 1 and 1", n, len(ps))
			}
		})
	}
}

// TestSQLitePathIsLiteral: characters that mean something in a URI name the
// file they spell, not another one.
func TestSQLitePathIsLiteral(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a#b.db", "c%41d.db", "sp ace.db"} {
		path := filepath.Join(dir, name)
		s, err := store.Open(context.Background(), path, store.Options{})
		if err != nil {
			t.Fatalf("open %q: %v", name, err)
		}
		s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("open %q did not create that file: %v", name, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); n == "a" || n == "cAd.db" {
			t.Errorf("a stray file %q was created", n)
		}
	}
}

// TestSQLitePragmas: every connection of the pool has ingot's pragmas, the
// temporary store in memory included (a group's savepoints write their
// sub-journal there; in a file, every page each Work touched cost a write
// system call: docs/decisions.md, "SQLite keeps temporary files in memory").
func TestSQLitePragmas(t *testing.T) {
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Hold several connections at once, so the pool opens more than one.
	ctx := context.Background()
	for i := range 3 {
		conn, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, p := range []struct {
			name string
			want string
		}{{"temp_store", "2"}, {"journal_mode", "wal"}, {"foreign_keys", "1"}, {"synchronous", "2"}, {"busy_timeout", "10000"}} {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", p.name, err)
			}
			if got != p.want {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, p.name, got, p.want)
			}
		}
	}
}
