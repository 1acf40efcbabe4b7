package client

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
)

// External money movement (money.md sections 2.3, 4.2-4.5 and 6): linked
// bank accounts, top-ups, payouts, program funding, payment intents, the
// transaction report and summary. External movements travel over ACH: they
// answer pending, and the rail decides them later (in the sandbox by the
// linked account number's last four digits: 0001 fails with R01, 0002
// stays pending, 0003 completes then is returned with R10, 0004 is
// blocked, anything else completes).

// SaveUserBankAccount links an external bank account to a user (or, with
// req.BusinessID, to that business of the user's). Saving the same account
// and routing numbers again for the same owner returns the existing linked
// account. The full number is never returned: AccountNumberLast4 only.
// ErrInvalid names a malformed number (5 to 17 digits) or routing number
// (ABA checksum); ErrNotFound an unknown user or business.
func (c *Client) SaveUserBankAccount(ctx context.Context, req apitype.SaveUserLinkedAccountRequest) (apitype.LinkedAccount, error) {
	ensureKey(&req.Common)
	return single[apitype.LinkedAccount](ctx, c, "users/bank-accounts/save", req)
}

// SaveProgramBankAccount links an external bank account to the program
// itself, to fund its master account (FundProgram).
func (c *Client) SaveProgramBankAccount(ctx context.Context, req apitype.SaveProgramLinkedAccountRequest) (apitype.LinkedAccount, error) {
	ensureKey(&req.Common)
	return single[apitype.LinkedAccount](ctx, c, "program/bank-accounts/save", req)
}

// UserBankAccounts returns one page of a user's linked accounts (their own
// and their businesses', or with req.BusinessID that business's only).
func (c *Client) UserBankAccounts(ctx context.Context, req apitype.ListLinkedAccountsRequest) (apitype.Page[apitype.LinkedAccount], error) {
	return pageOf[apitype.LinkedAccount](ctx, c, "users/bank-accounts/get-all", req)
}

// TopUp charges a linked account of the user to fund an account of their
// business, and returns the transaction, pending (the account's pending
// balance has risen). Retried safely under one idempotent_key. Refusals in
// order: ErrInvalid, ErrNotFound, ErrBlocked, ErrNotVerified,
// ErrAccountNotActive.
func (c *Client) TopUp(ctx context.Context, req apitype.TopUpRequest) (apitype.Transaction, error) {
	ensureKey(&req.Common)
	return single[apitype.Transaction](ctx, c, "user/charge-bank-account-fund-business-routable-bank-account", req)
}

// Payout sends money from a business's account to a linked account of the
// business or its user; the funds leave the available balance at once and
// come back if the payout fails or is returned. Refusals as TopUp's, then
// ErrInsufficientFunds.
func (c *Client) Payout(ctx context.Context, req apitype.PayoutRequest) (apitype.Transaction, error) {
	ensureKey(&req.Common)
	return single[apitype.Transaction](ctx, c, "payout/business/routable-bank-account-to-linked-bank-account", req)
}

// FundProgram charges the program's linked account to fund its master
// account.
func (c *Client) FundProgram(ctx context.Context, req apitype.ProgramFundingRequest) (apitype.Transaction, error) {
	ensureKey(&req.Common)
	return single[apitype.Transaction](ctx, c, "program/charge-program-bank-account-fund-program-routable-bank-account", req)
}

// PaymentIntents returns one page of the program's payment intents (one per
// external movement, its status following its transaction's).
func (c *Client) PaymentIntents(ctx context.Context, req apitype.PaymentIntentsRequest) (apitype.Page[apitype.PaymentIntent], error) {
	return pageOf[apitype.PaymentIntent](ctx, c, "payment-intent/program/all", req)
}

// TransactionsReport returns every transaction of the program created in
// the range (inclusive, at most 366 days), oldest first; more than 10,000
// is ErrInvalid (narrow the range).
func (c *Client) TransactionsReport(ctx context.Context, req apitype.ReportRequest) ([]apitype.Transaction, error) {
	var r apitype.Report
	err := c.send(ctx, "transactions/report", req, true, &r)
	return r.Items, err
}

// TransactionSummary totals the master account's posted credits and debits
// in the range.
func (c *Client) TransactionSummary(ctx context.Context, req apitype.ReportRequest) (apitype.Summary, error) {
	var s apitype.Summary
	err := c.send(ctx, "balance/program-transaction-summary", req, true, &s)
	return s, err
}

// SimulateSettle decides a movement in the sandbox (a server started with
// --sandbox; ErrNotFound elsewhere): outcome completed, failed or blocked
// for a pending one, returned for a completed one (returnCode R01 to R99,
// "" for R01); anything else is ErrConflict. It returns the transaction
// after the decision.
func (c *Client) SimulateSettle(ctx context.Context, transactionID, outcome, returnCode string) (apitype.Transaction, error) {
	req := apitype.SettleRequest{TransactionID: transactionID, Outcome: outcome, ReturnCode: returnCode}
	ensureKey(&req.Common)
	return single[apitype.Transaction](ctx, c, "sandbox/simulate/settle", req)
}
