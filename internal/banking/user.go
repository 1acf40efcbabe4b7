package banking

import (
	"bytes"
	"golang.org/x/text/unicode/norm"
	"strings"
	"time"
)

// Status is whether a user may act: active or blocked.
type Status string

// User statuses.
const (
	StatusActive  Status = "active"
	StatusBlocked Status = "blocked"
)

// KYCStatus is where a user is in identity verification.
type KYCStatus string

// KYC statuses: not_started → pending → verified | rejected.
const (
	KYCNotStarted KYCStatus = "not_started"
	KYCPending    KYCStatus = "pending"
	KYCVerified   KYCStatus = "verified"
	KYCRejected   KYCStatus = "rejected"
)

// MetaData is one free-form name/value pair a program keeps with a user.
type MetaData struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// User is an end customer of a program. The full SSN is held only sealed
// (encrypted by the service layer); the domain never sees it in clear text
// except while validating input.
type User struct {
	ID            UserID
	ProgramID     ProgramID
	FirstName     string
	MiddleName    string
	LastName      string
	Email         string
	PhoneNumber   string
	DateOfBirth   string
	AddressOne    string
	AddressTwo    string
	City          string
	State         string
	Country       string
	PostalCode    string
	SSNLast4      string
	SSNSealed     []byte
	Username      string
	TermsAccepted bool
	MetaData      []MetaData
	Status        Status
	KYCStatus     KYCStatus
	// KYCReason is the provider's reason code for the last decision.
	KYCReason string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// HasSSN reports whether an SSN is on file.
func (u *User) HasSSN() bool { return len(u.SSNSealed) > 0 }

// identityLocked reports whether the verified identity fields are frozen:
// once a provider has them (pending) or approved them (verified), changing them
// would make the verification describe someone else.
func (u *User) identityLocked() bool {
	return u.KYCStatus == KYCPending || u.KYCStatus == KYCVerified
}

// Block moves an active user to blocked.
func (u *User) Block(now time.Time) (Changes, error) {
	if u.Status == StatusBlocked {
		return nil, Errorf(CodeConflict, "user is already blocked")
	}
	return u.setStatus(StatusBlocked, now), nil
}

// Unblock moves a blocked user back to active.
func (u *User) Unblock(now time.Time) (Changes, error) {
	if u.Status != StatusBlocked {
		return nil, Errorf(CodeConflict, "user is not blocked")
	}
	return u.setStatus(StatusActive, now), nil
}

func (u *User) setStatus(s Status, now time.Time) Changes {
	c := Changes{"status": {From: string(u.Status), To: string(s)}}
	u.Status = s
	u.UpdatedAt = now
	return c
}

// SubmitKYC moves a user into verification. Missing identity data is a
// validation error (the client must add it); a wrong state is a conflict.
func (u *User) SubmitKYC(now time.Time) (Changes, error) {
	if u.Status == StatusBlocked {
		return nil, Errorf(CodeBlocked, "user is blocked")
	}
	if u.KYCStatus != KYCNotStarted && u.KYCStatus != KYCRejected {
		return nil, Errorf(CodeConflict, "user kyc_status is %s", u.KYCStatus)
	}
	missing := fieldErrors{}
	if u.DateOfBirth == "" {
		missing.add("date_of_birth", "is required for verification")
	}
	if !u.HasSSN() {
		missing.add("ssn", "is required for verification")
	}
	if err := missing.err(); err != nil {
		return nil, err
	}
	c := Changes{"kyc_status": {From: string(u.KYCStatus), To: string(KYCPending)}}
	u.KYCStatus = KYCPending
	u.KYCReason = ""
	u.UpdatedAt = now
	return c, nil
}

// ResolveKYC applies a provider's decision to a pending user. It is a conflict
// when the user is no longer pending, so a decision delivered twice (two
// processes resuming the same check) applies once.
func (u *User) ResolveKYC(to KYCStatus, reason string, now time.Time) (Changes, error) {
	if u.KYCStatus != KYCPending {
		return nil, Errorf(CodeConflict, "user kyc_status is %s", u.KYCStatus)
	}
	if to != KYCVerified && to != KYCRejected {
		return nil, Errorf(CodeInvalid, "kyc decision %q is not final", to)
	}
	c := Changes{"kyc_status": {From: string(u.KYCStatus), To: string(to)}}
	u.KYCStatus = to
	u.KYCReason = reason
	u.UpdatedAt = now
	return c, nil
}

// SameIdentity reports whether u and o carry the same identity data, the
// data a KYC decision is about. A decision made for one submission must not
// land on a later one whose identity changed (a rejected user who fixed the
// SSN and resubmitted).
func (u *User) SameIdentity(o *User) bool {
	return u.FirstName == o.FirstName && u.LastName == o.LastName &&
		u.DateOfBirth == o.DateOfBirth && bytes.Equal(u.SSNSealed, o.SSNSealed)
}

// SearchText is what user/get-all's search matches against: the searchable
// fields lowercased and joined by a separator no query can span, so a substring
// match never straddles two fields.
func (u *User) SearchText() string {
	return strings.ToLower(strings.Join([]string{string(u.ID), u.FirstName, u.MiddleName,
		u.LastName, u.Email, u.PhoneNumber}, "\x1f"))
}

// NormalizeEmail is the form emails are compared in: uniqueness and the email
// filter are case-insensitive, and the same in either Unicode normal form.
func NormalizeEmail(e string) string { return strings.ToLower(normText(e)) }

// SearchTerm is the form a search is matched in against SearchText: NFC and
// lowercase, as the stored text is, so a term typed in the other normal form
// still matches (issue 17).
func SearchTerm(s string) string { return strings.ToLower(norm.NFC.String(s)) }
