package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

const (
	testLease = time.Minute
	testTTL   = 24 * time.Hour
)

func idemReq(pid banking.ProgramID, key, endpoint, hash string, at time.Time) store.IdemRequest {
	return store.IdemRequest{ProgramID: pid, Key: key, Endpoint: endpoint, Hash: hash, Now: at, Lease: testLease, TTL: testTTL}
}

func mustReserve(t *testing.T, s *store.Store, r store.IdemRequest, want store.IdemOutcome) store.IdemReservation {
	t.Helper()
	got, err := s.ReserveIdempotency(context.Background(), r)
	if err != nil {
		t.Fatalf("reserve %s: %v", r.Key, err)
	}
	if got.Outcome != want {
		t.Fatalf("reserve %s at %s: outcome = %d, want %d", r.Key, r.Now, got.Outcome, want)
	}
	return got
}

func TestReserveIdempotency(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "idem-a")
		q := mustProgram(t, s, "idem-b")
		first := mustReserve(t, s, idemReq(p.ID, "k", "user/create", "h1", t0), store.IdemReserved)

		for _, tc := range []struct {
			name string
			req  store.IdemRequest
			want store.IdemOutcome
		}{
			{"same request in flight", idemReq(p.ID, "k", "user/create", "h1", t0.Add(time.Second)), store.IdemInFlight},
			{"other body", idemReq(p.ID, "k", "user/create", "h2", t0.Add(time.Second)), store.IdemMismatch},
			{"other endpoint", idemReq(p.ID, "k", "user/update", "h1", t0.Add(time.Second)), store.IdemMismatch},
			{"other program", idemReq(q.ID, "k", "user/create", "h1", t0.Add(time.Second)), store.IdemReserved},
		} {
			t.Run(tc.name, func(t *testing.T) { mustReserve(t, s, tc.req, tc.want) })
		}

		if err := s.CompleteIdempotency(ctx, first.Ref, 409, []byte("answer\n"), t0.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		got := mustReserve(t, s, idemReq(p.ID, "k", "user/create", "h1", t0.Add(testTTL-time.Millisecond)), store.IdemReplay)
		if got.Status != 409 || string(got.Body) != "answer\n" {
			t.Errorf("replay = %d %q, want 409 %q", got.Status, got.Body, "answer\n")
		}
		mustReserve(t, s, idemReq(p.ID, "k", "user/create", "h2", t0.Add(testTTL-time.Millisecond)), store.IdemMismatch)
		// Expired: the key is new again, even for another body.
		again := mustReserve(t, s, idemReq(p.ID, "k", "user/update", "h9", t0.Add(testTTL)), store.IdemReserved)
		if again.Ref.Token == first.Ref.Token {
			t.Errorf("a new reservation kept the old token")
		}
		rec, err := s.Idempotency(ctx, p.ID, "k")
		if err != nil {
			t.Fatal(err)
		}
		if rec.Status != 0 || rec.Body != nil || rec.Endpoint != "user/update" || rec.Hash != "h9" || !rec.CreatedAt.Equal(t0.Add(testTTL)) {
			t.Errorf("record after expiry = %+v", rec)
		}
	})
}

func TestIdempotencyLeaseTakeover(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "idem-lease")
		old := mustReserve(t, s, idemReq(p.ID, "k", "user/create", "h", t0), store.IdemReserved)
		mustReserve(t, s, idemReq(p.ID, "k", "user/create", "h", t0.Add(testLease-time.Millisecond)), store.IdemInFlight)
		cur := mustReserve(t, s, idemReq(p.ID, "k", "user/create", "h", t0.Add(testLease)), store.IdemReserved)

		// The presumed-dead holder can neither complete nor release the key.
		if err := s.CompleteIdempotency(ctx, old.Ref, 404, []byte("stale"), t0.Add(testLease)); err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseIdempotency(ctx, old.Ref); err != nil {
			t.Fatal(err)
		}
		u, _, err := banking.NewUser(p.ID, banking.NewUserInput{FirstName: "Ada", LastName: "Lovelace", Email: "lease@example.com",
			PhoneNumber: "+14155550123", AddressOne: "1 Main St", City: "SF", State: "CA", Country: "US", PostalCode: "94105"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		ev := banking.NewEvent(&u, banking.EventUserCreated, "test", "", banking.CreatedChanges(&u), t0)
		err = s.CreateUser(ctx, u, ev, finish(old.Ref, "stale"))
		if !banking.IsCode(err, banking.CodeConflict) {
			t.Fatalf("create under a lost reservation: err = %v, want conflict", err)
		}
		if _, err := s.User(ctx, p.ID, u.ID); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("the user of a lost reservation was written: %v", err)
		}
		rec, err := s.Idempotency(ctx, p.ID, "k")
		if err != nil || rec.Status != 0 {
			t.Fatalf("record = %+v, %v; want still in flight", rec, err)
		}
		if err := s.CreateUser(ctx, u, ev, finish(cur.Ref, "ok")); err != nil {
			t.Fatal(err)
		}
		got := mustReserve(t, s, idemReq(p.ID, "k", "user/create", "h", t0.Add(2*testLease)), store.IdemReplay)
		if got.Status != 200 || string(got.Body) != "ok:"+string(u.ID) {
			t.Errorf("replay = %d %q", got.Status, got.Body)
		}
	})
}

