package httpapi_test

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"
)

var accountNumberRE = regexp.MustCompile(`^[0-9]{10}$`)

// TestAccountIssue: routable bank accounts of users and businesses, with
// the KYC/KYB gate and the five-account limit (money.md section 2.1), and
// the program's master account (section 2.2).
func TestAccountIssue(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		mid, pid := c.master(t)
		m := c.call("program/routable-bank-accounts/get", map[string]any{}).want(t, http.StatusOK, "").one(t)
		if m["user_id"] != "" || m["business_id"] != "" || m["status"] != "active" || m["routing_number"] != "021000021" ||
			!accountNumberRE.MatchString(m["account_number"].(string)) || mid != "rbac-"+pid[len("prog-"):] {
			t.Errorf("master account = %v", m)
		}

		fresh := c.newKYCUser(t, "fresh@example.com", "6789")
		before := e.ledgerRows(t)
		c.call("user/routable-bank-accounts/issue", map[string]any{"user_id": fresh}).wantError(t, http.StatusConflict, "not_verified", "")
		c.call("user/routable-bank-accounts/issue", map[string]any{"user_id": otherID("user-")}).wantError(t, http.StatusNotFound, "not_found", "")
		c.call("user/routable-bank-accounts/issue", map[string]any{"user_id": "rbac-x"}).wantError(t, http.StatusNotFound, "not_found", "")
		c.call("user/routable-bank-accounts/issue", map[string]any{}).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "user_id")
		if after := e.ledgerRows(t); after != before {
			t.Errorf("refused issues wrote: %+v, want %+v", after, before)
		}

		uid := c.verifiedUser(t, "ada@example.com")
		numbers := map[string]bool{m["account_number"].(string): true}
		var accts []string
		for range 5 {
			a := c.issueUser(t, uid)
			if a["user_id"] != uid || a["business_id"] != "" || a["status"] != "active" || a["routing_number"] != "021000021" {
				t.Errorf("user account = %v", a)
			}
			n := a["account_number"].(string)
			if !accountNumberRE.MatchString(n) || numbers[n] {
				t.Errorf("account number %q: not 10 digits or not unique", n)
			}
			numbers[n] = true
			accts = append(accts, a["id"].(string))
		}
		c.call("user/routable-bank-accounts/issue", map[string]any{"user_id": uid}).wantError(t, http.StatusConflict, "conflict", "")
		c.call("routable-bank-accounts/close", map[string]any{"routable_bank_account_id": accts[0]}).want(t, http.StatusOK, "")
		c.issueUser(t, uid) // a closed account no longer counts

		// A business: its KYB, its own status and its owner's.
		ouid, bid := c.verifiedBusiness(t, "owner@example.com", "12-3456789")
		ba := c.issueBusiness(t, ouid, bid)
		if ba["user_id"] != ouid || ba["business_id"] != bid {
			t.Errorf("business account = %v", ba)
		}
		got := c.call("business/routable-bank-accounts/get-single", map[string]any{"user_id": ouid, "business_id": bid,
			"routable_bank_account_id": ba["id"]}).want(t, http.StatusOK, "").one(t)
		if got["id"] != ba["id"] || got["account_number"] != ba["account_number"] {
			t.Errorf("get-single = %v, want %v", got, ba)
		}
		for _, body := range []map[string]any{
			{"user_id": uid, "business_id": bid, "routable_bank_account_id": ba["id"]},           // another user
			{"user_id": ouid, "business_id": bid, "routable_bank_account_id": accts[1]},          // a user's account
			{"user_id": ouid, "business_id": bid, "routable_bank_account_id": mid},               // the master
			{"user_id": ouid, "business_id": bid, "routable_bank_account_id": "bbac-" + mid[5:]}, // a linked account's kind
		} {
			c.call("business/routable-bank-accounts/get-single", body).wantError(t, http.StatusNotFound, "not_found", "")
		}
		c.call("business/routable-bank-accounts/get-single", map[string]any{}).
			wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "user_id", "business_id", "routable_bank_account_id")

		unverified := c.newBusiness(t, ouid, "98-7654321")["id"].(string)
		c.call("business/routable-bank-accounts/issue", map[string]any{"user_id": ouid, "business_id": unverified}).
			wantError(t, http.StatusConflict, "not_verified", "")
		c.call("business/routable-bank-accounts/issue", map[string]any{"user_id": uid, "business_id": bid}).
			wantError(t, http.StatusNotFound, "not_found", "")
		c.call("business/block", map[string]any{"user_id": ouid, "business_id": bid}).want(t, http.StatusOK, "")
		c.call("business/routable-bank-accounts/issue", map[string]any{"user_id": ouid, "business_id": bid}).
			wantError(t, http.StatusConflict, "blocked", "")
		c.call("business/unblock", map[string]any{"user_id": ouid, "business_id": bid}).want(t, http.StatusOK, "")
		c.call("user/block", map[string]any{"user_id": ouid}).want(t, http.StatusOK, "")
		c.call("business/routable-bank-accounts/issue", map[string]any{"user_id": ouid, "business_id": bid}).
			wantError(t, http.StatusConflict, "blocked", "")

		// Another program sees none of it.
		other := e.program("other")
		other.call("business/routable-bank-accounts/get-single", map[string]any{"user_id": ouid, "business_id": bid,
			"routable_bank_account_id": ba["id"]}).wantError(t, http.StatusNotFound, "not_found", "")
		if om, _ := other.master(t); om == mid {
			t.Errorf("two programs share the master account %s", om)
		}
	})
}

