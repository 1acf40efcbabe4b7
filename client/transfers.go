package client

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
)

// Money movement, balances and transactions (money.md sections 4 to 6).
// Amounts are strings with two decimals ("100.00").

// BookTransfer moves money between two routable bank accounts of the
// program and returns the transaction, pending; it completes in the
// background. Retried safely under one idempotent_key (req.IdempotentKey,
// or one generated for the call): a retry never moves money twice. The
// refusals, in the order the server checks them: ErrInvalid, ErrNotFound,
// ErrBlocked, ErrNotVerified, ErrAccountNotActive, ErrInsufficientFunds.
// A refusal for a state reason is kept under its key: to try again after
// fixing the cause, send the movement under a new key.
func (c *Client) BookTransfer(ctx context.Context, req apitype.BookTransferRequest) (apitype.Transaction, error) {
	ensureKey(&req.Common)
	return single[apitype.Transaction](ctx, c, "book-transfer/routable-bank-account-to-routable-bank-account-transfer", req)
}

// UserBalance reads the balance of an account of the user (or, with
// req.BusinessID, of that business of the user's). Without
// req.RoutableBankAccountID it is the entity's only open account's
// (ErrInvalid when it has several, ErrNotFound when none).
func (c *Client) UserBalance(ctx context.Context, req apitype.UserBalanceRequest) (apitype.Balance, error) {
	var b apitype.Balance
	err := c.send(ctx, "balance/user", req, true, &b)
	return b, err
}

// ProgramBalance reads the program master account's balance.
func (c *Client) ProgramBalance(ctx context.Context) (apitype.Balance, error) {
	var b apitype.Balance
	err := c.send(ctx, "balance/program-master-rba", apitype.ProgramRequest{}, true, &b)
	return b, err
}

// BusinessTransactions returns one page of the transactions of a
// business's accounts, newest first, each seen from the business's account.
func (c *Client) BusinessTransactions(ctx context.Context, req apitype.BusinessTransactionsRequest) (apitype.Page[apitype.Transaction], error) {
	return pageOf[apitype.Transaction](ctx, c, "transactions/business", req)
}

// UserTransactions returns one page of the transactions of a user's own
// accounts.
func (c *Client) UserTransactions(ctx context.Context, req apitype.UserTransactionsRequest) (apitype.Page[apitype.Transaction], error) {
	return pageOf[apitype.Transaction](ctx, c, "transactions/user", req)
}

// ProgramTransactions returns one page of the master account's
// transactions.
func (c *Client) ProgramTransactions(ctx context.Context, req apitype.ProgramTransactionsRequest) (apitype.Page[apitype.Transaction], error) {
	return pageOf[apitype.Transaction](ctx, c, "transactions/program-rba", req)
}

// SingleTransaction finds a transaction of the user by its id, uuid,
// reference or idempotent_key; direction ("credit", "debit" or "") picks
// the leg when both accounts are the user's.
func (c *Client) SingleTransaction(ctx context.Context, userID, idGeneric, direction string) (apitype.Transaction, error) {
	return single[apitype.Transaction](ctx, c, "transactions/single",
		apitype.SingleTransactionRequest{UserID: userID, IDGeneric: idGeneric, PaymentDirection: direction})
}

// SimulateInboundTransfer puts money into an account from outside; only a
// server started with --sandbox has it (ErrNotFound otherwise). Rail "wire"
// completes at once; "ach" (the default) settles in the background.
func (c *Client) SimulateInboundTransfer(ctx context.Context, req apitype.InboundTransferRequest) (apitype.Transaction, error) {
	ensureKey(&req.Common)
	return single[apitype.Transaction](ctx, c, "sandbox/simulate/inbound-transfer", req)
}
