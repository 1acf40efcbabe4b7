package banking

import (
	"time"
)

// BusinessProfile is everything a program tells about a business: the keys
// of the business object (businesses.md section 1) and the optional fields
// create and update also store (registration, support contacts, document
// URLs, the business representative).
type BusinessProfile struct {
	Name, DBA, EIN, BusinessType              string
	Industry, Description, NAICSCode          string
	IncorporatedDate, IncorporatedState       string
	Email, Phone, SupportEmail, SupportPhone  string
	AddressOne, AddressTwo, City, State       string
	Country, PostalCode                       string
	SupportAddressOne, SupportAddressTwo      string
	SupportCity, SupportState, SupportZipcode string
	SupportCountry                            string
	BusinessProof, PersonalID, Logo           string
	RepName, RepEmail, RepJobTitle, RepDOB    string
	RepAddress, RepAddress2, RepZipcode       string
	RepCity, RepState, RepCountry, RepPhone   string
}

// ProfilePatch mirrors BusinessProfile for business/update: nil leaves a
// field as it is, "" clears an optional one.
type ProfilePatch struct {
	Name, DBA, EIN, BusinessType              *string
	Industry, Description, NAICSCode          *string
	IncorporatedDate, IncorporatedState       *string
	Email, Phone, SupportEmail, SupportPhone  *string
	AddressOne, AddressTwo, City, State       *string
	Country, PostalCode                       *string
	SupportAddressOne, SupportAddressTwo      *string
	SupportCity, SupportState, SupportZipcode *string
	SupportCountry                            *string
	BusinessProof, PersonalID, Logo           *string
	RepName, RepEmail, RepJobTitle, RepDOB    *string
	RepAddress, RepAddress2, RepZipcode       *string
	RepCity, RepState, RepCountry, RepPhone   *string
}

// fieldKind is the rule a profile field follows.
type fieldKind int

const (
	kindText fieldKind = iota
	kindEmail
	kindPhone
	kindState
	kindCountry
	kindPostal
	kindBirthDate
	kindPastDate
	kindURL
	kindEIN
	kindBusinessType
	kindNAICS
)

// profileField describes one profile field once, for validation, patching,
// storage and the audit trail alike.
type profileField struct {
	// req is the request's name for the field (what a 400 names), key the
	// stored column, the answer's key where section 1 has it, and the
	// event's change key.
	req, key string
	kind     fieldKind
	max      int // characters, for kindText
	required bool
	// country is the key of the country a state field is checked against.
	country string
	get     func(*BusinessProfile) *string
	patch   func(*ProfilePatch) *string
}

// Length limits of business fields beyond the users' ones.
const maxDescription = 1000

