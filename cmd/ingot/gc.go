package main

import "runtime/debug"

// Garbage collector settings for ingot's long-running commands. Go's default
// (GOGC=100) collects every time the heap doubles; ingot's live heap is a few
// megabytes, so under load it collected dozens of times a second, and the
// collector's CPU and assists showed in the tail: at half the saturating get
// rate on SQLite, p99 went from 2.3-2.6 ms with GOGC=100 to 1.7-1.9 ms with
// GOGC=400 (ingot bench --op get --users 1000 --rate 7943, two runs each).
const (
	serveGCPercent = 400
	// serveMemoryLimit is a soft limit: near it the collector works harder
	// instead of letting the larger GOGC grow the heap. It bounds what the
	// larger GOGC may cost, not the heap: a live heap near it makes the
	// collector run much of the time (set GOMEMLIMIT higher then).
	serveMemoryLimit = 96 << 20
)

// tuneGC applies percent and limit (0: no limit) unless the operator chose
// through GOGC or GOMEMLIMIT, which always win. It returns a function that
// restores the previous settings.
func tuneGC(getenv func(string) string, percent int, limit int64) (restore func()) {
	prevPercent, prevLimit := -2, int64(-1)
	if getenv("GOGC") == "" {
		prevPercent = debug.SetGCPercent(percent)
	}
	if limit > 0 && getenv("GOMEMLIMIT") == "" {
		prevLimit = debug.SetMemoryLimit(limit)
	}
	return func() {
		if prevPercent != -2 {
			debug.SetGCPercent(prevPercent)
		}
		if prevLimit >= 0 {
			debug.SetMemoryLimit(prevLimit)
		}
	}
}
