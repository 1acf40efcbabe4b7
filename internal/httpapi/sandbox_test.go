package httpapi_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/kyc"
	"github.com/ingot-dev/ingot/internal/store"
)

// clockNow reads a program's clock through the API.
func (c *apiClient) clockNow(t *testing.T) time.Time {
	t.Helper()
	r := c.call("sandbox/clock/get", map[string]any{}).want(t, http.StatusOK, "")
	return parseNow(t, r)
}

// advance moves a program's clock and returns the answered time.
func (c *apiClient) advance(t *testing.T, seconds int64) time.Time {
	t.Helper()
	r := c.call("sandbox/clock/advance", map[string]any{"seconds": seconds}).want(t, http.StatusOK, "")
	return parseNow(t, r)
}

func parseNow(t *testing.T, r response) time.Time {
	t.Helper()
	data, _ := r.JSON["data"].(map[string]any)
	s, _ := data["now"].(string)
	now, err := time.Parse("2006-01-02T15:04:05.000Z", s)
	if err != nil {
		t.Fatalf("now = %q: %v; body %s", s, err, r.Body)
	}
	return now
}

func TestSandboxClock(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c, other := e.program("acme"), e.program("other")
		start := e.clock.Now().UTC()
		if got := c.clockNow(t); !got.Equal(start) {
			t.Fatalf("clock/get = %v, want the real time %v", got, start)
		}
		prev := start
		for _, s := range []int64{1, 3600, 86400 * 30} {
			got := c.advance(t, s)
			if want := prev.Add(time.Duration(s) * time.Second); !got.Equal(want) {
				t.Errorf("advance %d = %v, want %v", s, got, want)
			}
			if !got.After(prev) {
				t.Errorf("clock went from %v to %v: never back, never still", prev, got)
			}
			prev = got
		}
		if got := c.clockNow(t); !got.Equal(prev) {
			t.Errorf("clock/get after advances = %v, want %v", got, prev)
		}
		if got := other.clockNow(t); !got.Equal(start) {
			t.Errorf("another program's clock = %v, want %v untouched", got, start)
		}
		// Timestamps follow the program's clock.
		u := c.call("user/create", validUser("ada@acme.example")).want(t, http.StatusOK, "").user(t)
		if u["created_at"] != prev.Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("created_at = %v, want the program's time %v", u["created_at"], prev)
		}
		u2 := other.call("user/create", validUser("ada@other.example")).want(t, http.StatusOK, "").user(t)
		if u2["created_at"] != start.Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("other program's created_at = %v, want %v", u2["created_at"], start)
		}
		for _, body := range []string{`{"seconds":0}`, `{"seconds":-5}`, `{"seconds":31536001}`, `{"seconds":1e30}`,
			`{"seconds":99999999999999999999}`, `{"seconds":"60"}`, `{"seconds":1.5}`, `{}`} {
			r := c.call("sandbox/clock/advance", []byte(body))
			r.want(t, http.StatusBadRequest, "invalid")
			r.wantFields(t, "seconds")
		}
		if got := c.clockNow(t); !got.Equal(prev) {
			t.Errorf("refused advances moved the clock to %v, want %v", got, prev)
		}
		// Each advance is one program.clock_advanced event of the sandbox,
		// from the time before to the time after; refused ones are none.
		pid := banking.ProgramID(c.creds.ProgramID)
		evs, _, err := e.store.Events(context.Background(), pid, string(pid), 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 4 {
			t.Fatalf("program trail has %d events, want program.created and 3 advances: %+v", len(evs), evs)
		}
		to := prev
		for i, s := range []int64{86400 * 30, 3600, 1} {
			ev, from := evs[i], to.Add(-time.Duration(s)*time.Second)
			ch := ev.Changes["now"]
			if ev.Type != banking.EventClockAdvanced || ev.Actor != "sandbox" || ev.SubjectID != string(pid) ||
				ch.From != from.Format("2006-01-02T15:04:05.000Z") || ch.To != to.Format("2006-01-02T15:04:05.000Z") {
				t.Errorf("event %d = %s by %s about %s, now %v → %v; want program.clock_advanced by sandbox, %v → %v",
					i, ev.Type, ev.Actor, ev.SubjectID, ch.From, ch.To, from, to)
			}
			to = from
		}
		if rep, err := e.store.VerifyAudit(context.Background()); err != nil || !rep.Intact() {
			t.Errorf("audit chain after advances: %+v (%v)", rep.Broken, err)
		}
	})
}

