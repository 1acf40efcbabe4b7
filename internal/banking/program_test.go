package banking_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/banking"
)

func TestPaging(t *testing.T) {
	for _, tc := range []struct {
		page, perPage         *int
		wantPage, wantPerPage int
		fields                []string
	}{
		{nil, nil, 1, 10, nil},
		{ptr(1), ptr(1), 1, 1, nil},
		{ptr(7), nil, 7, 10, nil},
		{nil, ptr(500), 1, 500, nil},
		{ptr(banking.MaxPage), ptr(banking.MaxPerPage), banking.MaxPage, banking.MaxPerPage, nil},
		{ptr(0), nil, 0, 0, []string{"page"}},
		{ptr(-1), nil, 0, 0, []string{"page"}},
		{ptr(banking.MaxPage + 1), nil, 0, 0, []string{"page"}},
		{nil, ptr(0), 0, 0, []string{"per_page"}},
		{nil, ptr(-5), 0, 0, []string{"per_page"}},
		{nil, ptr(501), 0, 0, []string{"per_page"}},
		{ptr(0), ptr(501), 0, 0, []string{"page", "per_page"}},
	} {
		name := fmt.Sprintf("page=%s,per_page=%s", show(tc.page), show(tc.perPage))
		t.Run(name, func(t *testing.T) {
			p, pp, err := banking.Paging(tc.page, tc.perPage)
			if tc.fields != nil {
				wantInvalid(t, err, tc.fields...)
				return
			}
			if err != nil {
				t.Fatalf("Paging error = %v, want nil", err)
			}
			if p != tc.wantPage || pp != tc.wantPerPage {
				t.Errorf("Paging = %d, %d, want %d, %d", p, pp, tc.wantPage, tc.wantPerPage)
			}
		})
	}
}

func show(p *int) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func TestCheckUserFilter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		f       banking.UserFilter
		sort    string
		wantAsc bool
		fields  []string
	}{
		{"empty", banking.UserFilter{}, "", false, nil},
		{"desc", banking.UserFilter{}, "created_at:desc", false, nil},
		{"asc", banking.UserFilter{}, "created_at:asc", true, nil},
		{"statuses", banking.UserFilter{Status: banking.StatusBlocked, KYCStatus: banking.KYCRejected}, "", false, nil},
		{"active", banking.UserFilter{Status: banking.StatusActive}, "", false, nil},
		{"kyc not_started", banking.UserFilter{KYCStatus: banking.KYCNotStarted}, "", false, nil},
		{"kyc pending", banking.UserFilter{KYCStatus: banking.KYCPending}, "", false, nil},
		{"kyc verified", banking.UserFilter{KYCStatus: banking.KYCVerified}, "", false, nil},
		{"search and email", banking.UserFilter{Search: "ada", Email: "ADA@example.com"}, "", false, nil},
		{"bad status", banking.UserFilter{Status: "deleted"}, "", false, []string{"status"}},
		{"status case", banking.UserFilter{Status: "Active"}, "", false, []string{"status"}},
		{"bad kyc", banking.UserFilter{KYCStatus: "review"}, "", false, []string{"kyc_status"}},
		{"bad sort", banking.UserFilter{}, "created_at", false, []string{"sort"}},
		{"sort other field", banking.UserFilter{}, "email:asc", false, []string{"sort"}},
		{"sort case", banking.UserFilter{}, "created_at:ASC", false, []string{"sort"}},
		{"search too long", banking.UserFilter{Search: strings.Repeat("a", 255)}, "", false, []string{"search"}},
		{"search control", banking.UserFilter{Search: "a\x1fb"}, "", false, []string{"search"}},
		{"email too long", banking.UserFilter{Email: strings.Repeat("a", 255)}, "", false, []string{"email"}},
		{"all wrong", banking.UserFilter{Status: "x", KYCStatus: "y", Search: "\x00"}, "z", false,
			[]string{"status", "kyc_status", "sort", "search"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			err := banking.CheckUserFilter(&f, tc.sort)
			if tc.fields != nil {
				wantInvalid(t, err, tc.fields...)
				return
			}
			if err != nil {
				t.Fatalf("CheckUserFilter error = %v, want nil", err)
			}
			if f.Ascending != tc.wantAsc {
				t.Errorf("Ascending = %v, want %v", f.Ascending, tc.wantAsc)
			}
		})
	}
}

func TestHashAPIKey(t *testing.T) {
	// SHA-256("abc"), FIPS 180-2 test vector.
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := hex.EncodeToString(banking.HashAPIKey("abc")); got != abc {
		t.Errorf("HashAPIKey(abc) = %s, want %s", got, abc)
	}
	if bytes.Equal(banking.HashAPIKey("key-1"), banking.HashAPIKey("key-2")) {
		t.Error("HashAPIKey gives two keys the same hash")
	}
	const key = "ik_live_0123456789abcdef"
	p := banking.Program{APIKeyHash: banking.HashAPIKey(key)}
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{key, true},
		{"", false},
		{key[:len(key)-1], false},
		{key + "0", false},
		{strings.ToUpper(key), false},
		{" " + key, false},
	} {
		if got := p.APIKeyMatches(tc.key); got != tc.want {
			t.Errorf("APIKeyMatches(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
	if (&banking.Program{}).APIKeyMatches("") {
		t.Error("APIKeyMatches(\"\") on a program without a key hash = true, want false")
	}
}

func TestValidateProgramName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"Acme", true}, {strings.Repeat("n", 100), true},
		{"", false}, {strings.Repeat("n", 101), false}, {"Ac\x00me", false},
	} {
		err := banking.ValidateProgramName(tc.name)
		if tc.ok && err != nil {
			t.Errorf("ValidateProgramName(%.20q) = %v, want nil", tc.name, err)
		}
		if !tc.ok {
			wantInvalid(t, err, "name")
		}
	}
}

func TestCheckReason(t *testing.T) {
	for _, tc := range []struct {
		reason string
		ok     bool
	}{
		{"", true}, {"fraud suspected", true}, {strings.Repeat("r", 500), true},
		{strings.Repeat("r", 501), false}, {"line\nbreak", false}, {"\xfe", false},
	} {
		err := banking.CheckReason(tc.reason)
		if tc.ok && err != nil {
			t.Errorf("CheckReason(%.20q) = %v, want nil", tc.reason, err)
		}
		if !tc.ok {
			wantInvalid(t, err, "reason")
		}
	}
}
