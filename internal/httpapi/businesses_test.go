package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// businesses.md sections 1 and 2: the business object and its calls.

func TestBusinessCreate(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid := c.newUser(t, "owner@example.com")
		body := validBusiness(uid, "123456789")
		body["business_type"] = "S-Corp"
		body["business_address_2"] = "Suite 5"
		body["dba"] = "Acme"
		body["support_email"] = "help@acme.example"
		body["support_phone_number"] = "+14155550199"
		body["business_industry"] = "Manufacturing"
		body["naics_code"] = "332510"
		body["incorporated_date"] = "2001-02-03"
		body["incorporated_state"] = "DE"
		body["business_description"] = "Widgets"
		body["business_rep_name"] = "Rita Rep"
		body["business_rep_email"] = "rita@acme.example"
		body["business_rep_phone"] = "+14155550177"
		body["meta_data"] = []map[string]any{{"name": "crm", "value": "42"}}
		e.clock.Advance(time.Second)
		b := c.call("business/create", body).want(t, http.StatusOK, "").one(t)
		wantKeys(t, "business", b, businessKeys...)
		for k, want := range map[string]string{
			"user_id": uid, "name": "Acme Widgets LLC", "ein": "12-3456789", "business_type": "s_corporation",
			"address_one": "1 Market St", "address_two": "Suite 5", "postal_code": "94105",
			"business_email": "ops@acme.example", "business_phone_number": "+14155550100",
			"support_email": "help@acme.example", "support_phone_number": "+14155550199",
			"business_industry": "Manufacturing", "dba": "Acme", "city": "San Francisco",
			"state": "CA", "country": "US", "status": "active", "kyb_status": "not_started",
			"created_at": "2026-04-16T12:34:57.000Z", "updated_at": "2026-04-16T12:34:57.000Z",
		} {
			if b[k] != want {
				t.Errorf("%s = %v, want %q", k, b[k], want)
			}
		}
		id := b["id"].(string)
		if !strings.HasPrefix(id, "buss-") || b["uuid"] != strings.TrimPrefix(id, "buss-") {
			t.Errorf("id, uuid = %v, %v", id, b["uuid"])
		}
		if got := c.business(t, uid, id); !equalMaps(got, b) {
			t.Errorf("business/get = %v, want the created business %v", got, b)
		}
		evs := c.businessEvents(t, uid, id)
		if got := eventTypes(evs); !slices.Equal(got, []string{"business.created"}) {
			t.Fatalf("events = %v", got)
		}
		ch := evs[0]["changes"].(map[string]any)
		for _, k := range []string{"name", "ein", "user_id", "naics_code", "business_rep_name", "meta_data", "kyb_status"} {
			if _, ok := ch[k]; !ok {
				t.Errorf("business.created changes lack %s: %v", k, ch)
			}
		}
		if evs[0]["actor"] != "program:"+c.creds.ProgramID {
			t.Errorf("actor = %v", evs[0]["actor"])
		}

		t.Run("a user may own many businesses; aliases stand in", func(t *testing.T) {
			body := validBusiness(uid, "98-7654321")
			delete(body, "business_name")
			delete(body, "email")
			delete(body, "phone_number")
			body["name"] = "Second Co"
			body["business_email"] = "second@acme.example"
			body["business_phone"] = "+14155550122"
			b := c.call("business/create", body).want(t, http.StatusOK, "").one(t)
			if b["name"] != "Second Co" || b["business_email"] != "second@acme.example" || b["business_phone_number"] != "+14155550122" {
				t.Errorf("aliases not applied: %v", b)
			}
			body = validBusiness(uid, "98-7654322")
			body["name"] = body["business_name"]
			body["business_email"] = body["email"]
			c.call("business/create", body).want(t, http.StatusOK, "")
		})
	})
}

