package store_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// TestConsoleTokensAndSessions: a token signs in only by its hash, its
// sessions end when it is revoked (in another store on the same database
// too, as another process would see it), a session past its end is gone,
// and the flash is read once.
func TestConsoleTokensAndSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.CreateConsoleToken(ctx, "ada", hash("tok-ada"), t0); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateConsoleToken(ctx, "ada", hash("other"), t0); !banking.IsCode(err, banking.CodeConflict) {
			t.Fatalf("second token named ada: err = %v, want conflict", err)
		}
		if err := s.CreateConsoleToken(ctx, "bob", hash("tok-bob"), t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateConsoleSession(ctx, hash("wrong"), hash("s0"), t0, t0.Add(time.Hour)); !banking.IsCode(err, banking.CodeNotFound) {
			t.Fatalf("sign-in with an unknown token: err = %v, want not_found", err)
		}
		name, err := s.CreateConsoleSession(ctx, hash("tok-ada"), hash("s1"), t0, t0.Add(time.Hour))
		if err != nil || name != "ada" {
			t.Fatalf("sign-in = %q, %v; want ada", name, err)
		}
		if _, err := s.CreateConsoleSession(ctx, hash("tok-bob"), hash("s2"), t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err := s.ConsoleSession(ctx, hash("s1"), t0.Add(time.Minute))
		if err != nil || got.TokenName != "ada" {
			t.Fatalf("session s1 = %+v, %v", got, err)
		}
		if _, err := s.ConsoleSession(ctx, hash("s1"), t0.Add(time.Hour)); !banking.IsCode(err, banking.CodeNotFound) {
			t.Fatalf("session at its end: err = %v, want not_found", err)
		}

		// The flash is taken by the first read.
		if err := s.SetConsoleFlash(ctx, hash("s1"), "ok", "done"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ConsoleSession(ctx, hash("s1"), t0); got.Flash != "done" || got.FlashKind != "ok" {
			t.Fatalf("first read after flash = %+v, want ok/done", got)
		}
		if got, _ := s.ConsoleSession(ctx, hash("s1"), t0); got.Flash != "" || got.FlashKind != "" {
			t.Fatalf("second read after flash = %+v, want no flash", got)
		}

		toks, err := s.ConsoleTokens(ctx)
		if err != nil || len(toks) != 2 || toks[0].Name != "ada" || toks[0].Sessions != 1 || !toks[0].LastUsedAt.Equal(t0) {
			t.Fatalf("tokens = %+v, %v; want ada (1 session, used at t0) and bob", toks, err)
		}

		// Revocation is seen at once by every store on the database.
		if n, err := s.RevokeConsoleToken(ctx, "ada"); err != nil || n != 1 {
			t.Fatalf("revoke ada = %d sessions, %v; want 1", n, err)
		}
		if _, err := s.ConsoleSession(ctx, hash("s1"), t0); !banking.IsCode(err, banking.CodeNotFound) {
			t.Fatalf("session of a revoked token: err = %v, want not_found", err)
		}
		if _, err := s.CreateConsoleSession(ctx, hash("tok-ada"), hash("s3"), t0, t0.Add(time.Hour)); !banking.IsCode(err, banking.CodeNotFound) {
			t.Fatalf("sign-in with a revoked token: err = %v, want not_found", err)
		}
		if got, err := s.ConsoleSession(ctx, hash("s2"), t0); err != nil || got.TokenName != "bob" {
			t.Fatalf("bob's session after ada's revocation = %+v, %v", got, err)
		}
		if _, err := s.RevokeConsoleToken(ctx, "ada"); !banking.IsCode(err, banking.CodeNotFound) {
			t.Fatalf("revoking twice: err = %v, want not_found", err)
		}
		if err := s.DeleteConsoleSession(ctx, hash("s2")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConsoleSession(ctx, hash("s2"), t0); !banking.IsCode(err, banking.CodeNotFound) {
			t.Fatalf("signed-out session: err = %v, want not_found", err)
		}
	})
}

// TestCreateFirstConsoleToken: only the first of several creates on an
// empty database creates a token.
func TestCreateFirstConsoleToken(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		created, err := s.CreateFirstConsoleToken(ctx, "sandbox", hash("a"), t0)
		if err != nil || !created {
			t.Fatalf("first = %v, %v; want created", created, err)
		}
		created, err = s.CreateFirstConsoleToken(ctx, "other", hash("b"), t0)
		if err != nil || created {
			t.Fatalf("second = %v, %v; want not created", created, err)
		}
		if toks, _ := s.ConsoleTokens(ctx); len(toks) != 1 {
			t.Fatalf("tokens = %+v, want one", toks)
		}
	})
}

// TestSubjectTrailChecksTheChain: a subject's trail passes its check, and an
// edited event or a deleted predecessor is reported on the event it breaks.
func TestSubjectTrailChecksTheChain(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_trail")
		u := mustUser(t, s, p.ID, "ada@example.com", t0)
		other := mustUser(t, s, p.ID, "bob@example.com", t0.Add(time.Second))
		if _, err := s.UpdateUser(ctx, p.ID, u.ID, func(u *banking.User) (*banking.Event, error) {
			ch, err := u.Block(t0.Add(2 * time.Second))
			ev := banking.NewEvent(u, banking.EventUserBlocked, "test", "why", ch, t0.Add(2*time.Second))
			return &ev, err
		}); err != nil {
			t.Fatal(err)
		}
		trail, total, err := s.SubjectTrail(ctx, p.ID, string(u.ID), 1, 50)
		if err != nil || total != 2 || len(trail) != 2 {
			t.Fatalf("trail = %d of %d, %v; want 2 of 2", len(trail), total, err)
		}
		if trail[0].Type != banking.EventUserBlocked || trail[1].Type != banking.EventUserCreated {
			t.Fatalf("trail order = %s, %s; want newest first", trail[0].Type, trail[1].Type)
		}
		for _, e := range trail {
			if !e.Chained || e.Broken != "" {
				t.Fatalf("intact trail: event %s chained %v, broken %q", e.Type, e.Chained, e.Broken)
			}
		}

		// Editing the created event breaks its content hash.
		if _, err := s.DB().ExecContext(ctx, rebind(s, `UPDATE events SET reason = 'edited' WHERE id = ?`), string(trail[1].ID)); err != nil {
			t.Fatal(err)
		}
		// Deleting bob's creation (between ada's two events) breaks the
		// link of ada's block.
		if _, err := s.DB().ExecContext(ctx, rebind(s, `DELETE FROM events WHERE subject_id = ?`), string(other.ID)); err != nil {
			t.Fatal(err)
		}
		trail, _, err = s.SubjectTrail(ctx, p.ID, string(u.ID), 1, 50)
		if err != nil {
			t.Fatal(err)
		}
		if trail[0].Broken != store.BreakPrevLink || trail[1].Broken != store.BreakContent {
			t.Fatalf("tampered trail: broken = %q, %q; want %q, %q", trail[0].Broken, trail[1].Broken,
				store.BreakPrevLink, store.BreakContent)
		}
	})
}
