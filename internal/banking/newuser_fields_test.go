package banking_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/banking"
)

func TestNewUserSSN(t *testing.T) {
	for _, tc := range []struct {
		in, norm, last4 string
		ok              bool
	}{
		{"123456789", "123456789", "6789", true},
		{"123-45-6789", "123456789", "6789", true},
		{"  123-45-6789\n", "123456789", "6789", true},
		{"123-45-0001", "123450001", "0001", true}, // the sandbox's magic last four
		{"899-99-9999", "899999999", "9999", true},
		// Never issued (SSA): area 000, 666, 900-999; group 00; serial 0000.
		{"000-00-0001", "", "", false},
		{"000-12-3456", "", "", false},
		{"666-12-3456", "", "", false},
		{"900-12-3456", "", "", false},
		{"912-34-5678", "", "", false},
		{"999-12-3456", "", "", false},
		{"123-00-4567", "", "", false},
		{"123-45-0000", "", "", false},
		{"000-00-0000", "", "", false},
		{"", "", "", true},
		{"   ", "", "", true},
		{"12345678", "", "", false},
		{"1234567890", "", "", false},
		{"12345678a", "", "", false},
		{"123 45 6789", "", "", false},
		{"123.45.6789", "", "", false},
		{"١٢٣٤٥٦٧٨٩", "", "", false}, // non-ASCII digits
		{"123-45-678", "", "", false},
		{"123456789\x00", "", "", false},
	} {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			in := validInput()
			in.SSN = tc.in
			u, ssn, err := banking.NewUser(testProgram, in, now)
			if !tc.ok {
				e := wantInvalid(t, err, "ssn")
				if strings.Contains(fmt.Sprint(e), tc.in) && tc.in != "" {
					t.Errorf("error %v echoes the SSN", e)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewUser(ssn=%q) error = %v, want nil", tc.in, err)
			}
			if ssn != tc.norm {
				t.Errorf("NewUser(ssn=%q) ssn = %q, want %q", tc.in, ssn, tc.norm)
			}
			if u.SSNLast4 != tc.last4 {
				t.Errorf("NewUser(ssn=%q) SSNLast4 = %q, want %q", tc.in, u.SSNLast4, tc.last4)
			}
		})
	}
}

func TestNewUserLengthLimits(t *testing.T) {
	// "é" is two bytes: limits count characters, not bytes.
	for _, tc := range []struct {
		field string
		max   int
		set   func(*banking.NewUserInput, string)
	}{
		{"first_name", 100, func(in *banking.NewUserInput, v string) { in.FirstName = v }},
		{"middle_name", 100, func(in *banking.NewUserInput, v string) { in.MiddleName = v }},
		{"last_name", 100, func(in *banking.NewUserInput, v string) { in.LastName = v }},
		{"city", 100, func(in *banking.NewUserInput, v string) { in.City = v }},
		{"address_one", 200, func(in *banking.NewUserInput, v string) { in.AddressOne = v }},
		{"address_two", 200, func(in *banking.NewUserInput, v string) { in.AddressTwo = v }},
		{"username", 64, func(in *banking.NewUserInput, v string) { in.Username = v }},
		{"business_id", 100, func(in *banking.NewUserInput, v string) { in.BusinessID = v }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			in := validInput()
			tc.set(&in, strings.Repeat("é", tc.max))
			if _, _, err := banking.NewUser(testProgram, in, now); err != nil {
				t.Errorf("NewUser(%s of %d characters) error = %v, want nil", tc.field, tc.max, err)
			}
			tc.set(&in, strings.Repeat("é", tc.max+1))
			_, _, err := banking.NewUser(testProgram, in, now)
			e := wantInvalid(t, err, tc.field)
			wantFieldMsg(t, e, tc.field, fmt.Sprintf("at most %d characters", tc.max))
		})
	}
}

func TestNewUserMetaData(t *testing.T) {
	pairs := func(n int) []banking.MetaData {
		md := make([]banking.MetaData, n)
		for i := range md {
			md[i] = banking.MetaData{Name: fmt.Sprintf("k%d", i), Value: "v"}
		}
		return md
	}
	for _, tc := range []struct {
		name   string
		md     []banking.MetaData
		fields []string // nil: valid
	}{
		{"none", nil, nil},
		{"empty", []banking.MetaData{}, nil},
		{"50 pairs", pairs(50), nil},
		{"51 pairs", pairs(51), []string{"meta_data"}},
		{"limits exact", []banking.MetaData{{Name: strings.Repeat("n", 100), Value: strings.Repeat("v", 500)}}, nil},
		{"empty value", []banking.MetaData{{Name: "k", Value: ""}}, nil},
		{"name missing", []banking.MetaData{{Name: "", Value: "v"}}, []string{"meta_data[0].name"}},
		{"name too long", []banking.MetaData{{Name: "k", Value: "v"}, {Name: strings.Repeat("n", 101), Value: "v"}},
			[]string{"meta_data[1].name"}},
		{"value too long", []banking.MetaData{{Name: "k", Value: strings.Repeat("v", 501)}}, []string{"meta_data[0].value"}},
		{"control characters", []banking.MetaData{{Name: "k\x00", Value: "v"}, {Name: "k", Value: "a\x1bb"}},
			[]string{"meta_data[0].name", "meta_data[1].value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := validInput()
			in.MetaData = tc.md
			u, _, err := banking.NewUser(testProgram, in, now)
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("NewUser error = %v, want nil", err)
				}
				if len(u.MetaData) != len(tc.md) {
					t.Errorf("len(MetaData) = %d, want %d", len(u.MetaData), len(tc.md))
				}
				return
			}
			wantInvalid(t, err, tc.fields...)
		})
	}
	in := validInput()
	in.MetaData = []banking.MetaData{{Name: "", Value: "v"}}
	_, _, err := banking.NewUser(testProgram, in, now)
	wantFieldMsg(t, wantInvalid(t, err, "meta_data[0].name"), "meta_data[0].name", "is required")
}