func TestSandboxClockDecidesDelayedKYC(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.restartWithKYC(kyc.Sandbox{Delay: time.Hour})
		c := e.program("acme")
		id := c.newKYCUser(t, "ada@acme.example", "6789")
		c.submit(t, id)
		c.advance(t, 3599)
		if u := c.call("user/get", map[string]any{"user_id": id}).want(t, http.StatusOK, "").user(t); u["kyc_status"] != "pending" {
			t.Fatalf("kyc_status after 59:59 of a 1 h check = %v, want pending", u["kyc_status"])
		}
		now := c.advance(t, 1)
		u := c.call("user/get", map[string]any{"user_id": id}).want(t, http.StatusOK, "").user(t)
		if u["kyc_status"] != "verified" {
			t.Fatalf("kyc_status right after the advance past the delay = %v, want verified", u["kyc_status"])
		}
		if u["updated_at"] != now.Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("decided at %v, want the program's time %v", u["updated_at"], now)
		}
	})
}

// TestSandboxClockSettlesTopUp: a top-up on the sandbox rail with a 3-day
// settlement delay completes after an advance of 3 days and not after 2;
// one from an account ending 0003 comes back a delay after completing.
func TestSandboxClockSettlesTopUp(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.achDelay = 72 * time.Hour
		e.restart()
		c := e.program("acme")
		uid, bid := c.verifiedBusiness(t, "clock@example.com", "12-3456781")
		rba := c.issueBusiness(t, uid, bid)["id"].(string)
		ok := c.topUp(t, uid, bid, rba, c.link(t, uid, bid, "000123456789"), "100.00", "t-ok")["id"].(string)
		back := c.topUp(t, uid, bid, rba, c.link(t, uid, bid, "55550003"), "20.00", "t-back")["id"].(string)
		c.advance(t, 2*86400)
		for _, id := range []string{ok, back} {
			if s := c.txOf(t, uid, id)["status"]; s != "pending" {
				t.Errorf("%s after 2 days of 3: %v, want pending", id, s)
			}
		}
		c.wantBalance(t, uid, bid, "0.00", "120.00")
		c.advance(t, 86400)
		for _, id := range []string{ok, back} {
			if s := c.txOf(t, uid, id)["status"]; s != "completed" {
				t.Errorf("%s after 3 days: %v, want completed", id, s)
			}
		}
		c.wantBalance(t, uid, bid, "120.00", "0.00")
		c.advance(t, 3*86400)
		c.wantTx(t, uid, back, "returned", "R10 customer advises not authorized")
		c.wantBalance(t, uid, bid, "100.00", "0.00")
		e.wantLedger(t)
	})
}

func TestSandboxClockSettlesACH(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.achDelay = 72 * time.Hour
		e.restart()
		c := e.program("acme")
		acct, _ := c.master(t)
		tx := c.call("sandbox/simulate/inbound-transfer", map[string]any{"routable_bank_account_id": acct,
			"amount": "25.00"}).want(t, http.StatusOK, "").one(t)
		status := func() any {
			for _, it := range c.call("transactions/program-rba", map[string]any{}).want(t, http.StatusOK, "").items(t) {
				if it["id"] == tx["id"] {
					return it["status"]
				}
			}
			return "missing"
		}
		c.advance(t, 2*86400)
		if s := status(); s != "pending" {
			t.Fatalf("after 2 days of a 3-day ACH: %v, want pending", s)
		}
		c.advance(t, 86400)
		if s := status(); s != "completed" {
			t.Fatalf("after 3 days of a 3-day ACH: %v, want completed", s)
		}
		e.wantLedger(t)
	})
}

