package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// The error table of spec section 3, row by row: 400 invalid, 404 not_found
// and 409 conflict. (401 is in auth_test.go; 413, 415 and 405 in
// transport_test.go.) Every refused call must write nothing.

func TestInvalidBody(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		id := c.newUser(t, "ada@example.com")
		for _, tc := range []struct {
			name, path, body string
			fields           []string // nil: no fields expected
		}{
			{"empty body", "user/get-all", ``, nil},
			{"malformed JSON", "user/create", `{"first_name":`, nil},
			{"missing colon", "user/get-all", `{"page" 1}`, nil},
			{"single quotes", "user/get-all", `{'page':1}`, nil},
			{"array", "user/get-all", `[]`, nil},
			{"string", "user/get-all", `"hello"`, nil},
			{"number", "user/get-all", `42`, nil},
			{"null", "user/get-all", `null`, nil},
			{"two objects", "user/get-all", `{} {}`, nil},
			{"trailing garbage", "user/get-all", `{}x`, nil},
			{"trailing array", "user/get", `{"user_id":"` + id + `"}[]`, nil},
			{"invalid UTF-8", "user/get-all", "{\"search\":\"\xff\"}", nil},
			{"number for first_name", "user/create", `{"first_name":5}`, []string{"first_name"}},
			{"object for email", "user/create", `{"email":{}}`, []string{"email"}},
			{"string for terms_accepted", "user/create", `{"terms_accepted":"yes"}`, []string{"terms_accepted"}},
			{"object for meta_data", "user/create", `{"meta_data":{}}`, []string{"meta_data"}},
			{"string for page", "user/get-all", `{"page":"1"}`, []string{"page"}},
			{"fraction for per_page", "user/get-all", `{"per_page":1.5}`, []string{"per_page"}},
			{"huge page", "user/get-all", `{"page":1e30}`, []string{"page"}},
			{"number for user_id", "user/get", `{"user_id":123}`, []string{"user_id"}},
			{"bool for reason", "user/block", `{"user_id":"` + id + `","reason":true}`, []string{"reason"}},
			{"string for events page", "user/events", `{"user_id":"` + id + `","page":"2"}`, []string{"page"}},
			{"unknown field on create", "user/create", `{"nickname":"ada"}`, []string{"nickname"}},
			{"unknown field on get-all", "user/get-all", `{"limit":5}`, []string{"limit"}},
			{"unknown field on get", "user/get", `{"user_id":"` + id + `","id":"x"}`, []string{"id"}},
			{"typo on update", "user/update", `{"user_id":"` + id + `","frist_name":"Ada"}`, []string{"frist_name"}},
			{"unknown field on block", "user/block", `{"user_id":"` + id + `","why":"x"}`, []string{"why"}},
			{"unknown field on unblock", "user/unblock", `{"user_id":"` + id + `","force":true}`, []string{"force"}},
			{"unknown field on verification", "user/send-verification-request", `{"user_id":"` + id + `","provider":"x"}`, []string{"provider"}},
			{"unknown field on events", "user/events", `{"user_id":"` + id + `","type":"x"}`, []string{"type"}},
			{"ssn on get-all", "user/get-all", `{"ssn":"123456789"}`, []string{"ssn"}},
			{"field name in another case", "user/get-all", `{"PER_PAGE":2}`, []string{"PER_PAGE"}},
			{"field name capitalised on create", "user/create", `{"First_Name":"Ada"}`, []string{"First_Name"}},
			{"nested field name in another case", "user/update",
				`{"user_id":"` + id + `","meta_data":[{"Name":"crm","value":"1"}]}`, []string{"Name"}},
			{"nested unknown field", "user/update",
				`{"user_id":"` + id + `","meta_data":[{"name":"crm","value":"1","type":"x"}]}`, []string{"type"}},
			{"api_key in another case", "user/get-all", `{"Api_Key":"` + c.creds.APIKey + `"}`, []string{"Api_Key"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts(t)
				r := c.call(tc.path, []byte(tc.body)).wantError(t, http.StatusBadRequest, "invalid", "")
				if tc.fields == nil {
					if f := r.fields(); f != nil {
						t.Errorf("error.fields = %v, want none", f)
					}
				} else {
					r.wantFields(t, tc.fields...)
				}
				e.wantNoWrites(t, before)
			})
		}
		t.Run("api_key and idempotent_key are accepted on every call", func(t *testing.T) {
			common := map[string]any{"api_key": c.creds.APIKey, "idempotent_key": "k-1"}
			with := func(m map[string]any) map[string]any {
				for k, v := range common {
					m[k] = v
				}
				return m
			}
			for _, tc := range []struct {
				path string
				body map[string]any
			}{
				{"user/create", with(validUser("common@example.com"))},
				{"user/get-all", with(map[string]any{})},
				{"user/get", with(map[string]any{"user_id": id})},
				{"user/update", with(map[string]any{"user_id": id, "city": "Oakland"})},
				{"user/block", with(map[string]any{"user_id": id})},
				{"user/unblock", with(map[string]any{"user_id": id})},
				{"user/events", with(map[string]any{"user_id": id})},
			} {
				// One key per call: a key reused on another endpoint is 422.
				tc.body["idempotent_key"] = "k-" + tc.path
				c.call(tc.path, tc.body).want(t, http.StatusOK, "")
			}
		})
		t.Run("trailing white space is fine", func(t *testing.T) {
			c.call("user/get-all", []byte("{}\n\t \r\n")).want(t, http.StatusOK, "")
		})
	})
}

