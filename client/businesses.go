package client

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
)

// Businesses (businesses.md). Every call names the business with its owning
// user's id; a business of another user or program is ErrNotFound.

// CreateBusiness creates a business owned by req.UserID (status active,
// kyb_status not_started). Retried safely under one idempotent_key, like
// CreateUser. An EIN already used in the program is ErrConflict; a blocked
// owning user is ErrBlocked; validation failures are ErrInvalid with Fields
// named as the request names them (zipcode, not postal_code).
func (c *Client) CreateBusiness(ctx context.Context, req apitype.CreateBusinessRequest) (apitype.Business, error) {
	ensureKey(&req.Common)
	return single[apitype.Business](ctx, c, "business/create", req)
}

// GetBusiness reads one business of a user.
func (c *Client) GetBusiness(ctx context.Context, userID, businessID string) (apitype.Business, error) {
	return single[apitype.Business](ctx, c, "business/get", apitype.BusinessRequest{UserID: userID, BusinessID: businessID})
}

// UpdateBusiness changes the non-nil fields of req and returns the business
// as updated. Once KYB is pending or verified its name, EIN, type and
// incorporation date are ErrConflict.
func (c *Client) UpdateBusiness(ctx context.Context, req apitype.UpdateBusinessRequest) (apitype.Business, error) {
	ensureKey(&req.Common)
	return single[apitype.Business](ctx, c, "business/update", req)
}

// BlockBusiness stops an active business from being verified or moving
// money; blocking a blocked business is ErrConflict.
func (c *Client) BlockBusiness(ctx context.Context, userID, businessID, reason string) (apitype.Business, error) {
	req := apitype.BlockBusinessRequest{UserID: userID, BusinessID: businessID, Reason: reason}
	ensureKey(&req.Common)
	return single[apitype.Business](ctx, c, "business/block", req)
}

// UnblockBusiness makes a blocked business active again.
func (c *Client) UnblockBusiness(ctx context.Context, userID, businessID, reason string) (apitype.Business, error) {
	req := apitype.BlockBusinessRequest{UserID: userID, BusinessID: businessID, Reason: reason}
	ensureKey(&req.Common)
	return single[apitype.Business](ctx, c, "business/unblock", req)
}

// ListBusinesses returns one page of the program's businesses matching
// req's filters.
func (c *Client) ListBusinesses(ctx context.Context, req apitype.ListBusinessesRequest) (apitype.Page[apitype.Business], error) {
	return pageOf[apitype.Business](ctx, c, "business/get-all", req)
}

// BusinessEvents returns one page of a business's audit trail (its owners'
// and documents' events included), newest first.
func (c *Client) BusinessEvents(ctx context.Context, req apitype.BusinessPageRequest) (apitype.Page[apitype.Event], error) {
	return pageOf[apitype.Event](ctx, c, "business/events", req)
}

// SendBusinessVerificationRequest starts KYB. The outcome arrives later:
// poll GetBusiness for kyb_status. Refusals: ErrBlocked (business or its
// user blocked), ErrConflict (already pending or verified, or no owners),
// ErrNotVerified (the owning user has not passed KYC), ErrInvalid (owners
// without date of birth or SSN, named owners[i].date_of_birth/ssn).
func (c *Client) SendBusinessVerificationRequest(ctx context.Context, userID, businessID string) error {
	req := apitype.BusinessRequest{UserID: userID, BusinessID: businessID}
	ensureKey(&req.Common)
	return c.send(ctx, "business/send-verification-request", req, true, nil)
}

// AddBusinessOwner adds a beneficial owner (or a control person, with
// ownership 0) and returns it. Shares over 100 %, an eleventh owner, or an
// owner added once KYB is pending or verified are ErrConflict.
func (c *Client) AddBusinessOwner(ctx context.Context, req apitype.AddOwnerRequest) (apitype.Owner, error) {
	ensureKey(&req.Common)
	return single[apitype.Owner](ctx, c, "business/add-business-owner", req)
}

// BusinessOwners returns one page of a business's owners, oldest first.
func (c *Client) BusinessOwners(ctx context.Context, req apitype.BusinessPageRequest) (apitype.Page[apitype.Owner], error) {
	return pageOf[apitype.Owner](ctx, c, "business/get-business-owners", req)
}

// AddBusinessOwnerDocument adds a pending document reference to an owner.
func (c *Client) AddBusinessOwnerDocument(ctx context.Context, req apitype.AddDocumentRequest) (apitype.Document, error) {
	ensureKey(&req.Common)
	return single[apitype.Document](ctx, c, "business/add-business-owner-document", req)
}

// BusinessOwnerDocuments returns an owner's documents, oldest first.
func (c *Client) BusinessOwnerDocuments(ctx context.Context, req apitype.DocumentsRequest) (apitype.Page[apitype.Document], error) {
	return pageOf[apitype.Document](ctx, c, "business/get-business-owner-documents", req)
}

// BusinessContacts returns one page of a business's contacts (users created
// with its business_id), newest first.
func (c *Client) BusinessContacts(ctx context.Context, req apitype.ContactsRequest) (apitype.Page[apitype.Contact], error) {
	return pageOf[apitype.Contact](ctx, c, "business/customers/get-all", req)
}