// TestAccountList: routable-bank-accounts/get-all with its filters.
func TestAccountList(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		mid, _ := c.master(t)
		uid := c.verifiedUser(t, "ada@example.com")
		ouid, bid := c.verifiedBusiness(t, "owner@example.com", "12-3456789")
		// Apart in time: lists are newest first.
		e.clock.Advance(time.Second)
		a1 := c.issueUser(t, uid)["id"].(string)
		e.clock.Advance(time.Second)
		a2 := c.issueUser(t, uid)["id"].(string)
		e.clock.Advance(time.Second)
		b1 := c.issueBusiness(t, ouid, bid)["id"].(string)
		c.call("routable-bank-accounts/freeze", map[string]any{"routable_bank_account_id": a1}).want(t, http.StatusOK, "")
		for _, tc := range []struct {
			body map[string]any
			want []string
		}{
			{map[string]any{}, []string{b1, a2, a1, mid}},
			{map[string]any{"user_id": uid}, []string{a2, a1}},
			{map[string]any{"user_id": ouid}, []string{b1}},
			{map[string]any{"business_id": bid}, []string{b1}},
			{map[string]any{"user_id": ouid, "business_id": bid}, []string{b1}},
			{map[string]any{"status": "frozen"}, []string{a1}},
			{map[string]any{"per_page": 2, "page": 2}, []string{a1, mid}},
		} {
			r := c.call("routable-bank-accounts/get-all", tc.body).want(t, http.StatusOK, "")
			if got := ids(r.items(t)); !slices.Equal(got, tc.want) {
				t.Errorf("get-all %v = %v, want %v", tc.body, got, tc.want)
			}
			if total := r.pagination(t)["total"]; tc.body["per_page"] != nil && total != float64(4) {
				t.Errorf("total = %v, want 4", total)
			}
		}
		c.call("routable-bank-accounts/get-all", map[string]any{"user_id": uid, "business_id": bid}).wantError(t, http.StatusNotFound, "not_found", "")
		c.call("routable-bank-accounts/get-all", map[string]any{"user_id": otherID("user-")}).wantError(t, http.StatusNotFound, "not_found", "")
		c.call("routable-bank-accounts/get-all", map[string]any{"status": "open", "per_page": 0}).
			wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "status", "per_page")
	})
}

