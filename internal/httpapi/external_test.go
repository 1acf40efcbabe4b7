package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// Tests of external money movement (money.md sections 2.3, 4.2-4.5, 6).

const (
	topUpPath   = "user/charge-bank-account-fund-business-routable-bank-account"
	payoutPath  = "payout/business/routable-bank-account-to-linked-bank-account"
	fundingPath = "program/charge-program-bank-account-fund-program-routable-bank-account"
	settlePath  = "sandbox/simulate/settle"
)

// linkedKeys are exactly the linked account object's keys (section 2.3).
var linkedKeys = []string{"id", "account_number_last_4", "routing_number", "bank_name",
	"source_platform", "status", "user_id", "business_id", "created_at"}

// link saves a linked account of business bid of user uid with number and
// returns its id.
func (c *apiClient) link(t *testing.T, uid, bid, number string) string {
	t.Helper()
	body := map[string]any{"user_id": uid, "first_name": "Ada", "last_name": "Lovelace", "account_number": number,
		"routing_number": "021000021", "idempotent_key": "link-" + uid + bid + number}
	if bid != "" {
		body["business_id"] = bid
	}
	a := c.call("users/bank-accounts/save", body).want(t, http.StatusOK, "").one(t)
	wantKeys(t, "linked account", a, linkedKeys...)
	if a["account_number_last_4"] != number[len(number)-4:] {
		t.Errorf("last 4 = %v, want %s", a["account_number_last_4"], number[len(number)-4:])
	}
	return a["id"].(string)
}

// topUp moves amount from linked account into business bid's RBA and
// returns the pending transaction.
func (c *apiClient) topUp(t *testing.T, uid, bid, rba, linked, amount, key string) map[string]any {
	t.Helper()
	tx := c.call(topUpPath, map[string]any{"user_id": uid, "amount": amount, "account_id": linked,
		"receiver_business_id": bid, "routable_bank_account_id": rba, "idempotent_key": key}).want(t, http.StatusOK, "").one(t)
	wantKeys(t, "transaction", tx, transactionKeys...)
	if tx["status"] != "pending" || tx["direction"] != "credit" || tx["category"] != "top_up" || tx["method"] != "ach" {
		t.Errorf("top-up answered %v", tx)
	}
	return tx
}

func (c *apiClient) payout(t *testing.T, uid, bid, rba, linked, amount, key string) map[string]any {
	t.Helper()
	tx := c.call(payoutPath, map[string]any{"user_id": uid, "business_id": bid, "amount": amount,
		"source_account_id": rba, "destination_account_id": linked, "idempotent_key": key}).want(t, http.StatusOK, "").one(t)
	if tx["status"] != "pending" || tx["direction"] != "debit" || tx["category"] != "payout" {
		t.Errorf("payout answered %v", tx)
	}
	return tx
}

// txStatus reads a transaction of user uid.
func (c *apiClient) txOf(t *testing.T, uid, id string) map[string]any {
	t.Helper()
	return c.call("transactions/single", map[string]any{"user_id": uid, "id_generic": id}).want(t, http.StatusOK, "").one(t)
}

