package httpapi_test

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
)

// TestWebhookExternalOutcomes drives the sandbox rail's outcomes that only
// external movements produce (money.md section 4.5) and checks their
// webhooks (webhooks.md section 3): a top-up from a linked account ending
// 0001 fails with R01, one ending 0004 is blocked, and one ending 0003
// completes and comes back (R10) as account.transfer.returned naming the
// return transaction as adjustment_id. Each is one event, about the
// business's account (the outside world's side has none).
func TestWebhookExternalOutcomes(t *testing.T) {
	webhookEngines(t, 1, nil, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, secret string) {
		uid, bid := c.verifiedBusiness(t, "hooks@example.com", "12-3456781")
		acct := c.issueBusiness(t, uid, bid)
		rba := acct["id"].(string)
		rn := e.entityNumber(t, "accounts", rba)
		bn := e.entityNumber(t, "businesses", bid)
		fail, block, ret := c.link(t, uid, bid, "55550001"), c.link(t, uid, bid, "55550004"), c.link(t, uid, bid, "55550003")
		tf := c.topUp(t, uid, bid, rba, fail, "40.00", "w-fail")["id"].(string)
		tb := c.topUp(t, uid, bid, rba, block, "41.00", "w-block")["id"].(string)
		tr := c.topUp(t, uid, bid, rba, ret, "42.00", "w-ret")["id"].(string)
		c.wantTx(t, uid, tf, "failed", "R01 insufficient funds")
		c.wantTx(t, uid, tr, "returned", "R10 customer advises not authorized")

		common := map[string]any{"entity_id": bn, "entity_type": "business", "account_id": rn}
		with := func(extra map[string]any) map[string]any {
			out := map[string]any{}
			for _, m := range []map[string]any{common, extra} {
				for k, v := range m {
					out[k] = v
				}
			}
			return out
		}

		f := rec.waitFor(t, "account.transfer.failed", 1)
		if len(f) != 1 {
			t.Fatalf("%d account.transfer.failed, want 1", len(f))
		}
		wantData(t, f[0], with(map[string]any{"transfer_id": tf, "amount": "40.00", "direction": "credit", "status": "failed"}))
		if got := strs(f[0].Data["reasons_code"]); !slices.Equal(got, []string{"R01"}) {
			t.Errorf("failed reasons_code = %v, want [R01]", got)
		}

		b := rec.waitFor(t, "account.transfer.blocked", 1)
		wantData(t, b[0], with(map[string]any{"transfer_id": tb, "direction": "credit", "status": "blocked"}))

		r := rec.waitFor(t, "account.transfer.returned", 1)
		wantData(t, r[0], with(map[string]any{"transfer_id": tr, "amount": "42.00", "direction": "credit", "status": "returned"}))
		adj, _ := r[0].Data["adjustment_id"].(string)
		ret1 := c.txOf(t, uid, adj)
		if ret1["reversed_transaction_id"] != tr || ret1["category"] != "return" {
			t.Errorf("adjustment_id %q is %v, want the return of %s", adj, ret1, tr)
		}

		for _, d := range rec.all() {
			verify(t, secret, d)
			if bytes.Contains(d.body, []byte(acct["account_number"].(string))) {
				t.Errorf("%s carries the account's full number", d.Event)
			}
		}
		if n := len(c.call("webhook/events", map[string]any{"event_type": "account.transfer.returned"}).want(t, http.StatusOK, "").items(t)); n != 1 {
			t.Errorf("%d account.transfer.returned events logged, want 1", n)
		}
		e.wantLedger(t)
	})
}
