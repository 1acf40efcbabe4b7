package service

import (
	"context"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// AddOwner validates and adds a beneficial owner (or control person) to a
// business, its SSN sealed like a user's. It answers the new owner.
func (s *Service) AddOwner(ctx context.Context, c Caller, rawUser, rawBusiness string, in banking.NewOwnerInput) (banking.Owner, error) {
	now := s.nowFor(c.ProgramID)
	o, ssn, err := banking.NewOwner(c.ProgramID, banking.BusinessID(rawBusiness), in, now)
	var missing error
	if e := required("user_id", rawUser, "business_id", rawBusiness); e != nil {
		missing = e
	}
	if err := joinInvalid(missing, err); err != nil {
		return banking.Owner{}, err
	}
	uid, bid, err := businessRef(rawUser, rawBusiness)
	if err != nil {
		return banking.Owner{}, err
	}
	if ssn != "" {
		o.SSNSealed = s.sealer.Seal([]byte(ssn), ssnAAD(o.ID))
	}
	w := store.BusinessWork(c.ProgramID, uid, bid, store.BusinessNeeds{Owners: true}, func(_ *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
		ch, err := f.AddOwner(o)
		if err != nil {
			return nil, nil, err
		}
		return o, []banking.Event{banking.NewBusinessEvent(&f.Business, banking.EventOwnerAdded, c.actor(), "", ch, now)}, nil
	})
	w.Idem = c.finish()
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.Owner{}, err
	}
	return v.(banking.Owner), nil
}

// Owners lists a business's owners, oldest first.
func (s *Service) Owners(ctx context.Context, c Caller, rawUser, rawBusiness string, page, perPage int) ([]banking.Owner, int, error) {
	uid, bid, err := businessRef(rawUser, rawBusiness)
	if err != nil {
		return nil, 0, err
	}
	return s.store.Owners(ctx, c.ProgramID, uid, bid, page, perPage)
}

// errNoOwner is the answer for an owner that is not the named business's.
var errNoOwner = banking.Errorf(banking.CodeNotFound, "business owner not found")

// ownerRef reads the three ids a document call names.
func ownerRef(rawUser, rawBusiness, rawOwner string) (banking.UserID, banking.BusinessID, banking.OwnerID, error) {
	if err := required("user_id", rawUser, "business_id", rawBusiness, "business_owner_id", rawOwner); err != nil {
		return "", "", "", err
	}
	uid, bid, err := businessRef(rawUser, rawBusiness)
	if err != nil {
		return "", "", "", err
	}
	oid, ok := banking.ParseID[banking.OwnerID](rawOwner)
	if !ok {
		return "", "", "", errNoOwner
	}
	return uid, bid, oid, nil
}

// AddDocument adds a pending document to one of a business's owners. It
// answers the new document.
func (s *Service) AddDocument(ctx context.Context, c Caller, rawUser, rawBusiness, rawOwner string, in banking.NewDocumentInput) (banking.Document, error) {
	now := s.nowFor(c.ProgramID)
	d, err := banking.NewDocument(c.ProgramID, banking.BusinessID(rawBusiness), banking.OwnerID(rawOwner), in, now)
	var missing error
	if e := required("user_id", rawUser, "business_id", rawBusiness, "business_owner_id", rawOwner); e != nil {
		missing = e
	}
	if err := joinInvalid(missing, err); err != nil {
		return banking.Document{}, err
	}
	uid, bid, _, err := ownerRef(rawUser, rawBusiness, rawOwner)
	if err != nil {
		return banking.Document{}, err
	}
	w := store.BusinessWork(c.ProgramID, uid, bid, store.BusinessNeeds{Owners: true}, func(_ *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
		ch, err := f.AddDocument(d)
		if err != nil {
			return nil, nil, err
		}
		return d, []banking.Event{banking.NewBusinessEvent(&f.Business, banking.EventBusinessDocumentAdded, c.actor(), "", ch, now)}, nil
	})
	w.Idem = c.finish()
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.Document{}, err
	}
	return v.(banking.Document), nil
}

// Documents lists one owner's documents, oldest first.
func (s *Service) Documents(ctx context.Context, c Caller, rawUser, rawBusiness, rawOwner string, page, perPage int) ([]banking.Document, int, error) {
	uid, bid, oid, err := ownerRef(rawUser, rawBusiness, rawOwner)
	if err != nil {
		return nil, 0, err
	}
	return s.store.Documents(ctx, c.ProgramID, uid, bid, oid, page, perPage)
}

// Contacts lists a business's contacts of one type ("" for both), newest
// first.
func (s *Service) Contacts(ctx context.Context, c Caller, rawUser, rawBusiness string, t banking.ContactType, page, perPage int) ([]banking.Contact, int, error) {
	uid, bid, err := businessRef(rawUser, rawBusiness)
	if err != nil {
		return nil, 0, err
	}
	return s.store.Contacts(ctx, c.ProgramID, uid, bid, t, page, perPage)
}