// equalMaps compares two decoded JSON objects of strings.
func equalMaps(a, b map[string]any) bool {
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

// TestBusinessCreateRules: every rule is a 400 naming the request's field,
// and writes nothing.
func TestBusinessCreateRules(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid := c.newUser(t, "owner@example.com")
		for _, tc := range []struct {
			name   string
			edit   func(b map[string]any)
			fields []string
		}{
			{"nothing", func(b map[string]any) { clear(b) }, []string{"user_id", "business_name", "ein", "business_type",
				"business_address", "city", "state", "zipcode", "country", "email", "phone_number"}},
			{"ein too short", func(b map[string]any) { b["ein"] = "12-34567" }, []string{"ein"}},
			{"ein dashed like an SSN", func(b map[string]any) { b["ein"] = "123-45-6789" }, []string{"ein"}},
			{"unknown business_type", func(b map[string]any) { b["business_type"] = "trust" }, []string{"business_type"}},
			{"zipcode", func(b map[string]any) { b["zipcode"] = "9410" }, []string{"zipcode"}},
			{"email", func(b map[string]any) { b["email"] = "not-an-email" }, []string{"email"}},
			{"phone_number", func(b map[string]any) { b["phone_number"] = "4155550100" }, []string{"phone_number"}},
			{"state", func(b map[string]any) { b["state"] = "ca" }, []string{"state"}},
			{"country", func(b map[string]any) { b["country"] = "USA" }, []string{"country"}},
			{"business_address too long", func(b map[string]any) { b["business_address"] = strings.Repeat("a", 201) }, []string{"business_address"}},
			{"business_name too long", func(b map[string]any) { b["business_name"] = strings.Repeat("n", 101) }, []string{"business_name"}},
			{"naics_code", func(b map[string]any) { b["naics_code"] = "1234" }, []string{"naics_code"}},
			{"incorporated_date in the future", func(b map[string]any) { b["incorporated_date"] = "2030-01-01" }, []string{"incorporated_date"}},
			{"support_phone_number", func(b map[string]any) { b["support_phone_number"] = "555" }, []string{"support_phone_number"}},
			{"business_rep_zipcode", func(b map[string]any) { b["business_rep_zipcode"] = "x" }, []string{"business_rep_zipcode"}},
			{"name disagrees with business_name", func(b map[string]any) { b["name"] = "Other" }, []string{"name"}},
			{"business_email disagrees with email", func(b map[string]any) { b["business_email"] = "x@acme.example" }, []string{"business_email"}},
			{"business_phone disagrees with phone_number", func(b map[string]any) { b["business_phone"] = "+14155550999" }, []string{"business_phone"}},
			{"control character", func(b map[string]any) { b["dba"] = "A\u0007" }, []string{"dba"}},
			{"meta_data", func(b map[string]any) { b["meta_data"] = []map[string]any{{"value": "v"}} }, []string{"meta_data[0].name"}},
			{"two at once", func(b map[string]any) { b["ein"] = ""; b["city"] = " " }, []string{"ein", "city"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := validBusiness(uid, "12-3456789")
				tc.edit(body)
				before := e.rows(t)
				c.call("business/create", body).wantError(t, http.StatusBadRequest, "invalid", "validation failed").wantFields(t, tc.fields...)
				e.wantNoRows(t, before)
			})
		}
		t.Run("update-only fields are unknown on create", func(t *testing.T) {
			body := validBusiness(uid, "12-3456789")
			body["logo"] = "https://cdn.acme.example/logo.png"
			c.call("business/create", body).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "logo")
		})
	})
}

