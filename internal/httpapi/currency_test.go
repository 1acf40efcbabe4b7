package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
)

// TestCurrencySent: every request that carries a currency (money.md
// section 1 and 4: the four movements; sandbox.md's inbound transfer)
// accepts it absent, null, or "usd" in any letter case, and refuses any
// other value sent, "" included, with 400 invalid naming currency and
// nothing written. "" used to pass as absent: the request types held a
// string, which cannot tell the two apart.
func TestCurrencySent(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		mid, pid := c.master(t)
		c.inbound(t, mid, "1000.00")
		uid, bid := c.verifiedBusiness(t, "currency@example.com", "12-3456781")
		rba := c.issueBusiness(t, uid, bid)["id"].(string)
		c.inbound(t, rba, "100.00")
		linked := c.link(t, uid, bid, "000123456789")
		progLinked := c.call("program/bank-accounts/save", map[string]any{"first_name": "Acme", "last_name": "Treasury",
			"account_number": "000987654321", "routing_number": "021000021", "idempotent_key": "prog-link"}).
			want(t, http.StatusOK, "").one(t)["id"].(string)

		endpoints := []struct {
			name, path string
			body       func() map[string]any
		}{
			{"book transfer", transferPath, func() map[string]any {
				return transferBody(side{"program", pid, mid}, side{"business", bid, rba}, "1.00", "")
			}},
			{"top-up", topUpPath, func() map[string]any {
				return map[string]any{"user_id": uid, "amount": "1.00", "account_id": linked,
					"receiver_business_id": bid, "routable_bank_account_id": rba}
			}},
			{"payout", payoutPath, func() map[string]any {
				return map[string]any{"user_id": uid, "business_id": bid, "amount": "1.00",
					"source_account_id": rba, "destination_account_id": linked}
			}},
			{"program funding", fundingPath, func() map[string]any {
				return map[string]any{"amount": "1.00", "account_id": progLinked, "routable_bank_account_id": mid}
			}},
			{"sandbox inbound transfer", "sandbox/simulate/inbound-transfer", func() map[string]any {
				return map[string]any{"routable_bank_account_id": rba, "amount": "1.00"}
			}},
		}
		// absent marks a case that leaves the key out.
		const absent = "(absent)"
		cases := []struct {
			name     string
			currency any
			wantErr  string // error.fields.currency; "" when the call succeeds
		}{
			{"absent", absent, ""},
			{"null", nil, ""},
			{"usd", "usd", ""},
			{"USD", "USD", ""},
			{"Usd", "Usd", ""},
			{"empty", "", "must be usd"},
			{"eur", "eur", "must be usd"},
			{"spaces", " usd ", "must be usd"},
			{"usd and more", "usdx", "must be usd"},
			{"number", 840, "must be a string"},
		}
		n := 0
		for _, ep := range endpoints {
			for _, tc := range cases {
				t.Run(ep.name+"/"+tc.name, func(t *testing.T) {
					n++
					body := ep.body()
					body["idempotent_key"] = fmt.Sprintf("currency-%d", n)
					if tc.currency != absent {
						body["currency"] = tc.currency
					}
					before := e.ledgerRows(t).transactions
					r := c.call(ep.path, body)
					if tc.wantErr == "" {
						tx := r.want(t, http.StatusOK, "").one(t)
						if tx["currency"] != "usd" {
							t.Errorf("answer currency = %v, want usd", tx["currency"])
						}
						return
					}
					r.wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "currency")
					if got := r.fields()["currency"]; got != tc.wantErr {
						t.Errorf("fields.currency = %v, want %q", got, tc.wantErr)
					}
					if after := e.ledgerRows(t).transactions; after != before {
						t.Errorf("ledger transactions %d -> %d: a refused call wrote one", before, after)
					}
				})
			}
		}
		e.wantLedger(t)
	})
}
