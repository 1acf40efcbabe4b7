package httpapi

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// External money movement (money.md sections 2.3, 4.2-4.5, 6).

// wireLinked is a linked account as answered: section 2.3's keys, the
// last four digits only.
func wireLinked(a *banking.LinkedAccount) apitype.LinkedAccount {
	return apitype.LinkedAccount{ID: string(a.ID), AccountNumberLast4: a.Last4, RoutingNumber: a.Routing,
		BankName: a.BankName, SourcePlatform: "manual", Status: a.Status,
		UserID: string(a.UserID), BusinessID: string(a.BusinessID),
		CreatedAt: a.CreatedAt.UTC().Format(apitype.TimeFormat)}
}

func linkedPage(a banking.LinkedAccount) any { return apitype.One(wireLinked(&a)) }

func linkedInput(f *apitype.SaveLinkedAccountFields) banking.LinkedAccountInput {
	return banking.LinkedAccountInput{FirstName: f.FirstName, LastName: f.LastName, AccountNumber: f.AccountNumber,
		RoutingNumber: f.RoutingNumber, AccountType: f.AccountType, AddressOne: f.AddressOne, City: f.City,
		State: f.State, PostalCode: f.PostalCode, Country: f.Country}
}

func (h *handler) saveUserLinked(ctx context.Context, c service.Caller, r *apitype.SaveUserLinkedAccountRequest) (banking.LinkedAccount, error) {
	return h.svc.SaveLinkedAccount(ctx, c, r.UserID, r.BusinessID, false, linkedInput(&r.SaveLinkedAccountFields))
}

func (h *handler) saveProgramLinked(ctx context.Context, c service.Caller, r *apitype.SaveProgramLinkedAccountRequest) (banking.LinkedAccount, error) {
	return h.svc.SaveLinkedAccount(ctx, c, "", "", true, linkedInput(&r.SaveLinkedAccountFields))
}

func (h *handler) listLinked(ctx context.Context, c service.Caller, r *apitype.ListLinkedAccountsRequest) (any, error) {
	page, perPage, err := banking.Paging(r.Page, r.PerPage)
	if err != nil {
		return nil, err
	}
	list, total, err := h.svc.LinkedAccounts(ctx, c, r.UserID, r.BusinessID, page, perPage)
	if err != nil {
		return nil, err
	}
	return listOf(list, wireLinked, total, page, perPage, apitype.SortCreatedDesc, ""), nil
}

func movementInput(f *apitype.MovementFields) banking.ExternalInput {
	return banking.ExternalInput{Description: f.Description, Currency: f.Currency, Reference: f.Reference, Metadata: f.Metadata}
}

func (h *handler) topUp(ctx context.Context, c service.Caller, r *apitype.TopUpRequest) (banking.Transaction, error) {
	in := movementInput(&r.MovementFields)
	in.UserID, in.BusinessID, in.Amount, in.Linked, in.Account = r.UserID, r.ReceiverBusinessID, r.Amount, r.AccountID, r.RoutableBankAccountID
	return h.svc.TopUp(ctx, c, in)
}

func (h *handler) payout(ctx context.Context, c service.Caller, r *apitype.PayoutRequest) (banking.Transaction, error) {
	in := movementInput(&r.MovementFields)
	in.UserID, in.BusinessID, in.Amount, in.Linked, in.Account = r.UserID, r.BusinessID, r.Amount, r.DestinationAccountID, r.SourceAccountID
	return h.svc.Payout(ctx, c, in)
}

func (h *handler) fundProgram(ctx context.Context, c service.Caller, r *apitype.ProgramFundingRequest) (banking.Transaction, error) {
	in := movementInput(&r.MovementFields)
	in.Amount, in.Linked, in.Account = r.Amount, r.AccountID, r.RoutableBankAccountID
	return h.svc.FundProgram(ctx, c, in)
}

// moneyInPage answers a top-up or program funding: seen from the RBA that
// receives it, a credit.
func moneyInPage(t banking.Transaction) any { return inboundPage(t) }

// settledPage answers a settlement decision: the transaction from its
// source's side for a movement out of an RBA, its destination's for money
// in from outside.
func settledPage(t banking.Transaction) any {
	return apitype.One(wireTransaction(&t, reportDirection(&t)))
}

// reportDirection is a transaction's direction where no one account is
// implied: credit for money in from outside, debit otherwise (a payout, a
// book transfer).
func reportDirection(t *banking.Transaction) banking.Direction {
	if banking.PublicAccount(t.SourceAccountID) == "" {
		return banking.Credit
	}
	return banking.Debit
}

func wireIntent(p *banking.PaymentIntent) apitype.PaymentIntent {
	posting := ""
	if !p.PostingDate.IsZero() {
		posting = p.PostingDate.UTC().Format(apitype.TimeFormat)
	}
	md := p.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return apitype.PaymentIntent{ID: string(p.ID), Amount: banking.FormatAmount(p.Amount), Currency: banking.Currency,
		Direction: string(p.Direction), Action: p.Action, Category: string(p.Category), Status: string(p.Status),
		EntityType: string(p.EntityType), EntityID: p.EntityID, IdempotentKey: p.IdempotentKey,
		TransactionID: string(p.TransactionID), PostingDate: posting, Metadata: md,
		CreatedAt: p.CreatedAt.UTC().Format(apitype.TimeFormat)}
}

func (h *handler) paymentIntents(ctx context.Context, c service.Caller, r *apitype.PaymentIntentsRequest) (any, error) {
	page, perPage, perr := banking.Paging(r.Page, r.PerPage)
	f, ferr := banking.ParseIntentFilter(r.PIAction, r.StatusStr, r.EntityType, r.Direction, r.Search, r.StartDate, r.EndDate, page, perPage)
	if err := joinErrors(perr, ferr); err != nil {
		return nil, err
	}
	list, total, err := h.svc.PaymentIntents(ctx, c, f)
	if err != nil {
		return nil, err
	}
	return listOf(list, wireIntent, total, page, perPage, apitype.SortCreatedDesc, r.Search), nil
}

func (h *handler) report(ctx context.Context, c service.Caller, r *apitype.ReportRequest) (any, error) {
	list, err := h.svc.Report(ctx, c, r.StartDate, r.EndDate, r.Direction)
	if err != nil {
		return nil, err
	}
	items := make([]apitype.Transaction, len(list))
	for i := range list {
		items[i] = wireTransaction(&list[i], reportDirection(&list[i]))
	}
	return apitype.Report{Items: items}, nil
}

func (h *handler) summary(ctx context.Context, c service.Caller, r *apitype.ReportRequest) (any, error) {
	s, err := h.svc.Summary(ctx, c, r.StartDate, r.EndDate, r.Direction)
	if err != nil {
		return nil, err
	}
	return apitype.Summary{CreditsTotal: banking.FormatAmount(s.CreditsTotal), DebitsTotal: banking.FormatAmount(s.DebitsTotal),
		CreditsCount: s.CreditsCount, DebitsCount: s.DebitsCount, Net: banking.FormatAmount(s.CreditsTotal - s.DebitsTotal),
		Currency: banking.Currency}, nil
}

func (h *handler) simulateSettle(ctx context.Context, c service.Caller, r *apitype.SettleRequest) (banking.Transaction, error) {
	return h.svc.SettleMovement(ctx, c, r.TransactionID, r.Outcome, r.ReturnCode, service.ActorSandbox)
}