// A receiver that always fails: one advance past the retry window runs the
// whole schedule (about ten attempts over 72 h) and the delivery fails.
func TestSandboxClockRunsWebhookRetries(t *testing.T) {
	webhookEngines(t, 1, func(int) int { return http.StatusInternalServerError }, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, _ string) {
		id := c.newKYCUser(t, "ada@acme.example", "6789")
		c.submit(t, id)
		first := rec.waitFor(t, "user.kyc.verified", 1)
		ev := first[0].id()
		start := time.Now()
		c.advance(t, 4*86400)
		t.Logf("advance of 4 days with a failing receiver answered in %v after %d attempts", time.Since(start), len(rec.of("user.kyc.verified")))
		d := c.call("webhook/deliveries", map[string]any{"event_id": ev}).want(t, http.StatusOK, "").items(t)
		if len(d) != 1 {
			t.Fatalf("deliveries of %s = %d, want 1", ev, len(d))
		}
		attempts := len(rec.of("user.kyc.verified"))
		if d[0]["status"] != "failed" || attempts < 9 {
			t.Errorf("after the advance: status %v with %d attempts, want failed after the whole schedule (>= 9)", d[0]["status"], attempts)
		}
	})
}

func TestSandboxSimulateDecisions(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.restartWithKYC(kyc.Sandbox{Delay: time.Hour})
		c := e.program("acme")
		id := c.newKYCUser(t, "ada@acme.example", "6789")
		c.call("sandbox/simulate/kyc-decision", map[string]any{"user_id": id, "outcome": "verified"}).want(t, http.StatusConflict, "conflict")
		c.submit(t, id)
		u := c.call("sandbox/simulate/kyc-decision", map[string]any{"user_id": id, "outcome": "rejected",
			"reasons_code": []string{"SSN_MISMATCH", "DOB_MISMATCH"}}).want(t, http.StatusOK, "").user(t)
		if u["kyc_status"] != "rejected" {
			t.Errorf("kyc_status = %v, want rejected", u["kyc_status"])
		}
		c.call("sandbox/simulate/kyc-decision", map[string]any{"user_id": id, "outcome": "verified"}).want(t, http.StatusConflict, "conflict")
		evs := c.call("user/events", map[string]any{"user_id": id}).want(t, http.StatusOK, "").items(t)
		found := false
		for _, ev := range evs {
			if ev["type"] == "user.kyc.rejected" && ev["actor"] == "sandbox" {
				found = true
			}
		}
		if !found {
			t.Errorf("no user.kyc.rejected event by actor sandbox in %v", evs)
		}
		// The waiting check finds the user decided and changes nothing.
		c.advance(t, 3600)
		if u := c.call("user/get", map[string]any{"user_id": id}).want(t, http.StatusOK, "").user(t); u["kyc_status"] != "rejected" {
			t.Errorf("after the provider's check came due: %v, want rejected still", u["kyc_status"])
		}
		c.call("sandbox/simulate/kyc-decision", map[string]any{"user_id": id, "outcome": "maybe"}).want(t, http.StatusBadRequest, "invalid").wantFields(t, "outcome")
		c.call("sandbox/simulate/kyc-decision", map[string]any{"outcome": "verified"}).want(t, http.StatusBadRequest, "invalid").wantFields(t, "user_id")
		c.call("sandbox/simulate/kyc-decision", map[string]any{"user_id": "user-nope", "outcome": "verified"}).want(t, http.StatusNotFound, "not_found")

		// KYB: a business with one owner, submitted while checks take 1 h.
		uid := c.newKYCUser(t, "grace@acme.example", "6789")
		c.call("sandbox/simulate/kyc-decision", map[string]any{"user_id": uid, "outcome": "verified"}).want(t, http.StatusConflict, "conflict")
		c.submit(t, uid)
		c.call("sandbox/simulate/kyc-decision", map[string]any{"user_id": uid, "outcome": "verified"}).want(t, http.StatusOK, "")
		bid := c.newBusiness(t, uid, "12-3456789")["id"].(string)
		c.addOwner(t, validOwner(uid, bid, "6789", 30))
		c.call("sandbox/simulate/kyb-decision", map[string]any{"business_id": bid, "outcome": "verified"}).want(t, http.StatusConflict, "conflict")
		c.submitKYB(t, uid, bid)
		b := c.call("sandbox/simulate/kyb-decision", map[string]any{"business_id": bid, "outcome": "verified"}).want(t, http.StatusOK, "").one(t)
		if b["kyb_status"] != "verified" {
			t.Errorf("kyb_status = %v, want verified", b["kyb_status"])
		}
		for _, o := range c.owners(t, uid, bid) {
			if o["kyc_status"] != "verified" {
				t.Errorf("owner kyc_status = %v, want verified with the business", o["kyc_status"])
			}
		}
		c.call("sandbox/simulate/kyb-decision", map[string]any{"business_id": bid, "outcome": "rejected"}).want(t, http.StatusConflict, "conflict")
		c.call("sandbox/simulate/kyb-decision", map[string]any{"outcome": "rejected"}).want(t, http.StatusBadRequest, "invalid").wantFields(t, "business_id")
	})
}

