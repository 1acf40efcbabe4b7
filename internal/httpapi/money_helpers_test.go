package httpapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Helpers of the account and money tests (money.md).

// accountKeys are exactly the RBA object's keys (section 2.1).
var accountKeys = []string{"id", "account_number", "routing_number", "status", "user_id", "business_id", "created_at"}

// transactionKeys are exactly the transaction object's keys (section 3.1).
var transactionKeys = []string{"id", "uuid", "amount", "currency", "status", "category", "method", "direction",
	"originator_type", "originator_id", "source_account_id", "destination_account_id", "description", "reference",
	"metadata", "idempotent_key", "failure_reason", "posting_date", "reversed_transaction_id", "created_at", "updated_at"}

// issueUser issues an RBA to a user and returns it.
func (c *apiClient) issueUser(t *testing.T, uid string) map[string]any {
	t.Helper()
	a := c.call("user/routable-bank-accounts/issue", map[string]any{"user_id": uid}).want(t, http.StatusOK, "").one(t)
	wantKeys(t, "account", a, accountKeys...)
	return a
}

// issueBusiness issues an RBA to a business and returns it.
func (c *apiClient) issueBusiness(t *testing.T, uid, bid string) map[string]any {
	t.Helper()
	a := c.call("business/routable-bank-accounts/issue", map[string]any{"user_id": uid, "business_id": bid}).
		want(t, http.StatusOK, "").one(t)
	wantKeys(t, "account", a, accountKeys...)
	return a
}

// verifiedBusiness creates a verified user owning a KYB-verified business
// with ein, and returns their ids.
func (c *apiClient) verifiedBusiness(t *testing.T, email, ein string) (uid, bid string) {
	t.Helper()
	k := c.kybCase(t, email, ein, "6789")
	c.submitKYB(t, k.uid, k.bid)
	c.waitKYB(t, k.uid, k.bid, "verified")
	return k.uid, k.bid
}

// master returns the program's master account id, and the program's id.
func (c *apiClient) master(t *testing.T) (acct, pid string) {
	t.Helper()
	a := c.call("program/routable-bank-accounts/get", map[string]any{}).want(t, http.StatusOK, "").one(t)
	wantKeys(t, "account", a, accountKeys...)
	return a["id"].(string), c.creds.ProgramID
}

// inbound puts amount into an account from outside by wire (completed at
// once).
func (c *apiClient) inbound(t *testing.T, acct, amount string) map[string]any {
	t.Helper()
	tx := c.call("sandbox/simulate/inbound-transfer", map[string]any{"routable_bank_account_id": acct,
		"amount": amount, "rail": "wire"}).want(t, http.StatusOK, "").one(t)
	wantKeys(t, "transaction", tx, transactionKeys...)
	return tx
}

// side is one end of a transfer: entity type, entity id, account id.
type side struct{ typ, entity, acct string }

// transferBody is a book transfer request.
func transferBody(from, to side, amount, key string) map[string]any {
	return map[string]any{"amount": amount,
		"source_entity_type": from.typ, "source_entity_id": from.entity, "source_routable_bank_account_id": from.acct,
		"destination_entity_type": to.typ, "destination_entity_id": to.entity, "destination_routable_bank_account_id": to.acct,
		"description": "test transfer", "idempotent_key": key}
}

const transferPath = "book-transfer/routable-bank-account-to-routable-bank-account-transfer"

// transfer makes a book transfer and returns the pending transaction.
func (c *apiClient) transfer(t *testing.T, from, to side, amount, key string) map[string]any {
	t.Helper()
	tx := c.call(transferPath, transferBody(from, to, amount, key)).want(t, http.StatusOK, "").one(t)
	wantKeys(t, "transaction", tx, transactionKeys...)
	if tx["status"] != "pending" || tx["direction"] != "debit" || tx["amount"] != amount {
		t.Errorf("transfer answered %v", tx)
	}
	return tx
}

// balance reads /balance/user with body and returns data.
func (c *apiClient) balance(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	r := c.call("balance/user", body).want(t, http.StatusOK, "")
	d, _ := r.JSON["data"].(map[string]any)
	wantKeys(t, "balance", d, "available_balance", "pending_balance", "currency")
	return d
}

// accountBalance is the balance of one account of user uid (and business
// bid, when set), waiting until nothing is pending.
func (c *apiClient) settledBalance(t *testing.T, uid, bid, acct string) string {
	t.Helper()
	body := map[string]any{"user_id": uid, "routable_bank_account_id": acct}
	if bid != "" {
		body["business_id"] = bid
	}
	var d map[string]any
	eventually(t, "nothing pending on "+acct, func() bool {
		d = c.balance(t, body)
		return d["pending_balance"] == "0.00"
	})
	return d["available_balance"].(string)
}

// ledgerRows is how many rows the money tables hold, with events and jobs.
type ledgerRows struct{ accounts, transactions, entries, events, jobs int }

func (e *env) ledgerRows(t *testing.T) ledgerRows {
	t.Helper()
	var r ledgerRows
	for _, c := range []struct {
		table string
		n     *int
	}{
		{"accounts", &r.accounts}, {"ledger_transactions", &r.transactions}, {"ledger_entries", &r.entries},
		{"events", &r.events}, {"jobs", &r.jobs},
	} {
		if err := e.store.DB().QueryRow(`SELECT count(*) FROM ` + c.table).Scan(c.n); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// wantLedger fails unless every invariant of money.md section 3 holds.
func (e *env) wantLedger(t *testing.T) {
	t.Helper()
	r, err := e.store.CheckLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Errorf("ledger: %s", p)
	}
}

// otherID is an id of kind prefix ("rbac-", "user-", ...) that exists
// nowhere.
func otherID(prefix string) string {
	return prefix + banking.UUIDOf(banking.NewID[banking.AccountID](time.Now()))
}

// rebindFor writes a query's ? placeholders as e's engine wants them.
func rebindFor(e *env, q string) string {
	if e.store.Engine() != store.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
