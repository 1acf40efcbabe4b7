package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/vault"
)

// api-v4.md section 8: after "ingot program rotate-credentials" the old
// credentials keep working until the grace period ends, then 401; the new
// ones work at once and see the same users.

func TestCredentialGraceWindow(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		old := e.program("acme")
		old.newUser(t, "ada@example.com")
		rot, err := e.svc.RotateCredentials(ctx, banking.ProgramID(old.creds.ProgramID), 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		fresh := &apiClient{e: e, creds: rot.Credentials}
		both := func(when string) {
			t.Helper()
			for name, c := range map[string]*apiClient{"old": old, "new": fresh} {
				r := c.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
				if total := r.pagination(t)["total"]; total != 1.0 {
					t.Errorf("%s, %s credentials: total = %v, want the program's 1 user", when, name, total)
				}
			}
		}
		both("right after the rotation")
		e.clock.Advance(10*time.Minute - time.Millisecond)
		both("a millisecond before the grace ends")

		e.clock.Advance(time.Millisecond)
		old.call("user/get-all", map[string]any{}).wantError(t, http.StatusUnauthorized, "unauthenticated", msgCannotVerify)
		fresh.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
		// The old api_key with the new signing credential is refused too.
		mixed := &apiClient{e: e, creds: rot.Credentials}
		mixed.creds.APIKey = old.creds.APIKey
		mixed.call("user/get-all", map[string]any{}).wantError(t, http.StatusUnauthorized, "unauthenticated", msgBadAPIKey)

		// The rotation is in the program's audit trail, and the chain holds.
		evs, _, err := e.store.Events(ctx, banking.ProgramID(old.creds.ProgramID), old.creds.ProgramID, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Type != banking.EventCredentialsRotated || evs[0].Actor != "operator" {
			t.Fatalf("program events = %+v, want program.credentials_rotated on program.created", evs)
		}
		rep, err := e.store.VerifyAudit(ctx)
		if err != nil || !rep.Intact() {
			t.Fatalf("audit: %+v, %v", rep, err)
		}
	})
}

// TestRotationSeenByOtherProcess: the rotation is made by another process
// (the CLI), so the server learns of it from the store. New credentials work
// at once; a replaced one the server had cached keeps working until that
// cache entry ends, at most credCacheTTL (60 s) after it was read, even with
// no grace at all: the bound docs/cli.md states.
func TestRotationSeenByOtherProcess(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		old := e.program("acme")
		old.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "") // cached now

		st, err := store.Open(ctx, e.dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sealer, err := vault.New(e.key)
		if err != nil {
			t.Fatal(err)
		}
		cli := service.New(service.Config{Store: st, Sealer: sealer, NoJobs: true, Now: e.clock.Now})
		defer cli.Close()
		rot, err := cli.RotateCredentials(ctx, banking.ProgramID(old.creds.ProgramID), 0)
		if err != nil {
			t.Fatal(err)
		}
		fresh := &apiClient{e: e, creds: rot.Credentials}
		fresh.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")

		e.clock.Advance(time.Minute - time.Millisecond)
		old.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
		e.clock.Advance(time.Millisecond)
		old.call("user/get-all", map[string]any{}).wantError(t, http.StatusUnauthorized, "unauthenticated", msgCannotVerify)
		fresh.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
	})
}

// TestNewKeyWithOldSignerAtOnce: during the grace any live api_key goes with
// any live HMAC username, also at once after another process rotated, while
// this server still has the old signing credential cached (a review found a
// 401 for up to the cache's 60 s).
func TestNewKeyWithOldSignerAtOnce(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		old := e.program("acme")
		old.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "") // cached now
		st, err := store.Open(ctx, e.dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sealer, err := vault.New(e.key)
		if err != nil {
			t.Fatal(err)
		}
		cli := service.New(service.Config{Store: st, Sealer: sealer, NoJobs: true, Now: e.clock.Now})
		defer cli.Close()
		rot, err := cli.RotateCredentials(ctx, banking.ProgramID(old.creds.ProgramID), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		mixed := &apiClient{e: e, creds: old.creds}
		mixed.creds.APIKey = rot.Credentials.APIKey
		mixed.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
		// A key no program has is still refused.
		mixed.creds.APIKey = "ak_" + strings.Repeat("0", 40)
		mixed.call("user/get-all", map[string]any{}).wantError(t, http.StatusUnauthorized, "unauthenticated", msgBadAPIKey)
	})
}