// wantBalance waits until business bid's balance is available/pending.
func (c *apiClient) wantBalance(t *testing.T, uid, bid, available, pending string) {
	t.Helper()
	var d map[string]any
	ok := false
	deadline := time.Now().Add(5 * time.Second)
	for !ok && time.Now().Before(deadline) {
		d = c.balance(t, map[string]any{"user_id": uid, "business_id": bid})
		ok = d["available_balance"] == available && d["pending_balance"] == pending
		if !ok {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if !ok {
		t.Fatalf("balance = %v/%v, want available %s pending %s", d["available_balance"], d["pending_balance"], available, pending)
	}
}

// wantTx waits until transaction id of uid has status and failure reason.
func (c *apiClient) wantTx(t *testing.T, uid, id, status, reason string) map[string]any {
	t.Helper()
	var tx map[string]any
	deadline := time.Now().Add(5 * time.Second)
	for {
		tx = c.txOf(t, uid, id)
		if tx["status"] == status && tx["failure_reason"] == reason {
			return tx
		}
		if time.Now().After(deadline) {
			t.Fatalf("transaction %s is %v (%v), want %s (%s)", id, tx["status"], tx["failure_reason"], status, reason)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestExternalMagicOutcomes drives each outcome of the sandbox rail end to
// end (money.md section 4.5), checking the business's balances at every
// step: pending, available, after a failure, after a return; and a return
// of money already spent, recorded as the account's overdraft.
func TestExternalMagicOutcomes(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.achDelay = time.Hour
		e.restart()
		c := e.program("acme")
		uid, bid := c.verifiedBusiness(t, "ext@example.com", "12-3456781")
		rba := c.issueBusiness(t, uid, bid)["id"].(string)
		ok, fail, hold, block, ret := c.link(t, uid, bid, "000123456789"), c.link(t, uid, bid, "55550001"),
			c.link(t, uid, "", "55550002"), c.link(t, uid, bid, "55550004"), c.link(t, uid, bid, "55550003")
		step := func() { e.clock.Advance(time.Hour) }

		// A top-up is pending until the rail settles it.
		t1 := c.topUp(t, uid, bid, rba, ok, "100.00", "t1")
		c.wantBalance(t, uid, bid, "0.00", "100.00")
		step()
		c.wantTx(t, uid, t1["id"].(string), "completed", "")
		c.wantBalance(t, uid, bid, "100.00", "0.00")

		// 0001 fails with R01, 0004 is blocked: nothing moves.
		t2 := c.topUp(t, uid, bid, rba, fail, "40.00", "t2")
		t3 := c.topUp(t, uid, bid, rba, block, "30.00", "t3")
		c.wantBalance(t, uid, bid, "100.00", "70.00")
		step()
		c.wantTx(t, uid, t2["id"].(string), "failed", "R01 insufficient funds")
		c.wantTx(t, uid, t3["id"].(string), "blocked", "blocked: compliance hold")
		c.wantBalance(t, uid, bid, "100.00", "0.00")

		// 0002 stays pending until the control plane settles it.
		t4 := c.topUp(t, uid, bid, rba, hold, "20.00", "t4")
		step()
		step()
		c.wantBalance(t, uid, bid, "100.00", "20.00")
		c.call(settlePath, map[string]any{"transaction_id": t4["id"], "outcome": "returned"}).wantError(t, http.StatusConflict, "conflict", "")
		got := c.call(settlePath, map[string]any{"transaction_id": t4["id"], "outcome": "completed"}).want(t, http.StatusOK, "").one(t)
		if got["status"] != "completed" || got["posting_date"] == "" {
			t.Errorf("settled = %v", got)
		}
		c.call(settlePath, map[string]any{"transaction_id": t4["id"], "outcome": "failed"}).wantError(t, http.StatusConflict, "conflict", "")
		c.wantBalance(t, uid, bid, "120.00", "0.00")

		// 0003 completes, then is returned with R10 one delay later.
		t5 := c.topUp(t, uid, bid, rba, ret, "50.00", "t5")
		step()
		c.wantTx(t, uid, t5["id"].(string), "completed", "")
		c.wantBalance(t, uid, bid, "170.00", "0.00")
		step()
		c.wantTx(t, uid, t5["id"].(string), "returned", "R10 customer advises not authorized")
		c.wantBalance(t, uid, bid, "120.00", "0.00")
		report := c.call("transactions/report", map[string]any{"start_date": e.clock.Now().AddDate(0, 0, -1).Format(time.DateOnly),
			"end_date": e.clock.Now().Format(time.DateOnly)}).want(t, http.StatusOK, "")
		items := report.JSON["data"].(map[string]any)["items"].([]any)
		last := items[len(items)-1].(map[string]any)
		if last["category"] != "return" || last["reversed_transaction_id"] != t5["id"] || last["amount"] != "50.00" ||
			last["failure_reason"] != "R10 customer advises not authorized" || last["status"] != "completed" {
			t.Errorf("the report's last item = %v, want the return of %v", last, t5["id"])
		}

		// A payout leaves the available balance at once; a failed one
		// releases its funds.
		p1 := c.payout(t, uid, bid, rba, ok, "60.00", "p1")
		p2 := c.payout(t, uid, bid, rba, fail, "10.00", "p2")
		c.wantBalance(t, uid, bid, "50.00", "0.00")
		step()
		c.wantTx(t, uid, p1["id"].(string), "completed", "")
		c.wantTx(t, uid, p2["id"].(string), "failed", "R01 insufficient funds")
		c.wantBalance(t, uid, bid, "60.00", "0.00")

		// A return of money already spent: the account stays at zero and
		// records what it owes.
		t6 := c.topUp(t, uid, bid, rba, ret, "100.00", "t6")
		step()
		c.wantTx(t, uid, t6["id"].(string), "completed", "")
		c.wantBalance(t, uid, bid, "160.00", "0.00")
		c.payout(t, uid, bid, rba, ok, "160.00", "p3")
		c.wantBalance(t, uid, bid, "0.00", "0.00")
		step()
		c.wantTx(t, uid, t6["id"].(string), "returned", "R10 customer advises not authorized")
		c.wantBalance(t, uid, bid, "0.00", "0.00")
		a, err := e.store.Account(t.Context(), banking.ProgramID(c.creds.ProgramID), banking.AccountID(rba))
		if err != nil {
			t.Fatal(err)
		}
		if a.Balance.Overdraft != 100_00 || a.Balance.Available() != 0 {
			t.Errorf("after returning spent money: %+v, want overdraft 100.00 and nothing available", a.Balance)
		}
		e.wantLedger(t)

		// Every external movement has its payment intent, whose status
		// follows its transaction's.
		page := c.call("payment-intent/program/all", map[string]any{"per_page": 100}).want(t, http.StatusOK, "")
		if n := len(page.items(t)); n != 9 {
			t.Errorf("payment intents = %d, want 9", n)
		}
		debits := c.call("payment-intent/program/all", map[string]any{"direction": "debit"}).want(t, http.StatusOK, "").items(t)
		if len(debits) != 3 {
			t.Errorf("debit intents = %d, want 3", len(debits))
		}
		returned := c.call("payment-intent/program/all", map[string]any{"status_str": "returned"}).want(t, http.StatusOK, "").items(t)
		if len(returned) != 2 || returned[0]["transaction_id"] != t6["id"] || returned[0]["action"] != "settlement_needed" ||
			returned[0]["entity_type"] != "business" || returned[0]["entity_id"] != bid {
			t.Errorf("returned intents = %v", returned)
		}
		found := c.call("payment-intent/program/all", map[string]any{"search": returned[1]["id"]}).want(t, http.StatusOK, "").items(t)
		if len(found) != 1 || found[0]["transaction_id"] != t5["id"] {
			t.Errorf("search by intent id found %v", found)
		}
	})
}

// TestExternalManualRail: production's manual rail leaves every external
// movement pending until an operator decides it with the same service
// method as `ingot transfers settle`.
func TestExternalManualRail(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.rail = service.ManualRail{}
		e.restart()
		c := e.program("acme")
		uid, bid := c.verifiedBusiness(t, "man@example.com", "12-3456782")
		rba := c.issueBusiness(t, uid, bid)["id"].(string)
		l := c.link(t, uid, bid, "000123456789")
		tx := c.topUp(t, uid, bid, rba, l, "80.00", "m1")
		e.clock.Advance(24 * time.Hour)
		time.Sleep(50 * time.Millisecond)
		c.wantBalance(t, uid, bid, "0.00", "80.00")
		got, err := e.svc.SettleByID(t.Context(), tx["id"].(string), "completed", "")
		if err != nil || got.Status != banking.TxCompleted {
			t.Fatalf("settle = %v, %v", got.Status, err)
		}
		c.wantBalance(t, uid, bid, "80.00", "0.00")
		if _, err := e.svc.SettleByID(t.Context(), tx["id"].(string), "completed", ""); !banking.IsCode(err, banking.CodeConflict) {
			t.Errorf("settling twice: %v, want conflict", err)
		}
		got, err = e.svc.SettleByID(t.Context(), tx["id"].(string), "returned", "R02")
		if err != nil || got.Status != banking.TxReturned || got.FailureReason != "R02 account closed" {
			t.Fatalf("return = %+v, %v", got, err)
		}
		c.wantBalance(t, uid, bid, "0.00", "0.00")
		e.wantLedger(t)
	})
}

// TestExternalBadInput: every malformed or foreign input is 4xx naming
// the field, and writes nothing (no linked account, no sealed number, no
// transaction).
func TestExternalBadInput(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c, other := e.program("acme"), e.program("other")
		uid, bid := c.verifiedBusiness(t, "bad@example.com", "12-3456783")
		rba := c.issueBusiness(t, uid, bid)["id"].(string)
		l := c.link(t, uid, bid, "000123456789")
		ouid, obid := other.verifiedBusiness(t, "o@example.com", "12-3456784")
		ol := other.link(t, ouid, obid, "000123456789")
		uid2, bid2 := c.verifiedBusiness(t, "bad2@example.com", "12-3456785")
		l2 := c.link(t, uid2, bid2, "000987654321")
		before := e.ledgerRows(t)
		var linkedBefore int
		if err := e.store.DB().QueryRow(`SELECT count(*) FROM linked_accounts`).Scan(&linkedBefore); err != nil {
			t.Fatal(err)
		}

		n := 0
		key := func() string { n++; return fmt.Sprintf("bad-%d", n) }
		save := func(over map[string]any) map[string]any {
			b := map[string]any{"user_id": uid, "first_name": "Ada", "last_name": "L", "account_number": "12345678",
				"routing_number": "021000021", "idempotent_key": key()}
			for k, v := range over {
				b[k] = v
			}
			return b
		}
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"letters", save(map[string]any{"account_number": "12ab5678"}), "account_number"},
			{"too short", save(map[string]any{"account_number": "1234"}), "account_number"},
			{"too long", save(map[string]any{"account_number": "123456789012345678"}), "account_number"},
			{"checksum", save(map[string]any{"routing_number": "021000022"}), "routing_number"},
			{"routing letters", save(map[string]any{"routing_number": "02100002a"}), "routing_number"},
			{"type", save(map[string]any{"account_type": "brokerage"}), "account_type"},
			{"no key", save(map[string]any{"idempotent_key": nil}), "idempotent_key"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for k, v := range tc.body {
					if v == nil {
						delete(tc.body, k)
					}
				}
				r := c.call("users/bank-accounts/save", tc.body).wantError(t, http.StatusBadRequest, "invalid", "")
				r.wantFields(t, tc.field)
				if strings.Contains(string(r.Body), "12ab5678") {
					t.Errorf("the answer echoes the account number: %s", r.Body)
				}
			})
		}
		c.call("users/bank-accounts/save", save(map[string]any{"user_id": ouid})).wantError(t, http.StatusNotFound, "not_found", "")
		c.call("users/bank-accounts/save", save(map[string]any{"business_id": bid2})).wantError(t, http.StatusNotFound, "not_found", "")

		topUp := func(over map[string]any) map[string]any {
			b := map[string]any{"user_id": uid, "amount": "10.00", "account_id": l, "receiver_business_id": bid,
				"routable_bank_account_id": rba, "idempotent_key": key()}
			for k, v := range over {
				b[k] = v
			}
			return b
		}
		for _, amount := range []any{100, "100", "100.0", "1e2", "-5.00", "0.00", "007.00", " 1.00", "10000000.01", ""} {
			c.call(topUpPath, topUp(map[string]any{"amount": amount})).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "amount")
		}
		for _, tc := range []struct {
			name string
			body map[string]any
		}{
			{"linked account of another user", topUp(map[string]any{"account_id": l2})},
			{"linked account of another program", topUp(map[string]any{"account_id": ol})},
			{"an RBA as the linked account", topUp(map[string]any{"account_id": rba})},
			{"business of another user", topUp(map[string]any{"receiver_business_id": bid2})},
		} {
			c.call(topUpPath, tc.body).wantError(t, http.StatusNotFound, "not_found", "")
		}
		c.call(payoutPath, map[string]any{"user_id": uid, "business_id": bid, "amount": "1.00", "source_account_id": rba,
			"destination_account_id": rba, "idempotent_key": "po-rba"}).wantError(t, http.StatusNotFound, "not_found", "")
		c.call(payoutPath, map[string]any{"user_id": uid, "business_id": bid, "amount": "1.00", "source_account_id": rba,
			"destination_account_id": l, "idempotent_key": "po-poor"}).wantError(t, http.StatusConflict, "insufficient_funds", "")
		c.call(topUpPath, map[string]any{"user_id": uid, "amount": "1.00"}).wantError(t, http.StatusBadRequest, "invalid", "").
			wantFields(t, "account_id", "receiver_business_id", "routable_bank_account_id", "idempotent_key")
		c.call(fundingPath, map[string]any{"amount": "1.00", "account_id": l, "routable_bank_account_id": rba,
			"idempotent_key": "f-user-linked"}).wantError(t, http.StatusNotFound, "not_found", "")
		c.call("business/block", map[string]any{"user_id": uid, "business_id": bid, "reason": "test"}).want(t, http.StatusOK, "")
		c.call(topUpPath, topUp(map[string]any{"idempotent_key": "blocked"})).wantError(t, http.StatusConflict, "blocked", "")

		after := e.ledgerRows(t)
		if after.transactions != before.transactions || after.entries != before.entries {
			t.Errorf("refused movements wrote: %+v, then %+v", before, after)
		}
		var linkedAfter, intents int
		if err := e.store.DB().QueryRow(`SELECT count(*) FROM linked_accounts`).Scan(&linkedAfter); err != nil {
			t.Fatal(err)
		}
		if err := e.store.DB().QueryRow(`SELECT count(*) FROM payment_intents`).Scan(&intents); err != nil {
			t.Fatal(err)
		}
		if linkedAfter != linkedBefore || intents != 0 {
			t.Errorf("linked accounts %d -> %d, intents %d: refused calls left rows behind", linkedBefore, linkedAfter, intents)
		}
	})
}

