package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// trailRow is one audit event as the events table holds it.
type trailRow struct {
	seq     int64
	subject string
	typ     banking.EventType
	actor   string
}

// eventsAfter reads the program's audit events written after seq, in
// order.
func (e *env) eventsAfter(seq int64) []trailRow {
	e.t.Helper()
	q := `SELECT seq, subject_id, type, actor FROM events WHERE program_id = ? AND seq > ? ORDER BY seq`
	if e.st.Engine() == store.Postgres {
		q = `SELECT seq, subject_id, type, actor FROM events WHERE program_id = $1 AND seq > $2 ORDER BY seq`
	}
	rows, err := e.st.DB().QueryContext(context.Background(), q, e.program, seq)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []trailRow
	for rows.Next() {
		var r trailRow
		if err := rows.Scan(&r.seq, &r.subject, &r.typ, &r.actor); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// lastSeq is the seq of the program's newest audit event.
func (e *env) lastSeq() int64 {
	e.t.Helper()
	evs := e.eventsAfter(0)
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].seq
}

// TestEveryActionIsAudited: each console action that changes a program
// (sandbox.md section 3: approve and reject, simulate an inbound transfer,
// settle and return, advance the clock, redeliver a webhook, reset) writes
// its audit events with the actor operator:<token name>, in the
// transaction of its change: the events it adds are exactly the ones
// listed, every one names the operator, and the hash chain still verifies
// after each. Signing out changes no program and writes nothing.
func TestEveryActionIsAudited(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := seed(t, e)
		owner, err := e.svc.GetUser(ctx, e.caller(), string(s.business.UserID))
		if err != nil {
			t.Fatal(err)
		}
		biz := e.business(owner, "Difference Works Inc", "12-3456789", "5555")
		_, top := e.pendingTopUp(owner, biz, "25.00")
		b := e.browser()
		b.signIn(e.token)
		p := programPath(e.program)
		csrf := b.get(p+"/sandbox").want(t, http.StatusOK, "").csrf(t)
		const op = "operator:alice"

		actions := []struct {
			name string
			path string
			form url.Values
			// want are the types of the events the action adds with the
			// operator as actor, in order: one for each subject it
			// changes; subject is the first one's ("" unchecked).
			want    []banking.EventType
			subject string
		}{
			{"approve a KYC", e.userPath(s.pending.ID) + "/kyc", url.Values{"decision": {"approve"}, "reason": {"DOCS_OK"}},
				[]banking.EventType{banking.EventKYCVerified}, string(s.pending.ID)},
			// A business's owners follow it, each with an event of their
			// own, as with the provider's decision.
			{"reject a KYB", e.businessPath(s.business.ID) + "/kyb", url.Values{"decision": {"reject"}},
				[]banking.EventType{banking.EventOwnerKYCRejected, banking.EventKYBRejected}, string(s.business.ID)},
			{"simulate an inbound wire", e.accountPath(s.account.ID) + "/inbound-transfer",
				url.Values{"amount": {"10.00"}, "rail": {"wire"}},
				[]banking.EventType{banking.EventTransferCompleted}, ""},
			{"settle a pending top-up", e.transactionPath(top.ID) + "/settle", url.Values{"outcome": {"completed"}},
				[]banking.EventType{banking.EventTransferCompleted}, string(top.ID)},
			// The top-up is returned and the return that moves the money
			// back is a transaction of its own, with its own event.
			{"return it", e.transactionPath(top.ID) + "/settle", url.Values{"outcome": {"returned"}, "return_code": {"R10"}},
				[]banking.EventType{banking.EventTransferReturned, banking.EventTransferCompleted}, string(top.ID)},
			{"advance the clock", p + "/sandbox/clock", url.Values{"seconds": {"3600"}},
				[]banking.EventType{banking.EventClockAdvanced}, string(e.program)},
			{"redeliver a webhook", p + "/webhooks/" + s.hook.ID + "/redeliver", url.Values{},
				[]banking.EventType{banking.EventWebhookRedelivered}, s.hook.ID},
			{"reset the program", p + "/sandbox/reset", url.Values{"confirm": {"yes"}},
				[]banking.EventType{banking.EventProgramReset}, string(e.program)},
		}
		for _, a := range actions {
			before := e.lastSeq()
			if a.name == "reset the program" {
				before = 0 // the reset deletes the trail and starts it anew
			}
			a.form.Set("csrf", csrf)
			if got := b.post(a.path, a.form); got.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: POST %s: %d", a.name, a.path, got.StatusCode)
			}
			if f := b.get(p + "/sandbox").body; !strings.Contains(f, "flash-ok") {
				t.Errorf("%s: no success notice; the page says:\n%s", a.name, f)
			}
			var mine []trailRow
			for _, ev := range e.eventsAfter(before) {
				// Background work (a job the change scheduled, a webhook
				// retry) writes with its own actor; the operator's are
				// the action's.
				if ev.actor == op {
					mine = append(mine, ev)
				}
			}
			if len(mine) == 0 {
				t.Errorf("%s: no audit event names %s", a.name, op)
				continue
			}
			var types []banking.EventType
			for _, ev := range mine {
				types = append(types, ev.typ)
			}
			if !slices.Equal(types, a.want) {
				t.Errorf("%s: events by %s = %v, want %v", a.name, op, types, a.want)
			}
			if a.subject != "" && mine[0].subject != a.subject {
				t.Errorf("%s: first event's subject = %s, want %s", a.name, mine[0].subject, a.subject)
			}
			rep, err := e.st.VerifyAudit(ctx)
			if err != nil || !rep.Intact() {
				t.Fatalf("%s: audit chain: %+v (%v), want intact", a.name, rep.Broken, err)
			}
		}

		// Signing out writes nothing to the program's trail.
		before := e.lastSeq()
		b.post(Prefix+"sign-out", url.Values{"csrf": {csrf}}).want(t, http.StatusSeeOther, Prefix+"sign-in?signed-out")
		for _, ev := range e.eventsAfter(before) {
			if ev.actor == op {
				t.Errorf("signing out wrote %s by %s", ev.typ, ev.actor)
			}
		}
	})
}
