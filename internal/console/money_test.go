package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// TestMoneyPages: the accounts, account, transactions, transaction and
// webhook pages show what the ledger and the delivery log hold, money as
// $1,234.56 and account numbers by their last four digits only; the
// simulated transfer is recorded with the operator as actor; redelivery
// makes a delivery pending again.
func TestMoneyPages(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := seed(t, e)
		b := e.browser()
		b.signIn(e.token)
		p := programPath(e.program)
		four := last4(s.account.Number)
		has := func(path string, wants ...string) string {
			t.Helper()
			body := b.get(path).want(t, http.StatusOK, "").body
			for _, w := range wants {
				if !strings.Contains(body, w) {
					t.Errorf("%s lacks %q", path, w)
				}
			}
			for _, n := range e.numbers {
				if strings.Contains(body, n) {
					t.Errorf("%s shows the full account number %s", path, n)
				}
			}
			return body
		}

		acct := e.accountPath(s.account.ID)
		has(acct, "Account •••• "+four, "$1,234.56", "Grace Hopper", "Opening deposit", "Simulate an inbound transfer",
			"account.issued", "account_number</code>: — → •••• "+four)
		has(p+"/accounts", "•••• "+four, "Grace Hopper", "$1,234.56", "the program")
		if body := has(p+"/accounts?search="+four, "•••• "+four); strings.Count(body, `<td data-label="Account">`) != 1 {
			t.Errorf("search by last four: want exactly one account")
		}
		if body := has(p+"/accounts?search=HOPPER", "•••• "+four); strings.Count(body, `<td data-label="Account">`) != 1 {
			t.Errorf("search by holder: want exactly one account")
		}
		has(p+"/accounts?search=nobody-at-all", "No account matches.")
		has(p+"/accounts?status=frozen", "No account matches.")
		has(p+"/accounts?status=bogus", "status must be active, frozen or closed")
		has(e.userPath(s.account.UserID), "Accounts and balances", "•••• "+four, "$1,234.56")
		has(e.businessPath(s.business.ID), "Accounts and balances", "No accounts.")

		// Simulate an ACH transfer: pending, then settled by the rail.
		csrf := b.get(acct).csrf(t)
		b.post(acct+"/inbound-transfer", url.Values{"csrf": {csrf}, "amount": {"10.00"}, "rail": {"ach"}, "back": {acct}}).
			want(t, http.StatusSeeOther, acct)
		has(acct, "Inbound ach transfer of $10.00 is pending.")
		txs, _, err := e.svc.AccountStatements(ctx, e.program, s.account.ID, banking.TxFilter{Page: 1, PerPage: 1})
		if err != nil || len(txs) != 1 || txs[0].Amount != 1000 {
			t.Fatalf("newest transaction = %+v (%v), want the $10.00 transfer", txs, err)
		}
		evs, _, _ := e.svc.Trail(ctx, e.program, string(txs[0].ID), 1, 50)
		if len(evs) == 0 || evs[len(evs)-1].Actor != "operator:alice" || evs[len(evs)-1].Type != banking.EventTransferCreated {
			t.Errorf("the simulated transfer's first event: %+v, want transfer.created by operator:alice", evs)
		}
		b.post(acct+"/inbound-transfer", url.Values{"csrf": {csrf}, "amount": {"-3"}, "rail": {"ach"}}).want(t, http.StatusSeeOther, acct)
		has(acct, "amount ")

		// The deposit's page: entries, timeline, trail.
		has(e.transactionPath(s.deposit.ID), "$1,234.56 inbound_transfer", "Ledger entries", "outside world", "debit", "credit",
			"-$1,234.56", "Created and settled", "posted", "transfer.completed", "program:")
		has(p+"/transactions", "Opening deposit", "$10.00", "outside", "•••• "+four)
		has(p+"/transactions?status=completed&type=inbound_transfer", "Opening deposit")
		has(p+"/transactions?type=payout", "No transaction matches.")
		has(p+"/transactions?type=bogus", "type must be")

		// Webhook deliveries: the failed one, redelivered.
		has(p+"/webhooks", s.hook.ID, "HTTP 500", "Redeliver", "/hooks")
		has(p+"/webhooks?status=delivered", "No delivery matches.")
		has(p+"/webhooks?status=bogus", "status must be pending, delivered or failed")
		b.post(p+"/webhooks/"+s.hook.ID+"/redeliver", url.Values{"csrf": {csrf}, "back": {p + "/webhooks"}}).
			want(t, http.StatusSeeOther, p+"/webhooks")
		has(p+"/webhooks", "Redelivery of "+s.hook.Type+" ("+s.hook.ID+") scheduled")
		b.post(p+"/webhooks/inn_whe_nope/redeliver", url.Values{"csrf": {csrf}}).want(t, http.StatusSeeOther, p+"/webhooks")
		has(p+"/webhooks", "webhook event not found")

		// Another program's account or transaction is not found.
		for _, path := range []string{e.accountPath("rbac-00000000-0000-0000-0000-000000000000"), e.accountPath("nope"),
			e.transactionPath("ltra-00000000-0000-0000-0000-000000000000"), e.accountPath(banking.AccountID("lacc-" + banking.UUIDOf(e.program)))} {
			b.get(path).want(t, http.StatusNotFound, "")
		}
	})
}

