package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// TestBookTransferFlow: the program's money goes to a business and on to
// a user (docs/integrating.md's example): each transfer answers pending,
// completes in the background, and every list sees it from its account.
func TestBookTransferFlow(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		mid, pid := c.master(t)
		ouid, bid := c.verifiedBusiness(t, "owner@example.com", "12-3456789")
		bacct := c.issueBusiness(t, ouid, bid)["id"].(string)
		uid := c.verifiedUser(t, "ada@example.com")
		uacct := c.issueUser(t, uid)["id"].(string)
		prog, biz, user := side{"program", pid, mid}, side{"business", bid, bacct}, side{"user", uid, uacct}

		in := c.inbound(t, mid, "1000.00")
		if in["status"] != "completed" || in["direction"] != "credit" || in["category"] != "inbound_transfer" ||
			in["method"] != "wire" || in["source_account_id"] != "" || in["destination_account_id"] != mid || in["posting_date"] == "" {
			t.Errorf("inbound wire = %v", in)
		}
		e.clock.Advance(time.Second)
		t1 := c.transfer(t, prog, biz, "600.00", "fund-biz")
		if t1["category"] != "book_transfer" || t1["method"] != "book" || t1["originator_type"] != "program" ||
			t1["originator_id"] != pid || t1["source_account_id"] != mid || t1["destination_account_id"] != bacct ||
			t1["posting_date"] != "" || t1["idempotent_key"] != "fund-biz" || t1["currency"] != "usd" {
			t.Errorf("transfer = %v", t1)
		}
		if got := c.settledBalance(t, ouid, bid, bacct); got != "600.00" {
			t.Errorf("business balance = %s, want 600.00", got)
		}
		e.clock.Advance(time.Second)
		body := transferBody(biz, user, "250.50", "pay-ada")
		body["reference"], body["metadata"], body["currency"] = "invoice-42", map[string]any{"month": "april"}, "USD"
		t2 := c.call(transferPath, body).want(t, http.StatusOK, "").one(t)
		if t2["reference"] != "invoice-42" || t2["metadata"].(map[string]any)["month"] != "april" || t2["originator_type"] != "business" {
			t.Errorf("transfer with reference and metadata = %v", t2)
		}
		if got := c.settledBalance(t, uid, "", uacct); got != "250.50" {
			t.Errorf("user balance = %s, want 250.50", got)
		}
		if got := c.settledBalance(t, ouid, bid, bacct); got != "349.50" {
			t.Errorf("business balance = %s, want 349.50", got)
		}
		pb := c.call("balance/program-master-rba", map[string]any{}).want(t, http.StatusOK, "")
		if d := pb.JSON["data"].(map[string]any); d["available_balance"] != "400.00" || d["pending_balance"] != "0.00" || d["currency"] != "usd" {
			t.Errorf("master balance = %v", d)
		}

		list := func(path string, body map[string]any) []map[string]any {
			t.Helper()
			its := c.call(path, body).want(t, http.StatusOK, "").items(t)
			for _, it := range its {
				wantKeys(t, "transaction", it, transactionKeys...)
			}
			return its
		}
		dirs := func(its []map[string]any) []string {
			var out []string
			for _, it := range its {
				out = append(out, it["id"].(string)+" "+it["direction"].(string)+" "+it["status"].(string))
			}
			return out
		}
		id1, id2 := t1["id"].(string), t2["id"].(string)
		if got, want := dirs(list("transactions/business", map[string]any{"business_id": bid})),
			[]string{id2 + " debit completed", id1 + " credit completed"}; !slices.Equal(got, want) {
			t.Errorf("business transactions = %v, want %v", got, want)
		}
		if got := dirs(list("transactions/business", map[string]any{"business_id": bid, "direction": "credit"})); !slices.Equal(got, []string{id1 + " credit completed"}) {
			t.Errorf("business credits = %v", got)
		}
		if got := dirs(list("transactions/user", map[string]any{"user_id": uid})); !slices.Equal(got, []string{id2 + " credit completed"}) {
			t.Errorf("user transactions = %v", got)
		}
		if got := dirs(list("transactions/program-rba", map[string]any{})); !slices.Equal(got,
			[]string{id1 + " debit completed", in["id"].(string) + " credit completed"}) {
			t.Errorf("program transactions = %v", got)
		}
		if got := dirs(list("transactions/program-rba", map[string]any{"search": "TEST TRANSFER"})); len(got) != 1 {
			t.Errorf("program transactions matching the description = %v", got)
		}
		if got := dirs(list("transactions/program-rba", map[string]any{"search": id1[10:20]})); len(got) != 1 {
			t.Errorf("program transactions matching part of the id = %v", got)
		}
		now := e.clock.Now()
		day := now.Format("2006-01-02")
		if got := list("transactions/business", map[string]any{"business_id": bid, "start_date": day, "end_date": day}); len(got) != 2 {
			t.Errorf("today's business transactions = %d, want 2", len(got))
		}
		if got := list("transactions/business", map[string]any{"business_id": bid,
			"start_date": now.Add(-500 * time.Millisecond).Format(time.RFC3339Nano)}); len(got) != 1 {
			t.Errorf("business transactions of the last second = %d, want 1", len(got))
		}
		if got := list("transactions/business", map[string]any{"business_id": bid, "status": "pending"}); len(got) != 0 {
			t.Errorf("pending business transactions = %d, want 0", len(got))
		}
		if got := list("transactions/business", map[string]any{"business_id": bid, "routable_bank_account_id": bacct}); len(got) != 2 {
			t.Errorf("the business account's transactions = %d, want 2", len(got))
		}
		for _, g := range []string{id2, id2[len("ltra-"):], "invoice-42", "pay-ada"} {
			one := c.call("transactions/single", map[string]any{"user_id": uid, "id_generic": g}).want(t, http.StatusOK, "").one(t)
			if one["id"] != id2 || one["direction"] != "credit" {
				t.Errorf("single %s = %v", g, one)
			}
			// The owner of the business sees it as the business's debit.
			one = c.call("transactions/single", map[string]any{"user_id": ouid, "id_generic": g}).want(t, http.StatusOK, "").one(t)
			if one["direction"] != "debit" {
				t.Errorf("single %s for the owner = %v", g, one["direction"])
			}
		}
		c.call("transactions/single", map[string]any{"user_id": uid, "id_generic": id2, "payment_direction": "debit"}).
			wantError(t, http.StatusNotFound, "not_found", "")
		c.call("transactions/single", map[string]any{"user_id": uid, "id_generic": id1}).wantError(t, http.StatusNotFound, "not_found", "")
		c.call("transactions/single", map[string]any{}).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "user_id", "id_generic")

		// Every movement wrote its events, subject the transaction.
		var types []string
		rows, err := e.store.DB().Query(rebindFor(e, `SELECT type FROM events WHERE subject_id = ? ORDER BY seq`), id2)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var typ string
			rows.Scan(&typ)
			types = append(types, typ)
		}
		rows.Close()
		if want := []string{"transfer.created", "transfer.completed"}; !slices.Equal(types, want) {
			t.Errorf("events of %s = %v, want %v", id2, types, want)
		}
		e.wantLedger(t)
		if r := runAudit(t, e); r != "" {
			t.Error(r)
		}
	})
}

