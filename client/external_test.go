package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/client"
)

// TestExternalMoney funds the program from its linked accounts through the
// typed methods: one settled by the sandbox rail, one held (0002) and
// decided with SimulateSettle, then returned; payment intents, the report
// and the summary agree.
func TestExternalMoney(t *testing.T) {
	in := newIngot(t)
	c := in.client()
	ctx := context.Background()
	master, err := c.ProgramAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	save := func(number string) apitype.LinkedAccount {
		t.Helper()
		l, err := c.SaveProgramBankAccount(ctx, apitype.SaveProgramLinkedAccountRequest{SaveLinkedAccountFields: apitype.SaveLinkedAccountFields{
			FirstName: "Acme", LastName: "Treasury", AccountNumber: number, RoutingNumber: "021000021"}})
		if err != nil || l.AccountNumberLast4 != number[len(number)-4:] || l.UserID != "" {
			t.Fatalf("SaveProgramBankAccount = %+v, %v", l, err)
		}
		return l
	}
	held, plain := save("55550002"), save("12345678")
	_, err = c.SaveProgramBankAccount(ctx, apitype.SaveProgramLinkedAccountRequest{SaveLinkedAccountFields: apitype.SaveLinkedAccountFields{
		FirstName: "Acme", LastName: "Treasury", AccountNumber: "1234", RoutingNumber: "021000021"}})
	wantAPIError(t, err, 400, client.ErrInvalid)

	fund := func(l apitype.LinkedAccount, amount string) apitype.Transaction {
		t.Helper()
		tx, err := c.FundProgram(ctx, apitype.ProgramFundingRequest{Amount: amount, AccountID: l.ID, RoutableBankAccountID: master.ID})
		if err != nil || tx.Status != "pending" || tx.Category != "program_funding" || tx.Direction != "credit" {
			t.Fatalf("FundProgram = %+v, %v", tx, err)
		}
		return tx
	}
	h := fund(held, "500.00")
	fund(plain, "100.00")
	waitFor(t, func() bool {
		b, _ := c.ProgramBalance(ctx)
		return b.AvailableBalance == "100.00" && b.PendingBalance == "500.00"
	})
	if _, err := c.SimulateSettle(ctx, h.ID, "returned", ""); err == nil {
		t.Fatal("returning a pending movement succeeded")
	} else {
		wantAPIError(t, err, 409, client.ErrConflict)
	}
	if tx, err := c.SimulateSettle(ctx, h.ID, "completed", ""); err != nil || tx.Status != "completed" {
		t.Fatalf("SimulateSettle completed = %+v, %v", tx, err)
	}
	waitFor(t, func() bool { b, _ := c.ProgramBalance(ctx); return b.AvailableBalance == "600.00" })
	if tx, err := c.SimulateSettle(ctx, h.ID, "returned", "R02"); err != nil || tx.Status != "returned" || tx.FailureReason != "R02 account closed" {
		t.Fatalf("SimulateSettle returned = %+v, %v", tx, err)
	}
	if b, _ := c.ProgramBalance(ctx); b.AvailableBalance != "100.00" {
		t.Errorf("after the return the master holds %s, want 100.00", b.AvailableBalance)
	}

	intents, err := c.PaymentIntents(ctx, apitype.PaymentIntentsRequest{EntityType: "program"})
	if err != nil || len(intents.Items) != 2 || intents.Items[1].Status != "returned" || intents.Items[0].Status != "completed" {
		t.Fatalf("PaymentIntents = %+v, %v", intents, err)
	}
	day := time.Now().UTC()
	rng := apitype.ReportRequest{StartDate: day.AddDate(0, 0, -1).Format(time.DateOnly), EndDate: day.AddDate(0, 0, 1).Format(time.DateOnly)}
	report, err := c.TransactionsReport(ctx, rng)
	if err != nil || len(report) != 3 || report[2].Category != "return" || report[2].ReversedTransactionID != h.ID {
		t.Fatalf("TransactionsReport = %+v, %v", report, err)
	}
	sum, err := c.TransactionSummary(ctx, rng)
	want := apitype.Summary{CreditsTotal: "600.00", DebitsTotal: "500.00", CreditsCount: 2, DebitsCount: 1, Net: "100.00", Currency: "usd"}
	if err != nil || sum != want {
		t.Fatalf("TransactionSummary = %+v, %v; want %+v", sum, err, want)
	}
}
