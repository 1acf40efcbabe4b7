package banking

import (
	"bytes"
	"time"
)

// Event types of a business's audit trail (businesses.md section 2,
// /business/events). Owner and document events are the business's too.
const (
	EventBusinessCreated       EventType = "business.created"
	EventBusinessUpdated       EventType = "business.updated"
	EventBusinessBlocked       EventType = "business.blocked"
	EventBusinessUnblocked     EventType = "business.unblocked"
	EventKYBSubmitted          EventType = "business.kyb.submitted"
	EventKYBVerified           EventType = "business.kyb.verified"
	EventKYBRejected           EventType = "business.kyb.rejected"
	EventOwnerAdded            EventType = "business.owner.added"
	EventOwnerKYCVerified      EventType = "business.owner.kyc.verified"
	EventOwnerKYCRejected      EventType = "business.owner.kyc.rejected"
	EventBusinessDocumentAdded EventType = "business.document.added"
)

// BusinessFile is a business with what its rules read: its owning user and
// its owners, oldest first (and their documents when a decision needs
// them). Its methods are the business's transitions; each changes the file
// in place and returns what changed, for the caller to record.
type BusinessFile struct {
	Business  Business
	User      User
	Owners    []Owner
	Documents []Document
}

// AddOwner adds o to the business. An owner cannot be added once KYB is
// pending or verified, beyond MaxOwners, or when the owners' shares would
// add up to more than 100 % (409 each, businesses.md section 3).
func (f *BusinessFile) AddOwner(o Owner) (Changes, error) {
	b := &f.Business
	if b.identityLocked() {
		return nil, Errorf(CodeConflict, "owners cannot be added once kyb_status is %s", b.KYBStatus)
	}
	if len(f.Owners) >= MaxOwners {
		return nil, Errorf(CodeConflict, "a business has at most %d owners", MaxOwners)
	}
	total := o.Ownership
	for i := range f.Owners {
		total += f.Owners[i].Ownership
	}
	if total > fullOwnership {
		return nil, Errorf(CodeConflict, "the owners' ownership_percent would add up to %s, more than 100", formatPercent(total))
	}
	f.Owners = append(f.Owners, o)
	return ownerAddedChanges(&o), nil
}

// Owner finds one of the business's owners; another business's owner is
// not found.
func (f *BusinessFile) Owner(id OwnerID) (*Owner, error) {
	for i := range f.Owners {
		if f.Owners[i].ID == id {
			return &f.Owners[i], nil
		}
	}
	return nil, Errorf(CodeNotFound, "business owner not found")
}

// AddDocument adds d to its owner, who must be one of the business's.
func (f *BusinessFile) AddDocument(d Document) (Changes, error) {
	if _, err := f.Owner(d.OwnerID); err != nil {
		return nil, err
	}
	f.Documents = append(f.Documents, d)
	c := Changes{}
	for _, kv := range []struct{ k, v string }{
		{"business_owner_id", string(d.OwnerID)}, {"document_type", string(d.Type)},
		{"file_url", d.FileURL}, {"status", string(d.Status)},
	} {
		c[documentKey(d.ID, kv.k)] = Change{From: "", To: kv.v}
	}
	return c, nil
}

// SubmitKYB sends the business to verification, with the preconditions of
// businesses.md section 5 checked in its order: the business and its owning
// user active (409 blocked); kyb_status not_started or rejected (409
// conflict); the owning user KYC verified (409 not_verified); at least one
// owner (409 conflict); every owner with a date of birth and an SSN (400
// naming owners[i].date_of_birth and owners[i].ssn, i counting from 0,
// oldest first). Every owner's kyc_status becomes pending with the
// business's.
func (f *BusinessFile) SubmitKYB(now time.Time) (Changes, error) {
	b := &f.Business
	switch {
	case b.Status == StatusBlocked:
		return nil, Errorf(CodeBlocked, "business is blocked")
	case f.User.Status == StatusBlocked:
		return nil, Errorf(CodeBlocked, "the business's owning user is blocked")
	case b.KYBStatus != KYCNotStarted && b.KYBStatus != KYCRejected:
		return nil, Errorf(CodeConflict, "business kyb_status is %s", b.KYBStatus)
	case f.User.KYCStatus != KYCVerified:
		return nil, Errorf(CodeNotVerified, "the business's owning user has not passed KYC (kyc_status %s)", f.User.KYCStatus)
	case len(f.Owners) == 0:
		return nil, Errorf(CodeConflict, "the business has no owners: add its beneficial owners first")
	}
	missing := fieldErrors{}
	for i := range f.Owners {
		p := "owners[" + itoa(i) + "]."
		if f.Owners[i].DateOfBirth == "" {
			missing.add(p+"date_of_birth", "is required for verification")
		}
		if !f.Owners[i].HasSSN() {
			missing.add(p+"ssn", "is required for verification")
		}
	}
	if err := missing.err(); err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Millisecond)
	c := Changes{"kyb_status": {From: string(b.KYBStatus), To: string(KYCPending)}}
	b.KYBStatus, b.KYBReason, b.UpdatedAt = KYCPending, "", now
	for i := range f.Owners {
		o := &f.Owners[i]
		c[ownerKey(o.ID, "kyc_status")] = Change{From: string(o.KYCStatus), To: string(KYCPending)}
		o.KYCStatus, o.KYCReason, o.UpdatedAt = KYCPending, "", now
	}
	return c, nil
}

