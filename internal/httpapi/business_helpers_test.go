package httpapi_test

import (
	"net/http"
	"testing"
)

// Helpers of the business tests (businesses.md).

// validBusiness is a business/create body that passes every rule for user
// uid; tests change one thing.
func validBusiness(uid, ein string) map[string]any {
	return map[string]any{
		"user_id": uid, "business_name": "Acme Widgets LLC", "ein": ein, "business_type": "LLC",
		"business_address": "1 Market St", "city": "San Francisco", "state": "CA",
		"zipcode": "94105", "country": "US", "email": "ops@acme.example",
		"phone_number": "+14155550100",
	}
}

// one returns the single item of a single-object answer.
func (r response) one(t *testing.T) map[string]any {
	t.Helper()
	its := r.items(t)
	if len(its) != 1 {
		t.Fatalf("items = %d, want 1; body %s", len(its), r.Body)
	}
	return its[0]
}

// newBusiness creates a valid business of user uid with ein and returns it.
func (c *apiClient) newBusiness(t *testing.T, uid, ein string) map[string]any {
	t.Helper()
	return c.call("business/create", validBusiness(uid, ein)).want(t, http.StatusOK, "").one(t)
}

// verifiedUser creates a user and passes it through KYC (SSN ending 6789).
func (c *apiClient) verifiedUser(t *testing.T, email string) string {
	t.Helper()
	id := c.newKYCUser(t, email, "6789")
	c.submit(t, id)
	c.waitKYC(t, id, "verified")
	return id
}

// validOwner is an add-business-owner body, ready for KYB, whose SSN ends
// in last4.
func validOwner(uid, bid, last4 string, percent float64) map[string]any {
	return map[string]any{
		"user_id": uid, "business_id": bid, "name": "Grace Brewster Hopper",
		"email": "grace@acme.example", "address": "1 Navy Way, Arlington VA 22202",
		"phone_number": "+14155550111", "ownership_percent": percent,
		"date_of_birth": "1906-12-09", "ssn": "123-45-" + last4,
	}
}

// addOwner adds an owner and returns it.
func (c *apiClient) addOwner(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	return c.call("business/add-business-owner", body).want(t, http.StatusOK, "").one(t)
}

// business reads one business.
func (c *apiClient) business(t *testing.T, uid, bid string) map[string]any {
	t.Helper()
	return c.call("business/get", map[string]any{"user_id": uid, "business_id": bid}).want(t, http.StatusOK, "").one(t)
}

// owners lists a business's owners, oldest first.
func (c *apiClient) owners(t *testing.T, uid, bid string) []map[string]any {
	t.Helper()
	return c.call("business/get-business-owners", map[string]any{"user_id": uid, "business_id": bid, "per_page": 500}).
		want(t, http.StatusOK, "").items(t)
}

// documents lists an owner's documents.
func (c *apiClient) documents(t *testing.T, uid, bid, oid string) []map[string]any {
	t.Helper()
	return c.call("business/get-business-owner-documents", map[string]any{"user_id": uid, "business_id": bid, "business_owner_id": oid}).
		want(t, http.StatusOK, "").items(t)
}

// businessEvents returns a business's whole trail, newest first.
func (c *apiClient) businessEvents(t *testing.T, uid, bid string) []map[string]any {
	t.Helper()
	return c.call("business/events", map[string]any{"user_id": uid, "business_id": bid, "per_page": 500}).
		want(t, http.StatusOK, "").items(t)
}

// submitKYB sends a business to KYB and checks the answer is "data":{}.
func (c *apiClient) submitKYB(t *testing.T, uid, bid string) {
	t.Helper()
	r := c.call("business/send-verification-request", map[string]any{"user_id": uid, "business_id": bid}).want(t, http.StatusOK, "")
	if data, ok := r.JSON["data"].(map[string]any); !ok || len(data) != 0 {
		t.Errorf("business/send-verification-request answered %s, want \"data\":{}", r.Body)
	}
}

// waitKYB waits until the business's kyb_status is want and returns it.
func (c *apiClient) waitKYB(t *testing.T, uid, bid, want string) map[string]any {
	t.Helper()
	var b map[string]any
	eventually(t, "kyb_status "+want, func() bool {
		b = c.business(t, uid, bid)
		return b["kyb_status"] == want
	})
	return b
}

// allRows is how many rows every table an API call may write holds.
type allRows struct {
	users, events, businesses, owners, documents, contacts, jobs int
}

// rows counts them, to prove a refused call wrote nothing anywhere.
func (e *env) rows(t *testing.T) allRows {
	t.Helper()
	var r allRows
	for _, c := range []struct {
		table string
		n     *int
	}{
		{"users", &r.users}, {"events", &r.events}, {"businesses", &r.businesses},
		{"business_owners", &r.owners}, {"business_documents", &r.documents},
		{"business_contacts", &r.contacts}, {"jobs", &r.jobs},
	} {
		if err := e.store.DB().QueryRow(`SELECT count(*) FROM ` + c.table).Scan(c.n); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// wantNoRows fails if any table changed since before.
func (e *env) wantNoRows(t *testing.T, before allRows) {
	t.Helper()
	if after := e.rows(t); after != before {
		t.Errorf("rows = %+v, want unchanged %+v", after, before)
	}
}

// businessKeys are exactly the business object's keys (section 1).
var businessKeys = []string{"id", "uuid", "user_id", "name", "dba", "ein", "business_type",
	"business_industry", "business_email", "business_phone_number", "support_email",
	"support_phone_number", "address_one", "address_two", "city", "state", "country",
	"postal_code", "status", "kyb_status", "created_at", "updated_at"}

// ownerKeys are exactly the owner object's keys (section 3).
var ownerKeys = []string{"id", "business_id", "first_name", "last_name", "email", "phone_number",
	"date_of_birth", "ownership_percent", "kyc_status", "created_at", "updated_at"}

// waitJobs waits until every scheduled job has run (a manual-review check
// ends without a decision, so the business's status cannot tell).
func (e *env) waitJobs(t *testing.T) {
	t.Helper()
	eventually(t, "no jobs left", func() bool { return e.rows(t).jobs == 0 })
}
