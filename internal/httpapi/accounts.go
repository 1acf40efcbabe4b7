package httpapi

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// wireAccount is the RBA object of money.md section 2.1.
func (h *handler) wireAccount(a *banking.Account) apitype.Account {
	return apitype.Account{
		ID: string(a.ID), AccountNumber: a.Number, RoutingNumber: h.svc.RoutingNumber(), Status: string(a.Status),
		UserID: string(a.UserID), BusinessID: string(a.BusinessID),
		CreatedAt: a.CreatedAt.UTC().Format(apitype.TimeFormat),
	}
}

// accountPage is the answer of single-account calls.
func (h *handler) accountPage(a banking.Account) any { return apitype.One(h.wireAccount(&a)) }

func (h *handler) issueUserAccount(ctx context.Context, c service.Caller, r *apitype.IssueUserAccountRequest) (banking.Account, error) {
	return h.svc.IssueUserAccount(ctx, c, r.UserID)
}

func (h *handler) issueBusinessAccount(ctx context.Context, c service.Caller, r *apitype.IssueBusinessAccountRequest) (banking.Account, error) {
	return h.svc.IssueBusinessAccount(ctx, c, r.UserID, r.BusinessID)
}

func (h *handler) getBusinessAccount(ctx context.Context, c service.Caller, r *apitype.BusinessAccountRequest) (any, error) {
	a, err := h.svc.GetBusinessAccount(ctx, c, r.UserID, r.BusinessID, r.RoutableBankAccountID)
	if err != nil {
		return nil, err
	}
	return h.accountPage(a), nil
}

func (h *handler) masterAccount(ctx context.Context, c service.Caller, _ *apitype.ProgramRequest) (any, error) {
	a, err := h.svc.MasterAccount(ctx, c)
	if err != nil {
		return nil, err
	}
	return h.accountPage(a), nil
}

func (h *handler) listAccounts(ctx context.Context, c service.Caller, r *apitype.ListAccountsRequest) (any, error) {
	page, perPage, perr := banking.Paging(r.Page, r.PerPage)
	status, serr := banking.ParseAccountStatus(r.Status)
	if err := joinErrors(perr, serr); err != nil {
		return nil, err
	}
	list, total, err := h.svc.ListAccounts(ctx, c, r.UserID, r.BusinessID,
		banking.AccountFilter{Status: status, Page: page, PerPage: perPage})
	if err != nil {
		return nil, err
	}
	items := make([]apitype.Account, len(list))
	for i := range list {
		items[i] = h.wireAccount(&list[i])
	}
	return apitype.Page[apitype.Account]{Items: items, Pagination: apitype.Pagination{
		Page: page, PerPage: perPage, Total: total, Sort: apitype.SortCreatedDesc,
	}}, nil
}

func (h *handler) freezeAccount(ctx context.Context, c service.Caller, r *apitype.AccountActionRequest) (banking.Account, error) {
	return h.svc.FreezeAccount(ctx, c, r.RoutableBankAccountID, r.Reason)
}

func (h *handler) unfreezeAccount(ctx context.Context, c service.Caller, r *apitype.AccountActionRequest) (banking.Account, error) {
	return h.svc.UnfreezeAccount(ctx, c, r.RoutableBankAccountID, r.Reason)
}

func (h *handler) closeAccount(ctx context.Context, c service.Caller, r *apitype.AccountActionRequest) (banking.Account, error) {
	return h.svc.CloseAccount(ctx, c, r.RoutableBankAccountID, r.Reason)
}

// wireBalance is the balance object of money.md section 5.
func wireBalance(b banking.Balance) apitype.Balance {
	return apitype.Balance{AvailableBalance: banking.FormatAmount(b.Available()),
		PendingBalance: banking.FormatAmount(b.Pending()), Currency: banking.Currency}
}

func (h *handler) userBalance(ctx context.Context, c service.Caller, r *apitype.UserBalanceRequest) (any, error) {
	b, err := h.svc.UserBalance(ctx, c, r.UserID, r.BusinessID, r.RoutableBankAccountID)
	if err != nil {
		return nil, err
	}
	return wireBalance(b), nil
}

func (h *handler) masterBalance(ctx context.Context, c service.Caller, _ *apitype.ProgramRequest) (any, error) {
	b, err := h.svc.MasterBalance(ctx, c)
	if err != nil {
		return nil, err
	}
	return wireBalance(b), nil
}

// joinErrors merges validation errors into one naming all their fields;
// nil when there are none.
func joinErrors(errs ...error) error {
	var out *banking.Error
	for _, err := range errs {
		if err == nil {
			continue
		}
		e := banking.AsError(err)
		if out == nil {
			out = &banking.Error{Code: banking.CodeInvalid, Message: "validation failed", Fields: map[string]string{}}
		}
		for k, v := range e.Fields {
			out.Fields[k] = v
		}
	}
	if out == nil {
		return nil
	}
	return out
}
