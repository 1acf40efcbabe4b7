package banking

import (
	"slices"
	"strings"
	"time"
)

// NewUserInput is what a program sends to create a user. SSN is clear text
// here and nowhere after: NewUser returns it normalized for sealing.
type NewUserInput struct {
	FirstName, MiddleName, LastName string
	Email, PhoneNumber, DateOfBirth string
	AddressOne, AddressTwo          string
	City, State, Country            string
	PostalCode, SSN, Username       string
	BusinessID                      string
	TermsAccepted                   bool
	MetaData                        []MetaData
	// IsVendor and its alias Vendor make the user a vendor of the business
	// named by BusinessID rather than a customer; nil when not sent.
	IsVendor, Vendor *bool
}

// ContactType is the type of the contact a valid in creates: "" without a
// business_id.
func (in NewUserInput) ContactType() ContactType {
	return contactType(fieldErrors{}, strings.TrimSpace(in.BusinessID), in.IsVendor, in.Vendor)
}

// UserPatch is a partial update: nil means "leave as it is".
type UserPatch struct {
	FirstName, MiddleName, LastName *string
	PhoneNumber, DateOfBirth        *string
	AddressOne, AddressTwo          *string
	City, State, Country            *string
	PostalCode, Username, SSN       *string
	MetaData                        *[]MetaData
}

// userFields is the validated, user-visible part of a user, shared by create
// and update so both apply exactly the same rules.
type userFields struct {
	FirstName, MiddleName, LastName string
	PhoneNumber, DateOfBirth        string
	AddressOne, AddressTwo          string
	City, State, Country            string
	PostalCode, Username            string
}

func fieldsOf(u *User) userFields {
	return userFields{u.FirstName, u.MiddleName, u.LastName, u.PhoneNumber, u.DateOfBirth,
		u.AddressOne, u.AddressTwo, u.City, u.State, u.Country, u.PostalCode, u.Username}
}

func (uf userFields) apply(u *User) {
	u.FirstName, u.MiddleName, u.LastName = uf.FirstName, uf.MiddleName, uf.LastName
	u.PhoneNumber, u.DateOfBirth = uf.PhoneNumber, uf.DateOfBirth
	u.AddressOne, u.AddressTwo = uf.AddressOne, uf.AddressTwo
	u.City, u.State, u.Country = uf.City, uf.State, uf.Country
	u.PostalCode, u.Username = uf.PostalCode, uf.Username
}

// validate applies every field rule. Required fields must be non-empty;
// optional ones are checked only when set.
func (uf userFields) validate(f fieldErrors, now time.Time) {
	for _, c := range []struct {
		name, v string
		max     int
		req     bool
	}{
		{"first_name", uf.FirstName, maxName, true},
		{"middle_name", uf.MiddleName, maxName, false},
		{"last_name", uf.LastName, maxName, true},
		{"address_one", uf.AddressOne, maxAddress, true},
		{"address_two", uf.AddressTwo, maxAddress, false},
		{"city", uf.City, maxName, true},
		{"username", uf.Username, maxUsername, false},
	} {
		if c.req && !required(f, c.name, c.v) {
			continue
		}
		checkText(f, c.name, c.v, c.max)
	}
	if required(f, "phone_number", uf.PhoneNumber) {
		checkPhone(f, "phone_number", uf.PhoneNumber)
	}
	if required(f, "country", uf.Country) {
		checkCountry(f, "country", uf.Country)
	}
	if required(f, "state", uf.State) {
		checkState(f, "state", uf.State, uf.Country)
	}
	if required(f, "postal_code", uf.PostalCode) {
		checkPostal(f, "postal_code", uf.PostalCode)
	}
	if uf.DateOfBirth != "" {
		checkPastDate(f, "date_of_birth", uf.DateOfBirth, now, minBirthYear)
	}
}

// trim normalizes a text field in place (normText).
func trim(p *string) {
	if p != nil {
		*p = normText(*p)
	}
}

