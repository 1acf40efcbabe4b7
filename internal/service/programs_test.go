package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// TestRotateCredentialsGrace: after a rotation both credential sets sign for
// the program until the grace period ends, to the millisecond, and only the
// new one after it, however the cache was warmed.
func TestRotateCredentialsGrace(t *testing.T) {
	ctx := context.Background()
	svc, clk := newTestService(t)
	old, err := svc.CreateProgram(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	// Warm the cache with the old credential, then rotate 30 s later with a
	// 40 s grace: the cached entry (TTL 60 s) would outlive the grace.
	if _, _, err := svc.SigningKey(ctx, old.HMACUsername); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)
	rot, err := svc.RotateCredentials(ctx, banking.ProgramID(old.ProgramID), 40*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if rot.ProgramID != old.ProgramID || rot.Name != "acme" || rot.PreviousHMACUsername != old.HMACUsername ||
		rot.HMACUsername == old.HMACUsername || rot.APIKey == old.APIKey || rot.HMACSecret == old.HMACSecret ||
		!rot.PreviousValidUntil.Equal(clk.Now().Add(40*time.Second)) {
		t.Fatalf("rotation = %+v", rot)
	}
	// The rotation dropped what this process cached of the program; the
	// bound for other processes is credCacheTTL (TestRotationSeenByOther
	// Process in internal/httpapi).
	if n := svc.creds.len(); n != 0 {
		t.Fatalf("after the rotation the cache holds %d entries, want 0", n)
	}

	check := func(when string, username, secret string, apiKey string, want bool) {
		t.Helper()
		p, got, err := svc.SigningKey(ctx, username)
		switch {
		case want && err != nil:
			t.Fatalf("%s: SigningKey(%s): %v", when, username, err)
		case want && (string(got) != secret || string(p.ID) != old.ProgramID):
			t.Fatalf("%s: SigningKey(%s) = %s, %q", when, username, p.ID, got)
		case want && !p.APIKeyValid(apiKey, clk.Now()):
			t.Fatalf("%s: the api_key of %s is refused", when, username)
		case !want && !banking.IsCode(err, banking.CodeNotFound):
			t.Fatalf("%s: SigningKey(%s): err = %v, want not_found", when, username, err)
		}
	}
	for _, step := range []time.Duration{0, 20 * time.Second, 20*time.Second - time.Millisecond} {
		clk.Advance(step)
		check("in the grace", old.HMACUsername, old.HMACSecret, old.APIKey, true)
		check("in the grace", rot.HMACUsername, rot.HMACSecret, rot.APIKey, true)
	}
	// The new credential's entry is cached too; it carries the program's
	// API keys, and the old key must stop with the grace all the same.
	newProg, _, _ := svc.SigningKey(ctx, rot.HMACUsername)
	clk.Advance(time.Millisecond)
	check("grace over", old.HMACUsername, "", "", false)
	check("grace over", rot.HMACUsername, rot.HMACSecret, rot.APIKey, true)
	if newProg.APIKeyValid(old.APIKey, clk.Now()) {
		t.Errorf("the old api_key is still accepted after the grace")
	}
	_, _, err = svc.SigningKey(ctx, old.HMACUsername)
	if msg := banking.AsError(err).Message; !strings.Contains(msg, "grace period ended") {
		t.Errorf("expired credential's message = %q, want it to say the grace period ended", msg)
	}
}

func TestRotateCredentialsRefusals(t *testing.T) {
	ctx := context.Background()
	svc, _ := newTestService(t)
	c, err := svc.CreateProgram(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RotateCredentials(ctx, banking.ProgramID(c.ProgramID), -time.Second); !banking.IsCode(err, banking.CodeInvalid) {
		t.Errorf("negative grace: err = %v, want invalid", err)
	}
	if _, err := svc.RotateCredentials(ctx, "prog-nope", time.Hour); !banking.IsCode(err, banking.CodeNotFound) {
		t.Errorf("unknown program: err = %v, want not_found", err)
	}
	if _, _, err := svc.SigningKey(ctx, c.HMACUsername); err != nil {
		t.Errorf("after refused rotations the credential fails: %v", err)
	}
}

// TestCredCacheEntryEndsWithGrace: an entry never outlives a retired
// credential of its program; entries of programs without one live a TTL.
func TestCredCacheEntryEndsWithGrace(t *testing.T) {
	now := time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)
	c := newCredCache(time.Minute, 10)
	p := banking.Program{ID: "prog-a", Retired: []banking.RetiredCredential{
		{HMACUsername: "hu_gone", ExpiresAt: now.Add(-time.Second)}, // already over: no effect
		{HMACUsername: "hu_old", ExpiresAt: now.Add(10 * time.Second)},
		{HMACUsername: "hu_older", ExpiresAt: now.Add(20 * time.Second)},
	}}
	c.put("hu_old", p, []byte("s"), now)
	c.put("hu_plain", banking.Program{ID: "prog-b"}, []byte("s"), now)
	if _, _, ok := c.get("hu_old", now.Add(10*time.Second-time.Millisecond)); !ok {
		t.Errorf("entry gone before the grace end")
	}
	if _, _, ok := c.get("hu_old", now.Add(10*time.Second)); ok {
		t.Errorf("entry still served at the grace end")
	}
	if _, _, ok := c.get("hu_plain", now.Add(time.Minute-time.Millisecond)); !ok {
		t.Errorf("entry without retired credentials gone before its TTL")
	}
}

func TestPrograms(t *testing.T) {
	ctx := context.Background()
	svc, clk := newTestService(t)
	a, err := svc.CreateProgram(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	b, err := svc.CreateProgram(ctx, "beta")
	if err != nil {
		t.Fatal(err)
	}
	rot, err := svc.RotateCredentials(ctx, banking.ProgramID(a.ProgramID), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := svc.Programs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || string(ps[0].ID) != a.ProgramID || string(ps[1].ID) != b.ProgramID ||
		ps[0].Name != "acme" || ps[0].HMACUsername != rot.HMACUsername || ps[1].HMACUsername != b.HMACUsername ||
		len(ps[0].Previous) != 1 || ps[0].Previous[0].HMACUsername != a.HMACUsername ||
		!ps[0].Previous[0].ValidUntil.Equal(rot.PreviousValidUntil) || len(ps[1].Previous) != 0 {
		t.Fatalf("Programs = %+v", ps)
	}
	clk.Advance(time.Hour)
	ps, _ = svc.Programs(ctx)
	if len(ps[0].Previous) != 0 {
		t.Errorf("after the grace, Previous = %+v, want none", ps[0].Previous)
	}
}
