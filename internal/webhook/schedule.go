package webhook

import "time"

// The retry schedule of webhooks.md section 4: after a failed attempt, wait
// 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, then 12 h each, ±10 %, until 3
// days after the delivery began; an attempt that would fall later is not
// made and the delivery fails. An endpoint all of whose attempts have
// failed for 3 days is disabled. Scale (the sandbox's
// --webhook-retry-scale) multiplies every duration, the 3 days included.
var waits = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour}

// Schedule constants.
const (
	// laterWait is the wait after the sixth failed attempt and every one
	// after it.
	laterWait = 12 * time.Hour
	// Window is how long a delivery is retried, and how long an endpoint
	// may fail before it is disabled.
	Window = 72 * time.Hour
	// Jitter is the fraction every wait varies by, up or down.
	Jitter = 0.1
)

// Schedule is the retry schedule, scaled.
type Schedule struct {
	// Scale multiplies every duration; 0 means 1.
	Scale float64
}

func (s Schedule) scale(d time.Duration) time.Duration {
	if s.Scale <= 0 || s.Scale == 1 {
		return d
	}
	return time.Duration(float64(d) * s.Scale)
}

// Wait is the wait after the n-th failed attempt (n ≥ 1) before jitter.
func (s Schedule) Wait(n int) time.Duration {
	if n >= 1 && n <= len(waits) {
		return s.scale(waits[n-1])
	}
	return s.scale(laterWait)
}

// Window is how long deliveries are retried and endpoints may fail, scaled.
func (s Schedule) Window() time.Duration { return s.scale(Window) }

// Next is when to make the attempt after the n-th failed one, which ended at
// now, of a delivery that began at began; ok is false when that would be
// past the window (the delivery fails). u is a uniform random number in
// [0, 1) that picks the jitter.
func (s Schedule) Next(n int, began, now time.Time, u float64) (time.Time, bool) {
	w := s.Wait(n)
	next := now.Add(time.Duration(float64(w) * (1 - Jitter + 2*Jitter*u)))
	if next.After(began.Add(s.Window())) {
		return time.Time{}, false
	}
	return next, true
}
