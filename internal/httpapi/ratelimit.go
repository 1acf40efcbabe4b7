package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// limiter is a token bucket per program, held in this process's memory. With
// several processes behind a load balancer each enforces its own limit, so a
// program may get up to N times the rate in all (docs/operations.md); a shared
// limit would cost a database round trip on every request.
type limiter struct {
	rate  float64 // tokens per second
	burst float64 // bucket size
	now   func() time.Time

	mu      sync.Mutex
	buckets map[banking.ProgramID]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// newLimiter returns nil (no limit) when rate is not positive. A burst below
// one becomes the rate rounded up, so a limit of N allows N at once.
func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	if rate <= 0 {
		return nil
	}
	b := float64(burst)
	if b < 1 {
		b = math.Max(1, math.Ceil(rate))
	}
	return &limiter{rate: rate, burst: b, now: now, buckets: map[banking.ProgramID]*bucket{}}
}

// allow takes one token of the program's bucket, or says how long until one
// is available.
func (l *limiter) allow(p banking.ProgramID) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[p]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[p] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// rateLimit answers 429 with Retry-After (whole seconds, at least 1) when the
// caller's program is over its rate. It runs after authentication, so the
// limit is per program and an unauthenticated flood cannot spend a program's
// budget.
func (h *handler) rateLimit(w http.ResponseWriter, p banking.ProgramID) error {
	if h.limiter == nil {
		return nil
	}
	ok, wait := h.limiter.allow(p)
	if ok {
		return nil
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	return banking.Errorf(banking.CodeRateLimited, "rate limit exceeded: retry later")
}
