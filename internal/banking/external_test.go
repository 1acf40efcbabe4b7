package banking

import (
	"testing"
	"time"
)

// TestParseReportRange: money.md section 6, transactions/report and the
// summary take start_date and end_date inclusive, start <= end, "at most 366
// days apart", as dates or date-times; a date-time end counts to its own
// instant, a date end to that day's start (the range then takes the day).
func TestParseReportRange(t *testing.T) {
	for _, c := range []struct {
		start, end, direction string
		wantField             string // "" when valid
		wantFrom, wantTo      time.Time
	}{
		{start: "2025-11-30", end: "2026-12-01",
			wantFrom: time.Date(2025, 11, 30, 0, 0, 0, 0, time.UTC), wantTo: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)},
		{start: "2025-11-29", end: "2026-12-01", wantField: "end_date"},
		{start: "2025-11-30T00:00:00Z", end: "2026-12-01T00:00:00Z",
			wantFrom: time.Date(2025, 11, 30, 0, 0, 0, 0, time.UTC), wantTo: time.Date(2026, 12, 1, 0, 0, 0, int(time.Millisecond), time.UTC)},
		{start: "2025-11-30T00:00:00Z", end: "2026-12-01T00:00:00.001Z", wantField: "end_date"},
		{start: "2025-11-30T00:00:00Z", end: "2026-12-01T00:00:01Z", wantField: "end_date"},
		{start: "2025-11-30T12:00:00Z", end: "2026-12-01",
			wantFrom: time.Date(2025, 11, 30, 12, 0, 0, 0, time.UTC), wantTo: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)},
		{start: "2025-11-29T23:59:59Z", end: "2026-12-01", wantField: "end_date"},
		{start: "2026-04-16", end: "2026-04-16",
			wantFrom: time.Date(2026, 4, 16, 0, 0, 0, 0, time.UTC), wantTo: time.Date(2026, 4, 17, 0, 0, 0, 0, time.UTC)},
		{start: "2026-04-17", end: "2026-04-16", wantField: "end_date"},
		{start: "2026-04-16T10:00:00Z", end: "2026-04-16T09:59:59Z", wantField: "end_date"},
		{start: "", end: "2026-04-16", wantField: "start_date"},
		{start: "2026-04-16", end: "", wantField: "end_date"},
		{start: "16-04-2026", end: "2026-04-16", wantField: "start_date"},
		{start: "2026-04-16", end: "2026-04-16", direction: "sideways", wantField: "direction"},
	} {
		r, err := ParseReportRange(c.start, c.end, c.direction)
		if c.wantField != "" {
			e := AsError(err)
			if e == nil || e.Fields[c.wantField] == "" {
				t.Errorf("%q..%q (%q): err = %v, want a field error on %s", c.start, c.end, c.direction, err, c.wantField)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q..%q: %v, want valid", c.start, c.end, err)
			continue
		}
		if !r.From.Equal(c.wantFrom) || !r.To.Equal(c.wantTo) {
			t.Errorf("%q..%q = [%v, %v), want [%v, %v)", c.start, c.end, r.From, r.To, c.wantFrom, c.wantTo)
		}
	}
}
