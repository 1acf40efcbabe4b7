package httpapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// TestHostileInput sends malformed and adversarial bodies and headers. Each
// must get a clear 4xx (never a 5xx) and write nothing.
func TestHostileInput(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		create := func(extra string) []byte {
			b := `{"first_name":"Ada","last_name":"Lovelace","email":"h@example.com","phone_number":"+14155550123",` +
				`"address_one":"1 Main St","city":"SF","state":"CA","postal_code":"94105","country":"US"` + extra + `}`
			return []byte(b)
		}
		for _, tc := range []struct {
			name   string
			path   string
			body   []byte
			status int
			field  string
		}{
			{"duplicate key", "user/create", create(`,"email":"other@example.com"`), 400, "email"},
			{"duplicate key in a nested object", "user/create", create(`,"meta_data":[{"name":"a","value":"1","name":"b"}]`), 400, "name"},
			{"deeply nested JSON", "user/create", create(`,"meta_data":` + deep), 400, ""},
			{"number where a string belongs", "user/create", []byte(`{"first_name":5}`), 400, "first_name"},
			{"object where a string belongs", "user/create", []byte(`{"first_name":{"x":1}}`), 400, "first_name"},
			{"huge string", "user/create", create(`,"middle_name":"` + strings.Repeat("x", 900_000) + `"`), 400, "middle_name"},
			{"escaped NUL byte", "user/create", create(`,"middle_name":"a\u0000b"`), 400, "middle_name"},
			{"raw NUL byte", "user/create", append(create(""), 0), 400, ""},
			{"invalid UTF-8", "user/create", create(`,"middle_name":"` + "\xc3\x28" + `"`), 400, ""},
			{"page beyond the limit", "user/get-all", []byte(`{"page":2000001}`), 400, "page"},
			{"page overflowing an int", "user/get-all", []byte(`{"page":99999999999999999999}`), 400, "page"},
			{"fractional page", "user/get-all", []byte(`{"page":1.5}`), 400, "page"},
			{"negative per_page", "user/get-all", []byte(`{"per_page":-1}`), 400, "per_page"},
			{"per_page beyond the limit", "user/get-all", []byte(`{"per_page":501}`), 400, "per_page"},
			{"user_id far too long is not found", "user/get", []byte(`{"user_id":"user-` + strings.Repeat("a", 5000) + `"}`), 404, ""},
			{"user_id with control characters is not found", "user/block", []byte(`{"user_id":"user-\u0001"}`), 404, ""},
			{"SQL metacharacters in search", "user/get-all", []byte(`{"search":"' OR 1=1; DROP TABLE users; --"}`), 200, ""},
			{"LIKE and FTS syntax in search", "user/get-all", []byte(`{"search":"%_\" NEAR(a b) * OR ^"}`), 200, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts(t)
				r := c.call(tc.path, tc.body)
				if r.Status != tc.status {
					t.Fatalf("status = %d, want %d; body %.300s", r.Status, tc.status, r.Body)
				}
				if tc.status == 200 {
					if n := len(r.items(t)); n != 0 {
						t.Errorf("search matched %d users, want 0", n)
					}
				} else if tc.field != "" {
					fields, _ := r.JSON["error"].(map[string]any)["fields"].(map[string]any)
					if _, ok := fields[tc.field]; !ok {
						t.Errorf("error.fields = %v, want %q named", fields, tc.field)
					}
				}
				if after := e.counts(t); after != before {
					t.Errorf("rows changed from %v to %v", before, after)
				}
			})
		}

		t.Run("repeated Authorization header", func(t *testing.T) {
			r := c.send("user/get-all", map[string]any{}, func(r *http.Request) {
				r.Header.Add("Authorization", r.Header.Get("Authorization"))
			})
			r.want(t, http.StatusUnauthorized, "unauthenticated")
			if r.JSON["message"] != "Unauthorized" {
				t.Errorf("message = %v, want Unauthorized", r.JSON["message"])
			}
		})
		t.Run("repeated api_key header", func(t *testing.T) {
			r := c.send("user/get-all", map[string]any{}, func(r *http.Request) {
				r.Header.Add("api_key", "ak_other")
			})
			r.want(t, http.StatusUnauthorized, "unauthenticated")
			if r.JSON["message"] != "Invalid API key" {
				t.Errorf("message = %v, want Invalid API key", r.JSON["message"])
			}
		})
		t.Run("body at the limit is read, above it refused", func(t *testing.T) {
			pad := bytes.Repeat([]byte(" "), 1<<20-len(create("")))
			r := c.call("user/create", append(create(""), pad...))
			if r.Status != http.StatusOK {
				t.Fatalf("body of exactly 1 MiB: status %d, want 200; %.200s", r.Status, r.Body)
			}
			over := append([]byte(`{}`), bytes.Repeat([]byte(" "), 1<<20-1)...) // 1 MiB + 1 byte
			c.call("user/get-all", over).want(t, http.StatusRequestEntityTooLarge, "too_large")
		})
	})
}

