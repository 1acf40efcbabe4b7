package banking

import "time"

// ContactType is whether a business's contact is one of its customers or
// one of its vendors (businesses.md section 6).
type ContactType string

// Contact types.
const (
	ContactCustomers ContactType = "customers"
	ContactVendors   ContactType = "vendors"
)

// Contact links a user to a business as its customer or vendor. It is
// created with the user (user/create with business_id), in one transaction.
// Its names, email and phone are the user's and its business_name the
// business's, read when the contact is.
type Contact struct {
	ID         ContactID
	ProgramID  ProgramID
	BusinessID BusinessID
	// UserID is the contact's own user.
	UserID UserID
	Type   ContactType
	// FirstName, LastName, Email and PhoneNumber are the user's;
	// BusinessName is the business's legal name.
	FirstName, LastName, BusinessName string
	Email, PhoneNumber                string
	CreatedAt                         time.Time
}

// contactType decides a new user's contact type from is_vendor and its
// alias vendor: both sent must agree, and either set true needs a
// business_id. It reports the field to blame.
func contactType(f fieldErrors, businessID string, isVendor, vendor *bool) ContactType {
	v, field := false, ""
	switch {
	case isVendor != nil && vendor != nil && *isVendor != *vendor:
		f.add("vendor", "must equal is_vendor when both are sent")
		return ""
	case isVendor != nil:
		v, field = *isVendor, "is_vendor"
	case vendor != nil:
		v, field = *vendor, "vendor"
	}
	if v && businessID == "" {
		f.add(field, "needs a business_id: only a business's contact can be a vendor")
		return ""
	}
	if businessID == "" {
		return ""
	}
	if v {
		return ContactVendors
	}
	return ContactCustomers
}

// ParseContactType reads the type filter of business/customers/get-all: ""
// means both.
func ParseContactType(s string) (ContactType, error) {
	switch t := ContactType(s); t {
	case "", ContactCustomers, ContactVendors:
		return t, nil
	}
	return "", Invalid("type", "must be customers or vendors")
}

// NewContact builds the contact a new user u becomes of business b.
func NewContact(u *User, b BusinessID, t ContactType) Contact {
	return Contact{ID: NewID[ContactID](u.CreatedAt), ProgramID: u.ProgramID, BusinessID: b,
		UserID: u.ID, Type: t, FirstName: u.FirstName, LastName: u.LastName,
		Email: u.Email, PhoneNumber: u.PhoneNumber, CreatedAt: u.CreatedAt}
}

// ContactChanges adds to a user.created event's changes the business the
// user became a contact of, and as what.
func ContactChanges(c Changes, ct *Contact) {
	c["business_id"] = Change{From: "", To: string(ct.BusinessID)}
	c["contact_type"] = Change{From: "", To: string(ct.Type)}
}
