package httpapi

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// wireTransaction is the ledger transaction object of money.md section 3.1,
// seen from an account moving money in direction d.
func wireTransaction(t *banking.Transaction, d banking.Direction) apitype.Transaction {
	posting := ""
	if !t.PostingDate.IsZero() {
		posting = t.PostingDate.UTC().Format(apitype.TimeFormat)
	}
	md := t.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return apitype.Transaction{
		ID: string(t.ID), UUID: banking.UUIDOf(t.ID), Amount: banking.FormatAmount(t.Amount), Currency: banking.Currency,
		Status: string(t.Status), Category: string(t.Category), Method: string(t.Method), Direction: string(d),
		OriginatorType: string(t.OriginatorType), OriginatorID: t.OriginatorID,
		SourceAccountID:      banking.PublicAccount(t.SourceAccountID),
		DestinationAccountID: banking.PublicAccount(t.DestinationAccountID),
		Description:          t.Description, Reference: t.Reference, Metadata: md, IdempotentKey: t.IdempotentKey,
		FailureReason: t.FailureReason, PostingDate: posting, ReversedTransactionID: string(t.ReversedTransactionID),
		CreatedAt: t.CreatedAt.UTC().Format(apitype.TimeFormat), UpdatedAt: t.UpdatedAt.UTC().Format(apitype.TimeFormat),
	}
}

// transferPage answers a movement the caller made: from its source's point
// of view, a debit.
func transferPage(t banking.Transaction) any { return apitype.One(wireTransaction(&t, banking.Debit)) }

// inboundPage answers money that entered the named account: a credit.
func inboundPage(t banking.Transaction) any { return apitype.One(wireTransaction(&t, banking.Credit)) }

func (h *handler) bookTransfer(ctx context.Context, c service.Caller, r *apitype.BookTransferRequest) (banking.Transaction, error) {
	return h.svc.BookTransfer(ctx, c, banking.BookTransferInput{
		Amount: r.Amount, SourceEntityID: r.SourceEntityID, SourceEntityType: r.SourceEntityType,
		SourceAccountID: r.SourceRoutableBankAccountID, DestinationEntityID: r.DestinationEntityID,
		DestinationEntityType: r.DestinationEntityType, DestinationAccountID: r.DestinationRoutableBankAccountID,
		Description: r.Description, Currency: r.Currency, Reference: r.Reference, Metadata: r.Metadata,
	})
}

func (h *handler) simulateInbound(ctx context.Context, c service.Caller, r *apitype.InboundTransferRequest) (banking.Transaction, error) {
	return h.svc.SimulateInbound(ctx, c, r.RoutableBankAccountID, r.Amount, r.Rail, r.Description, r.Currency)
}

// txFilter validates the filters every transaction list shares, with extra
// validation errors of the call's own fields merged in.
func txFilter(f *apitype.TransactionFilters, extra ...error) (banking.TxFilter, error) {
	page, perPage, perr := banking.Paging(f.Page, f.PerPage)
	tf, ferr := banking.ParseTxFilter(f.Direction, f.Status, f.StartDate, f.EndDate, page, perPage)
	return tf, joinErrors(append([]error{perr, ferr}, extra...)...)
}

// statementPage is a page of transactions seen from their accounts.
func statementPage(list []banking.Statement, total int, f banking.TxFilter) apitype.Page[apitype.Transaction] {
	items := make([]apitype.Transaction, len(list))
	for i := range list {
		items[i] = wireTransaction(&list[i].Transaction, list[i].Direction)
	}
	return apitype.Page[apitype.Transaction]{Items: items, Pagination: apitype.Pagination{
		Page: f.Page, PerPage: f.PerPage, Total: total, Sort: apitype.SortCreatedDesc, Search: f.Search,
	}}
}

func (h *handler) businessTransactions(ctx context.Context, c service.Caller, r *apitype.BusinessTransactionsRequest) (any, error) {
	f, err := txFilter(&r.TransactionFilters)
	if err != nil {
		return nil, err
	}
	list, total, err := h.svc.BusinessTransactions(ctx, c, r.BusinessID, r.RoutableBankAccountID, f)
	if err != nil {
		return nil, err
	}
	return statementPage(list, total, f), nil
}

func (h *handler) userTransactions(ctx context.Context, c service.Caller, r *apitype.UserTransactionsRequest) (any, error) {
	f, err := txFilter(&r.TransactionFilters)
	if err != nil {
		return nil, err
	}
	list, total, err := h.svc.UserTransactions(ctx, c, r.UserID, r.RoutableBankAccountID, f)
	if err != nil {
		return nil, err
	}
	return statementPage(list, total, f), nil
}

func (h *handler) programTransactions(ctx context.Context, c service.Caller, r *apitype.ProgramTransactionsRequest) (any, error) {
	f, err := txFilter(&r.TransactionFilters, banking.CheckSearch(r.Search))
	if err != nil {
		return nil, err
	}
	f.Search = r.Search
	list, total, err := h.svc.ProgramTransactions(ctx, c, f)
	if err != nil {
		return nil, err
	}
	return statementPage(list, total, f), nil
}

func (h *handler) singleTransaction(ctx context.Context, c service.Caller, r *apitype.SingleTransactionRequest) (any, error) {
	st, err := h.svc.SingleTransaction(ctx, c, r.UserID, r.IDGeneric, r.PaymentDirection)
	if err != nil {
		return nil, err
	}
	return apitype.One(wireTransaction(&st.Transaction, st.Direction)), nil
}
