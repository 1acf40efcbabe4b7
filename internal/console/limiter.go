package console

import (
	"math"
	"net"
	"net/http"
	"sync"
	"time"
)

// Sign-in limits (sandbox.md section 3): more than maxFailures failed
// sign-ins from one address within failWindow block it for blockFor.
const (
	maxFailures = 10
	failWindow  = time.Minute
	blockFor    = time.Minute
	// maxAddrs bounds the addresses remembered; past it, those whose
	// window and block have ended are forgotten first.
	maxAddrs = 10_000
)

// signInLimiter counts failed sign-ins per client address in this
// process's memory, as the API's rate limiter counts requests: with several
// processes behind a balancer an address gets up to that many times the
// attempts (docs/console.md), and an unauthenticated flood costs no
// database writes. A console token is 256 random bits, so the limit slows
// a guesser who could never succeed anyway; it is there to make the attempt
// loud.
type signInLimiter struct {
	now   func() time.Time
	mu    sync.Mutex
	addrs map[string]*failures
}

type failures struct {
	n            int
	since        time.Time // start of the current window
	blockedUntil time.Time
}

func newSignInLimiter(now func() time.Time) *signInLimiter {
	return &signInLimiter{now: now, addrs: map[string]*failures{}}
}

// blocked reports whether addr is blocked now, and for how many more whole
// seconds (at least 1).
func (l *signInLimiter) blocked(addr string) (int, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.addrs[addr]
	if f == nil || !now.Before(f.blockedUntil) {
		return 0, false
	}
	return secondsUntil(now, f.blockedUntil), true
}

// fail records a failed sign-in from addr and reports whether it is now
// blocked (this attempt being one too many), and for how long.
func (l *signInLimiter) fail(addr string) (int, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.addrs[addr]
	if f == nil {
		if len(l.addrs) >= maxAddrs {
			l.forget(now)
		}
		f = &failures{since: now}
		l.addrs[addr] = f
	}
	if now.Sub(f.since) >= failWindow {
		f.n, f.since = 0, now
	}
	f.n++
	if f.n > maxFailures {
		f.blockedUntil = now.Add(blockFor)
		f.n, f.since = 0, f.blockedUntil // counting starts again after the block
		return secondsUntil(now, f.blockedUntil), true
	}
	return 0, false
}

// forget drops addresses whose window and block have both ended; if none
// have, the map is cleared (an attacker with that many addresses is not
// slowed by counting them anyway).
func (l *signInLimiter) forget(now time.Time) {
	for a, f := range l.addrs {
		if now.Sub(f.since) >= failWindow && !now.Before(f.blockedUntil) {
			delete(l.addrs, a)
		}
	}
	if len(l.addrs) >= maxAddrs {
		clear(l.addrs)
	}
}

func secondsUntil(now, t time.Time) int {
	return max(1, int(math.Ceil(t.Sub(now).Seconds())))
}

// clientAddr is the address a sign-in comes from: the connection's peer.
// X-Forwarded-For is not trusted (anyone can send it); behind a proxy every
// client shares the proxy's address and so its limit (docs/console.md).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
