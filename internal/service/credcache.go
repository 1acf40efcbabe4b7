package service

import (
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Limits of the signing-credential cache.
const (
	// credCacheTTL bounds how long a cached credential is trusted without
	// looking at the store again. Programs are immutable today (no call
	// changes or deletes one), so any TTL is correct within one process; the
	// TTL is there to bound staleness across the processes sharing a
	// database if programs ever become mutable (a rotated or revoked secret
	// would stop working everywhere within a minute).
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
func (c *credCache) put(username string, p banking.Program, secret []byte, now time.Time) {
	e := credEntry{prog: p, secret: append([]byte(nil), secret...), expires: now.Add(c.ttl)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[username]; !ok && len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[username] = e
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
