package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/banking"
)

// TestDecisions: an operator's approve and reject resolve KYC and KYB as the
// provider's decision would (a business's owners and documents follow it),
// each recorded with the actor operator:<token name> and the reason; a
// decision on what is not pending, or an unknown verdict, changes nothing
// and says why on the page it returns to.
func TestDecisions(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := seed(t, e)
		b := e.browser()
		b.signIn(e.token)
		review := programPath(e.program) + "/review"
		csrf := b.get(review).want(t, http.StatusOK, "").csrf(t)
		post := func(path, decision, reason string) {
			t.Helper()
			b.post(path, url.Values{"csrf": {csrf}, "decision": {decision}, "reason": {reason}, "back": {review}}).
				want(t, http.StatusSeeOther, review)
		}

		// Reject the user from the queue.
		post(e.userPath(s.pending.ID)+"/kyc", "reject", "ID_MISMATCH")
		page := b.get(review).body
		if !strings.Contains(page, "KYC of Ada Lovelace is now rejected.") || strings.Contains(page, "Ada Lovelace</a>") {
			t.Errorf("review page after rejecting Ada: notice missing or Ada still listed")
		}
		u, _ := e.svc.GetUser(ctx, e.caller(), string(s.pending.ID))
		if u.KYCStatus != banking.KYCRejected || u.KYCReason != "ID_MISMATCH" {
			t.Errorf("user after reject: %s %q, want rejected ID_MISMATCH", u.KYCStatus, u.KYCReason)
		}
		evs, _, _ := e.svc.Trail(ctx, e.program, string(u.ID), 1, 1)
		if ev := evs[0]; ev.Type != banking.EventKYCRejected || ev.Actor != "operator:alice" || ev.Reason != "ID_MISMATCH" || ev.Broken != "" {
			t.Errorf("newest user event = %s by %s (%q, broken %q), want user.kyc.rejected by operator:alice", ev.Type, ev.Actor, ev.Reason, ev.Broken)
		}

		// Deciding again: a conflict, shown, nothing written.
		post(e.userPath(s.pending.ID)+"/kyc", "approve", "")
		if page := b.get(review).body; !strings.Contains(page, "user kyc_status is rejected") {
			t.Errorf("second decision's conflict is not shown on the page")
		}
		if _, n, _ := e.svc.Trail(ctx, e.program, string(u.ID), 1, 1); n != 3 {
			t.Errorf("user trail has %d events after a refused decision, want 3 (created, submitted, rejected)", n)
		}
		// An unknown verdict is refused.
		post(e.businessPath(s.business.ID)+"/kyb", "maybe", "")
		if page := b.get(review).body; !strings.Contains(page, "decision must be approve or reject") {
			t.Errorf("unknown verdict is not refused on the page")
		}

		// Approve the business: it, its owner and its document follow.
		post(e.businessPath(s.business.ID)+"/kyb", "approve", "DOCS_OK")
		f, err := e.st.BusinessFile(ctx, e.program, s.business.UserID, s.business.ID)
		if err != nil {
			t.Fatal(err)
		}
		docs, _ := e.svc.BusinessDocuments(ctx, e.program, s.business.ID)
		if f.Business.KYBStatus != banking.KYCVerified || f.Owners[0].KYCStatus != banking.KYCVerified || docs[0].Status != banking.DocApproved {
			t.Errorf("after approving: business %s, owner %s, document %s; want verified, verified, approved",
				f.Business.KYBStatus, f.Owners[0].KYCStatus, docs[0].Status)
		}
		evs, _, _ = e.svc.Trail(ctx, e.program, string(s.business.ID), 1, 2)
		if evs[0].Type != banking.EventKYBVerified || evs[1].Type != banking.EventOwnerKYCVerified {
			t.Errorf("newest business events = %s, %s; want business.kyb.verified, business.owner.kyc.verified", evs[0].Type, evs[1].Type)
		}
		for _, ev := range evs {
			if ev.Actor != "operator:alice" || ev.Broken != "" {
				t.Errorf("event %s: actor %s, broken %q; want operator:alice, intact", ev.Type, ev.Actor, ev.Broken)
			}
		}

		// A decision about another program's user is not found.
		other, err := e.svc.CreateProgram(ctx, "other")
		if err != nil {
			t.Fatal(err)
		}
		b.post(programPath(banking.ProgramID(other.ProgramID))+"/users/"+string(s.pending.ID)+"/kyc",
			url.Values{"csrf": {csrf}, "decision": {"approve"}}).want(t, http.StatusSeeOther,
			programPath(banking.ProgramID(other.ProgramID))+"/users/"+string(s.pending.ID))
		if page := b.get(review).body; !strings.Contains(page, "user not found") {
			t.Errorf("another program's user: not found is not shown")
		}
	})
}

// TestPagesShowOnlyTheLastFour: the user's and the business's pages, and the
// review queue, show SSNs as their last four digits and never in full.
func TestPagesShowOnlyTheLastFour(t *testing.T) {
	e := newEnv(t, t.TempDir()+"/c.db")
	s := seed(t, e)
	b := e.browser()
	b.signIn(e.token)
	for _, p := range []string{e.userPath(s.pending.ID), e.businessPath(s.business.ID), programPath(e.program) + "/review",
		programPath(e.program) + "/users"} {
		body := b.get(p).want(t, http.StatusOK, "").body
		for _, ssn := range e.ssns {
			if strings.Contains(body, ssn) {
				t.Errorf("%s shows the full SSN %s", p, ssn)
			}
		}
	}
	if body := b.get(e.userPath(s.pending.ID)).body; !strings.Contains(body, "•••• 0002") {
		t.Errorf("user page does not show the SSN's last four digits")
	}
	if body := b.get(e.businessPath(s.business.ID)).body; !strings.Contains(body, "•••• 4321") {
		t.Errorf("business page does not show the owner's SSN's last four digits")
	}
}

// TestListsPaginateBy50: the users list shows 50 rows a page, with links
// that keep the filters.
func TestListsPaginateBy50(t *testing.T) {
	e := newEnv(t, t.TempDir()+"/c.db")
	for i := range 51 {
		e.user("Page", "Tester", "p"+string(rune('a'+i/26))+string(rune('a'+i%26))+"@example.com", "1111", false)
	}
	b := e.browser()
	b.signIn(e.token)
	users := programPath(e.program) + "/users"
	first := b.get(users+"?search=tester").want(t, http.StatusOK, "").body
	if n := strings.Count(first, `<td data-label="Name">`); n != 50 {
		t.Errorf("first page: %d rows, want 50", n)
	}
	next := users + "?page=2&amp;search=tester"
	if !strings.Contains(first, `href="`+next+`"`) || !strings.Contains(first, "users 1–50 of 51") {
		t.Errorf("first page lacks the link to page 2 (%s) or the position", next)
	}
	second := b.get(users + "?page=2&search=tester").body
	if n := strings.Count(second, `<td data-label="Name">`); n != 1 {
		t.Errorf("second page: %d rows, want 1", n)
	}
	if bad := b.get(users + "?kyc_status=bogus").body; !strings.Contains(bad, "kyc_status must be") {
		t.Errorf("an invalid filter is not explained on the page")
	}
}