func TestCreateValidation(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		for _, tc := range []struct {
			name   string
			change map[string]any // nil value deletes the key
			fields []string       // nil: accepted
		}{
			{"all required missing", map[string]any{"first_name": nil, "last_name": nil, "email": nil,
				"phone_number": nil, "address_one": nil, "city": nil, "state": nil, "postal_code": nil, "country": nil},
				[]string{"first_name", "last_name", "email", "phone_number", "address_one", "city", "state", "postal_code", "country"}},
			{"first_name empty", map[string]any{"first_name": ""}, []string{"first_name"}},
			{"first_name blank", map[string]any{"first_name": "   "}, []string{"first_name"}},
			{"email missing", map[string]any{"email": nil}, []string{"email"}},
			{"email invalid", map[string]any{"email": "not-an-email"}, []string{"email"}},
			{"email without domain dot", map[string]any{"email": "ada@localhost"}, []string{"email"}},
			{"email with display name", map[string]any{"email": "Ada <ada@example.com>"}, []string{"email"}},
			{"email too long", map[string]any{"email": strings.Repeat("a", 243) + "@example.com"}, []string{"email"}},
			{"phone not E.164", map[string]any{"phone_number": "4155550123"}, []string{"phone_number"}},
			{"phone with spaces", map[string]any{"phone_number": "+1 415 555 0123"}, []string{"phone_number"}},
			{"state spelled out", map[string]any{"state": "California"}, []string{"state"}},
			{"state lowercase", map[string]any{"state": "ca"}, []string{"state"}},
			{"state not in US", map[string]any{"state": "ZZ"}, []string{"state"}},
			{"postal four digits", map[string]any{"postal_code": "9410"}, []string{"postal_code"}},
			{"postal bad ZIP+4", map[string]any{"postal_code": "94105-12"}, []string{"postal_code"}},
			{"country alpha-3", map[string]any{"country": "USA"}, []string{"country"}},
			{"country unknown", map[string]any{"country": "XX"}, []string{"country"}},
			{"date_of_birth in the future", map[string]any{"date_of_birth": "2030-01-01"}, []string{"date_of_birth"}},
			{"date_of_birth today", map[string]any{"date_of_birth": "2026-04-16"}, []string{"date_of_birth"}},
			{"date_of_birth not a date", map[string]any{"date_of_birth": "1990-02-30"}, []string{"date_of_birth"}},
			{"date_of_birth US order", map[string]any{"date_of_birth": "12/10/1990"}, []string{"date_of_birth"}},
			{"ssn eight digits", map[string]any{"ssn": "12345678"}, []string{"ssn"}},
			{"ssn letters", map[string]any{"ssn": "123-45-678x"}, []string{"ssn"}},
			{"first_name too long", map[string]any{"first_name": strings.Repeat("a", 101)}, []string{"first_name"}},
			{"middle_name too long", map[string]any{"middle_name": strings.Repeat("a", 101)}, []string{"middle_name"}},
			{"city too long", map[string]any{"city": strings.Repeat("a", 101)}, []string{"city"}},
			{"address_one too long", map[string]any{"address_one": strings.Repeat("a", 201)}, []string{"address_one"}},
			{"address_two too long", map[string]any{"address_two": strings.Repeat("a", 201)}, []string{"address_two"}},
			{"username too long", map[string]any{"username": strings.Repeat("a", 65)}, []string{"username"}},
			{"control character in name", map[string]any{"last_name": "Love\x00lace"}, []string{"last_name"}},
			{"too many meta_data pairs", map[string]any{"meta_data": meta(51)}, []string{"meta_data"}},
			{"meta_data name too long", map[string]any{"meta_data": []map[string]string{{"name": strings.Repeat("n", 101), "value": "v"}}}, []string{"meta_data[0].name"}},
			{"meta_data value too long", map[string]any{"meta_data": []map[string]string{{"name": "n", "value": strings.Repeat("v", 501)}}}, []string{"meta_data[0].value"}},
			{"several wrong at once", map[string]any{"email": "x", "state": "x", "postal_code": "x"}, []string{"email", "state", "postal_code"}},

			{"limits exactly", map[string]any{"first_name": strings.Repeat("é", 100), "address_one": strings.Repeat("a", 200),
				"username": strings.Repeat("u", 64), "meta_data": meta(50)}, nil},
			{"ZIP+4", map[string]any{"postal_code": "94105-1234"}, nil},
			{"ssn without dashes", map[string]any{"ssn": "123456789"}, nil},
			{"non-US state", map[string]any{"country": "CA", "state": "ON", "postal_code": "94105"}, nil},
			{"all optional fields", map[string]any{"middle_name": "King", "address_two": "Apt 2", "date_of_birth": "1990-12-10",
				"ssn": "123-45-6789", "username": "ada", "terms_accepted": true,
				"meta_data": []map[string]string{{"name": "crm", "value": "42"}}}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := validUser(strings.ReplaceAll(tc.name, " ", "-") + "@example.com")
				for k, v := range tc.change {
					if v == nil {
						delete(body, k)
					} else {
						body[k] = v
					}
				}
				before := e.counts(t)
				r := c.call("user/create", body)
				if tc.fields == nil {
					r.want(t, http.StatusOK, "")
					return
				}
				r.wantError(t, http.StatusBadRequest, "invalid", "")
				r.wantFields(t, tc.fields...)
				e.wantNoWrites(t, before)
			})
		}
	})
}

