package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// noMemoryLimit is debug.SetMemoryLimit's "no limit".
const noMemoryLimit = math.MaxInt64

func TestTuneGC(t *testing.T) {
	for _, c := range []struct {
		name        string
		env         map[string]string
		wantPercent int
		wantLimit   int64
	}{
		{"defaults apply", nil, 400, 96 << 20},
		{"GOGC wins", map[string]string{"GOGC": "100"}, 100, 96 << 20},
		{"GOMEMLIMIT wins", map[string]string{"GOMEMLIMIT": "1GiB"}, 400, noMemoryLimit},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The test process runs with GOGC=100 and no limit unless the
			// environment says otherwise; pin them so "wins" is observable.
			oldP, oldL := debug.SetGCPercent(100), debug.SetMemoryLimit(noMemoryLimit)
			defer debug.SetGCPercent(oldP)
			defer debug.SetMemoryLimit(oldL)
			restore := tuneGC(func(k string) string { return c.env[k] }, serveGCPercent, serveMemoryLimit)
			gotP, gotL := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
			debug.SetGCPercent(gotP)
			if gotP != c.wantPercent || gotL != c.wantLimit {
				t.Errorf("after tuneGC: GOGC %d, limit %d; want %d, %d", gotP, gotL, c.wantPercent, c.wantLimit)
			}
			restore()
			if p, l := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1); p != 100 || l != noMemoryLimit {
				t.Errorf("after restore: GOGC %d, limit %d; want 100, no limit", p, l)
			}
			debug.SetGCPercent(100)
		})
	}
}
