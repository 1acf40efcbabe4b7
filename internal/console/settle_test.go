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
)

// balance reads account a's posted balance and pending credits.
func (e *env) balance(a banking.Account) (posted, pendingCredits int64) {
	e.t.Helper()
	got, err := e.svc.AccountByID(context.Background(), e.program, string(a.ID))
	if err != nil {
		e.t.Fatalf("read account %s: %v", a.ID, err)
	}
	return got.Balance.Posted, got.Balance.PendingCredits
}

// txStatus reads transaction id's status.
func (e *env) txStatus(id banking.TransactionID) banking.TxStatus {
	e.t.Helper()
	f, err := e.svc.TransactionByID(context.Background(), e.program, string(id))
	if err != nil {
		e.t.Fatalf("read transaction %s: %v", id, err)
	}
	return f.Status
}

// TestSettleFromTheTransactionPage: a pending top-up's page offers the
// settlement form; settling it completed posts the money, names the
// operator in the timeline, and replaces the form by the return form; a
// second decision is the 409's message as the page's notice; a return
// with R10 moves the money back.
func TestSettleFromTheTransactionPage(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		owner := e.user("Grace", "Hopper", "grace@example.com", "6789", true)
		e.waitKYC(owner, banking.KYCVerified)
		biz := e.business(owner, "Difference Works Inc", "12-3456789", "5555")
		acct, top := e.pendingTopUp(owner, biz, "25.00")
		path := e.transactionPath(top.ID)
		b := e.browser()
		b.signIn(e.token)
		page := b.get(path).want(t, http.StatusOK, "")
		if !strings.Contains(page.body, `action="`+path+`/settle"`) || !strings.Contains(page.body, `<option value="blocked">`) {
			t.Fatalf("a pending top-up's page lacks the settlement form")
		}
		if strings.Contains(page.body, `value="returned"`) {
			t.Errorf("a pending top-up's page offers a return")
		}
		if p, pc := e.balance(acct); p != 0 || pc != 2500 {
			t.Fatalf("before settling: posted %d, pending credits %d; want 0 and 2500", p, pc)
		}
		csrf := page.csrf(t)
		b.post(path+"/settle", url.Values{"csrf": {csrf}, "back": {path}, "outcome": {"completed"}}).want(t, http.StatusSeeOther, path)
		after := b.get(path).want(t, http.StatusOK, "").body
		for _, want := range []string{"The $25.00 top_up is now completed.", "operator:alice", `value="returned"`} {
			if !strings.Contains(after, want) {
				t.Errorf("page after settling lacks %q", want)
			}
		}
		if strings.Contains(after, `<option value="blocked">`) {
			t.Errorf("a completed top-up's page still offers the settlement form")
		}
		if p, pc := e.balance(acct); p != 2500 || pc != 0 {
			t.Errorf("after settling: posted %d, pending credits %d; want 2500 and 0", p, pc)
		}
		// Decided already: the 409's message is the notice, nothing moves.
		b.post(path+"/settle", url.Values{"csrf": {csrf}, "outcome": {"failed"}}).want(t, http.StatusSeeOther, path)
		if body := b.get(path).body; !strings.Contains(body, "transaction is completed: failed needs it pending") ||
			!strings.Contains(body, "flash-error") {
			t.Errorf("a second decision is not refused on the page")
		}
		// A bad outcome names the field.
		b.post(path+"/settle", url.Values{"csrf": {csrf}, "outcome": {"lost"}}).want(t, http.StatusSeeOther, path)
		if body := b.get(path).body; !strings.Contains(body, "outcome") || !strings.Contains(body, "flash-error") {
			t.Errorf("an unknown outcome is not explained")
		}
		b.post(path+"/settle", url.Values{"csrf": {csrf}, "outcome": {"returned"}, "return_code": {"R10"}}).want(t, http.StatusSeeOther, path)
		if got := e.txStatus(top.ID); got != banking.TxReturned {
			t.Errorf("after the return: %s, want returned", got)
		}
		if p, _ := e.balance(acct); p != 0 {
			t.Errorf("after the return: posted %d, want 0", p)
		}
		if body := b.get(path).body; strings.Contains(body, `action="`+path+`/settle"`) {
			t.Errorf("a returned top-up's page still offers a decision")
		}
	})
}

