package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// rotation replaces p's credentials with ones derived from name, retiring
// the old ones until at+grace.
func rotation(p banking.Program, name string, at time.Time, grace time.Duration) store.Rotation {
	return store.Rotation{Program: p.ID, APIKeyHash: banking.HashAPIKey("key-" + name), HMACUsername: name,
		HMACSecretSealed: []byte("sealed-" + name), At: at, GraceEnd: at.Add(grace), EventID: banking.NewEventID(at)}
}

// TestRotateCredentials: a rotation makes the new credentials current, keeps
// the old ones findable with their grace end, lists both, and is one audit
// event of the program's chain.
func TestRotateCredentials(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_old")
		other := mustProgram(t, s, "hu_other")
		at := t0.Add(time.Hour)
		got, err := s.RotateCredentials(ctx, rotation(p, "hu_new", at, 24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != p.ID || got.HMACUsername != "hu_new" || string(got.HMACSecretSealed) != "sealed-hu_new" ||
			len(got.Retired) != 1 || got.Retired[0].HMACUsername != "hu_old" {
			t.Fatalf("rotate answered %s %s %q retiring %+v, want %s hu_new retiring hu_old", got.ID, got.HMACUsername,
				got.HMACSecretSealed, got.Retired, p.ID)
		}

		// Both usernames find the program, with the retired credential.
		for _, name := range []string{"hu_new", "hu_old"} {
			found, err := s.ProgramByCredential(ctx, name)
			if err != nil {
				t.Fatalf("ProgramByCredential(%s): %v", name, err)
			}
			if found.ID != p.ID || found.HMACUsername != "hu_new" || len(found.Retired) != 1 {
				t.Fatalf("ProgramByCredential(%s) = %s %s, %d retired; want %s hu_new, 1", name, found.ID, found.HMACUsername, len(found.Retired), p.ID)
			}
			r := found.Retired[0]
			if r.HMACUsername != "hu_old" || string(r.HMACSecretSealed) != "sealed" || !r.RetiredAt.Equal(at) ||
				!r.ExpiresAt.Equal(at.Add(24*time.Hour)) || string(r.APIKeyHash) != string(banking.HashAPIKey("key-hu_old")) {
				t.Errorf("retired credential = %+v", r)
			}
		}
		if _, err := s.ProgramByCredential(ctx, "hu_nobody"); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("unknown username: err = %v, want not_found", err)
		}
		// The old name alone no longer finds it through the current-only lookup.
		if _, err := s.ProgramByHMACUsername(ctx, "hu_old"); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("ProgramByHMACUsername(hu_old): err = %v, want not_found", err)
		}

		// A second rotation retires the second set; the first keeps its own end.
		if _, err := s.RotateCredentials(ctx, rotation(p, "hu_newer", at.Add(time.Minute), 0)); err != nil {
			t.Fatal(err)
		}
		ps, err := s.Programs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Both programs were created at t0: their order is their random ids'.
		byID := map[banking.ProgramID]banking.Program{}
		for _, q := range ps {
			byID[q.ID] = q
		}
		if len(ps) != 2 || len(byID[other.ID].Retired) != 0 || byID[p.ID].HMACUsername != "hu_newer" {
			t.Fatalf("Programs = %+v", ps)
		}
		var names []string
		var ends []time.Time
		for _, r := range byID[p.ID].Retired {
			names = append(names, r.HMACUsername)
			ends = append(ends, r.ExpiresAt)
		}
		if len(names) != 2 || names[0] != "hu_old" || names[1] != "hu_new" ||
			!ends[0].Equal(at.Add(24*time.Hour)) || !ends[1].Equal(at.Add(time.Minute)) {
			t.Errorf("retired after two rotations: %v ending %v", names, ends)
		}

		// Audit: one program.created and two rotations, chained and intact.
		evs, total, err := s.Events(ctx, p.ID, string(p.ID), 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || evs[0].Type != banking.EventCredentialsRotated || evs[1].Type != banking.EventCredentialsRotated ||
			evs[2].Type != banking.EventProgramCreated {
			t.Fatalf("program events = %d %v", total, evs)
		}
		if ch := evs[1].Changes["hmac_username"]; ch.From != "hu_old" || ch.To != "hu_new" {
			t.Errorf("first rotation's hmac_username change = %+v", ch)
		}
		if ch := evs[1].Changes["previous_valid_until"]; ch.To != "2026-04-17T13:00:00.000Z" {
			t.Errorf("first rotation's previous_valid_until = %+v", ch)
		}
		mustIntact(t, s, 4, 2)
	})
}

// TestRotateCredentialsRefusals: an unknown program, a username taken by a
// current or a retired credential: nothing changes.
func TestRotateCredentialsRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		mustProgram(t, s, "hu_b")
		if _, err := s.RotateCredentials(ctx, rotation(banking.Program{ID: "prog-nope"}, "hu_x", t0, 0)); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("unknown program: err = %v, want not_found", err)
		}
		if _, err := s.RotateCredentials(ctx, rotation(p, "hu_b", t0, 0)); !banking.IsCode(err, banking.CodeConflict) {
			t.Errorf("another program's username: err = %v, want conflict", err)
		}
		if _, err := s.RotateCredentials(ctx, rotation(p, "hu_c", t0, 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateCredentials(ctx, rotation(p, "hu_a", t0, 0)); !banking.IsCode(err, banking.CodeConflict) {
			t.Errorf("a retired username again: err = %v, want conflict", err)
		}
		found, err := s.ProgramByCredential(ctx, "hu_c")
		if err != nil || found.HMACUsername != "hu_c" || len(found.Retired) != 1 {
			t.Fatalf("after refusals: %+v, %v; want hu_c current with one retired", found, err)
		}
		mustIntact(t, s, 3, 2)
	})
}

// TestResealCoversRetiredSecrets: keys rotate re-encrypts retired HMAC
// secrets too, with their username as associated data.
func TestResealCoversRetiredSecrets(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_old")
		if _, err := s.RotateCredentials(ctx, rotation(p, "hu_new", t0, time.Hour)); err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		n, err := s.Reseal(ctx, func(v store.SealedValue) ([]byte, error) {
			seen[v.Kind+" "+v.Owner] = string(v.AAD)
			return append([]byte("re-"), v.Sealed...), nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n.Resealed != 2 || seen["retired_hmac_secret hu_old"] != "hu_old" || seen["hmac_secret "+string(p.ID)] != "hu_new" {
			t.Fatalf("count %+v, seen %v", n, seen)
		}
		found, err := s.ProgramByCredential(ctx, "hu_old")
		if err != nil {
			t.Fatal(err)
		}
		if got := string(found.Retired[0].HMACSecretSealed); got != "re-sealed" {
			t.Errorf("retired secret after reseal = %q, want re-sealed", got)
		}
	})
}

// TestUserCounts: per-program user totals for "ingot program list".
func TestUserCounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		a := mustProgram(t, s, "hu_a")
		b := mustProgram(t, s, "hu_b")
		mustProgram(t, s, "hu_c")
		mustUser(t, s, a.ID, "1@example.com", t0)
		mustUser(t, s, a.ID, "2@example.com", t0)
		mustUser(t, s, b.ID, "3@example.com", t0)
		got, err := s.UserCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[a.ID] != 2 || got[b.ID] != 1 {
			t.Errorf("UserCounts = %v, want %s:2 %s:1", got, a.ID, b.ID)
		}
	})
}
