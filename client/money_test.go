package client_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/client"
)

// TestMoney drives accounts, a funded transfer and every read through the
// typed methods.
func TestMoney(t *testing.T) {
	in := newIngot(t)
	c := in.client()
	ctx := context.Background()

	master, err := c.ProgramAccount(ctx)
	if err != nil || !strings.HasPrefix(master.ID, "rbac-") || len(master.AccountNumber) != 10 || master.RoutingNumber != "021000021" {
		t.Fatalf("ProgramAccount = %+v, %v", master, err)
	}
	req := validUser("ada@example.com")
	req.DateOfBirth, req.SSN = "1990-12-10", "123-45-6789"
	u, err := c.CreateUser(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.IssueUserAccount(ctx, u.ID)
	wantAPIError(t, err, 409, client.ErrNotVerified)
	if err := c.SendVerificationRequest(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { got, _ := c.GetUser(ctx, u.ID); return got.KYCStatus == "verified" })
	acct, err := c.IssueUserAccount(ctx, u.ID)
	if err != nil || acct.UserID != u.ID || acct.Status != "active" {
		t.Fatalf("IssueUserAccount = %+v, %v", acct, err)
	}

	if _, err := c.SimulateInboundTransfer(ctx, apitype.InboundTransferRequest{RoutableBankAccountID: master.ID,
		Amount: "100.00", Rail: "wire"}); err != nil {
		t.Fatal(err)
	}
	tr := apitype.BookTransferRequest{Amount: "30.00", SourceEntityID: in.creds.ProgramID, SourceEntityType: "program",
		SourceRoutableBankAccountID: master.ID, DestinationEntityID: u.ID, DestinationEntityType: "user",
		DestinationRoutableBankAccountID: acct.ID, Description: "welcome bonus"}
	tx, err := c.BookTransfer(ctx, tr)
	if err != nil || tx.Status != "pending" || tx.Amount != "30.00" || tx.Direction != "debit" || tx.IdempotentKey == "" {
		t.Fatalf("BookTransfer = %+v, %v", tx, err)
	}
	// The same request under its key is the same transfer.
	tr.IdempotentKey = tx.IdempotentKey
	again, err := c.BookTransfer(ctx, tr)
	if err != nil || again.ID != tx.ID {
		t.Errorf("BookTransfer again under its key = %+v, %v; want %s", again, err, tx.ID)
	}
	waitFor(t, func() bool {
		b, _ := c.UserBalance(ctx, apitype.UserBalanceRequest{UserID: u.ID})
		return b.AvailableBalance == "30.00" && b.PendingBalance == "0.00"
	})
	if b, err := c.ProgramBalance(ctx); err != nil || b.AvailableBalance != "70.00" || b.Currency != "usd" {
		t.Errorf("ProgramBalance = %+v, %v", b, err)
	}

	over := tr
	over.IdempotentKey, over.Amount = "", "70.01"
	_, err = c.BookTransfer(ctx, over)
	wantAPIError(t, err, 409, client.ErrInsufficientFunds)
	// A currency sent empty is sent, and refused (money.md section 1); nil
	// sends none, as every call above.
	noCurrency := tr
	noCurrency.IdempotentKey, noCurrency.Currency = "", new("")
	_, err = c.BookTransfer(ctx, noCurrency)
	if e := wantAPIError(t, err, 400, client.ErrInvalid); e.Fields["currency"] != "must be usd" {
		t.Errorf("BookTransfer with currency \"\": fields = %v, want currency: must be usd", e.Fields)
	}
	if _, err := c.FreezeAccount(ctx, acct.ID, "review"); err != nil {
		t.Fatal(err)
	}
	back := apitype.BookTransferRequest{Amount: "1.00", SourceEntityID: u.ID, SourceEntityType: "user",
		SourceRoutableBankAccountID: acct.ID, DestinationEntityID: in.creds.ProgramID, DestinationEntityType: "program",
		DestinationRoutableBankAccountID: master.ID, Description: "refund"}
	_, err = c.BookTransfer(ctx, back)
	wantAPIError(t, err, 409, client.ErrAccountNotActive)
	if a, err := c.UnfreezeAccount(ctx, acct.ID, ""); err != nil || a.Status != "active" {
		t.Errorf("UnfreezeAccount = %+v, %v", a, err)
	}
	_, err = c.CloseAccount(ctx, acct.ID, "")
	wantAPIError(t, err, 409, client.ErrConflict)

	page, err := c.UserTransactions(ctx, apitype.UserTransactionsRequest{UserID: u.ID})
	if err != nil || page.Pagination.Total != 1 || page.Items[0].ID != tx.ID || page.Items[0].Direction != "credit" {
		t.Errorf("UserTransactions = %+v, %v", page, err)
	}
	page, err = c.ProgramTransactions(ctx, apitype.ProgramTransactionsRequest{Search: "welcome"})
	if err != nil || page.Pagination.Total != 1 || page.Items[0].Direction != "debit" {
		t.Errorf("ProgramTransactions = %+v, %v", page, err)
	}
	if one, err := c.SingleTransaction(ctx, u.ID, tx.IdempotentKey, ""); err != nil || one.ID != tx.ID || one.Status != "completed" {
		t.Errorf("SingleTransaction = %+v, %v", one, err)
	}
	accts, err := c.ListAccounts(ctx, apitype.ListAccountsRequest{UserID: u.ID})
	if err != nil || accts.Pagination.Total != 1 || accts.Items[0] != acct {
		t.Errorf("ListAccounts = %+v, %v", accts, err)
	}
	_, err = c.GetBusinessAccount(ctx, u.ID, "buss-"+strings.TrimPrefix(master.ID, "rbac-"), acct.ID)
	wantAPIError(t, err, 404, client.ErrNotFound)
	// Another program sees nothing of it.
	_, err = in.otherProgram(t).UserBalance(ctx, apitype.UserBalanceRequest{UserID: u.ID, RoutableBankAccountID: acct.ID})
	wantAPIError(t, err, 404, client.ErrNotFound)
}