// runAudit verifies the audit chain and describes a break ("" when intact).
func runAudit(t *testing.T, e *env) string {
	t.Helper()
	r, err := e.store.VerifyAudit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !r.Intact() {
		return fmt.Sprintf("audit chain broken: %+v", r)
	}
	return ""
}

// TestBookTransferRefusals: every check of money.md section 4 in its
// order, each a 4xx that writes nothing but its stored answer.
func TestBookTransferRefusals(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		mid, pid := c.master(t)
		ouid, bid := c.verifiedBusiness(t, "owner@example.com", "12-3456789")
		bacct := c.issueBusiness(t, ouid, bid)["id"].(string)
		uid := c.verifiedUser(t, "ada@example.com")
		uacct := c.issueUser(t, uid)["id"].(string)
		uacct2 := c.issueUser(t, uid)["id"].(string)
		prog, biz, user := side{"program", pid, mid}, side{"business", bid, bacct}, side{"user", uid, uacct}
		c.inbound(t, mid, "100.00")
		other := e.program("other")
		omid, opid := other.master(t)
		other.inbound(t, omid, "100.00")

		n := 0
		try := func(from, to side, amount string, status int, code string, fields ...string) {
			t.Helper()
			n++
			before := e.ledgerRows(t)
			r := c.call(transferPath, transferBody(from, to, amount, fmt.Sprintf("k%d", n))).wantError(t, status, code, "")
			if len(fields) > 0 {
				r.wantFields(t, fields...)
			}
			if after := e.ledgerRows(t); after != before {
				t.Errorf("refused transfer %d wrote rows: %+v, want %+v", n, after, before)
			}
		}
		// Step 1: the body.
		for _, amount := range []string{"", "100", "100.0", "1e2", "-5.00", "0.00", "007.00", " 1.00", "1,000.00",
			"10000000.01", "99999999999999999999.00"} {
			try(prog, user, amount, http.StatusBadRequest, "invalid", "amount")
		}
		try(prog, side{"program", pid, mid}, "1.00", http.StatusBadRequest, "invalid", "destination_routable_bank_account_id")
		try(side{"bank", pid, mid}, user, "1.00", http.StatusBadRequest, "invalid", "source_entity_type")
		numeric := transferBody(prog, user, "1.00", "numeric")
		numeric["amount"] = 1.00
		r := c.call(transferPath, numeric).wantError(t, http.StatusBadRequest, "invalid", "")
		r.wantFields(t, "amount")
		// The whole form at once, for a number as for a malformed string.
		if got := r.fields()["amount"]; got != banking.AmountForm {
			t.Errorf("amount 1.00 (a number): %q, want %q", got, banking.AmountForm)
		}
		negative := transferBody(prog, user, "-5.00", "negative")
		if got := c.call(transferPath, negative).wantError(t, http.StatusBadRequest, "invalid", "").fields()["amount"]; got != banking.AmountForm {
			t.Errorf("amount -5.00: %q, want %q", got, banking.AmountForm)
		}
		// Metadata holds strings: null is no more one than a number is.
		for _, v := range []any{nil, 1, true, map[string]any{}} {
			bad := transferBody(prog, user, "1.00", fmt.Sprintf("meta-%v", v))
			bad["metadata"] = map[string]any{"a": v, "b": "x"}
			before := e.ledgerRows(t)
			c.call(transferPath, bad).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "metadata.a")
			if after := e.ledgerRows(t); after != before {
				t.Errorf("metadata {a: %v} wrote rows: %+v, want %+v", v, after, before)
			}
		}
		noKey := transferBody(prog, user, "1.00", "")
		delete(noKey, "idempotent_key")
		c.call(transferPath, noKey).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "idempotent_key")
		// Step 2: ids and ownership.
		try(prog, side{"user", uid, "bbac-" + uacct[5:]}, "1.00", http.StatusNotFound, "not_found")
		try(prog, side{"business", uid, bacct}, "1.00", http.StatusNotFound, "not_found") // a user id as business_id
		try(prog, side{"user", uid, bacct}, "1.00", http.StatusNotFound, "not_found")     // the business's account as the user's
		try(prog, side{"user", ouid, uacct}, "1.00", http.StatusNotFound, "not_found")    // another user's account
		try(prog, side{"user", uid, otherID("rbac-")}, "1.00", http.StatusNotFound, "not_found")
		try(side{"program", opid, omid}, user, "1.00", http.StatusNotFound, "not_found") // another program
		try(side{"program", pid, omid}, user, "1.00", http.StatusNotFound, "not_found")
		// Step 6 alone, then the earlier steps win over it.
		try(prog, user, "100.01", http.StatusConflict, "insufficient_funds")
		c.call("routable-bank-accounts/freeze", map[string]any{"routable_bank_account_id": uacct}).want(t, http.StatusOK, "")
		try(user, prog, "100.01", http.StatusConflict, "account_not_active")
		c.call("routable-bank-accounts/close", map[string]any{"routable_bank_account_id": uacct2}).want(t, http.StatusOK, "")
		try(prog, side{"user", uid, uacct2}, "1.00", http.StatusConflict, "account_not_active")
		if _, err := e.store.DB().Exec(rebindFor(e, `UPDATE businesses SET kyb_status = 'pending' WHERE id = ?`), bid); err != nil {
			t.Fatal(err)
		}
		try(user, biz, "100.01", http.StatusConflict, "not_verified")
		c.call("user/block", map[string]any{"user_id": ouid}).want(t, http.StatusOK, "")
		try(user, biz, "100.01", http.StatusConflict, "blocked")
		try(biz, prog, "1.00", http.StatusConflict, "blocked")
		c.call("user/unblock", map[string]any{"user_id": ouid}).want(t, http.StatusOK, "")
		c.call("business/block", map[string]any{"user_id": ouid, "business_id": bid}).want(t, http.StatusOK, "")
		try(prog, biz, "1.00", http.StatusConflict, "blocked")
		e.wantLedger(t)
	})
}

