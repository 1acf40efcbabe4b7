package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestBusinessHostileInput sends what TestHostileInput sends to the user
// calls to every business call: wrong types, duplicate keys, NUL bytes,
// invalid UTF-8, oversized values, unknown fields and deep nesting. Each
// must get a 4xx naming the field where there is one, and write nothing.
func TestBusinessHostileInput(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		k := c.kybCase(t, "hostile@example.com", "12-3456789", "6789")
		ref := map[string]any{"user_id": k.uid, "business_id": k.bid}
		with := func(m map[string]any, extra map[string]any) map[string]any {
			out := map[string]any{}
			for key, v := range m {
				out[key] = v
			}
			for key, v := range extra {
				out[key] = v
			}
			return out
		}
		// A valid body of every new call, with the string field each
		// hostile value goes into.
		calls := []struct {
			path  string
			body  map[string]any
			field string
		}{
			{"business/create", validBusiness(k.uid, "55-5555555"), "business_name"},
			{"business/get", ref, "business_id"},
			{"business/update", with(ref, map[string]any{"dba": "Acme"}), "dba"},
			{"business/block", with(ref, map[string]any{"reason": "r"}), "reason"},
			{"business/unblock", with(ref, map[string]any{"reason": "r"}), "reason"},
			{"business/get-all", map[string]any{"search": "acme"}, "search"},
			{"business/events", ref, "business_id"},
			{"business/send-verification-request", ref, "business_id"},
			{"business/add-business-owner", validOwner(k.uid, k.bid, "6789", 1), "name"},
			{"business/get-business-owners", ref, "business_id"},
			{"business/add-business-owner-document", with(ref, map[string]any{"business_owner_id": k.owners[0],
				"document_type": "other", "file_url": "https://files.example/x"}), "file_url"},
			{"business/get-business-owner-documents", with(ref, map[string]any{"business_owner_id": k.owners[0]}), "business_owner_id"},
			{"business/customers/get-all", ref, "business_id"},
		}
		// raw renders body with extra JSON members appended verbatim.
		raw := func(body map[string]any, extra string) []byte {
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
			without := with(call.body, nil)
			delete(without, call.field)
			// Free-text fields are refused when oversized; ids are exact
			// strings, so an oversized one names nothing (404).
			idField := strings.HasSuffix(call.field, "_id")
			for _, tc := range []struct {
				name   string
				body   []byte
				status int
				field  string
			}{
				{"duplicate key", raw(call.body, `,"`+call.field+`":"x"`), 400, call.field},
				{"number for a string", raw(without, `,"`+call.field+`":5`), 400, call.field},
				{"object for a string", raw(without, `,"`+call.field+`":{"a":1}`), 400, call.field},
				{"array for a string", raw(without, `,"`+call.field+`":["a"]`), 400, call.field},
				{"unknown field", raw(call.body, `,"nickname":"x"`), 400, "nickname"},
				{"field in another case", raw(call.body, `,"User_Id":"x"`), 400, "User_Id"},
				{"deeply nested", raw(call.body, `,"nickname":`+deep), 400, ""},
				{"escaped NUL", raw(without, `,"`+call.field+`":"a\u0000b"`), map[bool]int{true: 404, false: 400}[idField], map[bool]string{true: "", false: call.field}[idField]},
				{"raw NUL byte", append(raw(call.body, ""), 0), 400, ""},
				{"invalid UTF-8", raw(without, `,"`+call.field+`":"`+"\xc3\x28"+`"`), 400, ""},
				{"lone surrogate", raw(without, `,"`+call.field+`":"\ud800"`), 400, call.field},
				{"huge value", raw(without, `,"`+call.field+`":"`+strings.Repeat("x", 900_000)+`"`), map[bool]int{true: 404, false: 400}[idField], map[bool]string{true: "", false: call.field}[idField]},
				{"not an object", []byte(`["` + call.path + `"]`), 400, ""},
				{"null body", []byte(`null`), 400, ""},
				{"two objects", append(raw(call.body, ""), []byte(`{}`)...), 400, ""},
				{"page of another type", raw(call.body, `,"page":"1"`), 400, "page"},
			} {
				if tc.name == "page of another type" && !strings.Contains(call.path, "get") && call.path != "business/events" {
					continue
				}
				t.Run(call.path+"/"+tc.name, func(t *testing.T) {
					before := e.rows(t)
					r := c.call(call.path, tc.body)
					if r.Status != tc.status {
						t.Fatalf("status = %d, want %d; body %.300s", r.Status, tc.status, r.Body)
					}
					if tc.field != "" {
						if _, ok := r.fields()[tc.field]; !ok {
							t.Errorf("error.fields = %v, want %q named", r.fields(), tc.field)
						}
					}
					e.wantNoRows(t, before)
				})
			}
		}

		t.Run("ownership_percent of another type or size", func(t *testing.T) {
			for _, v := range []string{`"25"`, `true`, `[25]`, `1e400`, `-0.001`, `1.005`, `100.0000001`, `33.330000000000000001`} {
				before := e.rows(t)
				body := validOwner(k.uid, k.bid, "6789", 1)
				delete(body, "ownership_percent")
				r := c.call("business/add-business-owner", raw(body, `,"ownership_percent":`+v))
				if r.Status != http.StatusBadRequest {
					t.Errorf("ownership_percent %s: status %d, want 400; %s", v, r.Status, r.Body)
				} else if msg, ok := r.fields()["ownership_percent"]; !ok {
					t.Errorf("ownership_percent %s: fields %v", v, r.fields())
				} else if v[0] == '"' || v[0] == 't' || v[0] == '[' {
					if msg != "must be a number" {
						t.Errorf("ownership_percent %s: %q, want \"must be a number\"", v, msg)
					}
				}
				e.wantNoRows(t, before)
			}
		})
		t.Run("SQL and LIKE metacharacters in search", func(t *testing.T) {
			for _, s := range []string{"' OR 1=1; DROP TABLE businesses; --", "%", "_", `\`, `%_\" NEAR(a b) * OR ^`, "12-345678_"} {
				before := e.rows(t)
				r := c.call("business/get-all", map[string]any{"search": s}).want(t, http.StatusOK, "")
				if n := len(r.items(t)); n != 0 {
					t.Errorf("search %q matched %d businesses, want 0", s, n)
				}
				e.wantNoRows(t, before)
			}
		})
		t.Run("is_vendor of another type on user/create", func(t *testing.T) {
			for _, v := range []string{`"true"`, `1`, `null`} {
				body := validUser("v@example.com")
				body["business_id"] = k.bid
				before := e.rows(t)
				r := c.call("user/create", raw(body, `,"is_vendor":`+v))
				if v == `null` {
					// null leaves a pointer nil: not sent, a customer.
					r.want(t, http.StatusOK, "")
					continue
				}
				r.wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "is_vendor")
				e.wantNoRows(t, before)
			}
		})
	})
}