// TestSimulateOnlyInTheSandbox: a console not serving a sandbox has no
// simulate form, and the action changes nothing.
func TestSimulateOnlyInTheSandbox(t *testing.T) {
	e := newEnv(t, t.TempDir()+"/c.db")
	s := seed(t, e)
	prod := httptest.NewServer(Mount(http.NotFoundHandler(), New(Config{Service: e.svc, Now: e.clock.Now})))
	t.Cleanup(prod.Close)
	pe := *e
	pe.srv = prod
	b := pe.browser()
	b.signIn(e.token)
	page := b.get(e.accountPath(s.account.ID)).want(t, http.StatusOK, "")
	if strings.Contains(page.body, "inbound-transfer") || strings.Contains(page.body, "sandbox") {
		t.Errorf("a production account page offers the sandbox's simulation")
	}
	b.post(e.accountPath(s.account.ID)+"/inbound-transfer", url.Values{"csrf": {page.csrf(t)}, "amount": {"5.00"}, "rail": {"wire"}}).
		want(t, http.StatusSeeOther, e.accountPath(s.account.ID))
	if body := b.get(e.accountPath(s.account.ID)).body; !strings.Contains(body, "exist only in a sandbox") {
		t.Errorf("the refused simulation is not explained")
	}
	s.unchanged(t, e)
}

// TestTransactionTimelineShowsReturns: a transaction that a later one
// reverses (reversed_transaction_id) shows the return in its timeline,
// linked, and the return links back. No call records returns yet, so the
// test writes one as the ledger would: a transaction back between the
// same two accounts, with its two entries.
func TestTransactionTimelineShowsReturns(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := seed(t, e)
		d := s.deposit
		ret := banking.NewID[banking.TransactionID](time.Now())
		at := time.Now().UnixMilli()
		_, err := e.st.Do(ctx, store.Work{Program: e.program, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
			if _, err := tx.Exec(ctx, `INSERT INTO ledger_transactions (id, program_id, amount, status, category, method,
				originator_type, originator_id, source_account_id, destination_account_id, reversed_transaction_id,
				created_at, updated_at) VALUES (?, ?, ?, 'completed', 'return', 'wire', 'program', ?, ?, ?, ?, ?, ?)`,
				ret, e.program, d.Amount, e.program, d.DestinationAccountID, d.SourceAccountID, d.ID, at, at); err != nil {
				return nil, err
			}
			return tx.Exec(ctx, `INSERT INTO ledger_entries (program_id, transaction_id, account_id, amount, created_at)
				VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)`, e.program, ret, d.DestinationAccountID, -d.Amount, at,
				e.program, ret, d.SourceAccountID, d.Amount, at)
		}})
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn(e.token)
		page := b.get(e.transactionPath(d.ID)).want(t, http.StatusOK, "").body
		if !strings.Contains(page, `<a href="`+e.transactionPath(ret)+`">Returned</a>`) {
			t.Errorf("the deposit's timeline does not link its return %s", ret)
		}
		back := b.get(e.transactionPath(ret)).want(t, http.StatusOK, "").body
		if !strings.Contains(back, "<dt>Returns</dt>") || !strings.Contains(back, e.transactionPath(d.ID)) {
			t.Errorf("the return's page does not link the deposit")
		}
		if strings.Count(back, `<td data-label="Side">`) != 2 {
			t.Errorf("the return's page does not show its two entries")
		}
	})
}