// TestBookTransferIdempotency: the key is required, a replay answers the
// first answer byte for byte, and a refusal for a state reason is kept
// under its key even after its cause is gone.
func TestBookTransferIdempotency(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		mid, pid := c.master(t)
		uid := c.verifiedUser(t, "ada@example.com")
		uacct := c.issueUser(t, uid)["id"].(string)
		prog, user := side{"program", pid, mid}, side{"user", uid, uacct}

		refused := c.call(transferPath, transferBody(prog, user, "10.00", "first")).wantError(t, http.StatusConflict, "insufficient_funds", "")
		c.inbound(t, mid, "50.00")
		again := c.call(transferPath, transferBody(prog, user, "10.00", "first")).want(t, http.StatusConflict, "insufficient_funds")
		if !bytes.Equal(again.Body, refused.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replayed refusal = %s (replayed %q), want %s", again.Body, again.Header.Get("Idempotent-Replayed"), refused.Body)
		}
		ok := c.call(transferPath, transferBody(prog, user, "10.00", "second")).want(t, http.StatusOK, "")
		e.waitJobs(t)
		before := e.ledgerRows(t)
		replay := c.call(transferPath, transferBody(prog, user, "10.00", "second")).want(t, http.StatusOK, "")
		if !bytes.Equal(replay.Body, ok.Body) || replay.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay = %s, want %s", replay.Body, ok.Body)
		}
		c.call(transferPath, transferBody(prog, user, "11.00", "second")).wantError(t, http.StatusUnprocessableEntity, "idempotency_mismatch", "")
		if after := e.ledgerRows(t); after != before {
			t.Errorf("replays wrote rows: %+v, want %+v", after, before)
		}
		// The header alias carries the key too.
		body := transferBody(prog, user, "1.00", "")
		delete(body, "idempotent_key")
		r := c.send(transferPath, body, func(r *http.Request) {
			r.Header.Set("Idempotency-Key", "by-header")
		})
		if r.Status != http.StatusOK {
			t.Errorf("key in the header: %d %s", r.Status, r.Body)
		}
		// A 400 is not kept: the corrected request under the same key runs.
		bad := transferBody(prog, user, "1.0", "fixed-later")
		c.call(transferPath, bad).wantError(t, http.StatusBadRequest, "invalid", "")
		c.call(transferPath, transferBody(prog, user, "1.00", "fixed-later")).want(t, http.StatusOK, "")
		if got := c.settledBalance(t, uid, "", uacct); got != "12.00" {
			t.Errorf("balance = %s, want 12.00", got)
		}
		e.wantLedger(t)
	})
}