// NewUser validates input and builds an active user with KYC not started. It
// returns the SSN normalized to nine digits ("" when none) for the caller to
// seal; the returned user carries only its last four digits.
func NewUser(pid ProgramID, in NewUserInput, now time.Time) (User, string, error) {
	uf := userFields{in.FirstName, in.MiddleName, in.LastName, in.PhoneNumber, in.DateOfBirth,
		in.AddressOne, in.AddressTwo, in.City, in.State, in.Country, in.PostalCode, in.Username}
	uf.trimAll()
	email := normText(in.Email)
	f := fieldErrors{}
	uf.validate(f, now)
	if required(f, "email", email) {
		checkEmail(f, "email", email)
	}
	ssn := strings.TrimSpace(in.SSN)
	if ssn != "" {
		ssn = checkSSN(f, "ssn", ssn)
	}
	checkMeta(f, in.MetaData)
	if in.BusinessID != "" {
		checkText(f, "business_id", in.BusinessID, maxBusinessIDLen)
	}
	contactType(f, strings.TrimSpace(in.BusinessID), in.IsVendor, in.Vendor)
	if err := f.err(); err != nil {
		return User{}, "", err
	}
	now = now.UTC().Truncate(time.Millisecond)
	u := User{
		ID:            NewUserID(now),
		ProgramID:     pid,
		Email:         email,
		TermsAccepted: in.TermsAccepted,
		MetaData:      slices.Clone(in.MetaData),
		Status:        StatusActive,
		KYCStatus:     KYCNotStarted,
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	if u.MetaData == nil {
		u.MetaData = []MetaData{}
	}
	uf.apply(&u)
	if ssn != "" {
		u.SSNLast4 = ssn[5:]
	}
	return u, ssn, nil
}

func (uf *userFields) trimAll() {
	for _, p := range []*string{&uf.FirstName, &uf.MiddleName, &uf.LastName, &uf.PhoneNumber,
		&uf.DateOfBirth, &uf.AddressOne, &uf.AddressTwo, &uf.City, &uf.State, &uf.Country,
		&uf.PostalCode, &uf.Username} {
		trim(p)
	}
}

// CreatedChanges lists the fields a new user was created with, for its
// user.created event. The SSN appears only as ssn_last_4.
func CreatedChanges(u *User) Changes {
	c := Changes{}
	diffFields(c, userFields{}, fieldsOf(u))
	c["email"] = Change{From: "", To: u.Email}
	if u.SSNLast4 != "" {
		c["ssn_last_4"] = Change{From: "", To: u.SSNLast4}
	}
	if u.TermsAccepted {
		c["terms_accepted"] = Change{From: "false", To: "true"}
	}
	if len(u.MetaData) > 0 {
		c["meta_data"] = Change{From: []MetaData{}, To: u.MetaData}
	}
	c["status"] = Change{From: "", To: string(u.Status)}
	c["kyc_status"] = Change{From: "", To: string(u.KYCStatus)}
	return c
}

func diffFields(c Changes, a, b userFields) {
	for _, d := range []struct {
		name     string
		from, to string
	}{
		{"first_name", a.FirstName, b.FirstName}, {"middle_name", a.MiddleName, b.MiddleName},
		{"last_name", a.LastName, b.LastName}, {"phone_number", a.PhoneNumber, b.PhoneNumber},
		{"date_of_birth", a.DateOfBirth, b.DateOfBirth}, {"address_one", a.AddressOne, b.AddressOne},
		{"address_two", a.AddressTwo, b.AddressTwo}, {"city", a.City, b.City},
		{"state", a.State, b.State}, {"country", a.Country, b.Country},
		{"postal_code", a.PostalCode, b.PostalCode}, {"username", a.Username, b.Username},
	} {
		if d.from != d.to {
			c[d.name] = Change{From: d.from, To: d.to}
		}
	}
}

// ApplyPatch validates p against u and applies it. currentSSN is the user's
// SSN in clear (the caller unseals it; "" when none) so that re-sending the
// same SSN is not mistaken for a change. It returns what changed (empty when
// nothing did) and the new normalized SSN when the SSN changed ("" otherwise).
func ApplyPatch(u *User, p UserPatch, currentSSN string, now time.Time) (Changes, string, error) {
	uf := fieldsOf(u)
	for _, s := range []struct {
		dst *string
		src *string
	}{
		{&uf.FirstName, p.FirstName}, {&uf.MiddleName, p.MiddleName}, {&uf.LastName, p.LastName},
		{&uf.PhoneNumber, p.PhoneNumber}, {&uf.DateOfBirth, p.DateOfBirth},
		{&uf.AddressOne, p.AddressOne}, {&uf.AddressTwo, p.AddressTwo}, {&uf.City, p.City},
		{&uf.State, p.State}, {&uf.Country, p.Country}, {&uf.PostalCode, p.PostalCode},
		{&uf.Username, p.Username},
	} {
		if s.src != nil {
			*s.dst = normText(*s.src)
		}
	}
	f := fieldErrors{}
	uf.validate(f, now)
	newSSN := ""
	if p.SSN != nil {
		if s := checkSSN(f, "ssn", *p.SSN); s != "" && s != currentSSN {
			newSSN = s
		}
	}
	if p.MetaData != nil {
		checkMeta(f, *p.MetaData)
	}
	if err := f.err(); err != nil {
		return nil, "", err
	}
	c := Changes{}
	diffFields(c, fieldsOf(u), uf)
	if newSSN != "" {
		c["ssn_last_4"] = Change{From: u.SSNLast4, To: newSSN[5:]}
	}
	if p.MetaData != nil && !slices.Equal(*p.MetaData, u.MetaData) {
		c["meta_data"] = Change{From: u.MetaData, To: *p.MetaData}
	}
	if u.identityLocked() {
		var locked []string
		for _, k := range []string{"first_name", "last_name", "date_of_birth", "ssn_last_4"} {
			if _, ok := c[k]; ok {
				locked = append(locked, strings.TrimSuffix(k, "_last_4"))
			}
		}
		if len(locked) > 0 {
			return nil, "", &Error{Code: CodeConflict,
				Message: "identity fields cannot change once kyc_status is " + string(u.KYCStatus) + ": " + strings.Join(locked, ", ")}
		}
	}
	if len(c) == 0 {
		return c, "", nil
	}
	uf.apply(u)
	if newSSN != "" {
		u.SSNLast4 = newSSN[5:]
	}
	if p.MetaData != nil {
		u.MetaData = slices.Clone(*p.MetaData)
		if u.MetaData == nil {
			u.MetaData = []MetaData{}
		}
	}
	u.UpdatedAt = now.UTC().Truncate(time.Millisecond)
	return c, newSSN, nil
}
