package banking_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

func TestNewUserValid(t *testing.T) {
	in := validInput()
	in.MiddleName = "Augusta"
	in.AddressTwo = "Apt 2"
	in.DateOfBirth = "1985-12-10"
	in.SSN = "123-45-6789"
	in.Username = "ada"
	in.TermsAccepted = true
	in.MetaData = []banking.MetaData{{Name: "tier", Value: "gold"}}

	u, ssn, err := banking.NewUser(testProgram, in, now)
	if err != nil {
		t.Fatalf("NewUser error = %v, want nil", err)
	}
	want := banking.User{
		ID: u.ID, ProgramID: testProgram,
		FirstName: "Ada", MiddleName: "Augusta", LastName: "Lovelace",
		Email: "ada@example.com", PhoneNumber: "+14155550123", DateOfBirth: "1985-12-10",
		AddressOne: "1 Main St", AddressTwo: "Apt 2", City: "San Francisco", State: "CA",
		Country: "US", PostalCode: "94105", SSNLast4: "6789", Username: "ada",
		TermsAccepted: true, MetaData: []banking.MetaData{{Name: "tier", Value: "gold"}},
		Status: banking.StatusActive, KYCStatus: banking.KYCNotStarted,
		CreatedAt: nowMS, UpdatedAt: nowMS,
	}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("NewUser user =\n%+v\nwant\n%+v", u, want)
	}
	if ssn != "123456789" {
		t.Errorf("NewUser ssn = %q, want %q", ssn, "123456789")
	}
	if _, ok := banking.ParseUserID(string(u.ID)); !ok {
		t.Errorf("ParseUserID(%q) ok = false, want true", u.ID)
	}
	if s := fmt.Sprintf("%+v", u); strings.Contains(s, "123456789") {
		t.Errorf("user %s carries more than the last four SSN digits", s)
	}
	// The user keeps its own copy of meta_data.
	in.MetaData[0].Value = "changed"
	if u.MetaData[0].Value != "gold" {
		t.Errorf("MetaData[0].Value = %q after caller mutation, want %q", u.MetaData[0].Value, "gold")
	}
}

func TestNewUserOptionalDefaults(t *testing.T) {
	u, ssn := mustNewUser(t, validInput())
	if ssn != "" {
		t.Errorf("ssn = %q, want empty when none was sent", ssn)
	}
	if u.SSNLast4 != "" || u.HasSSN() {
		t.Errorf("SSNLast4 = %q, HasSSN = %v, want \"\", false", u.SSNLast4, u.HasSSN())
	}
	if u.MetaData == nil || len(u.MetaData) != 0 {
		t.Errorf("MetaData = %#v, want an empty non-nil slice", u.MetaData)
	}
	for name, v := range map[string]string{"middle_name": u.MiddleName, "address_two": u.AddressTwo,
		"date_of_birth": u.DateOfBirth, "username": u.Username} {
		if v != "" {
			t.Errorf("%s = %q, want \"\"", name, v)
		}
	}
}

func TestNewUserRequired(t *testing.T) {
	for _, tc := range []struct {
		field string
		clear func(*banking.NewUserInput, string)
	}{
		{"first_name", func(in *banking.NewUserInput, v string) { in.FirstName = v }},
		{"last_name", func(in *banking.NewUserInput, v string) { in.LastName = v }},
		{"email", func(in *banking.NewUserInput, v string) { in.Email = v }},
		{"phone_number", func(in *banking.NewUserInput, v string) { in.PhoneNumber = v }},
		{"address_one", func(in *banking.NewUserInput, v string) { in.AddressOne = v }},
		{"city", func(in *banking.NewUserInput, v string) { in.City = v }},
		{"state", func(in *banking.NewUserInput, v string) { in.State = v }},
		{"postal_code", func(in *banking.NewUserInput, v string) { in.PostalCode = v }},
		{"country", func(in *banking.NewUserInput, v string) { in.Country = v }},
	} {
		for _, blank := range []string{"", "   ", "\t\n"} {
			t.Run(fmt.Sprintf("%s=%q", tc.field, blank), func(t *testing.T) {
				in := validInput()
				tc.clear(&in, blank)
				u, ssn, err := banking.NewUser(testProgram, in, now)
				e := wantInvalid(t, err, tc.field)
				if got := e.Fields[tc.field]; got != "is required" {
					t.Errorf("Fields[%q] = %q, want %q", tc.field, got, "is required")
				}
				if u.ID != "" || ssn != "" {
					t.Errorf("NewUser returned user %q, ssn %q with an error, want zero values", u.ID, ssn)
				}
			})
		}
	}
}

