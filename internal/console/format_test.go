package console

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ingot-dev/ingot/internal/banking"
)

func TestFormatMoney(t *testing.T) {
	for _, c := range []struct {
		cents int64
		want  string
	}{
		{0, "$0.00"}, {5, "$0.05"}, {100, "$1.00"}, {123456, "$1,234.56"}, {100000000, "$1,000,000.00"},
		{-5, "-$0.05"}, {-123456, "-$1,234.56"}, {math.MaxInt64, "$92,233,720,368,547,758.07"},
		{math.MinInt64, "-$92,233,720,368,547,758.08"},
	} {
		if got := formatMoney(c.cents); got != c.want {
			t.Errorf("formatMoney(%d) = %q, want %q", c.cents, got, c.want)
		}
	}
}

func TestFormatCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1000000: "1,000,000", -1234: "-1,234"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRelativeAge(t *testing.T) {
	now := time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ago  time.Duration
		want string
	}{
		{0, "just now"}, {9 * time.Second, "just now"}, {45 * time.Second, "45 s ago"},
		{5 * time.Minute, "5 min ago"}, {3 * time.Hour, "3 h ago"}, {47 * time.Hour, "47 h ago"},
		{3 * 24 * time.Hour, "3 days ago"}, {90 * 24 * time.Hour, "3 months ago"},
		{800 * 24 * time.Hour, "2 years ago"}, {-5 * time.Minute, "in 5 min"},
	} {
		if got := relativeAge(now.Add(-c.ago), now); got != c.want {
			t.Errorf("relativeAge(now - %v) = %q, want %q", c.ago, got, c.want)
		}
	}
	if got := formatUTC(time.Date(2026, 4, 16, 14, 0, 5, 0, time.FixedZone("CEST", 7200))); got != "2026-04-16 12:00:05 UTC" {
		t.Errorf("formatUTC = %q, want the time in UTC", got)
	}
}

func TestSafeTarget(t *testing.T) {
	for to, want := range map[string]bool{
		"/console/": true, "/console/programs/x/users?page=2": true,
		"": false, "/": false, "https://evil.example/console/": false, "//evil.example/console/": false,
		"/console//evil.example": false, "/console/\\evil": false, "/api/v4/user/get": false,
	} {
		if got := safeTarget(to); got != want {
			t.Errorf("safeTarget(%q) = %v, want %v", to, got, want)
		}
	}
}

func TestMaskLast4(t *testing.T) {
	if got := maskLast4("6789"); got != "•••• 6789" {
		t.Errorf("maskLast4 = %q", got)
	}
	if got := maskLast4(""); got != "none on file" {
		t.Errorf("maskLast4(\"\") = %q", got)
	}
}

// TestChangesMaskAccountNumbers: a trail shows any account number, the
// master account's in program.created included, by its last four digits.
func TestChangesMaskAccountNumbers(t *testing.T) {
	got := sortedChanges(banking.Changes{
		"account_number":        {From: "", To: "1008777780"},
		"master_account_number": {From: "", To: "1008777781"},
		"name":                  {From: "", To: "acme"},
	})
	want := []change{
		{Field: "account_number", From: "—", To: "•••• 7780"},
		{Field: "master_account_number", From: "—", To: "•••• 7781"},
		{Field: "name", From: "—", To: "acme"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sortedChanges (-want +got):\n%s", diff)
	}
}