func TestBusinessCreateRefusals(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid := c.newUser(t, "owner@example.com")
		first := c.newBusiness(t, uid, "12-3456789")
		for _, tc := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"same EIN, without its dash", validBusiness(uid, "123456789"), 409, "conflict"},
			{"same EIN, another user of the program", validBusiness(c.newUser(t, "two@example.com"), "12-3456789"), 409, "conflict"},
			{"unknown user", validBusiness("user-00000000-0000-7000-8000-000000000000", "11-1111111"), 404, "not_found"},
			{"malformed user_id", validBusiness("usr-1", "11-1111111"), 404, "not_found"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.rows(t)
				c.call("business/create", tc.body).wantError(t, tc.status, tc.code, "")
				e.wantNoRows(t, before)
			})
		}
		t.Run("a blocked user cannot own a new business", func(t *testing.T) {
			c.call("user/block", map[string]any{"user_id": uid}).want(t, http.StatusOK, "")
			before := e.rows(t)
			c.call("business/create", validBusiness(uid, "22-2222222")).wantError(t, http.StatusConflict, "blocked", "")
			e.wantNoRows(t, before)
			// Its existing business stays readable.
			c.business(t, uid, first["id"].(string))
		})
		t.Run("the same EIN in another program", func(t *testing.T) {
			o := e.program("globex")
			o.newBusiness(t, o.newUser(t, "owner@example.com"), "12-3456789")
		})
	})
}

func TestBusinessGetNamesItsUser(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid := c.newUser(t, "owner@example.com")
		other := c.newUser(t, "other@example.com")
		bid := c.newBusiness(t, uid, "12-3456789")["id"].(string)
		for _, body := range []map[string]any{
			{"user_id": other, "business_id": bid},
			{"user_id": uid, "business_id": "buss-00000000-0000-7000-8000-000000000000"},
			{"user_id": uid, "business_id": strings.ToUpper(bid)},
			{"user_id": uid, "business_id": "user-" + strings.TrimPrefix(bid, "buss-")},
			{"user_id": "nope", "business_id": bid},
		} {
			c.call("business/get", body).wantError(t, http.StatusNotFound, "not_found", "business not found")
		}
		c.call("business/get", map[string]any{}).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "user_id", "business_id")
		c.call("business/get", map[string]any{"user_id": uid}).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "business_id")
	})
}

func TestBusinessUpdate(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid := c.newUser(t, "owner@example.com")
		b := c.newBusiness(t, uid, "12-3456789")
		bid := b["id"].(string)
		ref := func(extra map[string]any) map[string]any {
			m := map[string]any{"user_id": uid, "business_id": bid}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		e.clock.Advance(time.Minute)
		got := c.call("business/update", ref(map[string]any{
			"business_address": "2 Market St", "zipcode": "94107", "email": "new@acme.example",
			"phone_number": "+14155550101", "dba": "Widgets", "support_city": "Oakland",
			"logo": "https://cdn.acme.example/logo.png", "business_proof": "https://files.acme.example/proof.pdf",
			"ein": "123456789", // the current EIN without its dash: no change
		})).want(t, http.StatusOK, "").one(t)
		if got["address_one"] != "2 Market St" || got["postal_code"] != "94107" || got["business_email"] != "new@acme.example" ||
			got["business_phone_number"] != "+14155550101" || got["dba"] != "Widgets" || got["ein"] != "12-3456789" ||
			got["updated_at"] != "2026-04-16T12:35:56.000Z" || got["created_at"] != b["created_at"] {
			t.Errorf("updated business = %v", got)
		}
		evs := c.businessEvents(t, uid, bid)
		ch, _ := evs[0]["changes"].(map[string]any)
		if evs[0]["type"] != "business.updated" || ch["ein"] != nil || ch["address_one"] == nil || ch["logo"] == nil {
			t.Errorf("business.updated = %v", evs[0])
		}

		t.Run("nothing changed: no event, updated_at stays", func(t *testing.T) {
			before := e.rows(t)
			e.clock.Advance(time.Minute)
			again := c.call("business/update", ref(map[string]any{"dba": "Widgets"})).want(t, http.StatusOK, "").one(t)
			if again["updated_at"] != got["updated_at"] {
				t.Errorf("updated_at moved to %v", again["updated_at"])
			}
			e.wantNoRows(t, before)
		})
		t.Run("optional fields clear, required ones do not", func(t *testing.T) {
			cleared := c.call("business/update", ref(map[string]any{"dba": ""})).want(t, http.StatusOK, "").one(t)
			if cleared["dba"] != "" {
				t.Errorf("dba = %v, want cleared", cleared["dba"])
			}
			before := e.rows(t)
			c.call("business/update", ref(map[string]any{"city": "", "logo": "http://x.example/l.png", "support_state": "Q"})).
				wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "city", "logo", "support_state")
			c.call("business/update", ref(map[string]any{"user_id": nil})).wantError(t, http.StatusBadRequest, "invalid", "")
			e.wantNoRows(t, before)
		})
		t.Run("a taken EIN", func(t *testing.T) {
			c.newBusiness(t, uid, "55-5555555")
			before := e.rows(t)
			c.call("business/update", ref(map[string]any{"ein": "555555555"})).wantError(t, http.StatusConflict, "conflict", "")
			e.wantNoRows(t, before)
		})
		t.Run("identity is frozen once KYB is pending", func(t *testing.T) {
			// An EIN ending 0002 stays pending (manual review).
			vid := c.verifiedUser(t, "kyb-owner@example.com")
			vb := c.newBusiness(t, vid, "66-6660002")["id"].(string)
			c.addOwner(t, validOwner(vid, vb, "6789", 100))
			c.submitKYB(t, vid, vb)
			e.waitJobs(t)
			for _, field := range []map[string]any{
				{"business_name": "Renamed"}, {"name": "Renamed"}, {"ein": "66-6666667"},
				{"business_type": "corporation"}, {"incorporated_date": "2000-01-01"},
				{"ein": "66-6660002", "business_name": "Renamed"},
			} {
				before := e.rows(t)
				body := map[string]any{"user_id": vid, "business_id": vb}
				for k, v := range field {
					body[k] = v
				}
				c.call("business/update", body).wantError(t, http.StatusConflict, "conflict", "")
				e.wantNoRows(t, before)
			}
			// The same values, and other fields, still go through.
			c.call("business/update", map[string]any{"user_id": vid, "business_id": vb, "business_name": "Acme Widgets LLC",
				"business_type": "llc", "ein": "666660002", "dba": "Still Acme"}).want(t, http.StatusOK, "")
		})
	})
}

