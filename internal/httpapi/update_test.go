package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Spec section 5, user/update.

func TestUpdate(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		full := validUser("ada@example.com")
		full["middle_name"], full["address_two"], full["date_of_birth"], full["ssn"] = "King", "Apt 2", "1990-12-10", "123-45-6789"
		id := c.create(t, full)["id"].(string)

		t.Run("partial update keeps the other fields", func(t *testing.T) {
			before := c.get(t, id)
			e.clock.Advance(1500 * time.Millisecond)
			u := c.call("user/update", map[string]any{"user_id": id, "city": "Oakland", "postal_code": "94607"}).
				want(t, http.StatusOK, "").user(t)
			checkUser(t, u)
			for k, v := range before {
				want := v
				switch k {
				case "city":
					want = "Oakland"
				case "postal_code":
					want = "94607"
				case "updated_at":
					want = "2026-04-16T12:34:57.500Z"
				}
				if u[k] != want {
					t.Errorf("after update %s = %v, want %v", k, u[k], want)
				}
			}
			if got := c.get(t, id); !equalUsers(got, u) {
				t.Errorf("user/get after update = %v\nwant the update's answer %v", got, u)
			}
			ev := c.wantEventTypes(t, id, "user.updated", "user.created")[0]
			changes, _ := ev["changes"].(map[string]any)
			wantKeys(t, "user.updated changes", changes, "city", "postal_code")
			if ch, _ := changes["city"].(map[string]any); ch["from"] != "San Francisco" || ch["to"] != "Oakland" {
				t.Errorf("changes.city = %v, want San Francisco → Oakland", ch)
			}
		})

		t.Run("optional fields can be cleared and every field set", func(t *testing.T) {
			e.clock.Advance(time.Second)
			u := c.call("user/update", map[string]any{"user_id": id, "middle_name": "", "address_two": "",
				"first_name": "Augusta", "last_name": "King", "phone_number": "+442071234567",
				"address_one": "12 St James's Square", "state": "NY", "country": "US", "username": "augusta",
				"date_of_birth": "1985-01-02", "ssn": "587-65-4321",
				"meta_data": []map[string]string{{"name": "tier", "value": "gold"}}}).want(t, http.StatusOK, "").user(t)
			want := map[string]any{"middle_name": "", "address_two": "", "first_name": "Augusta", "last_name": "King",
				"phone_number": "+442071234567", "address_one": "12 St James's Square", "state": "NY",
				"date_of_birth": "1985-01-02", "ssn_last_4": "4321", "email": "ada@example.com"}
			for k, v := range want {
				if u[k] != v {
					t.Errorf("%s = %v, want %v", k, u[k], v)
				}
			}
		})

		t.Run("no-op update", func(t *testing.T) {
			before, rows := c.get(t, id), e.counts(t)
			e.clock.Advance(time.Second)
			for _, body := range []map[string]any{
				{"user_id": id},
				{"user_id": id, "city": before["city"], "first_name": before["first_name"]},
				{"user_id": id, "ssn": "587654321"}, // the SSN on file, written without dashes
			} {
				u := c.call("user/update", body).want(t, http.StatusOK, "").user(t)
				if !equalUsers(before, u) {
					t.Errorf("no-op update %v answered %v, want unchanged %v", body, u, before)
				}
			}
			e.wantNoWrites(t, rows)
		})

		t.Run("email cannot change", func(t *testing.T) {
			// Any email key is refused, whatever its value: null and "" are
			// not "absent", and the current value is not a no-op.
			for _, tc := range []struct {
				name string
				body map[string]any
			}{
				{"another value", map[string]any{"email": "new@example.com"}},
				{"the same value", map[string]any{"email": "ada@example.com"}},
				{"empty", map[string]any{"email": ""}},
				{"null", map[string]any{"email": nil}},
				{"null with a valid change", map[string]any{"email": nil, "city": "Albany"}},
				{"empty with a valid change", map[string]any{"email": "", "city": "Albany"}},
				{"a number", map[string]any{"email": 5}},
				{"an object", map[string]any{"email": map[string]any{"address": "new@example.com"}}},
			} {
				rows, before := e.counts(t), c.get(t, id)
				tc.body["user_id"] = id
				r := c.call("user/update", tc.body).wantError(t, http.StatusBadRequest, "invalid", "validation failed")
				r.wantFields(t, "email")
				if got := r.fields()["email"]; got != "cannot be changed" {
					t.Errorf("%s: error.fields.email = %v, want %q", tc.name, got, "cannot be changed")
				}
				e.wantNoWrites(t, rows)
				if !equalUsers(before, c.get(t, id)) {
					t.Errorf("%s: refused update changed the user", tc.name)
				}
			}
		})

		t.Run("same validation as create", func(t *testing.T) {
			for _, tc := range []struct {
				field string
				value any
			}{
				{"first_name", ""}, {"first_name", "  "}, {"last_name", ""}, {"last_name", strings.Repeat("a", 101)},
				{"middle_name", strings.Repeat("a", 101)}, {"phone_number", "555-0123"}, {"phone_number", ""},
				{"address_one", ""}, {"address_two", strings.Repeat("a", 201)}, {"city", ""},
				{"state", "California"}, {"state", ""}, {"postal_code", "1234"}, {"country", "USA"},
				{"country", ""}, {"date_of_birth", "2099-01-01"}, {"date_of_birth", "1990-13-01"},
				{"username", strings.Repeat("u", 65)}, {"ssn", "123"}, {"ssn", ""}, {"meta_data", meta(51)},
			} {
				rows, before := e.counts(t), c.get(t, id)
				c.call("user/update", map[string]any{"user_id": id, tc.field: tc.value}).
					wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, tc.field)
				e.wantNoWrites(t, rows)
				if !equalUsers(before, c.get(t, id)) {
					t.Errorf("refused update of %s changed the user", tc.field)
				}
			}
			// Several wrong fields are all named at once.
			c.call("user/update", map[string]any{"user_id": id, "state": "x", "postal_code": "x", "ssn": "x"}).
				wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "state", "postal_code", "ssn")
		})

		t.Run("a blocked user can be updated", func(t *testing.T) {
			c.call("user/block", map[string]any{"user_id": id, "reason": "review"}).want(t, http.StatusOK, "")
			e.clock.Advance(time.Second)
			u := c.call("user/update", map[string]any{"user_id": id, "city": "Brooklyn"}).want(t, http.StatusOK, "").user(t)
			if u["city"] != "Brooklyn" || u["status"] != "blocked" {
				t.Errorf("city, status = %v, %v; want Brooklyn, blocked", u["city"], u["status"])
			}
			c.call("user/unblock", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		})
	})
}

