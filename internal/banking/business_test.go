package banking_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

const testUser banking.UserID = "user-0190a0b0-0000-7000-8000-000000000002"

// validBusiness returns a create request that passes every rule.
func validBusiness() banking.NewBusinessInput {
	return banking.NewBusinessInput{BusinessProfile: banking.BusinessProfile{
		Name: "Acme Widgets LLC", EIN: "12-3456789", BusinessType: "LLC",
		AddressOne: "1 Market St", City: "San Francisco", State: "CA", PostalCode: "94105",
		Country: "US", Email: "ops@acme.example", Phone: "+14155550100",
	}}
}

func mustBusiness(t *testing.T, in banking.NewBusinessInput) banking.Business {
	t.Helper()
	b, err := banking.NewBusiness(testProgram, testUser, in, now)
	if err != nil {
		t.Fatalf("NewBusiness error = %v, want nil", err)
	}
	return b
}

func TestParseBusinessType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want banking.BusinessType
		ok   bool
	}{
		{"LLC", banking.TypeLLC, true},
		{"llc", banking.TypeLLC, true},
		{" Corporation ", banking.TypeCorporation, true},
		{"S-Corp", banking.TypeSCorporation, true},
		{"s corp", banking.TypeSCorporation, true},
		{"S Corporation", banking.TypeSCorporation, true},
		{"s_corporation", banking.TypeSCorporation, true},
		{"Sole Proprietorship", banking.TypeSoleProprietorship, true},
		{"sole-proprietorship", banking.TypeSoleProprietorship, true},
		{"Partnership", banking.TypePartnership, true},
		{"Non-Profit", banking.TypeNonProfit, true},
		{"Nonprofit", banking.TypeNonProfit, true},
		{"", "", false},
		{"L.L.C.", "", false},
		{"sole  proprietorship", "", false},
		{"trust", "", false},
	} {
		got, ok := banking.ParseBusinessType(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseBusinessType(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNormalizeEIN(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"12-3456789", "12-3456789", true},
		{"123456789", "12-3456789", true},
		{"00-0000001", "00-0000001", true},
		{"123-45-6789", "", false},
		{"1-23456789", "", false},
		{"12345678", "", false},
		{"1234567890", "", false},
		{"12-345678a", "", false},
		{"１２3456789", "", false},
		{"", "", false},
	} {
		got, ok := banking.NormalizeEIN(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeEIN(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNewBusiness(t *testing.T) {
	in := validBusiness()
	in.EIN = "987654321"
	in.BusinessType = "S-Corp"
	in.DBA = "  Acme  "
	b := mustBusiness(t, in)
	if b.EIN != "98-7654321" || b.BusinessType != "s_corporation" || b.DBA != "Acme" {
		t.Errorf("ein, business_type, dba = %q, %q, %q; want normalized", b.EIN, b.BusinessType, b.DBA)
	}
	if b.Status != banking.StatusActive || b.KYBStatus != banking.KYCNotStarted || b.UserID != testUser {
		t.Errorf("status, kyb_status, user = %s, %s, %s", b.Status, b.KYBStatus, b.UserID)
	}
	if !b.CreatedAt.Equal(nowMS) || !b.UpdatedAt.Equal(nowMS) {
		t.Errorf("created_at = %v, want %v", b.CreatedAt, nowMS)
	}
	if _, ok := banking.ParseID[banking.BusinessID](string(b.ID)); !ok {
		t.Errorf("id %q is not a business id", b.ID)
	}
	if b.MetaData == nil {
		t.Errorf("meta_data is nil, want []")
	}
}

func TestNewBusinessRequiredFields(t *testing.T) {
	_, err := banking.NewBusiness(testProgram, testUser, banking.NewBusinessInput{}, now)
	wantInvalid(t, err, "business_name", "ein", "business_type", "business_address", "city",
		"state", "zipcode", "country", "email", "phone_number")
}

// TestNewBusinessFieldRules: every rule names the request's field, not the
// answer's (zipcode, not postal_code).
func TestNewBusinessFieldRules(t *testing.T) {
	for _, tc := range []struct {
		field string
		set   func(in *banking.NewBusinessInput)
		msg   string
	}{
		{"ein", func(in *banking.NewBusinessInput) { in.EIN = "12-345" }, "9 digits"},
		// Prefixes the IRS never assigns (issue 17's "whole kind" of never-issued ids).
		{"ein", func(in *banking.NewBusinessInput) { in.EIN = "00-0000000" }, "ever issued"},
		{"ein", func(in *banking.NewBusinessInput) { in.EIN = "070000001" }, "ever issued"},
		{"ein", func(in *banking.NewBusinessInput) { in.EIN = "96-1234567" }, "ever issued"},
		{"ein", func(in *banking.NewBusinessInput) { in.EIN = "89-1234567" }, "ever issued"},
		{"business_type", func(in *banking.NewBusinessInput) { in.BusinessType = "trust" }, "one of llc"},
		{"zipcode", func(in *banking.NewBusinessInput) { in.PostalCode = "9410" }, "ZIP"},
		{"email", func(in *banking.NewBusinessInput) { in.Email = "ops@" }, "valid email"},
		{"phone_number", func(in *banking.NewBusinessInput) { in.Phone = "4155550100" }, "E.164"},
		{"state", func(in *banking.NewBusinessInput) { in.State = "ZZ" }, "US state"},
		{"country", func(in *banking.NewBusinessInput) { in.Country = "USA" }, "ISO 3166-1"},
		{"business_address", func(in *banking.NewBusinessInput) { in.AddressOne = strings.Repeat("a", 201) }, "at most 200"},
		{"business_address_2", func(in *banking.NewBusinessInput) { in.AddressTwo = "a\x00b" }, "control"},
		{"business_name", func(in *banking.NewBusinessInput) { in.Name = strings.Repeat("é", 101) }, "at most 100"},
		{"dba", func(in *banking.NewBusinessInput) { in.DBA = "\xff" }, "UTF-8"},
		{"naics_code", func(in *banking.NewBusinessInput) { in.NAICSCode = "54151" }, "6-digit"},
		{"incorporated_date", func(in *banking.NewBusinessInput) { in.IncorporatedDate = "2026-04-16" }, "past"},
		{"incorporated_date", func(in *banking.NewBusinessInput) { in.IncorporatedDate = "2021-02-30" }, "real date"},
		{"incorporated_state", func(in *banking.NewBusinessInput) { in.IncorporatedState = "de" }, "two-letter"},
		{"support_email", func(in *banking.NewBusinessInput) { in.SupportEmail = "help" }, "valid email"},
		{"support_phone_number", func(in *banking.NewBusinessInput) { in.SupportPhone = "+0123" }, "E.164"},
		{"business_rep_dob", func(in *banking.NewBusinessInput) { in.RepDOB = "1899-12-31" }, "1900-01-01"},
		{"business_rep_zipcode", func(in *banking.NewBusinessInput) { in.RepZipcode = "ABCDE" }, "ZIP"},
		{"business_rep_state", func(in *banking.NewBusinessInput) { in.RepCountry, in.RepState = "US", "XX" }, "US state"},
		{"business_rep_country", func(in *banking.NewBusinessInput) { in.RepCountry = "XX" }, "ISO 3166-1"},
		{"business_rep_phone", func(in *banking.NewBusinessInput) { in.RepPhone = "555" }, "E.164"},
		{"business_rep_email", func(in *banking.NewBusinessInput) { in.RepEmail = "Rep <rep@acme.example>" }, "valid email"},
		{"business_description", func(in *banking.NewBusinessInput) { in.Description = strings.Repeat("d", 1001) }, "at most 1000"},
		{"name", func(in *banking.NewBusinessInput) { in.NameAlias = "Other Inc" }, "must equal business_name"},
		{"business_email", func(in *banking.NewBusinessInput) { in.BusinessEmail = "other@acme.example" }, "must equal email"},
		{"business_phone", func(in *banking.NewBusinessInput) { in.BusinessPhone = "+14155550199" }, "must equal phone_number"},
		{"meta_data[0].name", func(in *banking.NewBusinessInput) { in.MetaData = []banking.MetaData{{Value: "v"}} }, "required"},
	} {
		t.Run(tc.field+"/"+tc.msg, func(t *testing.T) {
			in := validBusiness()
			tc.set(&in)
			_, err := banking.NewBusiness(testProgram, testUser, in, now)
			e := wantInvalid(t, err, tc.field)
			wantFieldMsg(t, e, tc.field, tc.msg)
		})
	}
}

// TestNewBusinessAliases: name, business_email and business_phone stand in
// for business_name, email and phone_number, and may repeat them.
func TestNewBusinessAliases(t *testing.T) {
	in := validBusiness()
	in.Name, in.NameAlias = "", "Alias Name Inc"
	in.Email, in.BusinessEmail = "", "alias@acme.example"
	in.Phone, in.BusinessPhone = "", "+14155550111"
	b := mustBusiness(t, in)
	if b.Name != "Alias Name Inc" || b.Email != "alias@acme.example" || b.Phone != "+14155550111" {
		t.Errorf("aliases not used: %q %q %q", b.Name, b.Email, b.Phone)
	}
	in = validBusiness()
	in.NameAlias, in.BusinessEmail, in.BusinessPhone = in.Name, " "+in.Email, in.Phone
	mustBusiness(t, in)
}

func TestApplyBusinessPatch(t *testing.T) {
	b := mustBusiness(t, validBusiness())
	later := now.Add(time.Minute)
	c, err := banking.ApplyBusinessPatch(&b, banking.BusinessPatch{ProfilePatch: banking.ProfilePatch{
		City: ptr("Oakland"), PostalCode: ptr("94607"), Logo: ptr("https://cdn.acme.example/logo.png"),
		EIN: ptr("123456789"), // the current EIN without its dash: no change
	}}, later)
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 3 || c["city"].To != "Oakland" || c["postal_code"].To != "94607" || c["logo"].From != "" {
		t.Errorf("changes = %v, want city, postal_code and logo", c)
	}
	if !b.UpdatedAt.Equal(later.Truncate(time.Millisecond)) {
		t.Errorf("updated_at = %v, want %v", b.UpdatedAt, later)
	}

	before := b
	c, err = banking.ApplyBusinessPatch(&b, banking.BusinessPatch{ProfilePatch: banking.ProfilePatch{City: ptr(" Oakland ")}}, later.Add(time.Hour))
	if err != nil || len(c) != 0 || b.UpdatedAt != before.UpdatedAt {
		t.Errorf("a patch changing nothing: changes %v, err %v, updated_at %v", c, err, b.UpdatedAt)
	}

	for _, tc := range []struct {
		name  string
		p     banking.BusinessPatch
		field string
	}{
		{"required cleared", banking.BusinessPatch{ProfilePatch: banking.ProfilePatch{City: ptr("")}}, "city"},
		{"http logo", banking.BusinessPatch{ProfilePatch: banking.ProfilePatch{Logo: ptr("http://cdn.example/l.png")}}, "logo"},
		{"relative proof", banking.BusinessPatch{ProfilePatch: banking.ProfilePatch{BusinessProof: ptr("/files/x.pdf")}}, "business_proof"},
		{"support state", banking.BusinessPatch{ProfilePatch: banking.ProfilePatch{SupportCountry: ptr("US"), SupportState: ptr("QQ")}}, "support_state"},
		{"support zip", banking.BusinessPatch{ProfilePatch: banking.ProfilePatch{SupportZipcode: ptr("1")}}, "support_zipcode"},
		{"alias disagrees", banking.BusinessPatch{ProfilePatch: banking.ProfilePatch{Name: ptr("A")}, NameAlias: ptr("B")}, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := b
			_, err := banking.ApplyBusinessPatch(&cp, tc.p, later)
			wantInvalid(t, err, tc.field)
			if cp.City != b.City || cp.UpdatedAt != b.UpdatedAt {
				t.Errorf("a refused patch changed the business")
			}
		})
	}
}

// TestBusinessIdentityLock: once KYB is pending or verified the name, EIN,
// type and incorporation date are frozen (409); other fields are not.
func TestBusinessIdentityLock(t *testing.T) {
	for _, st := range []banking.KYCStatus{banking.KYCPending, banking.KYCVerified} {
		b := mustBusiness(t, validBusiness())
		b.KYBStatus = st
		for _, p := range []banking.ProfilePatch{
			{Name: ptr("New Name")}, {EIN: ptr("99-9999999")}, {BusinessType: ptr("corporation")},
			{IncorporatedDate: ptr("2001-01-01")},
		} {
			_, err := banking.ApplyBusinessPatch(&b, banking.BusinessPatch{ProfilePatch: p}, now)
			wantCode(t, err, banking.CodeConflict)
		}
		_, err := banking.ApplyBusinessPatch(&b, banking.BusinessPatch{NameAlias: ptr("Acme Widgets LLC"),
			ProfilePatch: banking.ProfilePatch{BusinessType: ptr("llc"), DBA: ptr("Widgets")}}, now)
		if err != nil {
			t.Errorf("%s: re-sending the frozen values with another change: %v", st, err)
		}
	}
	b := mustBusiness(t, validBusiness())
	b.KYBStatus = banking.KYCRejected
	if _, err := banking.ApplyBusinessPatch(&b, banking.BusinessPatch{ProfilePatch: banking.ProfilePatch{EIN: ptr("99-9999999")}}, now); err != nil {
		t.Errorf("a rejected business's EIN must be correctable: %v", err)
	}
}

func TestBusinessBlockUnblock(t *testing.T) {
	b := mustBusiness(t, validBusiness())
	if _, err := b.Unblock(now); !banking.IsCode(err, banking.CodeConflict) {
		t.Errorf("unblock an active business: %v, want conflict", err)
	}
	c, err := b.Block(now)
	if err != nil || b.Status != banking.StatusBlocked || c["status"] != (banking.Change{From: "active", To: "blocked"}) {
		t.Errorf("block: %v %v %s", c, err, b.Status)
	}
	if _, err := b.Block(now); !banking.IsCode(err, banking.CodeConflict) {
		t.Errorf("block a blocked business: %v, want conflict", err)
	}
	if _, err := b.Unblock(now); err != nil || b.Status != banking.StatusActive {
		t.Errorf("unblock: %v %s", err, b.Status)
	}
}

func TestBusinessSearchText(t *testing.T) {
	b := mustBusiness(t, validBusiness())
	st := b.SearchText()
	for _, s := range []string{"acme widgets llc", "12-3456789", "123456789", "ops@acme.example", string(b.ID)} {
		if !strings.Contains(st, s) {
			t.Errorf("search text %q lacks %q", st, s)
		}
	}
	if strings.Contains(st, "san francisco") {
		t.Errorf("search text %q holds the city, which search does not cover", st)
	}
}

func TestCheckBusinessFilter(t *testing.T) {
	f := banking.BusinessFilter{KYBStatus: "done", Status: "gone"}
	wantInvalid(t, banking.CheckBusinessFilter(&f, "name"), "kyb_status", "status", "sort")
	f = banking.BusinessFilter{KYBStatus: banking.KYCVerified}
	if err := banking.CheckBusinessFilter(&f, "created_at:asc"); err != nil || !f.Ascending {
		t.Errorf("valid filter: %v, ascending %v", err, f.Ascending)
	}
}

// TestBusinessEmailAliasIgnoresCase: email and business_email sent both are
// compared as emails are everywhere, case-insensitively (a review finding).
func TestBusinessEmailAliasIgnoresCase(t *testing.T) {
	in := validBusiness()
	in.BusinessEmail = strings.ToUpper(in.Email)
	b, err := banking.NewBusiness(testProgram, "user-x", in, now)
	if err != nil {
		t.Fatalf("email %q with business_email %q: %v", in.Email, in.BusinessEmail, err)
	}
	if b.Email != in.Email {
		t.Errorf("business_email = %q, want the email as sent, %q", b.Email, in.Email)
	}
}