// Without --sandbox the control plane does not exist.
func TestSandboxControlNotInProduction(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.production = true
		e.restart()
		c := e.program("acme")
		for p, body := range map[string]map[string]any{"sandbox/reset": {}, "sandbox/clock/get": {},
			"sandbox/clock/advance": {"seconds": 60}, "sandbox/simulate/kyc-decision": {"user_id": otherID("user-"), "outcome": "verified"},
			"sandbox/simulate/kyb-decision": {"business_id": otherID("buss-"), "outcome": "verified"},
			"sandbox/faults/set":            {"path": "*", "status": 500}, "sandbox/faults/get-all": {}, "sandbox/faults/clear": {}} {
			c.call(p, body).want(t, http.StatusNotFound, "not_found")
		}
	})
}

// dumpTables reads every row of every table of the schema: for tables with
// a program_id column, by program; every other table whole, under "".
func dumpTables(t *testing.T, e *env) map[string]map[string][]string {
	t.Helper()
	ctx := context.Background()
	db := e.store.DB()
	var q string
	if e.store.Engine() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	} else {
		q = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]map[string][]string{}
	for _, tbl := range tables {
		rs, err := db.QueryContext(ctx, `SELECT * FROM `+tbl)
		if err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		cols, _ := rs.Columns()
		pi := slices.Index(cols, "program_id")
		m := map[string][]string{}
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			key := ""
			if pi >= 0 {
				key = fmt.Sprint(asText(vals[pi]))
			}
			var b strings.Builder
			for i, v := range vals {
				fmt.Fprintf(&b, "%s=%v;", cols[i], asText(v))
			}
			m[key] = append(m[key], b.String())
		}
		rs.Close()
		for k := range m {
			slices.Sort(m[k])
		}
		out[tbl] = m
	}
	return out
}

