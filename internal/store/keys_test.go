package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/ingot-dev/ingot/internal/store"
)

func TestResealRewritesEverySealedValueOrNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_reseal")
		u := mustUser(t, s, p.ID, "r@example.com", t0)
		mustUser(t, s, p.ID, "no-ssn@example.com", t0) // no SSN: not a sealed value
		if _, err := s.DB().Exec(rebind(s, `UPDATE users SET ssn_sealed = ? WHERE id = ?`), []byte("old-ssn"), u.ID); err != nil {
			t.Fatal(err)
		}

		// A failure on any value writes nothing.
		boom := errors.New("boom")
		_, err := s.Reseal(ctx, func(v store.SealedValue) ([]byte, error) {
			if v.Kind == "ssn" {
				return nil, boom
			}
			return []byte("new-secret"), nil
		}, nil)
		if !errors.Is(err, boom) {
			t.Fatalf("reseal error = %v, want boom", err)
		}
		var secret []byte
		if err := s.DB().QueryRow(rebind(s, `SELECT hmac_secret FROM programs WHERE id = ?`), p.ID).Scan(&secret); err != nil {
			t.Fatal(err)
		}
		if string(secret) != "sealed" {
			t.Fatalf("a failed reseal changed the HMAC secret to %q", secret)
		}

		// Success: each value with its aad; nil leaves a value alone.
		seen := map[string]string{}
		n, err := s.Reseal(ctx, func(v store.SealedValue) ([]byte, error) {
			seen[v.Kind+" "+v.Owner] = string(v.AAD)
			if v.Kind == "hmac_secret" {
				return nil, nil
			}
			return append([]byte("re-"), v.Sealed...), nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n.Resealed != 1 || n.Skipped != 1 || len(seen) != 2 ||
			seen["ssn "+string(u.ID)] != "ssn:"+string(u.ID) || seen["hmac_secret "+string(p.ID)] != "hu_reseal" {
			t.Fatalf("count %+v, seen %v", n, seen)
		}
		var ssn []byte
		if err := s.DB().QueryRow(rebind(s, `SELECT ssn_sealed FROM users WHERE id = ?`), u.ID).Scan(&ssn); err != nil {
			t.Fatal(err)
		}
		if string(ssn) != "re-old-ssn" {
			t.Fatalf("ssn_sealed = %q", ssn)
		}
	})
}

func TestResealReplacesTheSandboxKeyRow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if k, err := s.StoredSandboxKey(ctx); err != nil || k != nil {
			t.Fatalf("stored sandbox key before any = %x, %v", k, err)
		}
		if _, err := s.Reseal(ctx, func(store.SealedValue) ([]byte, error) { return nil, nil }, bytes.Repeat([]byte{1}, 32)); err == nil {
			t.Fatal("replacing a missing sandbox key row succeeded")
		}
		if _, err := s.SandboxKey(ctx); err != nil {
			t.Fatal(err)
		}
		want := bytes.Repeat([]byte{7}, 32)
		if _, err := s.Reseal(ctx, func(store.SealedValue) ([]byte, error) { return nil, nil }, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.StoredSandboxKey(ctx)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("sandbox key = %x, %v; want %x", got, err, want)
		}
	})
}