// TestAccountFreezeAndClose: the status transitions and what each allows;
// each writes its event, and a refused one nothing.
func TestAccountFreezeAndClose(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		mid, pid := c.master(t)
		uid := c.verifiedUser(t, "ada@example.com")
		acct := c.issueUser(t, uid)["id"].(string)
		user, prog := side{"user", uid, acct}, side{"program", pid, mid}
		c.inbound(t, mid, "100.00")
		c.transfer(t, prog, user, "40.00", "fund")
		c.settledBalance(t, uid, "", acct)

		act := func(verb string, status int, code string) {
			t.Helper()
			r := c.call("routable-bank-accounts/"+verb, map[string]any{"routable_bank_account_id": acct, "reason": "review"})
			if code != "" {
				r.wantError(t, status, code, "")
				return
			}
			r.want(t, http.StatusOK, "")
		}
		act("unfreeze", http.StatusConflict, "conflict")
		act("freeze", http.StatusOK, "")
		act("freeze", http.StatusConflict, "conflict")
		// Frozen: receives, does not send.
		c.transfer(t, prog, user, "5.00", "to-frozen")
		c.call(transferPath, transferBody(user, prog, "1.00", "from-frozen")).wantError(t, http.StatusConflict, "account_not_active", "")
		act("close", http.StatusConflict, "conflict") // still holds money
		act("unfreeze", http.StatusOK, "")
		if got := c.settledBalance(t, uid, "", acct); got != "45.00" {
			t.Fatalf("balance = %s, want 45.00", got)
		}
		c.transfer(t, user, prog, "45.00", "empty-it")
		eventually(t, "the account emptied", func() bool {
			d := c.balance(t, map[string]any{"user_id": uid})
			return d["available_balance"] == "0.00" && d["pending_balance"] == "0.00"
		})
		e.waitJobs(t)
		act("close", http.StatusOK, "")
		act("close", http.StatusConflict, "conflict")
		act("unfreeze", http.StatusConflict, "conflict")
		c.call(transferPath, transferBody(prog, user, "1.00", "to-closed")).wantError(t, http.StatusConflict, "account_not_active", "")
		c.call("routable-bank-accounts/close", map[string]any{"routable_bank_account_id": mid}).wantError(t, http.StatusConflict, "conflict", "")
		c.call("routable-bank-accounts/freeze", map[string]any{"routable_bank_account_id": otherID("rbac-")}).wantError(t, http.StatusNotFound, "not_found", "")
		c.call("routable-bank-accounts/freeze", map[string]any{"routable_bank_account_id": acct, "reason": string(make([]byte, 501))}).
			wantError(t, http.StatusBadRequest, "invalid", "")

		var types []string
		rows, err := e.store.DB().Query(rebindFor(e, `SELECT type FROM events WHERE subject_id = ? ORDER BY seq`), acct)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var typ string
			rows.Scan(&typ)
			types = append(types, typ)
		}
		if want := []string{"account.issued", "account.frozen", "account.unfrozen", "account.closed"}; !slices.Equal(types, want) {
			t.Errorf("account events = %v, want %v", types, want)
		}
		e.wantLedger(t)
	})
}

// TestAccountCallsReplay: an issue, a freeze and an inbound transfer sent
// again under their idempotent_key answer the first answer byte for byte
// and do nothing more.
func TestAccountCallsReplay(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid := c.verifiedUser(t, "ada@example.com")
		issue := map[string]any{"user_id": uid, "idempotent_key": "issue-1"}
		first := c.call("user/routable-bank-accounts/issue", issue).want(t, http.StatusOK, "")
		acct := first.one(t)["id"].(string)
		freeze := map[string]any{"routable_bank_account_id": acct, "idempotent_key": "freeze-1"}
		frozen := c.call("routable-bank-accounts/freeze", freeze).want(t, http.StatusOK, "")
		in := map[string]any{"routable_bank_account_id": acct, "amount": "5.00", "rail": "wire", "idempotent_key": "in-1"}
		funded := c.call("sandbox/simulate/inbound-transfer", in).want(t, http.StatusOK, "")
		before := e.ledgerRows(t)
		for _, r := range []struct {
			path  string
			body  map[string]any
			first response
		}{
			{"user/routable-bank-accounts/issue", issue, first},
			{"routable-bank-accounts/freeze", freeze, frozen},
			{"sandbox/simulate/inbound-transfer", in, funded},
		} {
			again := c.call(r.path, r.body).want(t, http.StatusOK, "")
			if !bytes.Equal(again.Body, r.first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("%s replayed %s, want %s", r.path, again.Body, r.first.Body)
			}
		}
		if after := e.ledgerRows(t); after != before {
			t.Errorf("replays wrote rows: %+v, want %+v", after, before)
		}
		if d := c.balance(t, map[string]any{"user_id": uid}); d["available_balance"] != "5.00" {
			t.Errorf("balance after replays = %v, want 5.00", d)
		}
	})
}