func TestBusinessBlockUnblock(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid := c.newUser(t, "owner@example.com")
		bid := c.newBusiness(t, uid, "12-3456789")["id"].(string)
		ref := map[string]any{"user_id": uid, "business_id": bid, "reason": "fraud review"}
		before := e.rows(t)
		c.call("business/unblock", ref).wantError(t, http.StatusConflict, "conflict", "")
		e.wantNoRows(t, before)
		b := c.call("business/block", ref).want(t, http.StatusOK, "").one(t)
		if b["status"] != "blocked" {
			t.Errorf("status = %v", b["status"])
		}
		before = e.rows(t)
		c.call("business/block", ref).wantError(t, http.StatusConflict, "conflict", "")
		e.wantNoRows(t, before)
		// Its owning user is unaffected; its data stays readable and updatable.
		if c.get(t, uid)["status"] != "active" {
			t.Errorf("blocking a business blocked its user")
		}
		c.call("business/update", map[string]any{"user_id": uid, "business_id": bid, "dba": "Blocked Co"}).want(t, http.StatusOK, "")
		oid := c.addOwner(t, validOwner(uid, bid, "6789", 50))["id"]
		c.call("business/add-business-owner-document", map[string]any{"user_id": uid, "business_id": bid, "business_owner_id": oid,
			"document_type": "other", "file_url": "https://files.example/b"}).want(t, http.StatusOK, "")
		b = c.call("business/unblock", map[string]any{"user_id": uid, "business_id": bid}).want(t, http.StatusOK, "").one(t)
		if b["status"] != "active" {
			t.Errorf("status = %v", b["status"])
		}
		evs := c.businessEvents(t, uid, bid)
		if got := eventTypes(evs); !slices.Equal(got, []string{"business.unblocked", "business.document.added",
			"business.owner.added", "business.updated", "business.blocked", "business.created"}) {
			t.Errorf("events = %v", got)
		}
		if evs[4]["reason"] != "fraud review" {
			t.Errorf("block reason = %v", evs[4]["reason"])
		}
		c.call("business/block", map[string]any{"user_id": uid, "business_id": bid, "reason": strings.Repeat("r", 501)}).
			wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "reason")
	})
}