// KYBDecision is a provider's final decision about a business and, by id,
// its owners. An owner it does not name follows the business.
type KYBDecision struct {
	Outcome KYCStatus // verified or rejected
	Reason  string
	Owners  map[OwnerID]OwnerDecision
}

// OwnerDecision is a decision about one owner's identity.
type OwnerDecision struct {
	Outcome KYCStatus // verified or rejected
	Reason  string
}

// OwnerResolved is one owner's part of a KYB decision, for its event.
type OwnerResolved struct {
	Owner   *Owner
	Reason  string
	Changes Changes
}

// ResolveKYB applies a final decision to a pending business: its owners
// take their decisions, and every document of the business follows the
// business (approved when verified, rejected when rejected; businesses.md
// section 5). It returns the business's changes (kyb_status and the
// documents') and each owner's. It is a conflict when the business is no
// longer pending, so a decision delivered twice applies once.
func (f *BusinessFile) ResolveKYB(d KYBDecision, now time.Time) (Changes, []OwnerResolved, error) {
	b := &f.Business
	if b.KYBStatus != KYCPending {
		return nil, nil, Errorf(CodeConflict, "business kyb_status is %s", b.KYBStatus)
	}
	if d.Outcome != KYCVerified && d.Outcome != KYCRejected {
		return nil, nil, Errorf(CodeInvalid, "kyb decision %q is not final", d.Outcome)
	}
	now = now.UTC().Truncate(time.Millisecond)
	var owners []OwnerResolved
	for i := range f.Owners {
		o := &f.Owners[i]
		od, ok := d.Owners[o.ID]
		if !ok || (od.Outcome != KYCVerified && od.Outcome != KYCRejected) {
			od = OwnerDecision{Outcome: d.Outcome}
		}
		if o.KYCStatus == od.Outcome && o.KYCReason == od.Reason {
			continue
		}
		ch := Changes{ownerKey(o.ID, "kyc_status"): {From: string(o.KYCStatus), To: string(od.Outcome)}}
		o.KYCStatus, o.KYCReason, o.UpdatedAt = od.Outcome, od.Reason, now
		owners = append(owners, OwnerResolved{Owner: o, Reason: od.Reason, Changes: ch})
	}
	c := Changes{"kyb_status": {From: string(b.KYBStatus), To: string(d.Outcome)}}
	b.KYBStatus, b.KYBReason, b.UpdatedAt = d.Outcome, d.Reason, now
	status := DocApproved
	if d.Outcome == KYCRejected {
		status = DocRejected
	}
	for i := range f.Documents {
		doc := &f.Documents[i]
		if doc.Status == status {
			continue
		}
		c[documentKey(doc.ID, "status")] = Change{From: string(doc.Status), To: string(status)}
		doc.Status, doc.UpdatedAt = status, now
	}
	return c, owners, nil
}

// SameKYBSubject reports whether f and o hold the same KYB submission: the
// business's name, EIN and type, and its owners' identities (id, names, date
// of birth, sealed SSN) in the same order. A decision made about one must not
// land on another (a rejected business whose EIN was corrected and
// resubmitted while the old check was still deciding).
func (f *BusinessFile) SameKYBSubject(o *BusinessFile) bool {
	a, b := &f.Business, &o.Business
	if a.ID != b.ID || a.Name != b.Name || a.EIN != b.EIN || a.BusinessType != b.BusinessType ||
		len(f.Owners) != len(o.Owners) {
		return false
	}
	for i := range f.Owners {
		x, y := &f.Owners[i], &o.Owners[i]
		if x.ID != y.ID || x.FirstName != y.FirstName || x.LastName != y.LastName ||
			x.DateOfBirth != y.DateOfBirth || !bytes.Equal(x.SSNSealed, y.SSNSealed) {
			return false
		}
	}
	return true
}