func asText(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// globalTables are the tables without a program_id column. Each holds no
// program's data (or only through tables reset handles, as the FTS
// indexes); a new table without program_id must be added here knowingly.
var globalTables = map[string]bool{
	"programs": true, "sandbox_master_key": true, "account_numbers": true, "entity_counter": true,
	"console_tokens": true, "console_sessions": true, "schema_migrations": true,
}

func TestSandboxResetEveryTable(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		rec := newHookReceiver(t, nil)
		e.hooks.AllowPrivate = true
		e.restart()
		populate := func(c *apiClient, tag, ein string) {
			c.call("program/webhook/update", map[string]any{"webhook_url": rec.srv.URL + "/" + tag}).want(t, http.StatusOK, "")
			uid, bid := c.verifiedBusiness(t, "ada@"+tag+".example", ein)
			ua := c.issueUser(t, uid)["id"].(string)
			ba := c.issueBusiness(t, uid, bid)["id"].(string)
			// Money from outside: a linked account, a top-up (its payment
			// intent) and a return, so their tables hold the program's rows.
			linked := c.link(t, uid, bid, "55550003")
			c.topUp(t, uid, bid, ba, linked, "5.00", "top-"+tag)
			master, _ := c.master(t)
			c.inbound(t, master, "100.00")
			c.transfer(t, side{"program", c.creds.ProgramID, master}, side{"user", uid, ua}, "10.00", "k-"+tag)
			c.call("user/create", validUser("contact@"+tag+".example")).want(t, http.StatusOK, "")
			c.call("sandbox/faults/set", map[string]any{"path": "user/get", "status": 0, "latency_ms": 1}).want(t, http.StatusOK, "")
			c.advance(t, 60)
			e.waitJobs(t)
		}
		c, other := e.program("acme"), e.program("other")
		populate(c, "acme", "12-3456781")
		populate(other, "other", "12-3456782")
		pid, oid := c.creds.ProgramID, other.creds.ProgramID
		before := dumpTables(t, e)
		for tbl, m := range before {
			if _, ok := m[""]; ok && !globalTables[tbl] && !strings.Contains(tbl, "_fts") {
				t.Errorf("table %s has no program_id column and is not a known global table: reset cannot see it", tbl)
			}
		}
		c.call("sandbox/reset", map[string]any{}).want(t, http.StatusOK, "")
		after := dumpTables(t, e)
		keep := append(slices.Clone(store.ResetKeeps), "")
		for tbl, m := range after {
			if strings.Contains(tbl, "_fts") {
				continue
			}
			if !slices.Equal(m[oid], before[tbl][oid]) {
				t.Errorf("%s: the other program's rows changed:\nbefore %v\nafter  %v", tbl, before[tbl][oid], m[oid])
			}
			if tbl == "entity_counter" {
				// The recreated master and clearing accounts take new
				// numbers: the counter only grows (numbers never repeat).
				continue
			}
			if slices.Contains(keep, tbl) || globalTables[tbl] {
				if !slices.Equal(m[pid], before[tbl][pid]) || !slices.Equal(m[""], before[tbl][""]) {
					t.Errorf("%s: kept rows changed:\nbefore %v\nafter  %v", tbl, before[tbl], m)
				}
				continue
			}
			switch tbl {
			case "accounts":
				if len(m[pid]) != 2 {
					t.Errorf("accounts after reset: %v, want the master and clearing accounts", m[pid])
				}
				for _, r := range m[pid] {
					if !strings.Contains(r, "posted=0;") || !strings.Contains(r, "pending_debits=0;") {
						t.Errorf("account after reset not empty: %s", r)
					}
				}
			case "events":
				if len(m[pid]) != 1 || !strings.Contains(m[pid][0], "type=program.reset;") {
					t.Errorf("events after reset: %v, want one program.reset", m[pid])
				}
			case "audit_heads":
				if len(m[pid]) != 1 {
					t.Errorf("audit head after reset: %v", m[pid])
				}
			default:
				if len(m[pid]) != 0 {
					t.Errorf("%s: %d rows of the reset program remain: %v", tbl, len(m[pid]), m[pid])
				}
			}
		}
		rep, err := e.store.VerifyAudit(context.Background())
		if err != nil || !rep.Intact() {
			t.Errorf("audit verify after reset: %+v %+v, %v", rep, rep.Broken, err)
		}
		// The program works as new: its master is empty, its clock real,
		// the same email can be used again, the other program untouched.
		if b := c.call("balance/program-master-rba", map[string]any{}).want(t, http.StatusOK, ""); !strings.Contains(string(b.Body), `"0.00"`) {
			t.Errorf("master balance after reset: %s", b.Body)
		}
		if got := c.clockNow(t); !got.Equal(e.clock.Now().UTC()) {
			t.Errorf("clock after reset = %v, want the real time", got)
		}
		c.call("user/create", validUser("contact@acme.example")).want(t, http.StatusOK, "")
		c.call("program/webhook/get", map[string]any{}).want(t, http.StatusOK, "")
	})
}

