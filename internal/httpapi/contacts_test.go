package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// businesses.md section 6: user/create with business_id makes the user a
// contact of the business, in one transaction.

func TestBusinessContacts(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		owner := c.newUser(t, "owner@example.com")
		b := c.newBusiness(t, owner, "12-3456789")
		bid := b["id"].(string)
		contact := func(email string, extra map[string]any) map[string]any {
			body := validUser(email)
			body["business_id"] = bid
			for k, v := range extra {
				body[k] = v
			}
			e.clock.Advance(time.Second)
			return c.create(t, body)
		}
		cust := contact("customer@example.com", nil)
		vend := contact("vendor@example.com", map[string]any{"is_vendor": true})
		alias := contact("alias@example.com", map[string]any{"vendor": true, "is_vendor": true})
		plain := contact("plain@example.com", map[string]any{"is_vendor": false})
		wantKeys(t, "user", cust, "id", "uuid", "first_name", "middle_name", "last_name", "email", "phone_number",
			"date_of_birth", "address_one", "address_two", "city", "state", "country", "postal_code",
			"ssn_last_4", "status", "kyc_status", "created_at", "updated_at")

		list := func(body map[string]any) []map[string]any {
			t.Helper()
			body["user_id"], body["business_id"] = owner, bid
			return c.call("business/customers/get-all", body).want(t, http.StatusOK, "").items(t)
		}
		all := list(map[string]any{})
		if len(all) != 4 {
			t.Fatalf("contacts = %d, want 4", len(all))
		}
		wantKeys(t, "contact", all[0], "id", "contact_type", "first_name", "last_name", "business_name", "email",
			"phone_number", "user_id", "created_at")
		byUser := func(items []map[string]any) []string {
			var out []string
			for _, it := range items {
				out = append(out, it["user_id"].(string))
			}
			return out
		}
		if got, want := byUser(all), []string{plain["id"].(string), alias["id"].(string), vend["id"].(string), cust["id"].(string)}; !slices.Equal(got, want) {
			t.Errorf("contacts, newest first = %v, want %v", got, want)
		}
		v := all[2]
		if v["contact_type"] != "vendors" || v["first_name"] != "Ada" || v["last_name"] != "Lovelace" ||
			v["email"] != "vendor@example.com" || v["phone_number"] != "+14155550123" ||
			v["business_name"] != "Acme Widgets LLC" || v["created_at"] != vend["created_at"] {
			t.Errorf("vendor contact = %v", v)
		}
		if got := byUser(list(map[string]any{"type": "vendors"})); !slices.Equal(got, []string{alias["id"].(string), vend["id"].(string)}) {
			t.Errorf("vendors = %v", got)
		}
		if got := byUser(list(map[string]any{"type": "customers", "per_page": 1, "page": 2})); !slices.Equal(got, []string{cust["id"].(string)}) {
			t.Errorf("customers page 2 = %v", got)
		}
		// The contact's names follow its user.
		c.call("user/update", map[string]any{"user_id": cust["id"], "first_name": "Augusta"}).want(t, http.StatusOK, "")
		if got := list(map[string]any{"type": "customers"})[1]; got["first_name"] != "Augusta" {
			t.Errorf("contact after its user's update = %v", got)
		}
		// The user.created event says whose contact it became.
		evs := c.wantEventTypes(t, vend["id"].(string), "user.created")
		ch := evs[0]["changes"].(map[string]any)
		if ch["business_id"].(map[string]any)["to"] != bid || ch["contact_type"].(map[string]any)["to"] != "vendors" {
			t.Errorf("user.created changes = %v", ch)
		}

		t.Run("refusals write nothing", func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				extra  map[string]any
				status int
				code   string
				fields []string
			}{
				{"unknown business", map[string]any{"business_id": "buss-00000000-0000-7000-8000-000000000000"}, 404, "not_found", nil},
				{"malformed business_id", map[string]any{"business_id": "biz-1"}, 404, "not_found", nil},
				{"is_vendor and vendor disagree", map[string]any{"business_id": bid, "is_vendor": true, "vendor": false}, 400, "invalid", []string{"vendor"}},
				{"is_vendor without business", map[string]any{"is_vendor": true}, 400, "invalid", []string{"is_vendor"}},
				{"vendor without business", map[string]any{"vendor": true}, 400, "invalid", []string{"vendor"}},
				{"is_vendor not a boolean", map[string]any{"business_id": bid, "is_vendor": "yes"}, 400, "invalid", []string{"is_vendor"}},
				{"duplicate email", map[string]any{"business_id": bid, "email": "customer@example.com"}, 409, "conflict", nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					body := validUser("refused@example.com")
					for k, v := range tc.extra {
						body[k] = v
					}
					before := e.rows(t)
					r := c.call("user/create", body).wantError(t, tc.status, tc.code, "")
					if tc.fields != nil {
						r.wantFields(t, tc.fields...)
					}
					e.wantNoRows(t, before)
				})
			}
		})
		t.Run("another program's business", func(t *testing.T) {
			o := e.program("globex")
			body := validUser("stranger@example.com")
			body["business_id"] = bid
			before := e.rows(t)
			o.call("user/create", body).wantError(t, http.StatusNotFound, "not_found", "business not found")
			e.wantNoRows(t, before)
		})
		t.Run("list refusals", func(t *testing.T) {
			c.call("business/customers/get-all", map[string]any{"user_id": owner, "business_id": bid, "type": "customer"}).
				wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "type")
			c.call("business/customers/get-all", map[string]any{}).
				wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "user_id", "business_id")
			c.call("business/customers/get-all", map[string]any{"user_id": cust["id"], "business_id": bid}).
				wantError(t, http.StatusNotFound, "not_found", "")
		})
	})
}
