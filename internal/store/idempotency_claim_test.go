package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// claim returns a finish step that claims key in its Work (IdemFinish.Claim)
// for a user/block request hashing to hash; its answer is prefix:user id.
func claim(pid banking.ProgramID, key, hash, prefix string) *store.IdemFinish {
	f := finish(store.NewIdemRef(pid, key), prefix)
	f.Claim = &store.IdemClaim{Endpoint: "user/block", Hash: hash, Created: t0.Add(-time.Second)}
	return f
}

// TestIdempotencyClaimInWork: a Work that claims its key inserts it with the
// answer exactly when its change commits; a key that already has a row, in
// whatever state, fails the Work with ErrIdemTaken and is left as it was;
// a Work that fails, even after writing, leaves no key at all.
func TestIdempotencyClaimInWork(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "idem-claim")
		u := mustUser(t, s, p.ID, "claim@example.com", t0)
		toggle := func(u *banking.User) (*banking.Event, error) {
			step, typ := u.Block, banking.EventUserBlocked
			if u.Status == banking.StatusBlocked {
				step, typ = u.Unblock, banking.EventUserUnblocked
			}
			ch, err := step(t0.Add(time.Second))
			if err != nil {
				return nil, err
			}
			ev := banking.NewEvent(u, typ, "test", "", ch, t0.Add(time.Second))
			return &ev, nil
		}
		status := func() banking.Status {
			t.Helper()
			got, err := s.User(ctx, p.ID, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.Status
		}

		// A fresh key: the change and the key's answer, in one transaction.
		f := claim(p.ID, "fresh", "h", "ans")
		if _, err := s.UpdateUser(ctx, p.ID, u.ID, toggle, f); err != nil {
			t.Fatal(err)
		}
		want := "ans:" + string(u.ID)
		rec, err := s.Idempotency(ctx, p.ID, "fresh")
		if err != nil {
			t.Fatal(err)
		}
		if rec.Status != 200 || string(rec.Body) != want || string(f.Body) != want || f.Taken ||
			rec.Endpoint != "user/block" || rec.Hash != "h" || !rec.CreatedAt.Equal(t0.Add(-time.Second)) || !rec.CompletedAt.Equal(t0) {
			t.Errorf("claimed key = %+v (finish body %q, taken %v), want 200 %q created at the claim's time", rec, f.Body, f.Taken, want)
		}
		if got := status(); got != banking.StatusBlocked {
			t.Fatalf("status = %s, want blocked", got)
		}

		inFlight := mustReserve(t, s, idemReq(p.ID, "in-flight", "user/block", "h", t0), store.IdemReserved)
		for _, tc := range []struct {
			name, key, hash string
			wantStatus      int
		}{
			{"completed, same request", "fresh", "h", 200},
			{"completed, other body", "fresh", "other", 200},
			{"reserved and in flight", "in-flight", "h", 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before, _ := s.Idempotency(ctx, p.ID, tc.key)
				f := claim(p.ID, tc.key, tc.hash, "again")
				_, err := s.UpdateUser(ctx, p.ID, u.ID, toggle, f)
				if !errors.Is(err, store.ErrIdemTaken) || !f.Taken || f.Body != nil {
					t.Fatalf("err = %v, taken %v, body %q; want ErrIdemTaken, taken, no body", err, f.Taken, f.Body)
				}
				if got := status(); got != banking.StatusBlocked {
					t.Errorf("status = %s: the Work of a taken key changed the user", got)
				}
				after, err := s.Idempotency(ctx, p.ID, tc.key)
				if err != nil || after.Status != tc.wantStatus || string(after.Body) != string(before.Body) {
					t.Errorf("key = %+v, %v; want as before: %+v", after, err, before)
				}
			})
		}
		// The reservation is still its holder's to complete.
		if err := s.CompleteIdempotency(ctx, inFlight.Ref, 404, []byte("x"), t0); err != nil {
			t.Fatal(err)
		}
		mustReserve(t, s, idemReq(p.ID, "in-flight", "user/block", "h", t0), store.IdemReplay)

		for _, tc := range []struct {
			name    string
			fn      store.Mutation
			render  error
			wantErr banking.Code
		}{
			// Run wrote the user, then rendering the answer failed.
			{"failure after writing", toggle, errors.New("render failed"), banking.CodeInternal},
			{"refusal", func(u *banking.User) (*banking.Event, error) {
				return nil, banking.Errorf(banking.CodeConflict, "no")
			}, nil, banking.CodeConflict},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := claim(p.ID, "failed-"+tc.name, "h", "ans")
				if tc.render != nil {
					f.Render = func(any) ([]byte, error) { return nil, tc.render }
				}
				_, err := s.UpdateUser(ctx, p.ID, u.ID, tc.fn, f)
				if !banking.IsCode(err, tc.wantErr) || errors.Is(err, store.ErrIdemTaken) || f.Taken {
					t.Fatalf("err = %v (taken %v), want %s", err, f.Taken, tc.wantErr)
				}
				if _, err := s.Idempotency(ctx, p.ID, "failed-"+tc.name); !banking.IsCode(err, banking.CodeNotFound) {
					t.Errorf("key of a failed Work: %v, want not found", err)
				}
				if got := status(); got != banking.StatusBlocked {
					t.Errorf("status = %s: the failed Work's change stayed", got)
				}
			})
		}
	})
}
