package banking_test

import (
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

func validOwner() banking.NewOwnerInput {
	return banking.NewOwnerInput{Name: "Grace Brewster Hopper", Email: "grace@acme.example",
		Address: "1 Navy Way, Arlington VA", PhoneNumber: "+14155550111",
		DateOfBirth: "1906-12-09", SSN: "123-45-6789"}
}

func mustOwner(t *testing.T, bid banking.BusinessID, in banking.NewOwnerInput) banking.Owner {
	t.Helper()
	o, _, err := banking.NewOwner(testProgram, bid, in, now)
	if err != nil {
		t.Fatalf("NewOwner error = %v, want nil", err)
	}
	return o
}

func TestNewOwner(t *testing.T) {
	o, ssn, err := banking.NewOwner(testProgram, "buss-x", validOwner(), now)
	if err != nil {
		t.Fatal(err)
	}
	if o.FirstName != "Grace Brewster" || o.LastName != "Hopper" {
		t.Errorf("split = %q / %q, want Grace Brewster / Hopper", o.FirstName, o.LastName)
	}
	if ssn != "123456789" || o.SSNLast4 != "6789" || o.HasSSN() {
		t.Errorf("ssn = %q, last 4 %q, sealed %v: want the clear SSN for the caller and no sealed value yet", ssn, o.SSNLast4, o.HasSSN())
	}
	if o.Ownership != 0 || o.KYCStatus != banking.KYCNotStarted {
		t.Errorf("ownership, kyc_status = %d, %s; want 0 (a control person), not_started", o.Ownership, o.KYCStatus)
	}

	for _, tc := range []struct {
		name, first, last, wantFirst, wantLast string
	}{
		{"Cher", "", "", "Cher", ""},
		{"Ada Lovelace", "Augusta Ada", "", "Augusta Ada", "Lovelace"},
		{"Ada Lovelace", "", "King", "Ada", "King"},
		{"Ada Lovelace", "Augusta Ada", "King", "Augusta Ada", "King"},
		{"  Ada   Lovelace ", "", "", "Ada", "Lovelace"},
	} {
		in := validOwner()
		in.Name, in.FirstName, in.LastName = tc.name, tc.first, tc.last
		o := mustOwner(t, "buss-x", in)
		if o.FirstName != tc.wantFirst || o.LastName != tc.wantLast {
			t.Errorf("name %q first %q last %q → %q / %q, want %q / %q", tc.name, tc.first, tc.last,
				o.FirstName, o.LastName, tc.wantFirst, tc.wantLast)
		}
	}

	for _, tc := range []struct {
		p    string // the JSON literal as sent
		want int
		ok   bool
	}{
		{"0", 0, true}, {"100", 10000, true}, {"25.5", 2550, true}, {"33.33", 3333, true}, {"0.01", 1, true},
		{"99.99", 9999, true}, {"33.333", 0, false}, {"-0.01", 0, false}, {"100.01", 0, false}, {"0.001", 0, false},
		{"100.00", 10000, true}, {"2.5e1", 2500, true}, {"1e-2", 1, true}, {"1e3", 0, false},
		// A float64 rounds this to 33.33; as sent it has 18 decimals (a review finding).
		{"33.330000000000000001", 0, false},
	} {
		in := validOwner()
		in.Ownership = &tc.p
		o, _, err := banking.NewOwner(testProgram, "buss-x", in, now)
		if tc.ok && (err != nil || o.Ownership != tc.want) {
			t.Errorf("ownership %v → %d, %v; want %d", tc.p, o.Ownership, err, tc.want)
		}
		if !tc.ok {
			wantInvalid(t, err, "ownership_percent")
		}
	}
}

func TestNewOwnerFieldRules(t *testing.T) {
	_, _, err := banking.NewOwner(testProgram, "buss-x", banking.NewOwnerInput{}, now)
	wantInvalid(t, err, "name", "email", "address", "phone_number")
	for _, tc := range []struct {
		field string
		set   func(in *banking.NewOwnerInput)
	}{
		{"email", func(in *banking.NewOwnerInput) { in.Email = "grace" }},
		{"phone_number", func(in *banking.NewOwnerInput) { in.PhoneNumber = "555-0111" }},
		{"date_of_birth", func(in *banking.NewOwnerInput) { in.DateOfBirth = "2030-01-01" }},
		{"ssn", func(in *banking.NewOwnerInput) { in.SSN = "12345" }},
		{"address", func(in *banking.NewOwnerInput) { in.Address = strings.Repeat("a", 201) }},
		{"name", func(in *banking.NewOwnerInput) { in.Name = "Grace\x00Hopper" }},
		{"name", func(in *banking.NewOwnerInput) { in.Name = strings.Repeat("g", 101) + " Hopper" }},
		{"first_name", func(in *banking.NewOwnerInput) { in.FirstName = strings.Repeat("g", 101) }},
		{"last_name", func(in *banking.NewOwnerInput) { in.LastName = "\x07" + "x" }},
	} {
		in := validOwner()
		tc.set(&in)
		_, _, err := banking.NewOwner(testProgram, "buss-x", in, now)
		wantInvalid(t, err, tc.field)
	}
}

// file returns a business file: a verified, active owning user and a new
// business.
func file(t *testing.T) *banking.BusinessFile {
	t.Helper()
	u, _ := mustNewUser(t, validInput())
	u.KYCStatus = banking.KYCVerified
	return &banking.BusinessFile{Business: mustBusiness(t, validBusiness()), User: u}
}

func share(p float64) *string {
	s := strconv.FormatFloat(p, 'f', -1, 64)
	return &s
}

func TestAddOwnerRules(t *testing.T) {
	f := file(t)
	for _, p := range []float64{40, 35.5, 24.5} {
		in := validOwner()
		in.Ownership = share(p)
		c, err := f.AddOwner(mustOwner(t, f.Business.ID, in))
		if err != nil {
			t.Fatalf("add %v%%: %v", p, err)
		}
		if len(c) == 0 {
			t.Errorf("add %v%%: no changes", p)
		}
	}
	in := validOwner()
	in.Ownership = share(0.01)
	_, err := f.AddOwner(mustOwner(t, f.Business.ID, in))
	e := wantCode(t, err, banking.CodeConflict)
	if !strings.Contains(e.Message, "100.01") {
		t.Errorf("message %q does not say the sum", e.Message)
	}
	// Control persons (0 %) still fit, up to ten owners in all.
	for range banking.MaxOwners - 3 {
		if _, err := f.AddOwner(mustOwner(t, f.Business.ID, validOwner())); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.AddOwner(mustOwner(t, f.Business.ID, validOwner()))
	wantCode(t, err, banking.CodeConflict)
	if len(f.Owners) != banking.MaxOwners {
		t.Errorf("owners = %d, want %d", len(f.Owners), banking.MaxOwners)
	}

	for _, st := range []banking.KYCStatus{banking.KYCPending, banking.KYCVerified} {
		f := file(t)
		f.Business.KYBStatus = st
		_, err := f.AddOwner(mustOwner(t, f.Business.ID, validOwner()))
		wantCode(t, err, banking.CodeConflict)
	}
	f = file(t)
	f.Business.KYBStatus = banking.KYCRejected
	f.Business.Status = banking.StatusBlocked
	if _, err := f.AddOwner(mustOwner(t, f.Business.ID, validOwner())); err != nil {
		t.Errorf("owner of a rejected, blocked business: %v, want allowed", err)
	}
}

// submittable returns a file that passes every precondition of KYB.
func submittable(t *testing.T) *banking.BusinessFile {
	f := file(t)
	o := mustOwner(t, f.Business.ID, validOwner())
	o.SSNSealed = []byte("sealed")
	if _, err := f.AddOwner(o); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSubmitKYBOrder: the preconditions of businesses.md section 5 are
// checked in their order, so a file failing several gets the first's code.
func TestSubmitKYBOrder(t *testing.T) {
	breaks := []struct {
		name  string
		apply func(f *banking.BusinessFile)
		code  banking.Code
	}{
		{"business blocked", func(f *banking.BusinessFile) { f.Business.Status = banking.StatusBlocked }, banking.CodeBlocked},
		{"user blocked", func(f *banking.BusinessFile) { f.User.Status = banking.StatusBlocked }, banking.CodeBlocked},
		{"kyb pending", func(f *banking.BusinessFile) { f.Business.KYBStatus = banking.KYCPending }, banking.CodeConflict},
		{"user not verified", func(f *banking.BusinessFile) { f.User.KYCStatus = banking.KYCPending }, banking.CodeNotVerified},
		{"no owners", func(f *banking.BusinessFile) { f.Owners = nil }, banking.CodeConflict},
		{"owner without ssn", func(f *banking.BusinessFile) { f.Owners[0].SSNSealed = nil }, banking.CodeInvalid},
	}
	for i := range breaks {
		// Break this precondition and every later one: the first wins.
		f := submittable(t)
		for j := len(breaks) - 1; j >= i; j-- {
			breaks[j].apply(f)
		}
		kyb, updated := f.Business.KYBStatus, f.Business.UpdatedAt
		_, err := f.SubmitKYB(now.Add(time.Hour))
		wantCode(t, err, breaks[i].code)
		if f.Business.KYBStatus != kyb || f.Business.UpdatedAt != updated {
			t.Errorf("%s: a refused submission changed the business", breaks[i].name)
		}
		for _, o := range f.Owners {
			if o.KYCStatus != banking.KYCNotStarted {
				t.Errorf("%s: a refused submission changed an owner", breaks[i].name)
			}
		}
	}
}

func TestSubmitKYBMissingOwnerData(t *testing.T) {
	f := submittable(t)
	for _, in := range []banking.NewOwnerInput{
		{Name: "No Dob", Email: "a@b.example", Address: "x", PhoneNumber: "+14155550112", SSN: "123456789"},
		{Name: "No Ssn", Email: "a@b.example", Address: "x", PhoneNumber: "+14155550112", DateOfBirth: "1980-01-01"},
		{Name: "Neither", Email: "a@b.example", Address: "x", PhoneNumber: "+14155550112"},
	} {
		o := mustOwner(t, f.Business.ID, in)
		if in.SSN != "" {
			o.SSNSealed = []byte("sealed")
		}
		if _, err := f.AddOwner(o); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.SubmitKYB(now)
	wantInvalid(t, err, "owners[1].date_of_birth", "owners[2].ssn", "owners[3].date_of_birth", "owners[3].ssn")
}

func TestSubmitKYB(t *testing.T) {
	for _, from := range []banking.KYCStatus{banking.KYCNotStarted, banking.KYCRejected} {
		f := submittable(t)
		f.Business.KYBStatus, f.Business.KYBReason = from, "EIN_MISMATCH"
		f.Owners[0].KYCStatus = banking.KYCVerified
		c, err := f.SubmitKYB(now)
		if err != nil {
			t.Fatalf("from %s: %v", from, err)
		}
		o := f.Owners[0]
		want := banking.Changes{"kyb_status": {From: string(from), To: "pending"},
			"owners[" + string(o.ID) + "].kyc_status": {From: "verified", To: "pending"}}
		if !maps.Equal(c, want) {
			t.Errorf("changes = %v, want %v", c, want)
		}
		if f.Business.KYBStatus != banking.KYCPending || f.Business.KYBReason != "" || o.KYCStatus != banking.KYCPending {
			t.Errorf("after submit: business %s %q, owner %s", f.Business.KYBStatus, f.Business.KYBReason, o.KYCStatus)
		}
	}
}

func TestResolveKYB(t *testing.T) {
	f := submittable(t)
	second := mustOwner(t, f.Business.ID, validOwner())
	second.SSNSealed = []byte("sealed")
	if _, err := f.AddOwner(second); err != nil {
		t.Fatal(err)
	}
	d1, err := banking.NewDocument(testProgram, f.Business.ID, f.Owners[0].ID,
		banking.NewDocumentInput{DocumentType: "passport", FileURL: "https://files.example/p.pdf"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.AddDocument(d1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SubmitKYB(now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.ResolveKYB(banking.KYBDecision{Outcome: banking.KYCPending}, now); !banking.IsCode(err, banking.CodeInvalid) {
		t.Errorf("a decision that is not final: %v, want invalid", err)
	}
	first := f.Owners[0].ID
	c, owners, err := f.ResolveKYB(banking.KYBDecision{Outcome: banking.KYCRejected, Reason: "OWNER_KYC_FAILED",
		Owners: map[banking.OwnerID]banking.OwnerDecision{first: {Outcome: banking.KYCRejected, Reason: "SSN_MISMATCH"}}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if f.Business.KYBStatus != banking.KYCRejected || f.Business.KYBReason != "OWNER_KYC_FAILED" {
		t.Errorf("business = %s %s", f.Business.KYBStatus, f.Business.KYBReason)
	}
	if f.Owners[0].KYCStatus != banking.KYCRejected || f.Owners[0].KYCReason != "SSN_MISMATCH" {
		t.Errorf("named owner = %s %s, want rejected SSN_MISMATCH", f.Owners[0].KYCStatus, f.Owners[0].KYCReason)
	}
	if f.Owners[1].KYCStatus != banking.KYCRejected {
		t.Errorf("an owner the decision does not name follows the business: got %s", f.Owners[1].KYCStatus)
	}
	if len(owners) != 2 || owners[0].Reason != "SSN_MISMATCH" || owners[1].Reason != "" {
		t.Errorf("owner parts = %+v", owners)
	}
	if f.Documents[0].Status != banking.DocRejected || c["documents["+string(d1.ID)+"].status"].To != "rejected" {
		t.Errorf("document = %s, changes %v: want rejected with the business", f.Documents[0].Status, c)
	}
	if _, _, err := f.ResolveKYB(banking.KYBDecision{Outcome: banking.KYCVerified}, now); !banking.IsCode(err, banking.CodeConflict) {
		t.Errorf("a second decision: %v, want conflict", err)
	}

	// Resubmitted and verified: documents follow the business again.
	if _, err := f.SubmitKYB(now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.ResolveKYB(banking.KYBDecision{Outcome: banking.KYCVerified}, now); err != nil {
		t.Fatal(err)
	}
	if f.Documents[0].Status != banking.DocApproved || f.Owners[0].KYCStatus != banking.KYCVerified {
		t.Errorf("after verification: document %s, owner %s", f.Documents[0].Status, f.Owners[0].KYCStatus)
	}
}

func TestAddDocument(t *testing.T) {
	f := submittable(t)
	for _, tc := range []struct {
		in    banking.NewDocumentInput
		field []string
	}{
		{banking.NewDocumentInput{}, []string{"document_type", "file_url"}},
		{banking.NewDocumentInput{DocumentType: "selfie", FileURL: "https://f.example/x"}, []string{"document_type"}},
		{banking.NewDocumentInput{DocumentType: "Passport", FileURL: "https://f.example/x"}, []string{"document_type"}},
		{banking.NewDocumentInput{DocumentType: "passport", FileURL: "ftp://f.example/x"}, []string{"file_url"}},
		{banking.NewDocumentInput{DocumentType: "passport", FileURL: "https://"}, []string{"file_url"}},
		{banking.NewDocumentInput{DocumentType: "passport", FileURL: "https://f.example/a b"}, []string{"file_url"}},
	} {
		_, err := banking.NewDocument(testProgram, f.Business.ID, f.Owners[0].ID, tc.in, now)
		wantInvalid(t, err, tc.field...)
	}
	types := []string{"passport", "drivers_license", "state_id", "articles_of_incorporation", "ein_letter", "proof_of_address", "other"}
	for _, typ := range types {
		d, err := banking.NewDocument(testProgram, f.Business.ID, f.Owners[0].ID,
			banking.NewDocumentInput{DocumentType: typ, FileURL: "https://f.example/" + typ}, now)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if _, err := f.AddDocument(d); err != nil || d.Status != banking.DocPending {
			t.Errorf("%s: %v, status %s", typ, err, d.Status)
		}
	}
	stranger, _ := banking.NewDocument(testProgram, f.Business.ID, "bown-0190a0b0-0000-7000-8000-000000000009",
		banking.NewDocumentInput{DocumentType: "other", FileURL: "https://f.example/x"}, now)
	_, err := f.AddDocument(stranger)
	wantCode(t, err, banking.CodeNotFound)
	if len(f.Documents) != len(types) {
		t.Errorf("documents = %d, want %d", len(f.Documents), len(types))
	}
}

func TestContactType(t *testing.T) {
	yes, no := ptr(true), ptr(false)
	for _, tc := range []struct {
		business         string
		isVendor, vendor *bool
		want             banking.ContactType
		field            string
	}{
		{"buss-1", nil, nil, banking.ContactCustomers, ""},
		{"buss-1", yes, nil, banking.ContactVendors, ""},
		{"buss-1", nil, yes, banking.ContactVendors, ""},
		{"buss-1", no, no, banking.ContactCustomers, ""},
		{"buss-1", yes, yes, banking.ContactVendors, ""},
		{"buss-1", yes, no, "", "vendor"},
		{"", nil, nil, "", ""},
		{"", no, nil, "", ""},
		{"", yes, nil, "", "is_vendor"},
		{"", nil, yes, "", "vendor"},
	} {
		in := validInput()
		in.BusinessID, in.IsVendor, in.Vendor = tc.business, tc.isVendor, tc.vendor
		_, _, err := banking.NewUser(testProgram, in, now)
		if tc.field != "" {
			wantInvalid(t, err, tc.field)
			continue
		}
		if err != nil || in.ContactType() != tc.want {
			t.Errorf("%+v: %v, type %q; want %q", tc, err, in.ContactType(), tc.want)
		}
	}
	for _, s := range []string{"", "customers", "vendors"} {
		if got, err := banking.ParseContactType(s); err != nil || string(got) != s {
			t.Errorf("ParseContactType(%q) = %q, %v", s, got, err)
		}
	}
	_, err := banking.ParseContactType("customer")
	wantInvalid(t, err, "type")
}