// profileFields lists every profile field. Order matters only for the
// column order of the businesses table's writes.
var profileFields = []profileField{
	{"business_name", "name", kindText, maxName, true, "", func(p *BusinessProfile) *string { return &p.Name }, func(p *ProfilePatch) *string { return p.Name }},
	{"dba", "dba", kindText, maxName, false, "", func(p *BusinessProfile) *string { return &p.DBA }, func(p *ProfilePatch) *string { return p.DBA }},
	{"ein", "ein", kindEIN, 0, true, "", func(p *BusinessProfile) *string { return &p.EIN }, func(p *ProfilePatch) *string { return p.EIN }},
	{"business_type", "business_type", kindBusinessType, 0, true, "", func(p *BusinessProfile) *string { return &p.BusinessType }, func(p *ProfilePatch) *string { return p.BusinessType }},
	{"business_industry", "business_industry", kindText, maxName, false, "", func(p *BusinessProfile) *string { return &p.Industry }, func(p *ProfilePatch) *string { return p.Industry }},
	{"business_description", "business_description", kindText, maxDescription, false, "", func(p *BusinessProfile) *string { return &p.Description }, func(p *ProfilePatch) *string { return p.Description }},
	{"naics_code", "naics_code", kindNAICS, 0, false, "", func(p *BusinessProfile) *string { return &p.NAICSCode }, func(p *ProfilePatch) *string { return p.NAICSCode }},
	{"incorporated_date", "incorporated_date", kindPastDate, 0, false, "", func(p *BusinessProfile) *string { return &p.IncorporatedDate }, func(p *ProfilePatch) *string { return p.IncorporatedDate }},
	{"incorporated_state", "incorporated_state", kindState, 0, false, "country", func(p *BusinessProfile) *string { return &p.IncorporatedState }, func(p *ProfilePatch) *string { return p.IncorporatedState }},
	{"email", "business_email", kindEmail, 0, true, "", func(p *BusinessProfile) *string { return &p.Email }, func(p *ProfilePatch) *string { return p.Email }},
	{"phone_number", "business_phone_number", kindPhone, 0, true, "", func(p *BusinessProfile) *string { return &p.Phone }, func(p *ProfilePatch) *string { return p.Phone }},
	{"support_email", "support_email", kindEmail, 0, false, "", func(p *BusinessProfile) *string { return &p.SupportEmail }, func(p *ProfilePatch) *string { return p.SupportEmail }},
	{"support_phone_number", "support_phone_number", kindPhone, 0, false, "", func(p *BusinessProfile) *string { return &p.SupportPhone }, func(p *ProfilePatch) *string { return p.SupportPhone }},
	{"business_address", "address_one", kindText, maxAddress, true, "", func(p *BusinessProfile) *string { return &p.AddressOne }, func(p *ProfilePatch) *string { return p.AddressOne }},
	{"business_address_2", "address_two", kindText, maxAddress, false, "", func(p *BusinessProfile) *string { return &p.AddressTwo }, func(p *ProfilePatch) *string { return p.AddressTwo }},
	{"city", "city", kindText, maxName, true, "", func(p *BusinessProfile) *string { return &p.City }, func(p *ProfilePatch) *string { return p.City }},
	{"state", "state", kindState, 0, true, "country", func(p *BusinessProfile) *string { return &p.State }, func(p *ProfilePatch) *string { return p.State }},
	{"country", "country", kindCountry, 0, true, "", func(p *BusinessProfile) *string { return &p.Country }, func(p *ProfilePatch) *string { return p.Country }},
	{"zipcode", "postal_code", kindPostal, 0, true, "", func(p *BusinessProfile) *string { return &p.PostalCode }, func(p *ProfilePatch) *string { return p.PostalCode }},
	{"support_address_one", "support_address_one", kindText, maxAddress, false, "", func(p *BusinessProfile) *string { return &p.SupportAddressOne }, func(p *ProfilePatch) *string { return p.SupportAddressOne }},
	{"support_address_two", "support_address_two", kindText, maxAddress, false, "", func(p *BusinessProfile) *string { return &p.SupportAddressTwo }, func(p *ProfilePatch) *string { return p.SupportAddressTwo }},
	{"support_city", "support_city", kindText, maxName, false, "", func(p *BusinessProfile) *string { return &p.SupportCity }, func(p *ProfilePatch) *string { return p.SupportCity }},
	{"support_state", "support_state", kindState, 0, false, "support_country", func(p *BusinessProfile) *string { return &p.SupportState }, func(p *ProfilePatch) *string { return p.SupportState }},
	{"support_zipcode", "support_zipcode", kindPostal, 0, false, "", func(p *BusinessProfile) *string { return &p.SupportZipcode }, func(p *ProfilePatch) *string { return p.SupportZipcode }},
	{"support_country", "support_country", kindCountry, 0, false, "", func(p *BusinessProfile) *string { return &p.SupportCountry }, func(p *ProfilePatch) *string { return p.SupportCountry }},
	{"business_proof", "business_proof", kindURL, 0, false, "", func(p *BusinessProfile) *string { return &p.BusinessProof }, func(p *ProfilePatch) *string { return p.BusinessProof }},
	{"personal_id", "personal_id", kindURL, 0, false, "", func(p *BusinessProfile) *string { return &p.PersonalID }, func(p *ProfilePatch) *string { return p.PersonalID }},
	{"logo", "logo", kindURL, 0, false, "", func(p *BusinessProfile) *string { return &p.Logo }, func(p *ProfilePatch) *string { return p.Logo }},
	{"business_rep_name", "business_rep_name", kindText, maxName, false, "", func(p *BusinessProfile) *string { return &p.RepName }, func(p *ProfilePatch) *string { return p.RepName }},
	{"business_rep_email", "business_rep_email", kindEmail, 0, false, "", func(p *BusinessProfile) *string { return &p.RepEmail }, func(p *ProfilePatch) *string { return p.RepEmail }},
	{"business_rep_job_title", "business_rep_job_title", kindText, maxName, false, "", func(p *BusinessProfile) *string { return &p.RepJobTitle }, func(p *ProfilePatch) *string { return p.RepJobTitle }},
	{"business_rep_dob", "business_rep_dob", kindBirthDate, 0, false, "", func(p *BusinessProfile) *string { return &p.RepDOB }, func(p *ProfilePatch) *string { return p.RepDOB }},
	{"business_rep_address", "business_rep_address", kindText, maxAddress, false, "", func(p *BusinessProfile) *string { return &p.RepAddress }, func(p *ProfilePatch) *string { return p.RepAddress }},
	{"business_rep_address_2", "business_rep_address_2", kindText, maxAddress, false, "", func(p *BusinessProfile) *string { return &p.RepAddress2 }, func(p *ProfilePatch) *string { return p.RepAddress2 }},
	{"business_rep_zipcode", "business_rep_zipcode", kindPostal, 0, false, "", func(p *BusinessProfile) *string { return &p.RepZipcode }, func(p *ProfilePatch) *string { return p.RepZipcode }},
	{"business_rep_city", "business_rep_city", kindText, maxName, false, "", func(p *BusinessProfile) *string { return &p.RepCity }, func(p *ProfilePatch) *string { return p.RepCity }},
	{"business_rep_state", "business_rep_state", kindState, 0, false, "business_rep_country", func(p *BusinessProfile) *string { return &p.RepState }, func(p *ProfilePatch) *string { return p.RepState }},
	{"business_rep_country", "business_rep_country", kindCountry, 0, false, "", func(p *BusinessProfile) *string { return &p.RepCountry }, func(p *ProfilePatch) *string { return p.RepCountry }},
	{"business_rep_phone", "business_rep_phone", kindPhone, 0, false, "", func(p *BusinessProfile) *string { return &p.RepPhone }, func(p *ProfilePatch) *string { return p.RepPhone }},
}