func TestBusinessList(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		u1 := c.newUser(t, "one@example.com")
		u2 := c.newUser(t, "two@example.com")
		var ids []string
		for i, tc := range []struct{ uid, ein, name, email string }{
			{u1, "10-0000001", "Alpha 100% Organic", "alpha@acme.example"},
			{u1, "10-0000002", "Beta_Works", "beta@acme.example"},
			{u2, "10-0000003", "Gamma Inc", "gamma@other.example"},
		} {
			e.clock.Advance(time.Second)
			body := validBusiness(tc.uid, tc.ein)
			body["business_name"], body["email"] = tc.name, tc.email
			if i == 2 {
				body["dba"] = "Gizmo"
			}
			ids = append(ids, c.call("business/create", body).want(t, http.StatusOK, "").one(t)["id"].(string))
		}
		c.call("business/block", map[string]any{"user_id": u2, "business_id": ids[2]}).want(t, http.StatusOK, "")
		for _, tc := range []struct {
			name string
			body map[string]any
			want []string
		}{
			{"all, newest first", map[string]any{}, []string{ids[2], ids[1], ids[0]}},
			{"ascending", map[string]any{"sort": "created_at:asc"}, ids},
			{"one user's", map[string]any{"user_id": u1}, []string{ids[1], ids[0]}},
			{"search name, any case", map[string]any{"search": "BETA"}, []string{ids[1]}},
			{"search dba", map[string]any{"search": "gizmo"}, []string{ids[2]}},
			{"search ein without dash", map[string]any{"search": "100000001"}, []string{ids[0]}},
			{"search email", map[string]any{"search": "@other."}, []string{ids[2]}},
			{"search id", map[string]any{"search": ids[1][12:]}, []string{ids[1]}},
			{"% is literal", map[string]any{"search": "100%"}, []string{ids[0]}},
			{"_ is literal", map[string]any{"search": "a_w"}, []string{ids[1]}},
			{"status", map[string]any{"status": "blocked"}, []string{ids[2]}},
			{"kyb_status", map[string]any{"kyb_status": "not_started", "per_page": 1, "page": 3}, []string{ids[0]}},
			{"no match", map[string]any{"search": "' OR 1=1 --"}, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := c.call("business/get-all", tc.body).want(t, http.StatusOK, "")
				if got := ids2(r.items(t)); !slices.Equal(got, tc.want) {
					t.Errorf("ids = %v, want %v", got, tc.want)
				}
				for _, it := range r.items(t) {
					wantKeys(t, "business", it, businessKeys...)
				}
			})
		}
		r := c.call("business/get-all", map[string]any{"per_page": 2, "search": "a"}).want(t, http.StatusOK, "")
		p := r.pagination(t)
		if p["total"] != float64(3) || p["per_page"] != float64(2) || p["search"] != "a" || p["sort"] != "created_at:desc" {
			t.Errorf("pagination = %v", p)
		}
		for _, bad := range []map[string]any{
			{"page": 0}, {"per_page": 501}, {"status": "gone"}, {"kyb_status": "done"}, {"sort": "name"},
			{"search": strings.Repeat("s", 255)},
		} {
			c.call("business/get-all", bad).wantError(t, http.StatusBadRequest, "invalid", "")
		}
		c.call("business/get-all", map[string]any{"user_id": "user-00000000-0000-7000-8000-000000000000"}).
			wantError(t, http.StatusNotFound, "not_found", "")
	})
}

// ids2 is ids, never nil (an empty list compares equal to []string{}).
func ids2(items []map[string]any) []string {
	out := []string{}
	return append(out, ids(items)...)
}
