package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// rareName is the last name of a handful of seeded users: searching for part
// of it is the "rare substring" case.
const rareName = "Quixotezyx"

// BenchmarkScale measures user/get-all's store queries with many users in one
// program (INGOT_BENCH_USERS, default 1,000,000) on each engine: the first
// unfiltered page, a search for a rare substring, and an email lookup. Each
// sub-benchmark reports p50 and p99 latency. Seeding uses the bulk path and
// takes minutes at the default size; run it with
//
//	go test -run '^$' -bench Scale -benchtime 2000x -timeout 60m ./internal/store/
func BenchmarkScale(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("INGOT_BENCH_USERS")); err == nil && v > 0 {
		n = v
	}
	for _, eng := range []string{"sqlite", "postgres"} {
		b.Run(eng, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "scale.db")
			if eng == "postgres" {
				dsn = testenv.PostgresURL(b)
			}
			s, pid := seed(b, dsn, n)
			ctx := context.Background()
			cases := []struct {
				name string
				f    func(i int) banking.UserFilter
				want int
			}{
				{"page1", func(int) banking.UserFilter { return banking.UserFilter{Page: 1, PerPage: 10} }, 10},
				{"search_rare", func(int) banking.UserFilter {
					return banking.UserFilter{Search: "xotezy", Page: 1, PerPage: 10}
				}, 5},
				{"email", func(i int) banking.UserFilter {
					return banking.UserFilter{Email: seedEmail((i * 7919) % n), Page: 1, PerPage: 10}
				}, 1},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					lat := make([]time.Duration, 0, b.N)
					for i := 0; b.Loop(); i++ {
						start := time.Now()
						users, _, err := s.ListUsers(ctx, pid, c.f(i))
						lat = append(lat, time.Since(start))
						if err != nil || len(users) != c.want {
							b.Fatalf("got %d users, err %v; want %d", len(users), err, c.want)
						}
					}
					reportPercentiles(b, lat)
				})
			}
		})
	}
}

func seedEmail(i int) string { return fmt.Sprintf("user%07d@example.com", i) }

// seed bulk-loads n users into a new program and returns the store.
func seed(b *testing.B, dsn string, n int) (*store.Store, banking.ProgramID) {
	b.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	p := banking.Program{ID: banking.NewProgramID(t0), Name: "scale", APIKeyHash: banking.HashAPIKey("k"),
		HMACUsername: "hu_scale", HMACSecretSealed: []byte("x"), CreatedAt: t0}
	if err := s.CreateProgram(ctx, p, banking.Event{ID: banking.NewEventID(t0), ProgramID: p.ID,
		SubjectID: string(p.ID), Type: banking.EventProgramCreated, Actor: "bench", CreatedAt: t0}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	const chunk = 10_000
	users := make([]banking.User, 0, chunk)
	events := make([]banking.Event, 0, chunk)
	for i := 0; i < n; i++ {
		last := "Lovelace"
		if i%(n/5) == 1 {
			last = rareName
		}
		at := t0.Add(time.Duration(i) * time.Millisecond)
		u, _, err := banking.NewUser(p.ID, banking.NewUserInput{FirstName: firstNames[i%len(firstNames)],
			LastName: last, Email: seedEmail(i), PhoneNumber: fmt.Sprintf("+1415%07d", i%10_000_000),
			AddressOne: "1 Main St", City: "San Francisco", State: "CA", Country: "US", PostalCode: "94105"}, at)
		if err != nil {
			b.Fatal(err)
		}
		users = append(users, u)
		events = append(events, banking.NewEvent(&u, banking.EventUserCreated, "bench", "", banking.CreatedChanges(&u), at))
		if len(users) == chunk || i == n-1 {
			if err := s.BulkCreateUsers(ctx, users, events); err != nil {
				b.Fatal(err)
			}
			users, events = users[:0], events[:0]
		}
	}
	// Fresh statistics, as autovacuum (PostgreSQL) or ANALYZE would give a
	// long-running database.
	if _, err := s.DB().ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d users on %s in %v", n, s.Engine(), time.Since(start).Round(time.Second))
	return s, p.ID
}

var firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Leslie"}

// reportPercentiles adds p50 and p99 latency (milliseconds) to the result.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
