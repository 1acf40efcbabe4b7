package banking

import (
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Owner is a beneficial owner of a business, or a control person without
// ownership (businesses.md section 3). Like a user's, the full SSN is held
// only sealed.
type Owner struct {
	ID         OwnerID
	ProgramID  ProgramID
	BusinessID BusinessID
	// Name is the display name sent; FirstName and LastName are what the
	// answer shows.
	Name, FirstName, LastName string
	Email, PhoneNumber        string
	Address, DateOfBirth      string
	// Ownership is the ownership percentage in hundredths of a percent
	// (2550 is 25.5 %), so that sums are exact.
	Ownership int
	SSNLast4  string
	SSNSealed []byte
	KYCStatus KYCStatus
	// KYCReason is the provider's reason code for the last decision.
	KYCReason string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// HasSSN reports whether an SSN is on file.
func (o *Owner) HasSSN() bool { return len(o.SSNSealed) > 0 }

// Percent is the ownership as the answer's JSON number.
func (o *Owner) Percent() float64 { return float64(o.Ownership) / 100 }

// Ownership limits (businesses.md section 3).
const (
	// MaxOwners is how many owners a business may have.
	MaxOwners = 10
	// fullOwnership is 100 % in hundredths.
	fullOwnership = 100_00
)

// NewOwnerInput is what a program sends to add an owner. SSN is clear text
// here and nowhere after: NewOwner returns it normalized for sealing.
type NewOwnerInput struct {
	Name, FirstName, LastName string
	Email, PhoneNumber        string
	Address, DateOfBirth, SSN string
	// Ownership is ownership_percent as sent; nil means 0 (a control
	// person).
	Ownership *string
}

// NewOwner validates in and builds an owner of business bid with KYC not
// started. name is split at its last space into first and last name; a
// first_name or last_name sent takes precedence over its half. It returns
// the SSN normalized to nine digits ("" when none) for the caller to seal.
func NewOwner(pid ProgramID, bid BusinessID, in NewOwnerInput, now time.Time) (Owner, string, error) {
	f := fieldErrors{}
	name := normText(in.Name)
	if required(f, "name", name) {
		checkText(f, "name", name, 2*maxName)
	}
	first, last := name, ""
	if i := strings.LastIndexByte(name, ' '); i >= 0 {
		first, last = normText(name[:i]), name[i+1:]
	}
	// A half taken from name is checked as name, one sent on its own as
	// itself.
	part := func(field, sent string, half *string) {
		if sent = normText(sent); sent != "" {
			*half = sent
			checkText(f, field, sent, maxName)
		} else if utf8.RuneCountInString(*half) > maxName {
			f.add("name", "must split at its last space into names of at most "+itoa(maxName)+" characters")
		}
	}
	part("first_name", in.FirstName, &first)
	part("last_name", in.LastName, &last)
	email := normText(in.Email)
	if required(f, "email", email) {
		checkEmail(f, "email", email)
	}
	phone := strings.TrimSpace(in.PhoneNumber)
	if required(f, "phone_number", phone) {
		checkPhone(f, "phone_number", phone)
	}
	address := normText(in.Address)
	if required(f, "address", address) {
		checkText(f, "address", address, maxAddress)
	}
	dob := strings.TrimSpace(in.DateOfBirth)
	if dob != "" {
		checkPastDate(f, "date_of_birth", dob, now, minBirthYear)
	}
	ssn := strings.TrimSpace(in.SSN)
	if ssn != "" {
		ssn = checkSSN(f, "ssn", ssn)
	}
	share := 0
	if in.Ownership != nil {
		var ok bool
		if share, ok = hundredths(*in.Ownership); !ok {
			f.add("ownership_percent", "must be a number from 0 to 100 with at most two decimals")
		}
	}
	if err := f.err(); err != nil {
		return Owner{}, "", err
	}
	now = now.UTC().Truncate(time.Millisecond)
	o := Owner{
		ID: NewID[OwnerID](now), ProgramID: pid, BusinessID: bid,
		Name: name, FirstName: first, LastName: last, Email: email, PhoneNumber: phone,
		Address: address, DateOfBirth: dob, Ownership: share,
		KYCStatus: KYCNotStarted, CreatedAt: now, UpdatedAt: now,
	}
	if ssn != "" {
		o.SSNLast4 = ssn[5:]
	}
	return o, ssn, nil
}

// hundredths converts a percentage to hundredths of a percent when it lies
// in 0..100 and has at most two decimals. A float64 parsed from a decimal of
// at most two places, times 100, is within rounding of an integer n, and n/100
// is then that same float64; any finer value is not.
func hundredths(p string) (int, bool) {
	// Exact: the JSON literal as sent, as a rational (33.330000000000000001
	// has more than two decimals, though a float64 would round it to 33.33).
	r, ok := new(big.Rat).SetString(p)
	if !ok || r.Sign() < 0 || r.Cmp(big.NewRat(100, 1)) > 0 {
		return 0, false
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() {
		return 0, false
	}
	return int(r.Num().Int64()), true
}

// formatPercent writes hundredths of a percent as the answer would show them
// ("25.5", "100").
func formatPercent(h int) string {
	return strconv.FormatFloat(float64(h)/100, 'f', -1, 64)
}

// ownerKey is the change key of an owner's field in the business's trail:
// owners and their documents share it, so their changes name them.
func ownerKey(id OwnerID, field string) string { return "owners[" + string(id) + "]." + field }

// ownerAddedChanges lists what an owner was added with.
func ownerAddedChanges(o *Owner) Changes {
	c := Changes{}
	for _, kv := range []struct{ k, v string }{
		{"first_name", o.FirstName}, {"last_name", o.LastName}, {"email", o.Email},
		{"phone_number", o.PhoneNumber}, {"address", o.Address},
		{"date_of_birth", o.DateOfBirth}, {"ssn_last_4", o.SSNLast4},
		{"ownership_percent", formatPercent(o.Ownership)}, {"kyc_status", string(o.KYCStatus)},
	} {
		if kv.v != "" {
			c[ownerKey(o.ID, kv.k)] = Change{From: "", To: kv.v}
		}
	}
	return c
}