// meta returns n valid meta_data pairs.
func meta(n int) []map[string]string {
	out := make([]map[string]string, n)
	for i := range out {
		out[i] = map[string]string{"name": "k" + strings.Repeat("x", i%3), "value": "v"}
	}
	return out
}

func TestNotFound(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		real := c.newUser(t, "ada@example.com")
		unknown := "user-" + strings.Repeat("0", 8) + "-0000-7000-8000-" + strings.Repeat("0", 12)
		for _, path := range []string{"user/get", "user/update", "user/block", "user/unblock",
			"user/send-verification-request", "user/events"} {
			for _, tc := range []struct{ name, id string }{
				{"unknown", unknown},
				{"malformed", "user-123"},
				{"bare uuid", strings.TrimPrefix(real, "user-")},
				{"other prefix", "prog-" + strings.TrimPrefix(real, "user-")},
				{"uppercase", strings.ToUpper(real)},
				{"with spaces", " " + real + " "},
				{"garbage", "'; DROP TABLE users; --"},
			} {
				t.Run(path+"/"+tc.name, func(t *testing.T) {
					before := e.counts(t)
					c.call(path, map[string]any{"user_id": tc.id}).
						wantError(t, http.StatusNotFound, "not_found", "")
					e.wantNoWrites(t, before)
				})
			}
			t.Run(path+"/missing user_id", func(t *testing.T) {
				c.call(path, map[string]any{}).wantError(t, http.StatusBadRequest, "invalid", "").
					wantFields(t, "user_id")
			})
		}
		t.Run("business_id on create", func(t *testing.T) {
			before := e.counts(t)
			b := validUser("contact@example.com")
			b["business_id"] = "business-" + strings.TrimPrefix(real, "user-")
			c.call("user/create", b).wantError(t, http.StatusNotFound, "not_found", "")
			e.wantNoWrites(t, before)
		})
		if u := c.get(t, real); u["status"] != "active" {
			t.Errorf("user changed by refused calls: %v", u)
		}
	})
}

