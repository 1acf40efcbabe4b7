package banking

import (
	"crypto/rand"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Deterministic ids for tests (sandbox.md section 2: `--seed N`). By
// default ids take their random bits from crypto/rand and their time field
// from the clock. SeedIDs makes both come from a seeded source instead: the
// random bits from a ChaCha8 stream of the seed, the time field from a
// counter starting at seedEpoch, so the same fixtures, seed and sequence of
// calls give the same ids, generated credentials and secrets in every run.
// Only a sandbox may seed: seeded values are guessable by design.

// seedEpoch is the first time field of seeded UUIDs (2026-01-01 UTC).
var seedEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

type seededSource struct {
	mu    sync.Mutex
	rng   *mrand.ChaCha8
	count int64
}

var seeded atomic.Pointer[seededSource]

// SeedIDs makes every id, and every value made with RandomBytes, derive from
// seed from now on, for the whole process.
func SeedIDs(seed uint64) {
	var key [32]byte
	for i := range 4 {
		v := seed + uint64(i)*0x9e3779b97f4a7c15
		for j := range 8 {
			key[i*8+j] = byte(v >> (8 * j))
		}
	}
	seeded.Store(&seededSource{rng: mrand.NewChaCha8(key)})
}

// Seeded reports whether SeedIDs was called.
func Seeded() bool { return seeded.Load() != nil }

// RandomBytes fills b with random bytes: from crypto/rand, or from the seed
// (SeedIDs).
func RandomBytes(b []byte) {
	if s := seeded.Load(); s != nil {
		s.mu.Lock()
		_, _ = s.rng.Read(b)
		s.mu.Unlock()
		return
	}
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
}

// seededMillis is the next seeded UUID's time field: one millisecond per
// id, so seeded ids keep their creation order.
func seededMillis() uint64 {
	s := seeded.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	return uint64(seedEpoch + s.count)
}