// TestIdentityLock: once verification is submitted (pending) or passed
// (verified), first_name, last_name, date_of_birth and ssn cannot change (409);
// other fields can, and re-sending the current values is not a change.
func TestIdentityLock(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		pending := c.newKYCUser(t, "pending@example.com", "0002") // stays pending: manual review
		verified := c.newKYCUser(t, "verified@example.com", "6789")
		rejected := c.newKYCUser(t, "rejected@example.com", "0001")
		for _, id := range []string{pending, verified, rejected} {
			c.call("user/send-verification-request", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		}
		c.waitKYC(t, verified, "verified")
		c.waitKYC(t, rejected, "rejected")

		for _, st := range []struct {
			name, id, last4 string
		}{{"pending", pending, "0002"}, {"verified", verified, "6789"}} {
			for _, tc := range []struct {
				field string
				value string
			}{
				{"first_name", "Eve"}, {"last_name", "Byron"}, {"date_of_birth", "1991-01-01"}, {"ssn", "123-45-9999"},
			} {
				t.Run(st.name+"/"+tc.field, func(t *testing.T) {
					rows, before := e.counts(t), c.get(t, st.id)
					c.call("user/update", map[string]any{"user_id": st.id, tc.field: tc.value, "city": "Oakland"}).
						wantError(t, http.StatusConflict, "conflict", "")
					e.wantNoWrites(t, rows)
					if !equalUsers(before, c.get(t, st.id)) {
						t.Errorf("refused update changed the user")
					}
				})
			}
			t.Run(st.name+"/unchanged identity and other fields", func(t *testing.T) {
				e.clock.Advance(time.Second)
				u := c.call("user/update", map[string]any{"user_id": st.id, "first_name": "Ada", "last_name": "Lovelace",
					"date_of_birth": "1990-12-10", "ssn": "123-45-" + st.last4, "middle_name": "King", "city": "Oakland"}).
					want(t, http.StatusOK, "").user(t)
				if u["middle_name"] != "King" || u["city"] != "Oakland" || u["kyc_status"] != st.name {
					t.Errorf("user = %v, want middle_name King, city Oakland, kyc_status %s", u, st.name)
				}
			})
		}

		t.Run("rejected: identity can be corrected", func(t *testing.T) {
			u := c.call("user/update", map[string]any{"user_id": rejected, "first_name": "Augusta", "ssn": "123-45-6789"}).
				want(t, http.StatusOK, "").user(t)
			if u["first_name"] != "Augusta" || u["ssn_last_4"] != "6789" || u["kyc_status"] != "rejected" {
				t.Errorf("user = %v", u)
			}
		})
	})
}