// finish returns a finish step whose answer is prefix:user id.
func finish(ref store.IdemRef, prefix string) *store.IdemFinish {
	return &store.IdemFinish{Ref: ref, Now: func() time.Time { return t0 },
		Render: func(v any) ([]byte, error) { return []byte(prefix + ":" + string(v.(banking.User).ID)), nil }}
}

func TestIdempotencyAnswerCommitsWithChange(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "idem-tx")
		u := mustUser(t, s, p.ID, "tx@example.com", t0)
		block := func(u *banking.User) (*banking.Event, error) {
			ch, err := u.Block(t0.Add(time.Second))
			if err != nil {
				return nil, err
			}
			ev := banking.NewEvent(u, banking.EventUserBlocked, "test", "", ch, t0.Add(time.Second))
			return &ev, nil
		}
		noop := func(u *banking.User) (*banking.Event, error) { return nil, nil }
		for _, tc := range []struct {
			name       string
			fn         store.Mutation
			wantErr    banking.Code
			wantStatus int
			wantBody   string
		}{
			{"change", block, "", 200, "ans:" + string(u.ID)},
			{"failed change stores nothing", block, banking.CodeConflict, 0, ""},
			{"no change still answers", noop, "", 200, "ans:" + string(u.ID)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := mustReserve(t, s, idemReq(p.ID, tc.name, "user/block", "h", t0), store.IdemReserved)
				f := finish(r.Ref, "ans")
				_, err := s.UpdateUser(ctx, p.ID, u.ID, tc.fn, f)
				if tc.wantErr != "" {
					if !banking.IsCode(err, tc.wantErr) {
						t.Fatalf("err = %v, want %s", err, tc.wantErr)
					}
				} else if err != nil {
					t.Fatal(err)
				}
				rec, err := s.Idempotency(ctx, p.ID, tc.name)
				if err != nil {
					t.Fatal(err)
				}
				if rec.Status != tc.wantStatus || string(rec.Body) != tc.wantBody || string(f.Body) != tc.wantBody {
					t.Errorf("record = %d %q (finish body %q), want %d %q", rec.Status, rec.Body, f.Body, tc.wantStatus, tc.wantBody)
				}
			})
		}
	})
}

func TestPruneIdempotency(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "idem-prune")
		ages := map[string]time.Duration{"old": 0, "edge": time.Hour, "young": 2 * time.Hour}
		for k, d := range ages {
			mustReserve(t, s, idemReq(p.ID, k, "user/create", "h", t0.Add(d)), store.IdemReserved)
		}
		n, err := s.PruneIdempotency(ctx, t0.Add(time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("prune = %d, %v; want 1", n, err)
		}
		for _, tc := range []struct {
			key  string
			kept bool
		}{{"old", false}, {"edge", true}, {"young", true}} {
			_, err := s.Idempotency(ctx, p.ID, tc.key)
			if got := err == nil; got != tc.kept {
				t.Errorf("%s kept = %v, want %v (%v)", tc.key, got, tc.kept, err)
			}
		}
	})
}

func TestReleaseIdempotency(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "idem-release")
		r := mustReserve(t, s, idemReq(p.ID, "k", "user/create", "h", t0), store.IdemReserved)
		if err := s.ReleaseIdempotency(ctx, r.Ref); err != nil {
			t.Fatal(err)
		}
		r = mustReserve(t, s, idemReq(p.ID, "k", "user/create", "h2", t0), store.IdemReserved)
		if err := s.CompleteIdempotency(ctx, r.Ref, 404, []byte("x"), t0); err != nil {
			t.Fatal(err)
		}
		// A completed answer is not released.
		if err := s.ReleaseIdempotency(ctx, r.Ref); err != nil {
			t.Fatal(err)
		}
		mustReserve(t, s, idemReq(p.ID, "k", "user/create", "h2", t0), store.IdemReplay)
	})
}

// TestPruneKeepsAKeyRenewedMeanwhile: a prune that found an expired key must
// not delete it once a concurrent reservation renewed it (PostgreSQL, where
// the prune waits for the renewal's row lock and then re-checks the row).
func TestPruneKeepsAKeyRenewedMeanwhile(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		if s.Engine() != store.Postgres {
			t.Skip("SQLite runs one writer at a time: a prune cannot overlap a renewal")
		}
		ctx := context.Background()
		p := mustProgram(t, s, "idem-renew")
		mustReserve(t, s, idemReq(p.ID, "k", "user/create", "h", t0), store.IdemReserved)
		renewal, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer renewal.Rollback()
		renewed := t0.Add(48 * time.Hour)
		if _, err := renewal.Exec(rebind(s, `UPDATE idempotency_keys SET created_at = ? WHERE program_id = ? AND idem_key = ?`),
			renewed.UnixMilli(), p.ID, "k"); err != nil {
			t.Fatal(err)
		}
		pruned := make(chan error, 1)
		go func() {
			_, err := s.PruneIdempotency(ctx, t0.Add(time.Hour))
			pruned <- err
		}()
		// Let the prune reach the locked row, then commit the renewal.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			var waiting int
			if err := s.DB().QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
				AND query LIKE 'DELETE FROM idempotency_keys%'`).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if waiting > 0 {
				break
			}
		}
		if err := renewal.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-pruned; err != nil {
			t.Fatal(err)
		}
		if _, err := s.Idempotency(ctx, p.ID, "k"); err != nil {
			t.Errorf("the renewed key was pruned: %v", err)
		}
	})
}