// ProfileColumns are the stored names of the profile's fields, in the order
// ProfileValues returns them: the store's column list.
func ProfileColumns() []string {
	out := make([]string, len(profileFields))
	for i, d := range profileFields {
		out[i] = d.key
	}
	return out
}

// ProfileValues returns pointers to p's fields in ProfileColumns order, for
// the store to scan into and write from.
func ProfileValues(p *BusinessProfile) []*string {
	out := make([]*string, len(profileFields))
	for i, d := range profileFields {
		out[i] = d.get(p)
	}
	return out
}

// normalize trims every field and puts the EIN and business type in their
// answered forms when they are well-formed (validate reports them when not).
func (p *BusinessProfile) normalize() {
	for _, d := range profileFields {
		v := d.get(p)
		*v = normText(*v)
	}
	if e, ok := NormalizeEIN(p.EIN); ok {
		p.EIN = e
	}
	if t, ok := ParseBusinessType(p.BusinessType); ok {
		p.BusinessType = string(t)
	}
}

// byKey finds a profile field by its stored name.
func byKey(key string) *profileField {
	for i := range profileFields {
		if profileFields[i].key == key {
			return &profileFields[i]
		}
	}
	return nil
}

// validate applies every field's rule, naming failures by request field.
// Required fields must be non-empty; optional ones are checked when set.
func (p *BusinessProfile) validate(f fieldErrors, now time.Time) {
	for _, d := range profileFields {
		v := *d.get(p)
		if v == "" {
			if d.required {
				f.add(d.req, "is required")
			}
			continue
		}
		switch d.kind {
		case kindText:
			checkText(f, d.req, v, d.max)
		case kindEmail:
			checkEmail(f, d.req, v)
		case kindPhone:
			checkPhone(f, d.req, v)
		case kindState:
			checkState(f, d.req, v, *byKey(d.country).get(p))
		case kindCountry:
			checkCountry(f, d.req, v)
		case kindPostal:
			checkPostal(f, d.req, v)
		case kindBirthDate:
			checkPastDate(f, d.req, v, now, minBirthYear)
		case kindPastDate:
			checkPastDate(f, d.req, v, now, minIncorporationYear)
		case kindURL:
			checkHTTPSURL(f, d.req, v)
		case kindEIN:
			if e, ok := NormalizeEIN(v); !ok {
				f.add(d.req, "must be 9 digits, as NN-NNNNNNN or NNNNNNNNN")
			} else if !issuedEINPrefix(e[:2]) {
				f.add(d.req, "is not an EIN that is ever issued (prefix "+e[:2]+" is not one the IRS assigns)")
			}
		case kindBusinessType:
			if _, ok := ParseBusinessType(v); !ok {
				f.add(d.req, "must be one of llc, corporation, s_corporation, partnership, sole_proprietorship, non_profit")
			}
		case kindNAICS:
			if len(v) != 6 || !allDigits(v) {
				f.add(d.req, "must be a 6-digit NAICS code")
			}
		}
	}
}

// diffProfiles records in c every field that differs between a and b, by
// stored name.
func diffProfiles(c Changes, a, b *BusinessProfile) {
	for _, d := range profileFields {
		if from, to := *d.get(a), *d.get(b); from != to {
			c[d.key] = Change{From: from, To: to}
		}
	}
}
