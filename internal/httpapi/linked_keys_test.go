package httpapi_test

import (
	"net/http"
	"testing"
)

// storedHolder reads the holder's names and the account type saved with
// linked account id: stored, though not answered.
func (e *env) storedHolder(t *testing.T, id string) (first, last, typ string) {
	t.Helper()
	q := rebindFor(e, `SELECT first_name, last_name, account_type FROM linked_accounts WHERE id = ?`)
	if err := e.store.DB().QueryRow(q, id).Scan(&first, &last, &typ); err != nil {
		t.Fatalf("linked account %s: %v", id, err)
	}
	return first, last, typ
}

// TestLinkedAccountKeys: every answer holding a linked account (a user's
// or a business's save, the program's save, the list) has exactly money.md
// section 2.3's keys, which the spec lists like the RBA's and the payment
// intent's. The holder's names and the account type, sent with the save,
// are not answered but are stored (the console shows them).
func TestLinkedAccountKeys(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid, bid := c.verifiedBusiness(t, "keys@example.com", "12-3456781")
		save := func(path string, body map[string]any) map[string]any {
			t.Helper()
			body["first_name"], body["last_name"], body["account_type"] = "Grace", "Hopper", "savings"
			body["routing_number"] = "021000021"
			a := c.call(path, body).want(t, http.StatusOK, "").one(t)
			wantKeys(t, path, a, linkedKeys...)
			return a
		}
		answers := map[string]map[string]any{
			"user":     save("users/bank-accounts/save", map[string]any{"user_id": uid, "account_number": "11112222", "idempotent_key": "k-user"}),
			"business": save("users/bank-accounts/save", map[string]any{"user_id": uid, "business_id": bid, "account_number": "33334444", "idempotent_key": "k-biz"}),
			"program":  save("program/bank-accounts/save", map[string]any{"account_number": "55556666", "idempotent_key": "k-prog"}),
		}
		list := c.call("users/bank-accounts/get-all", map[string]any{"user_id": uid}).want(t, http.StatusOK, "").items(t)
		if len(list) != 2 {
			t.Fatalf("list = %d items, want 2", len(list))
		}
		for _, a := range list {
			wantKeys(t, "listed linked account", a, linkedKeys...)
		}
		for who, a := range answers {
			if first, last, typ := e.storedHolder(t, a["id"].(string)); first != "Grace" || last != "Hopper" || typ != "savings" {
				t.Errorf("%s's stored holder = %q %q %q, want Grace Hopper savings", who, first, last, typ)
			}
		}
	})
}