// TestBalanceCall: /balance/user picks the entity's only open account, and
// names routable_bank_account_id when there are several.
func TestBalanceCall(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid := c.verifiedUser(t, "ada@example.com")
		c.call("balance/user", map[string]any{"user_id": uid}).wantError(t, http.StatusNotFound, "not_found", "")
		a1 := c.issueUser(t, uid)["id"].(string)
		c.inbound(t, a1, "12.34")
		if d := c.balance(t, map[string]any{"user_id": uid}); d["available_balance"] != "12.34" || d["pending_balance"] != "0.00" {
			t.Errorf("balance = %v", d)
		}
		a2 := c.issueUser(t, uid)["id"].(string)
		c.call("balance/user", map[string]any{"user_id": uid}).wantError(t, http.StatusBadRequest, "invalid", "").
			wantFields(t, "routable_bank_account_id")
		if d := c.balance(t, map[string]any{"user_id": uid, "routable_bank_account_id": a2}); d["available_balance"] != "0.00" {
			t.Errorf("second account's balance = %v", d)
		}
		// An ACH credit is pending until its job settles it, due after the
		// sandbox rail's delay.
		e.achDelay = time.Hour
		e.restart()
		c.call("sandbox/simulate/inbound-transfer", map[string]any{"routable_bank_account_id": a2, "amount": "5.00"}).
			want(t, http.StatusOK, "")
		if d := c.balance(t, map[string]any{"user_id": uid, "routable_bank_account_id": a2}); d["available_balance"] != "0.00" || d["pending_balance"] != "5.00" {
			t.Errorf("balance with an ACH credit pending = %v", d)
		}
		e.wantLedger(t)
		e.clock.Advance(time.Hour)
		if got := c.settledBalance(t, uid, "", a2); got != "5.00" {
			t.Errorf("balance after the ACH credit settled = %s", got)
		}
		ouid, bid := c.verifiedBusiness(t, "owner@example.com", "12-3456789")
		ba := c.issueBusiness(t, ouid, bid)["id"].(string)
		for _, body := range []map[string]any{
			{"user_id": uid, "routable_bank_account_id": ba},                      // a business's account as a user's
			{"user_id": ouid, "business_id": bid, "routable_bank_account_id": a1}, // a user's as the business's
			{"user_id": uid, "business_id": bid},                                  // another user's business
			{"user_id": otherID("user-")},
			{"user_id": uid, "routable_bank_account_id": "ltra-" + a1[5:]},
		} {
			c.call("balance/user", body).wantError(t, http.StatusNotFound, "not_found", "")
		}
		if d := c.balance(t, map[string]any{"user_id": ouid, "business_id": bid}); d["available_balance"] != "0.00" {
			t.Errorf("business balance = %v", d)
		}
		c.call("balance/user", map[string]any{}).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "user_id")
	})
}