// faultCall is a signed call whose answer is not checked against the
// OpenAPI document: a fault may answer any status with any code.
func (c *apiClient) faultCall(t *testing.T, path string, body any) response {
	t.Helper()
	r, err := c.try(path, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSandboxFaults(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c, other := e.program("acme"), e.program("other")
		set := func(body map[string]any) response { return c.call("sandbox/faults/set", body) }
		set(map[string]any{"path": "user/create", "status": 503}).want(t, http.StatusOK, "")
		before := e.rows(t)
		r := c.faultCall(t, "user/create", validUser("ada@acme.example"))
		if r.Status != 503 || r.JSON["error"].(map[string]any)["code"] != "injected_fault" {
			t.Fatalf("faulted call: %d %s", r.Status, r.Body)
		}
		e.wantNoRows(t, before)
		other.call("user/create", validUser("ada@acme.example")).want(t, http.StatusOK, "")
		c.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")

		set(map[string]any{"path": "*", "status": 418, "code": "teapot", "message": "short and stout", "count": 2}).want(t, http.StatusOK, "")
		for range 2 {
			r := c.faultCall(t, "user/get-all", map[string]any{})
			if r.Status != 418 || r.JSON["message"] != "short and stout" || r.JSON["error"].(map[string]any)["code"] != "teapot" {
				t.Errorf("custom fault: %d %s", r.Status, r.Body)
			}
		}
		c.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
		// sandbox/* calls are never faulted; the path's own fault wins over *.
		fs := c.call("sandbox/faults/get-all", map[string]any{}).want(t, http.StatusOK, "").items(t)
		if len(fs) != 2 || fs[0]["path"] != "*" || fs[0]["remaining"] != float64(0) || fs[1]["remaining"] != nil {
			t.Errorf("faults = %v", fs)
		}
		if r := c.faultCall(t, "user/create", validUser("x@acme.example")); r.Status != 503 {
			t.Errorf("path fault under *: %d", r.Status)
		}
		c.call("sandbox/faults/clear", map[string]any{}).want(t, http.StatusOK, "")
		c.call("user/create", validUser("ada@acme.example")).want(t, http.StatusOK, "")

		// Latency only: the call runs, later.
		set(map[string]any{"path": "user/get-all", "status": 0, "latency_ms": 300}).want(t, http.StatusOK, "")
		start := time.Now()
		c.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "")
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Errorf("latency-only fault answered after %v, want >= 300ms", d)
		}
		c.call("sandbox/faults/clear", map[string]any{}).want(t, http.StatusOK, "")

		for _, tc := range []struct {
			body   map[string]any
			fields []string
		}{
			{map[string]any{"path": "user/nope", "status": 500}, []string{"path"}},
			{map[string]any{"path": "sandbox/reset", "status": 500}, []string{"path"}},
			{map[string]any{"status": 500}, []string{"path"}},
			{map[string]any{"path": "*", "status": 500, "probability": 0}, []string{"probability"}},
			{map[string]any{"path": "*", "status": 500, "probability": 1.5}, []string{"probability"}},
			{map[string]any{"path": "*", "status": 500, "probability": -0.1}, []string{"probability"}},
			{map[string]any{"path": "*", "status": 200}, []string{"status"}},
			{map[string]any{"path": "*", "status": 600}, []string{"status"}},
			{map[string]any{"path": "*"}, []string{"status"}},
			{map[string]any{"path": "*", "status": 0}, []string{"latency_ms"}},
			{map[string]any{"path": "*", "status": 500, "latency_ms": 30001}, []string{"latency_ms"}},
			{map[string]any{"path": "*", "status": 500, "count": 0}, []string{"count"}},
			{map[string]any{"path": "*", "status": 500, "code": "Bad Code"}, []string{"code"}},
		} {
			r := set(tc.body)
			r.want(t, http.StatusBadRequest, "invalid")
			r.wantFields(t, tc.fields...)
		}
		// A sandbox call is a call: the refusal says why it cannot be
		// faulted, not that it does not exist.
		if got := set(map[string]any{"path": "sandbox/reset", "status": 500}).fields()["path"]; got != "faults never apply to sandbox/* calls" {
			t.Errorf("fault on sandbox/reset: path %q, want the sandbox rule", got)
		}
		if fs := c.call("sandbox/faults/get-all", map[string]any{}).want(t, http.StatusOK, "").items(t); len(fs) != 0 {
			t.Errorf("refused faults were stored: %v", fs)
		}
	})
}

