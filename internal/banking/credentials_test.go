package banking_test

import (
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// TestAPIKeyValid: the current key always; a retired key until its grace
// period ends, exclusive; an unknown key never.
func TestAPIKeyValid(t *testing.T) {
	end := time.Date(2026, 4, 17, 12, 0, 0, 0, time.UTC)
	p := banking.Program{APIKeyHash: banking.HashAPIKey("ak_new"), Retired: []banking.RetiredCredential{
		{APIKeyHash: banking.HashAPIKey("ak_old"), HMACUsername: "hu_old", ExpiresAt: end},
	}}
	for _, tc := range []struct {
		key  string
		at   time.Time
		want bool
	}{
		{"ak_new", end.Add(time.Hour), true},
		{"ak_old", end.Add(-time.Millisecond), true},
		{"ak_old", end, false},
		{"ak_other", end.Add(-time.Hour), false},
		{"", end.Add(-time.Hour), false},
	} {
		if got := p.APIKeyValid(tc.key, tc.at); got != tc.want {
			t.Errorf("APIKeyValid(%q, %v) = %v, want %v", tc.key, tc.at, got, tc.want)
		}
	}
	if p.APIKeyMatches("ak_old") {
		t.Errorf("APIKeyMatches(a retired key) = true, want false: it names the current key only")
	}
	if r, ok := p.RetiredByUsername("hu_old"); !ok || !r.Live(end.Add(-time.Second)) || r.Live(end) {
		t.Errorf("RetiredByUsername(hu_old) = %+v, %v", r, ok)
	}
}
