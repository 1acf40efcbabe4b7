package httpapi

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// wireBusiness is the business object of businesses.md section 1: exactly
// the documented keys.
func wireBusiness(b *banking.Business) apitype.Business {
	return apitype.Business{
		ID: string(b.ID), UUID: banking.UUIDOf(b.ID), UserID: string(b.UserID),
		Name: b.Name, DBA: b.DBA, EIN: b.EIN, BusinessType: b.BusinessType,
		BusinessIndustry: b.Industry, BusinessEmail: b.Email, BusinessPhoneNumber: b.Phone,
		SupportEmail: b.SupportEmail, SupportPhoneNumber: b.SupportPhone,
		AddressOne: b.AddressOne, AddressTwo: b.AddressTwo, City: b.City, State: b.State,
		Country: b.Country, PostalCode: b.PostalCode,
		Status: string(b.Status), KYBStatus: string(b.KYBStatus),
		CreatedAt: b.CreatedAt.UTC().Format(apitype.TimeFormat),
		UpdatedAt: b.UpdatedAt.UTC().Format(apitype.TimeFormat),
	}
}

// businessPage is the answer of single-business calls.
func businessPage(b banking.Business) any { return apitype.One(wireBusiness(&b)) }

func (h *handler) createBusiness(ctx context.Context, c service.Caller, r *apitype.CreateBusinessRequest) (banking.Business, error) {
	return h.svc.CreateBusiness(ctx, c, r.UserID, businessInput(r))
}

// businessInput is a business/create body as the service takes it.
func businessInput(r *apitype.CreateBusinessRequest) banking.NewBusinessInput {
	rep := &r.BusinessRepresentative
	return banking.NewBusinessInput{
		BusinessProfile: banking.BusinessProfile{
			Name: r.BusinessName, DBA: r.DBA, EIN: r.EIN, BusinessType: r.BusinessType,
			Industry: r.BusinessIndustry, Description: r.BusinessDescription, NAICSCode: r.NAICSCode,
			IncorporatedDate: r.IncorporatedDate, IncorporatedState: r.IncorporatedState,
			Email: r.Email, Phone: r.PhoneNumber, SupportEmail: r.SupportEmail,
			SupportPhone: r.SupportPhoneNumber, AddressOne: r.BusinessAddress,
			AddressTwo: r.BusinessAddress2, City: r.City, State: r.State, Country: r.Country,
			PostalCode: r.Zipcode, RepName: rep.RepName, RepEmail: rep.RepEmail,
			RepJobTitle: rep.RepJobTitle, RepDOB: rep.RepDOB, RepAddress: rep.RepAddress,
			RepAddress2: rep.RepAddress2, RepZipcode: rep.RepZipcode, RepCity: rep.RepCity,
			RepState: rep.RepState, RepCountry: rep.RepCountry, RepPhone: rep.RepPhone,
		},
		NameAlias: r.Name, BusinessEmail: r.BusinessEmail, BusinessPhone: r.BusinessPhone,
		MetaData: metaData(r.MetaData),
	}
}

func (h *handler) getBusiness(ctx context.Context, c service.Caller, r *apitype.BusinessRequest) (any, error) {
	b, err := h.svc.GetBusiness(ctx, c, r.UserID, r.BusinessID)
	if err != nil {
		return nil, err
	}
	return businessPage(b), nil
}

func (h *handler) updateBusiness(ctx context.Context, c service.Caller, r *apitype.UpdateBusinessRequest) (banking.Business, error) {
	p := banking.BusinessPatch{
		ProfilePatch: banking.ProfilePatch{
			Name: r.BusinessName, DBA: r.DBA, EIN: r.EIN, BusinessType: r.BusinessType,
			Industry: r.BusinessIndustry, Description: r.BusinessDescription, NAICSCode: r.NAICSCode,
			IncorporatedDate: r.IncorporatedDate, IncorporatedState: r.IncorporatedState,
			Email: r.Email, Phone: r.PhoneNumber, SupportEmail: r.SupportEmail,
			SupportPhone: r.SupportPhoneNumber, AddressOne: r.BusinessAddress,
			AddressTwo: r.BusinessAddress2, City: r.City, State: r.State, Country: r.Country,
			PostalCode: r.Zipcode, SupportAddressOne: r.SupportAddressOne,
			SupportAddressTwo: r.SupportAddressTwo, SupportCity: r.SupportCity,
			SupportState: r.SupportState, SupportZipcode: r.SupportZipcode,
			SupportCountry: r.SupportCountry, BusinessProof: r.BusinessProof,
			PersonalID: r.PersonalID, Logo: r.Logo, RepName: r.RepName, RepEmail: r.RepEmail,
			RepJobTitle: r.RepJobTitle, RepDOB: r.RepDOB, RepAddress: r.RepAddress,
			RepAddress2: r.RepAddress2, RepZipcode: r.RepZipcode, RepCity: r.RepCity,
			RepState: r.RepState, RepCountry: r.RepCountry, RepPhone: r.RepPhone,
		},
		NameAlias: r.Name, BusinessEmail: r.BusinessEmail, BusinessPhone: r.BusinessPhone,
	}
	if r.MetaData != nil {
		md := metaData(*r.MetaData)
		if md == nil {
			md = []banking.MetaData{}
		}
		p.MetaData = &md
	}
	return h.svc.UpdateBusiness(ctx, c, r.UserID, r.BusinessID, p)
}

func (h *handler) blockBusiness(ctx context.Context, c service.Caller, r *apitype.BlockBusinessRequest) (banking.Business, error) {
	return h.svc.BlockBusiness(ctx, c, r.UserID, r.BusinessID, r.Reason)
}

func (h *handler) unblockBusiness(ctx context.Context, c service.Caller, r *apitype.BlockBusinessRequest) (banking.Business, error) {
	return h.svc.UnblockBusiness(ctx, c, r.UserID, r.BusinessID, r.Reason)
}

func (h *handler) sendBusinessVerification(ctx context.Context, c service.Caller, r *apitype.BusinessRequest) (banking.Business, error) {
	return h.svc.SubmitKYB(ctx, c, r.UserID, r.BusinessID)
}

func (h *handler) listBusinesses(ctx context.Context, c service.Caller, r *apitype.ListBusinessesRequest) (any, error) {
	page, perPage, err := banking.Paging(r.Page, r.PerPage)
	if err != nil {
		return nil, err
	}
	f := banking.BusinessFilter{Search: r.Search, Status: banking.Status(r.Status),
		KYBStatus: banking.KYCStatus(r.KYBStatus), Page: page, PerPage: perPage}
	if err := banking.CheckBusinessFilter(&f, r.Sort); err != nil {
		return nil, err
	}
	list, total, err := h.svc.ListBusinesses(ctx, c, r.UserID, f)
	if err != nil {
		return nil, err
	}
	return listOf(list, wireBusiness, total, page, perPage, sortName(f.Ascending), r.Search), nil
}

func (h *handler) businessEvents(ctx context.Context, c service.Caller, r *apitype.BusinessPageRequest) (any, error) {
	page, perPage, err := banking.Paging(r.Page, r.PerPage)
	if err != nil {
		return nil, err
	}
	evs, total, err := h.svc.BusinessEvents(ctx, c, r.UserID, r.BusinessID, page, perPage)
	if err != nil {
		return nil, err
	}
	return eventPage(evs, total, page, perPage), nil
}
