package service

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/vault"
)

// testClock is a settable clock for the Service.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTestService runs a Service on a fresh SQLite database.
func newTestService(tb testing.TB) (*Service, *testClock) {
	tb.Helper()
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "ingot.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	sealer, err := vault.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	clk := &testClock{t: time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)}
	svc := New(Config{Store: st, Sealer: sealer, Now: clk.Now})
	tb.Cleanup(svc.Close)
	return svc, clk
}

// hideProgram renames a program's HMAC username behind the Service's back,
// so a store lookup by the old name finds nothing.
func hideProgram(t *testing.T, svc *Service, username string) {
	t.Helper()
	res, err := svc.Store().DB().Exec(`UPDATE programs SET hmac_username = 'hidden-' || hmac_username WHERE hmac_username = ?`, username)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("hid %d programs, want 1", n)
	}
}

func TestSigningKeyCachedWithinTTL(t *testing.T) {
	ctx := context.Background()
	svc, clk := newTestService(t)
	c, err := svc.CreateProgram(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	p, secret, err := svc.SigningKey(ctx, c.HMACUsername)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.ID) != c.ProgramID || string(secret) != c.HMACSecret {
		t.Fatalf("SigningKey = %s, %q; want %s, %q", p.ID, secret, c.ProgramID, c.HMACSecret)
	}
	// A caller that scribbles on its secret must not corrupt the cache.
	for i := range secret {
		secret[i] = 'x'
	}

	// The store no longer knows the username: only the cache can answer.
	hideProgram(t, svc, c.HMACUsername)
	clk.Advance(credCacheTTL - time.Millisecond)
	p, secret, err = svc.SigningKey(ctx, c.HMACUsername)
	if err != nil {
		t.Fatalf("within the TTL: %v, want the cached credential", err)
	}
	if string(p.ID) != c.ProgramID || string(secret) != c.HMACSecret {
		t.Fatalf("cached SigningKey = %s, %q; want %s, %q", p.ID, secret, c.ProgramID, c.HMACSecret)
	}

	// Past the TTL the store is asked again, and says not found.
	clk.Advance(time.Millisecond)
	if _, _, err := svc.SigningKey(ctx, c.HMACUsername); !banking.IsCode(err, banking.CodeNotFound) {
		t.Fatalf("after the TTL: err = %v, want not found", err)
	}
}

func TestSigningKeyMissNotCached(t *testing.T) {
	ctx := context.Background()
	svc, _ := newTestService(t)
	c, err := svc.CreateProgram(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	// Hide the program, miss, then bring it back as another process creating
	// it would: the next call must find it without waiting for any TTL.
	hideProgram(t, svc, c.HMACUsername)
	if _, _, err := svc.SigningKey(ctx, c.HMACUsername); !banking.IsCode(err, banking.CodeNotFound) {
		t.Fatalf("hidden: err = %v, want not found", err)
	}
	if _, err := svc.Store().DB().Exec(`UPDATE programs SET hmac_username = ? WHERE hmac_username = ?`,
		c.HMACUsername, "hidden-"+c.HMACUsername); err != nil {
		t.Fatal(err)
	}
	p, secret, err := svc.SigningKey(ctx, c.HMACUsername)
	if err != nil || string(p.ID) != c.ProgramID || string(secret) != c.HMACSecret {
		t.Fatalf("after the miss: %s, %q, %v; want %s", p.ID, secret, err, c.ProgramID)
	}

	// A username never seen is not cached either.
	if _, _, err := svc.SigningKey(ctx, "hu_unknown"); !banking.IsCode(err, banking.CodeNotFound) {
		t.Fatalf("unknown: err = %v, want not found", err)
	}
	if n := svc.creds.len(); n != 1 {
		t.Fatalf("cache holds %d entries, want 1 (misses are not cached)", n)
	}
}

func TestCredCacheBounded(t *testing.T) {
	now := time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)
	c := newCredCache(time.Minute, 3)
	for i := range 10 {
		c.put(fmt.Sprint("hu_", i), banking.Program{ID: banking.ProgramID(fmt.Sprint("prog-", i))}, []byte("s"), now)
		if c.len() > 3 {
			t.Fatalf("after %d puts the cache holds %d entries, want at most 3", i+1, c.len())
		}
	}
	// The newest entry always survives its own put.
	if p, _, ok := c.get("hu_9", now); !ok || p.ID != "prog-9" {
		t.Fatalf("get(hu_9) = %v, %v", p.ID, ok)
	}
	// Expired entries are dropped before live ones.
	later := now.Add(2 * time.Minute)
	c.put("hu_a", banking.Program{ID: "prog-a"}, []byte("s"), later)
	c.put("hu_b", banking.Program{ID: "prog-b"}, []byte("s"), later)
	c.put("hu_c", banking.Program{ID: "prog-c"}, []byte("s"), later)
	for _, u := range []string{"hu_a", "hu_b", "hu_c"} {
		if _, _, ok := c.get(u, later); !ok {
			t.Fatalf("%s was evicted while expired entries were there", u)
		}
	}
}

func TestSigningKeyConcurrent(t *testing.T) {
	ctx := context.Background()
	svc, clk := newTestService(t)
	c, err := svc.CreateProgram(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				if i == 0 {
					clk.Advance(credCacheTTL / 10)
				}
				_, secret, err := svc.SigningKey(ctx, c.HMACUsername)
				if err != nil || string(secret) != c.HMACSecret {
					t.Errorf("SigningKey: %q, %v", secret, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkSigningKey measures the credential lookup every signed request
// makes, for a program that signs repeatedly.
func BenchmarkSigningKey(b *testing.B) {
	ctx := context.Background()
	svc, _ := newTestService(b)
	c, err := svc.CreateProgram(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := svc.SigningKey(ctx, c.HMACUsername); err != nil {
			b.Fatal(err)
		}
	}
}