// TestSandboxActionsNeedTheCSRFToken: settling, advancing the clock and
// resetting without the CSRF token, or with a wrong one, are 403 and
// change nothing.
func TestSandboxActionsNeedTheCSRFToken(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		s := seed(t, e)
		owner, err := e.svc.GetUser(context.Background(), e.caller(), string(s.business.UserID))
		if err != nil {
			t.Fatal(err)
		}
		biz := e.business(owner, "Difference Works Inc", "12-3456789", "5555")
		acct, top := e.pendingTopUp(owner, biz, "25.00")
		clockBefore, err := e.svc.ClockNow(context.Background(), e.caller())
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn(e.token)
		sandbox := programPath(e.program) + "/sandbox"
		posts := map[string]url.Values{
			e.transactionPath(top.ID) + "/settle": {"outcome": {"completed"}},
			sandbox + "/clock":                    {"seconds": {"86400"}},
			sandbox + "/reset":                    {"confirm": {"yes"}},
		}
		for name, csrf := range map[string][]string{"missing": nil, "wrong": {strings.Repeat("0", 64)}, "empty": {""}} {
			for p, form := range posts {
				f := url.Values{}
				for k, v := range form {
					f[k] = v
				}
				if csrf != nil {
					f["csrf"] = csrf
				}
				if a := b.post(p, f); a.StatusCode != http.StatusForbidden {
					t.Errorf("POST %s with a %s token: %d, want 403", p, name, a.StatusCode)
				}
			}
		}
		s.unchanged(t, e)
		if got := e.txStatus(top.ID); got != banking.TxPending {
			t.Errorf("top-up after refused posts: %s, want pending", got)
		}
		if p, pc := e.balance(acct); p != 0 || pc != 2500 {
			t.Errorf("business account after refused posts: posted %d, pending credits %d", p, pc)
		}
		if now, _ := e.svc.ClockNow(context.Background(), e.caller()); now.Sub(clockBefore) > time.Hour {
			t.Errorf("the program's clock moved from %s to %s on refused posts", clockBefore, now)
		}
		if _, err := e.svc.GetUser(context.Background(), e.caller(), string(s.pending.ID)); err != nil {
			t.Errorf("a user is gone after refused posts: %v", err)
		}
	})
}

// TestSandboxControls: the sandbox page shows the program's time; "+ 1
// day" moves it a day ahead and says so; a reset without the confirmation
// box changes nothing and says why; with it the program's customers are
// gone and its new audit trail names the operator.
func TestSandboxControls(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		s := seed(t, e)
		ctx := context.Background()
		b := e.browser()
		b.signIn(e.token)
		sandbox := programPath(e.program) + "/sandbox"
		page := b.get(sandbox).want(t, http.StatusOK, "")
		if !strings.Contains(page.body, "the real time") {
			t.Errorf("a fresh program's clock is not shown as the real time")
		}
		before, _ := e.svc.ClockNow(ctx, e.caller())
		csrf := page.csrf(t)
		b.post(sandbox+"/clock", url.Values{"csrf": {csrf}, "seconds": {"86400"}}).want(t, http.StatusSeeOther, sandbox)
		after, _ := e.svc.ClockNow(ctx, e.caller())
		if d := after.Sub(before); d < 24*time.Hour || d > 24*time.Hour+time.Minute {
			t.Errorf("the clock moved by %s, want a day", d)
		}
		body := b.get(sandbox).body
		for _, want := range []string{"The clock moved forward by 1 day", "1 day ahead of the real time", formatUTC(after)[:16],
			"program.clock_advanced", "operator:alice"} {
			if !strings.Contains(body, want) {
				t.Errorf("sandbox page after the advance lacks %q", want)
			}
		}
		b.post(sandbox+"/clock", url.Values{"csrf": {csrf}, "seconds": {"0"}}).want(t, http.StatusSeeOther, sandbox)
		if body := b.get(sandbox).body; !strings.Contains(body, "seconds must be a whole number") {
			t.Errorf("a zero advance is not refused with its reason")
		}
		b.post(sandbox+"/reset", url.Values{"csrf": {csrf}}).want(t, http.StatusSeeOther, sandbox)
		if body := b.get(sandbox).body; !strings.Contains(body, "confirm must be ticked") {
			t.Errorf("a reset without confirmation is not refused with its reason")
		}
		if _, err := e.svc.GetUser(ctx, e.caller(), string(s.pending.ID)); err != nil {
			t.Errorf("a user is gone after an unconfirmed reset: %v", err)
		}
		b.post(sandbox+"/reset", url.Values{"csrf": {csrf}, "confirm": {"yes"}}).want(t, http.StatusSeeOther, sandbox)
		if body := b.get(sandbox).body; !strings.Contains(body, "was reset") || !strings.Contains(body, "the real time") {
			t.Errorf("after the reset the page lacks the notice or the clock is not back to the real time")
		}
		if _, err := e.svc.GetUser(ctx, e.caller(), string(s.pending.ID)); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("a user after the reset: %v, want not found", err)
		}
		evs, _, err := e.svc.Trail(ctx, e.program, string(e.program), 1, 10)
		if err != nil || len(evs) == 0 || evs[0].Type != banking.EventProgramReset || evs[0].Actor != "operator:alice" {
			t.Errorf("program trail after the reset: %+v (%v), want program.reset by operator:alice", evs, err)
		}
	})
}

