package webhook

import (
	"testing"
	"time"
)

func TestScheduleWaits(t *testing.T) {
	s := Schedule{}
	want := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour,
		12 * time.Hour, 12 * time.Hour, 12 * time.Hour}
	for i, w := range want {
		if got := s.Wait(i + 1); got != w {
			t.Errorf("wait after attempt %d = %v, want %v", i+1, got, w)
		}
	}
	if got := (Schedule{Scale: 0.001}).Wait(1); got != 60*time.Millisecond {
		t.Errorf("scaled 0.001: first wait %v, want 60ms", got)
	}
	if got := (Schedule{Scale: 0.001}).Window(); got != 259200*time.Millisecond {
		t.Errorf("scaled 0.001: window %v, want 259.2s", got)
	}
}

func TestScheduleJitter(t *testing.T) {
	s := Schedule{}
	t0 := time.Date(2026, 4, 16, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		u    float64
		want time.Duration
	}{{0, 54 * time.Second}, {0.5, 60 * time.Second}, {0.999999, 66 * time.Second}} {
		next, ok := s.Next(1, t0, t0, c.u)
		if !ok {
			t.Fatalf("u=%v: no next attempt", c.u)
		}
		if d := next.Sub(t0); d.Round(time.Millisecond) != c.want {
			t.Errorf("u=%v: next after %v, want %v", c.u, d, c.want)
		}
	}
}

// TestScheduleEndsAfterThreeDays walks a delivery that always fails: the
// attempts follow the schedule, the last one is within 3 days of the
// first, and the one after is not made.
func TestScheduleEndsAfterThreeDays(t *testing.T) {
	s := Schedule{}
	began := time.Date(2026, 4, 16, 0, 0, 0, 0, time.UTC)
	now := began
	attempts := 1
	for {
		next, ok := s.Next(attempts, began, now, 0.5)
		if !ok {
			break
		}
		now = next
		attempts++
		if attempts > 50 {
			t.Fatal("the schedule never ends")
		}
	}
	// 1m+5m+30m+2h+5h+10h = 17h36m, then 12 h each: 29h36m, 41h36m,
	// 53h36m, 65h36m; 77h36m would be past 72 h.
	if attempts != 11 {
		t.Errorf("%d attempts, want 11", attempts)
	}
	if got, want := now.Sub(began), 65*time.Hour+36*time.Minute; got != want {
		t.Errorf("last attempt %v after the first, want %v", got, want)
	}
}
