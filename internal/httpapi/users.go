package httpapi

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// wireUser is the user object of spec section 4: exactly the documented keys.
func wireUser(u *banking.User) apitype.User {
	return apitype.User{
		ID: string(u.ID), UUID: u.ID.UUID(),
		FirstName: u.FirstName, MiddleName: u.MiddleName, LastName: u.LastName,
		Email: u.Email, PhoneNumber: u.PhoneNumber, DateOfBirth: u.DateOfBirth,
		AddressOne: u.AddressOne, AddressTwo: u.AddressTwo, City: u.City, State: u.State,
		Country: u.Country, PostalCode: u.PostalCode, SSNLast4: u.SSNLast4,
		Status: string(u.Status), KYCStatus: string(u.KYCStatus),
		CreatedAt: u.CreatedAt.UTC().Format(apitype.TimeFormat),
		UpdatedAt: u.UpdatedAt.UTC().Format(apitype.TimeFormat),
	}
}

// userPage is the answer of single-user calls: the one-item list shape.
func userPage(u banking.User) any { return apitype.One(wireUser(&u)) }

func metaData(in []apitype.MetaData) []banking.MetaData {
	if in == nil {
		return nil
	}
	out := make([]banking.MetaData, len(in))
	for i, m := range in {
		out[i] = banking.MetaData{Name: m.Name, Value: m.Value}
	}
	return out
}

func (h *handler) createUser(ctx context.Context, c service.Caller, r *apitype.CreateUserRequest) (banking.User, error) {
	return h.svc.CreateUser(ctx, c, userInput(r))
}

// userInput is a user/create body as the service takes it.
func userInput(r *apitype.CreateUserRequest) banking.NewUserInput {
	return banking.NewUserInput{
		FirstName: r.FirstName, MiddleName: r.MiddleName, LastName: r.LastName,
		Email: r.Email, PhoneNumber: r.PhoneNumber, DateOfBirth: r.DateOfBirth,
		AddressOne: r.AddressOne, AddressTwo: r.AddressTwo, City: r.City, State: r.State,
		Country: r.Country, PostalCode: r.PostalCode, SSN: r.SSN, Username: r.Username,
		BusinessID: r.BusinessID, TermsAccepted: r.TermsAccepted, MetaData: metaData(r.MetaData),
		IsVendor: r.IsVendor, Vendor: r.Vendor,
	}
}

func (h *handler) getUser(ctx context.Context, c service.Caller, r *apitype.UserRequest) (any, error) {
	u, err := h.svc.GetUser(ctx, c, r.UserID)
	if err != nil {
		return nil, err
	}
	return userPage(u), nil
}

func (h *handler) listUsers(ctx context.Context, c service.Caller, r *apitype.ListUsersRequest) (any, error) {
	page, perPage, err := banking.Paging(r.Page, r.PerPage)
	if err != nil {
		return nil, err
	}
	f := banking.UserFilter{
		Email: r.Email, Search: r.Search, Status: banking.Status(r.Status),
		KYCStatus: banking.KYCStatus(r.KYCStatus), Page: page, PerPage: perPage,
	}
	if err := banking.CheckUserFilter(&f, r.Sort); err != nil {
		return nil, err
	}
	users, total, err := h.svc.ListUsers(ctx, c, f)
	if err != nil {
		return nil, err
	}
	return listOf(users, wireUser, total, page, perPage, sortName(f.Ascending), r.Search), nil
}

// updateUserBody is the body of /user/update as the server decodes it: the
// public request with its email replaced by a presence mark. A *string cannot
// tell "email":null from an absent key, and spec section 5 refuses any email
// on update, null included. The outer field shadows the embedded one, by
// Go's rules for embedded fields, which the JSON decoder follows
// (TestDecodeAccepts checks it).
type updateUserBody struct {
	apitype.UpdateUserRequest
	Email present `json:"email"`
}

// present records that its key was in the body, whatever the value (null,
// "", another type): the decoder calls UnmarshalJSON for every value of a
// non-pointer field, null included.
type present bool

func (p *present) UnmarshalJSON([]byte) error {
	*p = true
	return nil
}

func (h *handler) updateUser(ctx context.Context, c service.Caller, b *updateUserBody) (banking.User, error) {
	if b.Email {
		return banking.User{}, banking.Invalid("email", "cannot be changed")
	}
	r := &b.UpdateUserRequest
	p := banking.UserPatch{
		FirstName: r.FirstName, MiddleName: r.MiddleName, LastName: r.LastName,
		PhoneNumber: r.PhoneNumber, DateOfBirth: r.DateOfBirth, AddressOne: r.AddressOne,
		AddressTwo: r.AddressTwo, City: r.City, State: r.State, Country: r.Country,
		PostalCode: r.PostalCode, Username: r.Username, SSN: r.SSN,
	}
	if r.MetaData != nil {
		md := metaData(*r.MetaData)
		if md == nil {
			md = []banking.MetaData{}
		}
		p.MetaData = &md
	}
	return h.svc.UpdateUser(ctx, c, r.UserID, p)
}

func (h *handler) blockUser(ctx context.Context, c service.Caller, r *apitype.BlockUserRequest) (banking.User, error) {
	return h.svc.BlockUser(ctx, c, r.UserID, r.Reason)
}

func (h *handler) unblockUser(ctx context.Context, c service.Caller, r *apitype.BlockUserRequest) (banking.User, error) {
	return h.svc.UnblockUser(ctx, c, r.UserID, r.Reason)
}

func (h *handler) sendVerification(ctx context.Context, c service.Caller, r *apitype.UserRequest) (banking.User, error) {
	return h.svc.SubmitKYC(ctx, c, r.UserID)
}

func (h *handler) userEvents(ctx context.Context, c service.Caller, r *apitype.UserEventsRequest) (any, error) {
	page, perPage, err := banking.Paging(r.Page, r.PerPage)
	if err != nil {
		return nil, err
	}
	evs, total, err := h.svc.UserEvents(ctx, c, r.UserID, page, perPage)
	if err != nil {
		return nil, err
	}
	return eventPage(evs, total, page, perPage), nil
}
