package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestMoneyHostileInput sends what TestHostileInput sends to the user
// calls to every account, money and sandbox call: wrong types, duplicate
// keys, NUL bytes, invalid UTF-8, oversized values, unknown fields and deep
// nesting. Each gets a 4xx naming the field where there is one, and writes
// nothing (no account, transaction, entry, event or job).
func TestMoneyHostileInput(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		mid, pid := c.master(t)
		uid, bid := c.verifiedBusiness(t, "owner@example.com", "12-3456789")
		acct := c.issueUser(t, uid)["id"].(string)
		bacct := c.issueBusiness(t, uid, bid)["id"].(string)
		c.inbound(t, mid, "100.00")
		transfer := transferBody(side{"program", pid, mid}, side{"user", uid, acct}, "1.00", "hostile")
		calls := []struct {
			path  string
			body  map[string]any
			field string // "" for calls without a string field
			id    bool   // an id: an odd value names nothing (404)
		}{
			{"user/routable-bank-accounts/issue", map[string]any{"user_id": uid}, "user_id", true},
			{"business/routable-bank-accounts/issue", map[string]any{"user_id": uid, "business_id": bid}, "business_id", true},
			{"business/routable-bank-accounts/get-single", map[string]any{"user_id": uid, "business_id": bid,
				"routable_bank_account_id": bacct}, "routable_bank_account_id", true},
			{"routable-bank-accounts/get-all", map[string]any{"status": "active"}, "status", false},
			{"routable-bank-accounts/freeze", map[string]any{"routable_bank_account_id": acct, "reason": "r"}, "reason", false},
			{"routable-bank-accounts/unfreeze", map[string]any{"routable_bank_account_id": acct, "reason": "r"}, "reason", false},
			{"routable-bank-accounts/close", map[string]any{"routable_bank_account_id": acct, "reason": "r"}, "reason", false},
			{"program/routable-bank-accounts/get", map[string]any{}, "", false},
			{transferPath, transfer, "description", false},
			{transferPath, transfer, "amount", false},
			{transferPath, transfer, "source_routable_bank_account_id", true},
			{"balance/user", map[string]any{"user_id": uid, "routable_bank_account_id": acct}, "routable_bank_account_id", true},
			{"balance/program-master-rba", map[string]any{}, "", false},
			{"transactions/business", map[string]any{"business_id": bid}, "business_id", true},
			{"transactions/user", map[string]any{"user_id": uid}, "user_id", true},
			{"transactions/single", map[string]any{"user_id": uid, "id_generic": "hostile"}, "id_generic", true},
			{"transactions/program-rba", map[string]any{"search": "x"}, "search", false},
			{"transactions/program-rba", map[string]any{"start_date": "2026-04-16"}, "start_date", false},
			{"sandbox/simulate/inbound-transfer", map[string]any{"routable_bank_account_id": acct, "amount": "1.00"}, "amount", false},
		}
		keys := 0
		raw := func(body map[string]any, extra string) []byte {
			if _, keyed := body["idempotent_key"]; keyed {
				// A fresh key each time: a refusal for a state reason (a
				// 404) is kept under its key, and the next body under it
				// would be 422.
				keys++
				fresh := map[string]any{}
				for k, v := range body {
					fresh[k] = v
				}
				fresh["idempotent_key"] = "hostile-" + strconv.Itoa(keys)
				body = fresh
			}
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			if len(body) == 0 {
				extra = strings.TrimPrefix(extra, ",")
			}
			return append(b[:len(b)-1], []byte(extra+"}")...)
		}
		deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
		for _, call := range calls {
			without := map[string]any{}
			for k, v := range call.body {
				if k != call.field {
					without[k] = v
				}
			}
			odd := map[bool]int{true: http.StatusNotFound, false: http.StatusBadRequest}[call.id]
			oddField := map[bool]string{true: "", false: call.field}[call.id]
			type tcase struct {
				name   string
				body   []byte
				status int
				field  string
			}
			cases := []tcase{
				{"unknown field", raw(call.body, `,"nickname":"x"`), 400, "nickname"},
				{"field in another case", raw(call.body, `,"User_Id":"x"`), 400, "User_Id"},
				{"deeply nested", raw(call.body, `,"nickname":`+deep), 400, ""},
				{"raw NUL byte", append(raw(call.body, ""), 0), 400, ""},
				{"not an object", []byte(`["` + call.path + `"]`), 400, ""},
				{"null body", []byte(`null`), 400, ""},
				{"two objects", append(raw(call.body, ""), []byte(`{}`)...), 400, ""},
			}
			if call.field != "" {
				cases = append(cases,
					tcase{"duplicate key", raw(call.body, `,"`+call.field+`":"x"`), 400, call.field},
					tcase{"number for a string", raw(without, `,"`+call.field+`":5`), 400, call.field},
					tcase{"object for a string", raw(without, `,"`+call.field+`":{"a":1}`), 400, call.field},
					tcase{"array for a string", raw(without, `,"`+call.field+`":["a"]`), 400, call.field},
					tcase{"escaped NUL", raw(without, `,"`+call.field+`":"a\u0000b"`), odd, oddField},
					tcase{"invalid UTF-8", raw(without, `,"`+call.field+`":"`+"\xc3\x28"+`"`), 400, ""},
					tcase{"lone surrogate", raw(without, `,"`+call.field+`":"\ud800"`), 400, call.field},
					tcase{"huge value", raw(without, `,"`+call.field+`":"`+strings.Repeat("x", 900_000)+`"`), odd, oddField},
				)
			}
			if strings.Contains(call.path, "get-all") || strings.HasPrefix(call.path, "transactions/") && call.path != "transactions/single" {
				cases = append(cases, tcase{"page of another type", raw(call.body, `,"page":"1"`), 400, "page"})
			}
			for _, tc := range cases {
				t.Run(call.path+"/"+call.field+"/"+tc.name, func(t *testing.T) {
					before := e.ledgerRows(t)
					r := c.call(call.path, tc.body)
					if r.Status != tc.status {
						t.Fatalf("status = %d, want %d; body %.300s", r.Status, tc.status, r.Body)
					}
					if tc.field != "" {
						if _, ok := r.fields()[tc.field]; !ok {
							t.Errorf("error.fields = %v, want %q named", r.fields(), tc.field)
						}
					}
					if after := e.ledgerRows(t); after != before {
						t.Errorf("rows = %+v, want unchanged %+v", after, before)
					}
				})
			}
		}
		t.Run("amounts of every wrong form", func(t *testing.T) {
			for _, v := range []string{`100`, `100.00`, `1e2`, `true`, `null`, `"100"`, `"100.0"`, `"1e2"`, `"-5.00"`,
				`"0.00"`, `"007.00"`, `" 1.00"`, `"1.00 "`, `"10000000.01"`, `"18446744073709551616.00"`, `"١٠٠.٠٠"`} {
				body := map[string]any{}
				for k, x := range transfer {
					if k != "amount" {
						body[k] = x
					}
				}
				before := e.ledgerRows(t)
				r := c.call(transferPath, raw(body, `,"amount":`+v))
				r.wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "amount")
				if after := e.ledgerRows(t); after != before {
					t.Errorf("amount %s wrote rows", v)
				}
			}
		})
		t.Run("SQL and LIKE metacharacters in search", func(t *testing.T) {
			for _, s := range []string{"' OR 1=1; DROP TABLE ledger_entries; --", "%", "_", `\`} {
				r := c.call("transactions/program-rba", map[string]any{"search": s}).want(t, http.StatusOK, "")
				if n := len(r.items(t)); n != 0 {
					t.Errorf("search %q matched %d transactions, want 0", s, n)
				}
			}
		})
	})
}