// TestLinkedAccountSavedOnce: the same routing and account numbers saved
// again by the same owner answer the existing account; another owner gets
// their own; the number is never answered.
func TestLinkedAccountSavedOnce(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid, bid := c.verifiedBusiness(t, "once@example.com", "12-3456786")
		a := c.link(t, uid, bid, "000123456789")
		body := map[string]any{"user_id": uid, "business_id": bid, "first_name": "Other", "last_name": "Name",
			"account_number": "000123456789", "routing_number": "021000021", "idempotent_key": "again"}
		r := c.call("users/bank-accounts/save", body).want(t, http.StatusOK, "")
		if again := r.one(t); again["id"] != a {
			t.Errorf("saved again = %v, want the existing %s", again, a)
		}
		// The names are not answered (section 2.3's keys); the row must
		// still hold the first save's.
		if first, last, _ := e.storedHolder(t, a); first != "Ada" || last != "Lovelace" {
			t.Errorf("stored holder = %s %s, want the first save's Ada Lovelace", first, last)
		}
		if strings.Contains(string(r.Body), "000123456789") {
			t.Errorf("an answer holds the full number: %s", r.Body)
		}
		own := c.link(t, uid, "", "000123456789")
		if own == a {
			t.Errorf("the user's own link is the business's")
		}
		list := c.call("users/bank-accounts/get-all", map[string]any{"user_id": uid}).want(t, http.StatusOK, "").items(t)
		if len(list) != 2 {
			t.Errorf("linked accounts = %d, want 2", len(list))
		}
		list = c.call("users/bank-accounts/get-all", map[string]any{"user_id": uid, "business_id": bid}).want(t, http.StatusOK, "").items(t)
		if len(list) != 1 || list[0]["id"] != a {
			t.Errorf("the business's linked accounts = %v", list)
		}
		var n int
		if err := e.store.DB().QueryRow(`SELECT count(*) FROM linked_accounts`).Scan(&n); err != nil || n != 2 {
			t.Errorf("rows = %d (%v), want 2", n, err)
		}
	})
}
