package client

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
)

// Routable bank accounts (money.md section 2). An account of another
// program, or not of the entity named, is ErrNotFound.

// IssueUserAccount issues a routable bank account of the user's own. The
// user must be active (ErrBlocked) and KYC verified (ErrNotVerified), with
// fewer than five open accounts (ErrConflict). Retried safely under one
// idempotent_key.
func (c *Client) IssueUserAccount(ctx context.Context, userID string) (apitype.Account, error) {
	req := apitype.IssueUserAccountRequest{UserID: userID}
	ensureKey(&req.Common)
	return single[apitype.Account](ctx, c, "user/routable-bank-accounts/issue", req)
}

// IssueBusinessAccount issues a routable bank account of a business of the
// user: the business and the user must be active (ErrBlocked), the business
// KYB verified (ErrNotVerified), with fewer than five open accounts
// (ErrConflict).
func (c *Client) IssueBusinessAccount(ctx context.Context, userID, businessID string) (apitype.Account, error) {
	req := apitype.IssueBusinessAccountRequest{UserID: userID, BusinessID: businessID}
	ensureKey(&req.Common)
	return single[apitype.Account](ctx, c, "business/routable-bank-accounts/issue", req)
}

// GetBusinessAccount reads one account of a business of the user.
func (c *Client) GetBusinessAccount(ctx context.Context, userID, businessID, accountID string) (apitype.Account, error) {
	return single[apitype.Account](ctx, c, "business/routable-bank-accounts/get-single",
		apitype.BusinessAccountRequest{UserID: userID, BusinessID: businessID, RoutableBankAccountID: accountID})
}

// ProgramAccount reads the program's master account.
func (c *Client) ProgramAccount(ctx context.Context) (apitype.Account, error) {
	return single[apitype.Account](ctx, c, "program/routable-bank-accounts/get", apitype.ProgramRequest{})
}

// ListAccounts returns one page of the program's accounts matching req's
// filters, newest first.
func (c *Client) ListAccounts(ctx context.Context, req apitype.ListAccountsRequest) (apitype.Page[apitype.Account], error) {
	return pageOf[apitype.Account](ctx, c, "routable-bank-accounts/get-all", req)
}

// FreezeAccount stops an active account from sending (it still receives);
// any other state is ErrConflict.
func (c *Client) FreezeAccount(ctx context.Context, accountID, reason string) (apitype.Account, error) {
	return c.accountAction(ctx, "routable-bank-accounts/freeze", accountID, reason)
}

// UnfreezeAccount makes a frozen account active again.
func (c *Client) UnfreezeAccount(ctx context.Context, accountID, reason string) (apitype.Account, error) {
	return c.accountAction(ctx, "routable-bank-accounts/unfreeze", accountID, reason)
}

// CloseAccount closes an empty account with nothing pending, for good;
// an account that holds money, and the master account, are ErrConflict.
func (c *Client) CloseAccount(ctx context.Context, accountID, reason string) (apitype.Account, error) {
	return c.accountAction(ctx, "routable-bank-accounts/close", accountID, reason)
}

func (c *Client) accountAction(ctx context.Context, path, accountID, reason string) (apitype.Account, error) {
	req := apitype.AccountActionRequest{RoutableBankAccountID: accountID, Reason: reason}
	ensureKey(&req.Common)
	return single[apitype.Account](ctx, c, path, req)
}
