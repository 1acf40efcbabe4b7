package banking

import (
	"strings"
	"time"
)

// BusinessType is a business's legal form (businesses.md section 1),
// answered lowercase.
type BusinessType string

// The legal forms a business may have.
const (
	TypeLLC                BusinessType = "llc"
	TypeCorporation        BusinessType = "corporation"
	TypeSCorporation       BusinessType = "s_corporation"
	TypePartnership        BusinessType = "partnership"
	TypeSoleProprietorship BusinessType = "sole_proprietorship"
	TypeNonProfit          BusinessType = "non_profit"
)

// ParseBusinessType reads a business_type as requests may spell it: any
// letter case, spaces and hyphens for underscores, and the short forms
// "S-Corp" and "Nonprofit" (businesses.md section 1).
func ParseBusinessType(s string) (BusinessType, bool) {
	n := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s)))
	switch n {
	case "s_corp":
		n = string(TypeSCorporation)
	case "nonprofit":
		n = string(TypeNonProfit)
	}
	switch t := BusinessType(n); t {
	case TypeLLC, TypeCorporation, TypeSCorporation, TypePartnership, TypeSoleProprietorship, TypeNonProfit:
		return t, true
	}
	return "", false
}

// NormalizeEIN reads an EIN sent as nine digits, with or without the dash
// after the second, and returns it as NN-NNNNNNN (businesses.md section 1).
func NormalizeEIN(v string) (string, bool) {
	d := v
	if len(v) == 10 && v[2] == '-' {
		d = v[:2] + v[3:]
	}
	if len(d) != 9 || !allDigits(d) {
		return "", false
	}
	return d[:2] + "-" + d[2:], true
}

// issuedEINPrefix reports whether the IRS assigns EINs with this two-digit
// prefix (IRS, "How EINs are assigned and valid EIN prefixes"): 00, 07-09,
// 17-19, 28, 29, 49, 69, 70, 78, 79, 89, 96 and 97 are never used, so an EIN
// with one cannot be any business's, as a never-issued SSN cannot be
// anyone's (issue 17: "fix the whole kind").
func issuedEINPrefix(p string) bool {
	switch p {
	case "00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70", "78", "79", "89", "96", "97":
		return false
	}
	return true
}