func TestNewUserAllRequiredMissing(t *testing.T) {
	_, _, err := banking.NewUser(testProgram, banking.NewUserInput{}, now)
	e := wantInvalid(t, err, "first_name", "last_name", "email", "phone_number", "address_one",
		"city", "state", "postal_code", "country")
	if e.Message != "validation failed" {
		t.Errorf("Message = %q, want %q", e.Message, "validation failed")
	}
	for f, msg := range e.Fields {
		if msg != "is required" {
			t.Errorf("Fields[%q] = %q, want %q", f, msg, "is required")
		}
	}
}

func TestNewUserReportsEveryWrongFieldAtOnce(t *testing.T) {
	in := validInput()
	in.Email = "not-an-email"
	in.PhoneNumber = "4155550123"
	in.City = ""
	in.DateOfBirth = "2030-01-01"
	in.SSN = "123"
	in.MetaData = []banking.MetaData{{Name: "", Value: "x"}}
	_, _, err := banking.NewUser(testProgram, in, now)
	wantInvalid(t, err, "email", "phone_number", "city", "date_of_birth", "ssn", "meta_data[0].name")
}

// formatCase is one value of one field and whether the field accepts it.
type formatCase struct {
	v  string
	ok bool
}

// checkFormat runs NewUser with set(v) applied to a valid input for each case.
func checkFormat(t *testing.T, field string, set func(*banking.NewUserInput, string), cases []formatCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%.40q", tc.v), func(t *testing.T) {
			in := validInput()
			set(&in, tc.v)
			_, _, err := banking.NewUser(testProgram, in, now)
			if tc.ok {
				if err != nil {
					t.Fatalf("NewUser(%s=%q) error = %v, want nil", field, tc.v, err)
				}
				return
			}
			wantInvalid(t, err, field)
		})
	}
}

func TestNewUserEmail(t *testing.T) {
	local := func(n int) string { return strings.Repeat("a", n-len("@example.com")) + "@example.com" }
	checkFormat(t, "email", func(in *banking.NewUserInput, v string) { in.Email = v }, []formatCase{
		{"ada@example.com", true},
		{"Ada.Lovelace+tag@Mail.Example.CO.UK", true},
		{"  ada@example.com  ", true},
		{local(254), true},
		{local(255), false},
		{"ada", false},
		{"ada@", false},
		{"@example.com", false},
		{"ada@example", false},
		{"ada@example.", false},
		{"ada@.com", false},
		{"ada@@example.com", false},
		{"ada@b@example.com", false},
		{"ada lovelace@example.com", false},
		{"ada@exa mple.com", false},
		{`"ada lovelace"@example.com`, false},
		{"Ada <ada@example.com>", false},
		{"<ada@example.com>", false},
		{"ada@example.com (Ada)", false},
		{"ada..l@example.com", false},
		{".ada@example.com", false},
		{"ada\x00@example.com", false},
		{"ada@example.com\x7f", false},
	})
}

func TestNewUserEmailTooLongMessage(t *testing.T) {
	in := validInput()
	in.Email = strings.Repeat("a", 243) + "@example.com"
	_, _, err := banking.NewUser(testProgram, in, now)
	wantFieldMsg(t, wantInvalid(t, err, "email"), "email", "at most 254 characters")
}

func TestNewUserPhone(t *testing.T) {
	checkFormat(t, "phone_number", func(in *banking.NewUserInput, v string) { in.PhoneNumber = v }, []formatCase{
		{"+14155550123", true},
		{"+442071838750", true},
		{"+12125551234", true}, // Ingo's documentation samples
		{"+15555551234", true},
		{"+33123456789", true},
		{"+861012345678", true},
		{"+10005550123", false},  // NANP area code 000
		{"+11125551234", false},  // NANP area code starting with 1
		{"+12120551234", false},  // NANP exchange starting with 0
		{"+12121551234", false},  // NANP exchange starting with 1
		{"+1415555", false},      // seven digits: too short for +1
		{"+4420718387", false},   // too short for the UK
		{"+999123456789", false}, // no such country code
		{"+1234567890123456", false},
		{"+123456", false},
		{"14155550123", false},
		{"+04155550123", false},
		{"+1 415 555 0123", false},
		{"+1-415-555-0123", false},
		{"+1(415)5550123", false},
		{"+1415555012a", false},
		{"++14155550123", false},
		{"+", false},
		{"+1415555\x000123", false},
	})
}

func TestNewUserState(t *testing.T) {
	withCountry := func(country string) func(*banking.NewUserInput, string) {
		return func(in *banking.NewUserInput, v string) { in.Country, in.State = country, v }
	}
	t.Run("US", func(t *testing.T) {
		checkFormat(t, "state", withCountry("US"), []formatCase{
			{"CA", true}, {"NY", true}, {"DC", true}, {"PR", true}, {"WY", true},
			// USPS addresses the freely associated states as US (Publication 28).
			{"FM", true}, {"MH", true}, {"PW", true}, {"AA", true}, {"GU", true},
			{"ZZ", false}, {"XX", false}, {"ca", false}, {"Ca", false}, {"C", false},
			{"CAL", false}, {"US-CA", false}, {"C1", false}, {"12", false},
		})
	})
	t.Run("GB", func(t *testing.T) {
		// Outside the US any two uppercase letters pass: ISO 3166-2 codes
		// are not all enumerated.
		checkFormat(t, "state", withCountry("GB"), []formatCase{
			{"EN", true}, {"ZZ", true}, {"en", false}, {"ENG", false}, {"E", false},
		})
	})
	t.Run("message", func(t *testing.T) {
		in := validInput()
		in.State = "ZZ"
		_, _, err := banking.NewUser(testProgram, in, now)
		wantFieldMsg(t, wantInvalid(t, err, "state"), "state", "US state")
	})
}

