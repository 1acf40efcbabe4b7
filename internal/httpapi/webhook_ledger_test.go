package httpapi_test

import (
	"bytes"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// The account and transfer webhooks (webhooks.md section 3) driven through
// the ledger: issues, an inbound wire and an inbound ACH, book transfers
// between two holders and to the program's master account, freeze,
// unfreeze and close.

// transferKeys are account.transfer.created and .completed's own fields.
var transferKeys = []string{"entity_id", "entity_type", "account_id", "account_type", "transfer_id", "currency",
	"amount", "memo", "direction", "status"}

// accountRef is what a test knows of an RBA: its id and full number, and
// its holder's entity type and number as webhooks must name them.
type accountRef struct {
	id, number, entityType, entity, n string
}

// hookKey identifies one expected account.transfer.* delivery: a
// movement seen from one account.
type hookKey struct{ typ, transfer, account string }

func TestWebhookLedgerEvents(t *testing.T) {
	webhookEngines(t, 1, nil, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, secret string) {
		uid := c.verifiedUser(t, "ada@example.com")
		ouid, bid := c.verifiedBusiness(t, "owner@example.com", "12-3456789")
		masterID, pid := c.master(t)
		issued := func(a map[string]any, typ, entity string) accountRef {
			id := a["id"].(string)
			return accountRef{id: id, number: a["account_number"].(string), entityType: typ, entity: entity,
				n: e.entityNumber(t, "accounts", id)}
		}
		ua := issued(c.issueUser(t, uid), "user", e.entityNumber(t, "users", uid))
		ba := issued(c.issueBusiness(t, ouid, bid), "business", e.entityNumber(t, "businesses", bid))
		spare := issued(c.issueUser(t, uid), "user", ua.entity)
		m := c.call("program/routable-bank-accounts/get", map[string]any{}).want(t, http.StatusOK, "").one(t)
		// The master account is the program's; programs have no number,
		// so its webhooks name it by its own.
		mn := e.entityNumber(t, "accounts", masterID)
		master := accountRef{id: masterID, number: m["account_number"].(string), entityType: "program", entity: mn, n: mn}
		accounts := []accountRef{ua, ba, spare, master}
		for _, a := range accounts {
			if !numericEntityID.MatchString(a.n) || !numericEntityID.MatchString(a.entity) {
				t.Fatalf("account %s: number %q, holder %q: want numeric entity numbers", a.id, a.n, a.entity)
			}
		}

		// Issues: account.issue.created, then account.assignment.success.
		// Deliveries come in no guaranteed order: each is found by its
		// resource_id.
		about := func(typ string, n int) map[string]delivery {
			out := map[string]delivery{}
			for _, d := range rec.waitFor(t, typ, n) {
				out[d.Data["resource_id"].(string)] = d
			}
			return out
		}
		createdOf, assignedOf := about("account.issue.created", 3), about("account.assignment.success", 3)
		for _, a := range []accountRef{ua, ba, spare} {
			created := createdOf[a.id]
			wantEnvelope(t, created, "account.issue.created", a.id, "entity_id", "entity_type", "account_id", "status")
			wantData(t, created, map[string]any{"entity_id": a.entity, "entity_type": a.entityType, "account_id": a.n,
				"status": "completed"})
			assigned := assignedOf[a.id]
			wantEnvelope(t, assigned, "account.assignment.success", a.id, "entity_id", "entity_type", "status", "account")
			wantData(t, assigned, map[string]any{"entity_id": a.entity, "entity_type": a.entityType, "status": "completed"})
			acct, _ := assigned.Data["account"].(map[string]any)
			wantKeys(t, "account.assignment.success account", acct, "account_id", "status", "number", "routing", "bank_name", "type")
			want := map[string]any{"account_id": a.n, "status": "active", "number": a.number[len(a.number)-4:],
				"routing": "021000021", "bank_name": "", "type": "vban"}
			for k, v := range want {
				if acct[k] != v {
					t.Errorf("account.assignment.success of %s: account.%s = %v, want %v", a.id, k, acct[k], v)
				}
			}
		}

		// Money: a wire (completed at once), an ACH (pending, then
		// settled), a book transfer between two holders and one to the
		// master account.
		wire := c.inbound(t, ua.id, "100.00")["id"].(string)
		ach := c.call("sandbox/simulate/inbound-transfer", map[string]any{"routable_bank_account_id": ba.id,
			"amount": "5.25", "rail": "ach", "description": "ach in"}).want(t, http.StatusOK, "").one(t)["id"].(string)
		book := c.transfer(t, side{"user", uid, ua.id}, side{"business", bid, ba.id}, "30.00", "b-1")["id"].(string)
		toMaster := c.transfer(t, side{"user", uid, ua.id}, side{"program", pid, masterID}, "10.50", "b-2")["id"].(string)

		type move struct {
			id, amount, memo string
			from, to         *accountRef // nil: the outside world
			pending          bool        // it was created pending (not a wire)
		}
		moves := []move{
			{wire, "100.00", "", nil, &ua, false},
			{ach, "5.25", "ach in", nil, &ba, true},
			{book, "30.00", "test transfer", &ua, &ba, true},
			{toMaster, "10.50", "test transfer", &ua, &master, true},
		}
		want := map[hookKey]map[string]any{}
		for _, mv := range moves {
			for _, end := range []struct {
				a   *accountRef
				dir string
			}{{mv.from, "debit"}, {mv.to, "credit"}} {
				if end.a == nil {
					continue
				}
				fields := map[string]any{"entity_id": end.a.entity, "entity_type": end.a.entityType, "account_id": end.a.n,
					"account_type": "routable", "transfer_id": mv.id, "currency": "USD", "amount": mv.amount,
					"memo": mv.memo, "direction": end.dir}
				types := []string{"account.transfer.completed"}
				if mv.pending {
					types = append(types, "account.transfer.created")
				}
				for _, typ := range types {
					f := map[string]any{"status": map[string]string{"account.transfer.created": "pending"}[typ]}
					if f["status"] == "" {
						f["status"] = "completed"
					}
					for k, v := range fields {
						f[k] = v
					}
					want[hookKey{typ, mv.id, end.a.id}] = f
				}
			}
		}
		counts := map[string]int{}
		for k := range want {
			counts[k.typ]++
		}
		for typ, n := range counts {
			rec.waitFor(t, typ, n)
		}

		// Statuses: freeze and unfreeze one account; close the empty one.
		for _, step := range []struct{ path, typ, status string }{
			{"routable-bank-accounts/freeze", "account.frozen", "frozen"},
			{"routable-bank-accounts/unfreeze", "account.unfrozen", "active"},
		} {
			c.call(step.path, map[string]any{"routable_bank_account_id": ba.id}).want(t, http.StatusOK, "")
			d := rec.waitFor(t, step.typ, 1)[0]
			wantEnvelope(t, d, step.typ, ba.id, "entity_id", "entity_type", "account_id", "status")
			wantData(t, d, map[string]any{"entity_id": ba.entity, "entity_type": "business", "account_id": ba.n, "status": step.status})
		}
		c.call("routable-bank-accounts/close", map[string]any{"routable_bank_account_id": spare.id}).want(t, http.StatusOK, "")
		closed := rec.waitFor(t, "account.closed", 1)[0]
		wantEnvelope(t, closed, "account.closed", spare.id, "entity_id", "entity_type", "account_id", "status")
		wantData(t, closed, map[string]any{"entity_id": spare.entity, "entity_type": "user", "account_id": spare.n, "status": "closed"})

		// Every transfer webhook, exactly: one per RBA involved, from its
		// point of view, about the ledger transaction.
		got := map[hookKey]delivery{}
		byID := map[string]accountRef{}
		for _, a := range accounts {
			byID[a.n] = a
		}
		for _, d := range rec.all() {
			if !strings.HasPrefix(d.Event, "account.transfer.") {
				continue
			}
			tid, _ := d.Data["transfer_id"].(string)
			an, _ := d.Data["account_id"].(string)
			k := hookKey{d.Event, tid, byID[an].id}
			if _, dup := got[k]; dup {
				t.Errorf("%s about %s from account %s delivered twice (a first attempt answered 200)", k.typ, tid, an)
			}
			got[k] = d
		}
		var missing []string
		for k, fields := range want {
			d, ok := got[k]
			if !ok {
				missing = append(missing, k.typ+" "+k.transfer+" "+k.account)
				continue
			}
			wantEnvelope(t, d, k.typ, k.transfer, transferKeys...)
			wantData(t, d, fields)
		}
		sort.Strings(missing)
		if len(missing) > 0 || len(got) != len(want) {
			t.Errorf("transfer webhooks: %d delivered, %d expected; missing %v", len(got), len(want), missing)
		}

		// Every delivery is signed, and none carries a full account number.
		all := rec.all()
		if len(all) < 3*2+len(want)+3 {
			t.Errorf("%d deliveries, want at least %d", len(all), 3*2+len(want)+3)
		}
		for _, d := range all {
			verify(t, secret, d)
			for _, a := range accounts {
				if bytes.Contains(d.body, []byte(a.number)) {
					t.Errorf("%s carries account %s's full number: %s", d.Event, a.id, d.body)
				}
			}
		}
		e.wantLedger(t)
	})
}

// wantData checks data fields of a delivery.
func wantData(t *testing.T, d delivery, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if d.Data[k] != v {
			t.Errorf("%s (%v): %s = %#v, want %#v", d.Event, d.Data["resource_id"], k, d.Data[k], v)
		}
	}
}