// Business is a business a user of a program owns (businesses.md). Its
// profile holds every field a program may send; the answer shows those of
// section 1 only.
type Business struct {
	ID        BusinessID
	ProgramID ProgramID
	// UserID is the owning user.
	UserID UserID
	BusinessProfile
	MetaData []MetaData
	Status   Status
	// KYBStatus follows the KYC statuses: not_started → pending →
	// verified | rejected.
	KYBStatus KYCStatus
	// KYBReason is the provider's reason code for the last decision.
	KYBReason string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// identityLocked reports whether the fields KYB verifies are frozen: once a
// provider has them (pending) or approved them (verified), changing them would
// make the verification describe another business.
func (b *Business) identityLocked() bool {
	return b.KYBStatus == KYCPending || b.KYBStatus == KYCVerified
}

// Block moves an active business to blocked.
func (b *Business) Block(now time.Time) (Changes, error) {
	if b.Status == StatusBlocked {
		return nil, Errorf(CodeConflict, "business is already blocked")
	}
	return b.setStatus(StatusBlocked, now), nil
}

// Unblock moves a blocked business back to active.
func (b *Business) Unblock(now time.Time) (Changes, error) {
	if b.Status != StatusBlocked {
		return nil, Errorf(CodeConflict, "business is not blocked")
	}
	return b.setStatus(StatusActive, now), nil
}

func (b *Business) setStatus(s Status, now time.Time) Changes {
	c := Changes{"status": {From: string(b.Status), To: string(s)}}
	b.Status = s
	b.UpdatedAt = now.UTC().Truncate(time.Millisecond)
	return c
}

// SearchText is what business/get-all's search matches: id, name, dba,
// EIN (with and without its dash) and business_email, lowercased and
// joined by a separator no query can span.
func (b *Business) SearchText() string {
	return strings.ToLower(strings.Join([]string{string(b.ID), b.Name, b.DBA, b.EIN,
		strings.ReplaceAll(b.EIN, "-", ""), b.Email}, "\x1f"))
}

// NewBusinessInput is what a program sends to create a business. Its
// profile uses the create call's names (Name is business_name, Email is
// email, Phone is phone_number); the aliases a request may also send are
// kept apart so that disagreeing pairs can be refused.
type NewBusinessInput struct {
	BusinessProfile
	// NameAlias is "name", BusinessEmail "business_email", BusinessPhone
	// "business_phone": each may stand in for its pair, and must equal it
	// when both are sent.
	NameAlias, BusinessEmail, BusinessPhone string
	MetaData                                []MetaData
}

// NewBusiness validates in and builds an active business, KYB not started,
// owned by user uid.
func NewBusiness(pid ProgramID, uid UserID, in NewBusinessInput, now time.Time) (Business, error) {
	p := in.BusinessProfile
	f := fieldErrors{}
	p.Name = alias(f, "name", p.Name, in.NameAlias, "business_name")
	p.Email = alias(f, "business_email", p.Email, in.BusinessEmail, "email")
	p.Phone = alias(f, "business_phone", p.Phone, in.BusinessPhone, "phone_number")
	p.normalize()
	p.validate(f, now)
	checkMeta(f, in.MetaData)
	if err := f.err(); err != nil {
		return Business{}, err
	}
	now = now.UTC().Truncate(time.Millisecond)
	b := Business{
		ID: NewID[BusinessID](now), ProgramID: pid, UserID: uid, BusinessProfile: p,
		MetaData: cloneMeta(in.MetaData), Status: StatusActive, KYBStatus: KYCNotStarted,
		CreatedAt: now, UpdatedAt: now,
	}
	return b, nil
}

// alias merges a field with its alias: either may be sent, and both sent
// must agree (businesses.md section 1: "both equal if both sent"). A
// disagreement is reported on the alias.
func alias(f fieldErrors, aliasName, v, a, name string) string {
	v, a = normText(v), normText(a)
	switch {
	case a == "":
		return v
	case v == "":
		return a
	case v != a && !(name == "email" && NormalizeEmail(v) == NormalizeEmail(a)):
		// Emails are equal case-insensitively, as everywhere else.
		f.add(aliasName, "must equal "+name+" when both are sent")
	}
	return v
}

func cloneMeta(md []MetaData) []MetaData {
	out := make([]MetaData, len(md))
	copy(out, md)
	return out
}

// BusinessCreatedChanges lists the fields a new business was created with,
// for its business.created event.
func BusinessCreatedChanges(b *Business) Changes {
	c := Changes{"user_id": {From: "", To: string(b.UserID)}}
	diffProfiles(c, &BusinessProfile{}, &b.BusinessProfile)
	if len(b.MetaData) > 0 {
		c["meta_data"] = Change{From: []MetaData{}, To: b.MetaData}
	}
	c["status"] = Change{From: "", To: string(b.Status)}
	c["kyb_status"] = Change{From: "", To: string(b.KYBStatus)}
	return c
}

// BusinessPatch is a partial update of a business: nil leaves a field as it
// is. Its profile fields use the update call's names.
type BusinessPatch struct {
	ProfilePatch
	// NameAlias, BusinessEmail and BusinessPhone are the aliases of
	// business_name, email and phone_number, as on create.
	NameAlias, BusinessEmail, BusinessPhone *string
	MetaData                                *[]MetaData
}

// ApplyBusinessPatch validates p against b and applies it. It returns what
// changed (empty when nothing did). Once KYB is pending or verified, the
// name, EIN, business type and incorporation date cannot change (409);
// re-sending their current values is not a change.
func ApplyBusinessPatch(b *Business, p BusinessPatch, now time.Time) (Changes, error) {
	np := b.BusinessProfile
	f := fieldErrors{}
	for _, d := range profileFields {
		if v := d.patch(&p.ProfilePatch); v != nil {
			*d.get(&np) = normText(*v)
		}
	}
	merge := func(aliasName string, v, a *string, name string, dst *string) {
		switch {
		case a == nil:
		case v == nil:
			*dst = normText(*a)
		default:
			*dst = alias(f, aliasName, *v, *a, name)
		}
	}
	merge("name", p.Name, p.NameAlias, "business_name", &np.Name)
	merge("business_email", p.Email, p.BusinessEmail, "email", &np.Email)
	merge("business_phone", p.Phone, p.BusinessPhone, "phone_number", &np.Phone)
	np.normalize()
	np.validate(f, now)
	if p.MetaData != nil {
		checkMeta(f, *p.MetaData)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	c := Changes{}
	diffProfiles(c, &b.BusinessProfile, &np)
	if p.MetaData != nil && !metaEqual(*p.MetaData, b.MetaData) {
		c["meta_data"] = Change{From: b.MetaData, To: *p.MetaData}
	}
	if b.identityLocked() {
		var locked []string
		for _, k := range []string{"name", "ein", "business_type", "incorporated_date"} {
			if _, ok := c[k]; ok {
				locked = append(locked, k)
			}
		}
		if len(locked) > 0 {
			return nil, Errorf(CodeConflict, "identity fields cannot change once kyb_status is %s: %s",
				b.KYBStatus, strings.Join(locked, ", "))
		}
	}
	if len(c) == 0 {
		return c, nil
	}
	b.BusinessProfile = np
	if p.MetaData != nil {
		b.MetaData = cloneMeta(*p.MetaData)
	}
	b.UpdatedAt = now.UTC().Truncate(time.Millisecond)
	return c, nil
}

func metaEqual(a, b []MetaData) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// NewBusinessEvent builds an event about a business: the business, its
// owners and their documents all share the business's trail.
func NewBusinessEvent(b *Business, typ EventType, actor, reason string, ch Changes, now time.Time) Event {
	return Event{
		ID: NewEventID(now), ProgramID: b.ProgramID, SubjectID: string(b.ID), Type: typ,
		Actor: actor, Reason: reason, Changes: ch, CreatedAt: now,
	}
}

// BusinessFilter selects and orders a page of businesses (business/get-all).
type BusinessFilter struct {
	UserID    UserID // "" for every user's
	Search    string // case-insensitive substring of id, name, dba, ein, business_email
	Status    Status
	KYBStatus KYCStatus
	Ascending bool
	Page      int
	PerPage   int
}

// CheckBusinessFilter validates the filters of business/get-all, as
// CheckUserFilter does user/get-all's.
func CheckBusinessFilter(bf *BusinessFilter, sort string) error {
	uf := UserFilter{Search: bf.Search, Status: bf.Status, KYCStatus: bf.KYBStatus}
	err := CheckUserFilter(&uf, sort)
	bf.Ascending = uf.Ascending
	if e, ok := err.(*Error); ok {
		if msg, bad := e.Fields["kyc_status"]; bad {
			delete(e.Fields, "kyc_status")
			e.Fields["kyb_status"] = msg
		}
	}
	return err
}