// TestSandboxControlsOnlyInTheSandbox: without --sandbox the sandbox page
// is not found, its link is not in the menu, and its actions are refused
// with an explanation and change nothing; settling is there in production
// too (the manual rail).
func TestSandboxControlsOnlyInTheSandbox(t *testing.T) {
	e := newEnv(t, t.TempDir()+"/c.db")
	s := seed(t, e)
	owner, err := e.svc.GetUser(context.Background(), e.caller(), string(s.business.UserID))
	if err != nil {
		t.Fatal(err)
	}
	biz := e.business(owner, "Difference Works Inc", "12-3456789", "5555")
	acct, top := e.pendingTopUp(owner, biz, "25.00")
	prod := httptest.NewServer(Mount(http.NotFoundHandler(), New(Config{Service: e.svc, Now: e.clock.Now})))
	t.Cleanup(prod.Close)
	pe := *e
	pe.srv = prod
	b := pe.browser()
	b.signIn(e.token)
	sandbox := programPath(e.program) + "/sandbox"
	b.get(sandbox).want(t, http.StatusNotFound, "")
	page := b.get(e.transactionPath(top.ID)).want(t, http.StatusOK, "")
	if strings.Contains(page.body, sandbox) {
		t.Errorf("a production page links the sandbox's controls")
	}
	csrf := page.csrf(t)
	before, _ := e.svc.ClockNow(context.Background(), e.caller())
	for _, p := range []string{sandbox + "/clock", sandbox + "/reset"} {
		b.post(p, url.Values{"csrf": {csrf}, "seconds": {"86400"}, "confirm": {"yes"}}).want(t, http.StatusSeeOther, Prefix)
		if body := b.get(Prefix).body; !strings.Contains(body, "exist only in a sandbox") {
			t.Errorf("the refused POST %s is not explained", p)
		}
	}
	if now, _ := e.svc.ClockNow(context.Background(), e.caller()); now.Sub(before) > time.Hour {
		t.Errorf("a production clock advance moved the clock from %s to %s", before, now)
	}
	s.unchanged(t, e)
	// Settling is an operator's job in production too.
	if !strings.Contains(page.body, `action="`+e.transactionPath(top.ID)+`/settle"`) {
		t.Fatalf("a production transaction page lacks the settlement form")
	}
	b.post(e.transactionPath(top.ID)+"/settle", url.Values{"csrf": {csrf}, "outcome": {"completed"}}).
		want(t, http.StatusSeeOther, e.transactionPath(top.ID))
	if p, _ := e.balance(acct); p != 2500 {
		t.Errorf("after settling in production: posted %d, want 2500", p)
	}
}