func TestNewUserControlCharacters(t *testing.T) {
	set := map[string]func(*banking.NewUserInput, string){
		"first_name":   func(in *banking.NewUserInput, v string) { in.FirstName = v },
		"middle_name":  func(in *banking.NewUserInput, v string) { in.MiddleName = v },
		"last_name":    func(in *banking.NewUserInput, v string) { in.LastName = v },
		"address_one":  func(in *banking.NewUserInput, v string) { in.AddressOne = v },
		"address_two":  func(in *banking.NewUserInput, v string) { in.AddressTwo = v },
		"city":         func(in *banking.NewUserInput, v string) { in.City = v },
		"username":     func(in *banking.NewUserInput, v string) { in.Username = v },
		"email":        func(in *banking.NewUserInput, v string) { in.Email = v },
		"business_id":  func(in *banking.NewUserInput, v string) { in.BusinessID = v },
		"phone_number": func(in *banking.NewUserInput, v string) { in.PhoneNumber = v },
		"state":        func(in *banking.NewUserInput, v string) { in.State = v },
		"postal_code":  func(in *banking.NewUserInput, v string) { in.PostalCode = v },
		"country":      func(in *banking.NewUserInput, v string) { in.Country = v },
		"ssn":          func(in *banking.NewUserInput, v string) { in.SSN = v },
	}
	valid := map[string]string{"first_name": "Ada", "middle_name": "Ada", "last_name": "Ada",
		"address_one": "1 Main", "address_two": "1 Main", "city": "Ada", "username": "ada",
		"email": "ada@example.com", "business_id": "biz-1", "phone_number": "+14155550123",
		"state": "CA", "postal_code": "94105", "country": "US", "ssn": "123456789"}
	for field, fn := range set {
		for _, bad := range []string{"\x00", "\x07", "\x1b", "\x7f", "\u0085", "\xff"} {
			v := valid[field][:1] + bad + valid[field][1:]
			t.Run(fmt.Sprintf("%s/%q", field, bad), func(t *testing.T) {
				in := validInput()
				fn(&in, v)
				_, _, err := banking.NewUser(testProgram, in, now)
				wantInvalid(t, err, field)
			})
		}
	}
	in := validInput()
	in.FirstName = "A\x00da"
	in.City = "Sp\xffringfield"
	_, _, err := banking.NewUser(testProgram, in, now)
	e := wantInvalid(t, err, "first_name", "city")
	wantFieldMsg(t, e, "first_name", "control characters")
	wantFieldMsg(t, e, "city", "UTF-8")
}

func TestNewUserTrimsWhitespace(t *testing.T) {
	in := banking.NewUserInput{
		FirstName: "  Ada ", MiddleName: "\tAugusta\n", LastName: " Lovelace\r\n",
		Email: " ada@example.com\t", PhoneNumber: " +14155550123 ", DateOfBirth: " 1985-12-10 ",
		AddressOne: " 1 Main St ", AddressTwo: "  Apt 2  ", City: "\nSan Francisco ",
		State: " CA ", Country: " US ", PostalCode: " 94105-1234 ", SSN: " 123-45-6789 ", Username: " ada ",
	}
	u, ssn := mustNewUser(t, in)
	for _, c := range []struct{ name, got, want string }{
		{"FirstName", u.FirstName, "Ada"}, {"MiddleName", u.MiddleName, "Augusta"},
		{"LastName", u.LastName, "Lovelace"}, {"Email", u.Email, "ada@example.com"},
		{"PhoneNumber", u.PhoneNumber, "+14155550123"}, {"DateOfBirth", u.DateOfBirth, "1985-12-10"},
		{"AddressOne", u.AddressOne, "1 Main St"}, {"AddressTwo", u.AddressTwo, "Apt 2"},
		{"City", u.City, "San Francisco"}, {"State", u.State, "CA"}, {"Country", u.Country, "US"},
		{"PostalCode", u.PostalCode, "94105-1234"}, {"Username", u.Username, "ada"},
		{"SSNLast4", u.SSNLast4, "6789"}, {"ssn", ssn, "123456789"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	// Inner white space is kept: only the ends are trimmed.
	in = validInput()
	in.City = "  San   Francisco  "
	u, _ = mustNewUser(t, in)
	if u.City != "San   Francisco" {
		t.Errorf("City = %q, want %q", u.City, "San   Francisco")
	}
}
