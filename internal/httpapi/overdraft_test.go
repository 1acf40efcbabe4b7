package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// wantOwes fails unless RBA acct of c's program owes overdraft and has
// available cents available (money.md section 3; docs/decisions.md: a return
// of money already spent is recorded as the account's overdraft).
func (e *env) wantOwes(t *testing.T, c *apiClient, acct string, overdraft, available int64) {
	t.Helper()
	a, err := e.store.Account(t.Context(), banking.ProgramID(c.creds.ProgramID), banking.AccountID(acct))
	if err != nil {
		t.Fatal(err)
	}
	if a.Balance.Overdraft != overdraft || a.Balance.Available() != available {
		t.Errorf("account %s owes %s with %s available, want %s and %s", acct, banking.FormatAmount(a.Balance.Overdraft),
			banking.FormatAmount(a.Balance.Available()), banking.FormatAmount(overdraft), banking.FormatAmount(available))
	}
}

// TestOverdraftRepaidByCredits: money that reaches an account owing an
// overdraft repays it first (docs/decisions.md), whatever brings it: an
// inbound transfer, a top-up settling, a book transfer in, reserved funds a
// failed payout releases, a payout's return. The ledger stays exact at every
// step.
func TestOverdraftRepaidByCredits(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.achDelay = time.Hour
		e.restart()
		c := e.program("acme")
		uid, bid := c.verifiedBusiness(t, "owes@example.com", "12-3456781")
		rba := c.issueBusiness(t, uid, bid)["id"].(string)
		ok, fail, ret := c.link(t, uid, bid, "000123456789"), c.link(t, uid, bid, "55550001"), c.link(t, uid, bid, "55550003")
		wait := func(d time.Duration) { e.clock.Advance(d) }

		// overdraw spends amount topped up from a 0003 account, whose
		// return then finds the money gone: the account owes amount.
		overdraw := func(amount, key string) map[string]any {
			t.Helper()
			top := c.topUp(t, uid, bid, rba, ret, amount, key)
			wait(time.Hour)
			c.wantTx(t, uid, top["id"].(string), "completed", "")
			p := c.payout(t, uid, bid, rba, ok, amount, key+"-spent")
			c.wantBalance(t, uid, bid, "0.00", "0.00")
			wait(time.Hour)
			c.wantTx(t, uid, top["id"].(string), "returned", "R10 customer advises not authorized")
			c.wantTx(t, uid, p["id"].(string), "completed", "")
			return p
		}

		// A return of 30.00 already spent: the account owes 30.00.
		overdraw("30.00", "t1")
		e.wantOwes(t, c, rba, 30_00, 0)
		e.wantLedger(t)

		// An inbound transfer of 10.00 repays 10.00 of it.
		c.inbound(t, rba, "10.00")
		c.wantBalance(t, uid, bid, "0.00", "0.00")
		e.wantOwes(t, c, rba, 20_00, 0)

		// A top-up of 50.00 is pending (nothing repaid yet), then settles:
		// 20.00 repays the rest, 30.00 is available.
		top := c.topUp(t, uid, bid, rba, ok, "50.00", "t2")
		c.wantBalance(t, uid, bid, "0.00", "50.00")
		e.wantOwes(t, c, rba, 20_00, 0)
		wait(time.Hour)
		c.wantTx(t, uid, top["id"].(string), "completed", "")
		c.wantBalance(t, uid, bid, "30.00", "0.00")
		e.wantOwes(t, c, rba, 0, 30_00)
		e.wantLedger(t)

		// A book transfer in repays too: owing 30.00 again, 12.00 from the
		// user's own account leaves 18.00 owed.
		c.payout(t, uid, bid, rba, ok, "30.00", "p-empty")
		wait(time.Hour)
		c.wantBalance(t, uid, bid, "0.00", "0.00")
		overdraw("30.00", "t3")
		e.wantOwes(t, c, rba, 30_00, 0)
		own := c.issueUser(t, uid)["id"].(string)
		c.inbound(t, own, "100.00")
		c.transfer(t, side{"user", uid, own}, side{"business", bid, rba}, "12.00", "b1")
		eventually(t, "the book transfer's settlement", func() bool {
			a, err := e.store.Account(t.Context(), banking.ProgramID(c.creds.ProgramID), banking.AccountID(rba))
			return err == nil && a.Balance.Overdraft == 18_00
		})
		c.wantBalance(t, uid, bid, "0.00", "0.00")
		e.wantOwes(t, c, rba, 18_00, 0)
		e.wantLedger(t)

		// Funds a payout reserved and its failure releases repay as well.
		// 38.00 in repays 18.00; a 0003 top-up of 10.00 completes (30.00
		// available); a failing payout reserves all 30.00; the top-up's
		// return finds nothing available (owes 10.00); the payout's failure
		// releases 30.00, which repays the 10.00.
		c.inbound(t, rba, "38.00")
		e.wantOwes(t, c, rba, 0, 20_00)
		top = c.topUp(t, uid, bid, rba, ret, "10.00", "t4")
		wait(time.Hour)
		c.wantTx(t, uid, top["id"].(string), "completed", "")
		wait(30 * time.Minute)
		p := c.payout(t, uid, bid, rba, fail, "30.00", "p-fails")
		wait(30 * time.Minute) // the return is due, the payout's failure not yet
		c.wantTx(t, uid, top["id"].(string), "returned", "R10 customer advises not authorized")
		e.wantOwes(t, c, rba, 10_00, 0)
		wait(30 * time.Minute)
		c.wantTx(t, uid, p["id"].(string), "failed", "R01 insufficient funds")
		c.wantBalance(t, uid, bid, "20.00", "0.00")
		e.wantOwes(t, c, rba, 0, 20_00)
		e.wantLedger(t)

		// A payout's return brings money back, which repays first: owing
		// 20.00 after spending 20.00, the return of a 20.00 payout leaves
		// nothing owed and nothing available.
		c.payout(t, uid, bid, rba, ok, "20.00", "p-empty-2")
		wait(time.Hour)
		spent := overdraw("20.00", "t5")
		e.wantOwes(t, c, rba, 20_00, 0)
		got := c.call(settlePath, map[string]any{"transaction_id": spent["id"], "outcome": "returned"}).
			want(t, http.StatusOK, "").one(t)
		if got["status"] != "returned" {
			t.Fatalf("the payout's return answered %v", got)
		}
		c.wantBalance(t, uid, bid, "0.00", "0.00")
		e.wantOwes(t, c, rba, 0, 0)
		e.wantLedger(t)
	})
}
