package httpapi

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// wireOwner is the owner object of businesses.md section 3.
func wireOwner(o *banking.Owner) apitype.Owner {
	return apitype.Owner{
		ID: string(o.ID), BusinessID: string(o.BusinessID), FirstName: o.FirstName,
		LastName: o.LastName, Email: o.Email, PhoneNumber: o.PhoneNumber,
		DateOfBirth: o.DateOfBirth, OwnershipPercent: o.Percent(), KYCStatus: string(o.KYCStatus),
		CreatedAt: o.CreatedAt.UTC().Format(apitype.TimeFormat),
		UpdatedAt: o.UpdatedAt.UTC().Format(apitype.TimeFormat),
	}
}

// ownerPage is the answer of add-business-owner.
func ownerPage(o banking.Owner) any { return apitype.One(wireOwner(&o)) }

// wireDocument is the document object of businesses.md section 4.
func wireDocument(d *banking.Document) apitype.Document {
	return apitype.Document{ID: string(d.ID), DocumentType: string(d.Type), FileURL: d.FileURL,
		Status: string(d.Status), CreatedAt: d.CreatedAt.UTC().Format(apitype.TimeFormat)}
}

// documentPage is the answer of add-business-owner-document.
func documentPage(d banking.Document) any { return apitype.One(wireDocument(&d)) }

// wireContact is the contact object of businesses.md section 6.
func wireContact(c *banking.Contact) apitype.Contact {
	return apitype.Contact{ID: string(c.ID), ContactType: string(c.Type), FirstName: c.FirstName,
		LastName: c.LastName, BusinessName: c.BusinessName, Email: c.Email,
		PhoneNumber: c.PhoneNumber, UserID: string(c.UserID),
		CreatedAt: c.CreatedAt.UTC().Format(apitype.TimeFormat)}
}

func (h *handler) addOwner(ctx context.Context, c service.Caller, r *apitype.AddOwnerRequest) (banking.Owner, error) {
	return h.svc.AddOwner(ctx, c, r.UserID, r.BusinessID, ownerInput(r))
}

// ownerInput is an add-business-owner body as the service takes it.
func ownerInput(r *apitype.AddOwnerRequest) banking.NewOwnerInput {
	return banking.NewOwnerInput{
		Name: r.Name, FirstName: r.FirstName, LastName: r.LastName, Email: r.Email,
		PhoneNumber: r.PhoneNumber, Address: r.Address, DateOfBirth: r.DateOfBirth, SSN: r.SSN,
		Ownership: (*string)(r.OwnershipPercent),
	}
}

func (h *handler) listOwners(ctx context.Context, c service.Caller, r *apitype.BusinessPageRequest) (any, error) {
	page, perPage, err := banking.Paging(r.Page, r.PerPage)
	if err != nil {
		return nil, err
	}
	owners, total, err := h.svc.Owners(ctx, c, r.UserID, r.BusinessID, page, perPage)
	if err != nil {
		return nil, err
	}
	return listOf(owners, wireOwner, banking.ExactTotal(total), page, perPage, apitype.SortCreatedAsc, ""), nil
}

func (h *handler) addDocument(ctx context.Context, c service.Caller, r *apitype.AddDocumentRequest) (banking.Document, error) {
	return h.svc.AddDocument(ctx, c, r.UserID, r.BusinessID, r.BusinessOwnerID,
		banking.NewDocumentInput{DocumentType: r.DocumentType, FileURL: r.FileURL})
}

func (h *handler) listDocuments(ctx context.Context, c service.Caller, r *apitype.DocumentsRequest) (any, error) {
	perPage := r.PerPage
	if perPage == nil {
		// Ingo's call has no paging: unpaged, it lists every document (up to
		// the page limit).
		all := banking.MaxPerPage
		perPage = &all
	}
	page, pp, err := banking.Paging(r.Page, perPage)
	if err != nil {
		return nil, err
	}
	docs, total, err := h.svc.Documents(ctx, c, r.UserID, r.BusinessID, r.BusinessOwnerID, page, pp)
	if err != nil {
		return nil, err
	}
	return listOf(docs, wireDocument, banking.ExactTotal(total), page, pp, apitype.SortCreatedAsc, ""), nil
}

func (h *handler) listContacts(ctx context.Context, c service.Caller, r *apitype.ContactsRequest) (any, error) {
	page, perPage, err := banking.Paging(r.Page, r.PerPage)
	if err != nil {
		return nil, err
	}
	t, err := banking.ParseContactType(r.Type)
	if err != nil {
		return nil, err
	}
	contacts, total, err := h.svc.Contacts(ctx, c, r.UserID, r.BusinessID, t, page, perPage)
	if err != nil {
		return nil, err
	}
	return listOf(contacts, wireContact, banking.ExactTotal(total), page, perPage, apitype.SortCreatedDesc, ""), nil
}
