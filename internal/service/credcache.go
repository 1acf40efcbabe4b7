package service

import (
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Limits of the signing-credential cache.
const (
	// credCacheTTL bounds how long a cached credential is trusted without
	// looking at the store again. It bounds staleness across the processes
	// sharing a database: "ingot program rotate-credentials" changes the
	// store, not the caches of running servers, so a server that cached a
	// program's credentials before a rotation learns of it at most this
	// long after it read them. A replaced credential therefore stops
	// working at the end of its grace period or at most credCacheTTL after
	// the rotation, whichever is later (docs/cli.md); within the grace
	// period's last minute, an entry never outlives the grace end (put).
	credCacheTTL = 60 * time.Second
	// credCacheMax bounds memory: far more programs than one deployment
	// signs with at once. When full, an arbitrary entry is dropped.
	credCacheMax = 10_000
)

// credCache maps an HMAC username to its program and clear secret, so a
// signed request does not query the store and decrypt the secret every time.
// Only successful lookups are cached: a miss or an error always goes back to
// the store, so a program created by another process is found at once, and
// unknown usernames cannot fill the cache.
type credCache struct {
	ttl time.Duration
	max int

	mu sync.RWMutex
	m  map[string]credEntry
}

type credEntry struct {
	prog    banking.Program
	secret  []byte // never handed out: get returns a copy
	expires time.Time
}

func newCredCache(ttl time.Duration, max int) *credCache {
	return &credCache{ttl: ttl, max: max, m: make(map[string]credEntry)}
}

// get returns the entry for username if it has not expired at now. The
// secret returned is a copy the caller may keep or modify; the program's own
// byte slices (hashes, sealed secret) are shared and only ever read.
func (c *credCache) get(username string, now time.Time) (banking.Program, []byte, bool) {
	c.mu.RLock()
	e, ok := c.m[username]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return banking.Program{}, nil, false
	}
	return e.prog, append([]byte(nil), e.secret...), true
}

// put stores a successful lookup made at now. It keeps its own copy of secret.
// The entry expires after the TTL, or earlier when one of the program's
// retired credentials stops working before that: the entry carries the
// program's API keys and may be a retired credential itself, and neither
// may be trusted past its grace end on the strength of the cache.
func (c *credCache) put(username string, p banking.Program, secret []byte, now time.Time) {
	expires := now.Add(c.ttl)
	for _, r := range p.Retired {
		if r.ExpiresAt.After(now) && r.ExpiresAt.Before(expires) {
			expires = r.ExpiresAt
		}
	}
	e := credEntry{prog: p, secret: append([]byte(nil), secret...), expires: expires}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[username]; !ok && len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[username] = e
}

// drop removes username's entry.
func (c *credCache) drop(username string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, username)
}

// dropProgram removes every entry of program pid, so a change of its
// credentials made by this process is seen by its next request at once.
func (c *credCache) dropProgram(pid banking.ProgramID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.prog.ID == pid {
			delete(c.m, k)
		}
	}
}

// evict makes room for one entry: expired entries go first; when none has
// expired, one arbitrary entry (map order is random) is dropped. The caller
// holds mu.
func (c *credCache) evict(now time.Time) {
	for k, e := range c.m {
		if !now.Before(e.expires) {
			delete(c.m, k)
		}
	}
	if len(c.m) < c.max {
		return
	}
	for k := range c.m {
		delete(c.m, k)
		return
	}
}

// len reports the number of entries, expired or not (for tests).
func (c *credCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