func TestNewUserPostalCode(t *testing.T) {
	checkFormat(t, "postal_code", func(in *banking.NewUserInput, v string) { in.PostalCode = v }, []formatCase{
		{"94105", true}, {"00501", true}, {"94105-1234", true}, {" 94105 ", true},
		{"9410", false}, {"941055", false}, {"94105-123", false}, {"94105-12345", false},
		{"94105 1234", false}, {"941051234", false}, {"9410A", false}, {"ABCDE", false},
		{"-94105", false}, {"94105-", false},
	})
}

func TestNewUserCountry(t *testing.T) {
	checkFormat(t, "country", func(in *banking.NewUserInput, v string) { in.Country, in.State = v, "CA" }, []formatCase{
		{"US", true}, {"GB", true}, {"DE", true}, {"AX", true}, {"ZW", true},
		{"XX", false}, {"ZZ", false}, {"UK", false}, {"gb", false}, {"Gb", false},
		{"USA", false}, {"U", false}, {"U S", false}, {"840", false}, {"AD AE", false},
	})
}

func TestNewUserDateOfBirth(t *testing.T) {
	checkFormat(t, "date_of_birth", func(in *banking.NewUserInput, v string) { in.DateOfBirth = v }, []formatCase{
		{"1985-12-10", true},
		{"2000-02-29", true}, // leap year
		{"2026-04-15", true}, // yesterday
		{"1900-01-01", true},
		{" 1985-12-10 ", true},
		{"2026-04-16", false}, // today
		{"2026-04-17", false}, // tomorrow
		{"2999-01-01", false},
		{"2001-02-29", false}, // not a leap year
		{"2000-02-30", false},
		{"2000-04-31", false},
		{"2000-13-01", false},
		{"2000-00-10", false},
		{"1899-12-31", false},
		{"1985-1-1", false},
		{"10/12/1985", false},
		{"1985-12-10T00:00:00Z", false},
		{"19851210", false},
		{"yesterday", false},
	})
}

func TestNewUserDateOfBirthIsJudgedInUTC(t *testing.T) {
	// 23:30 on the 15th in New York is already the 16th in UTC, so the
	// 15th is in the past and the 16th is today.
	ny := time.FixedZone("EST", -5*3600)
	late := time.Date(2026, 4, 15, 23, 30, 0, 0, ny)
	for _, tc := range []struct {
		dob string
		ok  bool
	}{{"2026-04-15", true}, {"2026-04-16", false}} {
		in := validInput()
		in.DateOfBirth = tc.dob
		_, _, err := banking.NewUser(testProgram, in, late)
		if got := err == nil; got != tc.ok {
			t.Errorf("NewUser(date_of_birth=%s, now=%v) ok = %v (%v), want %v", tc.dob, late, got, err, tc.ok)
		}
	}
}

// TestNewUserNFC: text is kept in Unicode NFC, so the same name or email
// typed in either normal form is one value; the Kelvin sign is folded by NFC
// itself, compatibility look-alikes are not (docs/decisions.md).
func TestNewUserNFC(t *testing.T) {
	in := validInput()
	in.FirstName = "Jose\u0301"
	in.Email = "jose\u0301@example.com"
	in.City = "\u212Aelvin"
	u, _, err := banking.NewUser(testProgram, in, now)
	if err != nil {
		t.Fatal(err)
	}
	if u.FirstName != "Jos\u00e9" || u.Email != "jos\u00e9@example.com" || u.City != "Kelvin" {
		t.Errorf("first_name, email, city = %q, %q, %q; want NFC", u.FirstName, u.Email, u.City)
	}
	if got, want := banking.NormalizeEmail("JOSE\u0301@Example.com"), "jos\u00e9@example.com"; got != want {
		t.Errorf("NormalizeEmail = %q, want %q", got, want)
	}
	if got, want := banking.SearchTerm("JOSE\u0301"), "jos\u00e9"; got != want {
		t.Errorf("SearchTerm = %q, want %q", got, want)
	}
	// Fullwidth letters are compatibility characters, not canonical ones.
	if got := banking.SearchTerm("\uff21da"); got == "ada" {
		t.Errorf("SearchTerm folded a fullwidth letter: %q", got)
	}
}