func TestConflicts(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		// conflict runs a call that must be 409 and proves it changed nothing.
		refused := func(t *testing.T, code, id, path string, body map[string]any) {
			t.Helper()
			before, beforeRows := c.get(t, id), e.counts(t)
			body["user_id"] = id
			c.call(path, body).wantError(t, http.StatusConflict, code, "")
			e.wantNoWrites(t, beforeRows)
			if after := c.get(t, id); !equalUsers(before, after) {
				t.Errorf("user changed by a refused %s:\nbefore %v\nafter  %v", path, before, after)
			}
		}
		conflict := func(t *testing.T, id, path string, body map[string]any) {
			t.Helper()
			refused(t, "conflict", id, path, body)
		}

		t.Run("block a blocked user", func(t *testing.T) {
			id := c.newUser(t, "blocked@example.com")
			c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
			conflict(t, id, "user/block", map[string]any{"reason": "again"})
		})
		t.Run("unblock an active user", func(t *testing.T) {
			id := c.newUser(t, "active@example.com")
			conflict(t, id, "user/unblock", map[string]any{})
		})
		t.Run("duplicate email", func(t *testing.T) {
			c.newUser(t, "Grace.Hopper@Example.com")
			for _, email := range []string{"Grace.Hopper@Example.com", "grace.hopper@example.com",
				"GRACE.HOPPER@EXAMPLE.COM", "  grace.hopper@example.com "} {
				before := e.counts(t)
				c.call("user/create", validUser(email)).wantError(t, http.StatusConflict, "conflict", "")
				e.wantNoWrites(t, before)
			}
		})
		t.Run("verify a blocked user", func(t *testing.T) {
			id := c.newKYCUser(t, "kyc-blocked@example.com", "6789")
			c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
			// 409 blocked since businesses.md section 7 (conflict before).
			refused(t, "blocked", id, "user/send-verification-request", map[string]any{})
		})
		t.Run("verify a pending user", func(t *testing.T) {
			id := c.newKYCUser(t, "kyc-pending@example.com", "0002")
			c.call("user/send-verification-request", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
			conflict(t, id, "user/send-verification-request", map[string]any{})
		})
		t.Run("verify a verified user", func(t *testing.T) {
			id := c.newKYCUser(t, "kyc-verified@example.com", "6789")
			c.call("user/send-verification-request", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
			c.waitKYC(t, id, "verified")
			conflict(t, id, "user/send-verification-request", map[string]any{})
		})
	})
}

// equalUsers compares two user objects key by key.
func equalUsers(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