// Probability: over 1,000 calls the faulted share is within 5 standard
// deviations of p (a false failure about once in 3.5 million runs).
func TestSandboxFaultProbability(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		const n, p = 1000, 0.3
		c.call("sandbox/faults/set", map[string]any{"path": "user/get-all", "status": 502, "probability": p}).want(t, http.StatusOK, "")
		faulted := 0
		for range n {
			r := c.faultCall(t, "user/get-all", map[string]any{"per_page": 1})
			switch r.Status {
			case 502:
				faulted++
			case 200:
			default:
				t.Fatalf("answer %d %s", r.Status, r.Body)
			}
		}
		sigma := math.Sqrt(n * p * (1 - p))
		t.Logf("%d of %d calls faulted at p=%v (mean %v, 5 sigma %.1f)", faulted, n, p, n*p, 5*sigma)
		if d := math.Abs(float64(faulted) - n*p); d > 5*sigma {
			t.Errorf("%d of %d calls faulted at p=%v: %.1f from the mean %v, more than 5 sigma (%.1f)", faulted, n, p, d, n*p, 5*sigma)
		}
	})
}

// A count is honoured exactly however many calls race for it.
func TestSandboxFaultCountConcurrent(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		const count, workers, each = 25, 16, 10
		c.call("sandbox/faults/set", map[string]any{"path": "user/get-all", "status": 500, "count": count}).want(t, http.StatusOK, "")
		var faulted, ok atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					r, err := c.try("user/get-all", map[string]any{"per_page": 1})
					switch {
					case err != nil:
						t.Error(err)
					case r.Status == 500:
						faulted.Add(1)
					case r.Status == 200:
						ok.Add(1)
					default:
						t.Errorf("answer %d %s", r.Status, r.Body)
					}
				}
			}()
		}
		wg.Wait()
		if faulted.Load() != count || ok.Load() != workers*each-count {
			t.Errorf("faulted %d, ok %d; want exactly %d faulted of %d", faulted.Load(), ok.Load(), count, workers*each)
		}
	})
}

// A reset under an idempotent_key is answered once and replayed after.
func TestSandboxResetIdempotent(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		c.advance(t, 3600)
		id := c.newUser(t, "ada@acme.example")
		c.call("sandbox/reset", map[string]any{"idempotent_key": "reset-1"}).want(t, http.StatusOK, "")
		c.call("user/get", map[string]any{"user_id": id}).want(t, http.StatusNotFound, "not_found")
		c.newUser(t, "ada@acme.example")
		r := c.call("sandbox/reset", map[string]any{"idempotent_key": "reset-1"}).want(t, http.StatusOK, "")
		if r.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("second reset under the same key was not a replay: %v", r.Header)
		}
		if n := len(c.call("user/get-all", map[string]any{}).want(t, http.StatusOK, "").items(t)); n != 1 {
			t.Errorf("users after the replayed reset = %d, want 1 (a replay changes nothing)", n)
		}
	})
}

// An advanced program clock moves the times the program reads (the
// envelope's created_at, occurred_at), never webhook-timestamp: receivers
// check it against their own real clock (Standard Webhooks' 5 minutes), as
// the server checks X-Date against its real one (docs/decisions.md,
// "webhook-timestamp is real time").
func TestSandboxClockLeavesWebhookTimestampReal(t *testing.T) {
	webhookEngines(t, 1, nil, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, secret string) {
		c.advance(t, 86400)
		id := c.newKYCUser(t, "ada@acme.example", "6789")
		c.submit(t, id)
		d := rec.waitFor(t, "user.kyc.verified", 1)[0]
		ts, err := strconv.ParseInt(d.header.Get("webhook-timestamp"), 10, 64)
		if err != nil {
			t.Fatalf("webhook-timestamp %q: %v", d.header.Get("webhook-timestamp"), err)
		}
		if got, now := time.Unix(ts, 0), time.Now(); got.Before(now.Add(-time.Minute)) || got.After(now.Add(time.Minute)) {
			t.Errorf("webhook-timestamp = %v, want the real time of the attempt (about %v), not the program's clock", got, now)
		}
		verify(t, secret, d)
	})
}