// TestLoneSurrogates: a \u escape of half a UTF-16 surrogate pair encodes no
// character. Go's decoder would store it as U+FFFD, so it is refused like
// invalid UTF-8, but naming the field; a whole pair, an escaped backslash
// before "ud800", and U+FFFD itself are ordinary text.
func TestLoneSurrogates(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		id := c.newUser(t, "surrogate@example.com")
		create := func(email, extra string) []byte {
			return []byte(`{"first_name":"Ada","last_name":"Lovelace","email":"` + email + `","phone_number":"+14155550123",` +
				`"address_one":"1 Main St","city":"SF","state":"CA","postal_code":"94105","country":"US"` + extra + `}`)
		}
		const unicodeMsg = "must be valid Unicode text"
		for _, tc := range []struct {
			name  string
			path  string
			body  []byte
			field string
		}{
			{"high surrogate alone", "user/create", create("s1@example.com", `,"middle_name":"\ud800"`), "middle_name"},
			{"low surrogate alone", "user/create", create("s1@example.com", `,"middle_name":"a\udc00b"`), "middle_name"},
			{"upper-case hex", "user/create", create("s1@example.com", `,"middle_name":"\uDBFF"`), "middle_name"},
			{"high surrogate at the end", "user/create", create("s1@example.com", `,"address_two":"Apt \ud83d"`), "address_two"},
			{"high surrogate before another escape", "user/create", create("s1@example.com", `,"middle_name":"\ud800\u0041"`), "middle_name"},
			{"pair in the wrong order", "user/create", create("s1@example.com", `,"middle_name":"\ude00\ud83d"`), "middle_name"},
			{"after an escaped backslash pair", "user/create", create("s1@example.com", `,"middle_name":"\\\ud800"`), "middle_name"},
			{"in a required field", "user/create", create(`s\udfff@example.com`, ""), "email"},
			{"in meta_data", "user/create", create("s1@example.com", `,"meta_data":[{"name":"a","value":"b"},{"name":"c","value":"\ud800"}]`), "meta_data[1].value"},
			{"in update", "user/update", []byte(`{"user_id":"` + id + `","city":"Oak\udbffland"}`), "city"},
			{"in block's reason", "user/block", []byte(`{"user_id":"` + id + `","reason":"\ud800"}`), "reason"},
			{"in search", "user/get-all", []byte(`{"search":"\udc00"}`), "search"},
			{"in user_id", "user/get", []byte(`{"user_id":"user-\ud800"}`), "user_id"},
			{"in idempotent_key", "user/block", []byte(`{"user_id":"` + id + `","idempotent_key":"k\ud800"}`), "idempotent_key"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before, user := e.counts(t), c.get(t, id)
				r := c.call(tc.path, tc.body).wantError(t, http.StatusBadRequest, "invalid", "validation failed")
				r.wantFields(t, tc.field)
				if got := r.fields()[tc.field]; got != unicodeMsg {
					t.Errorf("error.fields[%s] = %v, want %q", tc.field, got, unicodeMsg)
				}
				e.wantNoWrites(t, before)
				if !equalUsers(user, c.get(t, id)) {
					t.Errorf("refused call changed the user")
				}
			})
		}

		for _, tc := range []struct {
			name  string
			email string
			extra string
			want  string // middle_name as stored
		}{
			{"a whole pair", "p1@example.com", `,"middle_name":"\ud83d\ude00 \uD83D\uDE00"`, "\U0001F600 \U0001F600"},
			{"an escaped backslash, then text", "p2@example.com", `,"middle_name":"a\\ud800"`, `a\ud800`},
			{"U+FFFD escaped", "p3@example.com", `,"middle_name":"\ufffd"`, "\uFFFD"},
			{"U+FFFD as UTF-8", "p4@example.com", `,"middle_name":"` + "\uFFFD" + `"`, "\uFFFD"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u := c.call("user/create", create(tc.email, tc.extra)).want(t, http.StatusOK, "").user(t)
				if u["middle_name"] != tc.want {
					t.Errorf("middle_name = %q, want %q", u["middle_name"], tc.want)
				}
			})
		}
	})
}