// TestSandboxInbound: the sandbox call, and its absence outside the
// sandbox.
func TestSandboxInbound(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid := c.verifiedUser(t, "ada@example.com")
		acct := c.issueUser(t, uid)["id"].(string)
		tx := c.call("sandbox/simulate/inbound-transfer", map[string]any{"routable_bank_account_id": acct,
			"amount": "20.00", "description": "payroll"}).want(t, http.StatusOK, "").one(t)
		if tx["status"] != "pending" || tx["method"] != "ach" || tx["direction"] != "credit" || tx["description"] != "payroll" {
			t.Errorf("inbound ach = %v", tx)
		}
		if got := c.settledBalance(t, uid, "", acct); got != "20.00" {
			t.Errorf("balance = %s", got)
		}
		for _, body := range []map[string]any{
			{"routable_bank_account_id": acct, "amount": "1.00", "rail": "swift"},
			{"routable_bank_account_id": acct, "amount": "1"},
			{"routable_bank_account_id": acct, "amount": "1.00", "currency": "eur"},
			{"amount": "1.00"},
		} {
			c.call("sandbox/simulate/inbound-transfer", body).wantError(t, http.StatusBadRequest, "invalid", "")
		}
		c.call("sandbox/simulate/inbound-transfer", map[string]any{"routable_bank_account_id": otherID("rbac-"), "amount": "1.00"}).
			wantError(t, http.StatusNotFound, "not_found", "")
		other := e.program("other")
		other.call("sandbox/simulate/inbound-transfer", map[string]any{"routable_bank_account_id": acct, "amount": "1.00"}).
			wantError(t, http.StatusNotFound, "not_found", "")
		// A blocked holder's account is no destination (businesses.md
		// section 7): the user's own, a business they own, a blocked
		// business's; each refusal writes nothing. Unblocked, they receive.
		ouid, bid := c.verifiedBusiness(t, "owner@example.com", "12-3456789")
		bacct := c.issueBusiness(t, ouid, bid)["id"].(string)
		refused := func(acct, why string) {
			t.Helper()
			before := e.ledgerRows(t)
			c.call("sandbox/simulate/inbound-transfer", map[string]any{"routable_bank_account_id": acct, "amount": "1.00", "rail": "wire"}).
				wantError(t, http.StatusConflict, "blocked", "")
			if after := e.ledgerRows(t); after != before {
				t.Errorf("inbound to %s wrote rows: %+v, want %+v", why, after, before)
			}
		}
		c.call("user/block", map[string]any{"user_id": uid}).want(t, http.StatusOK, "")
		refused(acct, "a blocked user's account")
		c.call("user/block", map[string]any{"user_id": ouid}).want(t, http.StatusOK, "")
		refused(bacct, "the account of a business whose owner is blocked")
		c.call("user/unblock", map[string]any{"user_id": ouid}).want(t, http.StatusOK, "")
		c.call("business/block", map[string]any{"user_id": ouid, "business_id": bid}).want(t, http.StatusOK, "")
		refused(bacct, "a blocked business's account")
		c.call("user/unblock", map[string]any{"user_id": uid}).want(t, http.StatusOK, "")
		c.inbound(t, acct, "1.00")
		e.wantLedger(t)

		e.production = true
		e.restart()
		c.call("sandbox/simulate/inbound-transfer", map[string]any{"routable_bank_account_id": acct, "amount": "1.00"}).
			wantError(t, http.StatusNotFound, "not_found", "")
		if !strings.HasPrefix(c.call("program/routable-bank-accounts/get", map[string]any{}).want(t, http.StatusOK, "").one(t)["id"].(string), "rbac-") {
			t.Errorf("the master account is not served outside the sandbox")
		}
	})
}
