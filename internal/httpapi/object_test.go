package httpapi_test

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Spec section 4: the user object, in every answer that returns users.

var userKeys = []string{"id", "uuid", "first_name", "middle_name", "last_name", "email",
	"phone_number", "date_of_birth", "address_one", "address_two", "city", "state", "country",
	"postal_code", "ssn_last_4", "status", "kyc_status", "created_at", "updated_at"}

var (
	timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	uuidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// checkUser fails unless u is a well-formed user object: exactly the 19 keys,
// every value a string, id = "user-" + uuid, timestamps with milliseconds.
func checkUser(t *testing.T, u map[string]any) {
	t.Helper()
	wantKeys(t, "user", u, userKeys...)
	for k, v := range u {
		if _, ok := v.(string); !ok {
			t.Errorf("user.%s = %v (%T), want a string", k, v, v)
		}
	}
	id, _ := u["id"].(string)
	uuid, _ := u["uuid"].(string)
	if !uuidRE.MatchString(uuid) || id != "user-"+uuid {
		t.Errorf("id, uuid = %q, %q; want user-<uuid>, <uuid>", id, uuid)
	}
	for _, k := range []string{"created_at", "updated_at"} {
		s, _ := u[k].(string)
		if !timestampRE.MatchString(s) {
			t.Errorf("%s = %q, want 2006-01-02T15:04:05.000Z", k, s)
		} else if _, err := time.Parse("2006-01-02T15:04:05.000Z", s); err != nil {
			t.Errorf("%s = %q: %v", k, s, err)
		}
	}
	switch u["status"] {
	case "active", "blocked":
	default:
		t.Errorf("status = %v, want active or blocked", u["status"])
	}
	switch u["kyc_status"] {
	case "not_started", "pending", "verified", "rejected":
	default:
		t.Errorf("kyc_status = %v", u["kyc_status"])
	}
}

func TestUserObject(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		const ssn = "123-45-6789"

		full := validUser("Ada.Lovelace@Example.com")
		for k, v := range map[string]any{"middle_name": "King", "address_two": "Apt 2", "date_of_birth": "1990-12-10",
			"ssn": ssn, "username": "ada", "terms_accepted": true,
			"meta_data": []map[string]string{{"name": "crm_id", "value": "42"}}} {
			full[k] = v
		}
		created := c.call("user/create", full).want(t, http.StatusOK, "")
		u := created.user(t)
		checkUser(t, u)
		want := map[string]any{
			"first_name": "Ada", "middle_name": "King", "last_name": "Lovelace", "email": "Ada.Lovelace@Example.com",
			"phone_number": "+14155550123", "date_of_birth": "1990-12-10", "address_one": "1 Main St",
			"address_two": "Apt 2", "city": "San Francisco", "state": "CA", "country": "US", "postal_code": "94105",
			"ssn_last_4": "6789", "status": "active", "kyc_status": "not_started",
			"created_at": "2026-04-16T12:34:56.000Z", "updated_at": "2026-04-16T12:34:56.000Z",
		}
		for k, v := range want {
			if u[k] != v {
				t.Errorf("created user.%s = %q, want %q", k, u[k], v)
			}
		}
		id := u["id"].(string)

		t.Run("unset optional values are empty strings", func(t *testing.T) {
			m := c.create(t, validUser("minimal@example.com"))
			checkUser(t, m)
			for _, k := range []string{"middle_name", "address_two", "date_of_birth", "ssn_last_4"} {
				if v, ok := m[k]; !ok || v != "" {
					t.Errorf("user.%s = %#v (present %v), want \"\"", k, v, ok)
				}
			}
		})

		t.Run("milliseconds", func(t *testing.T) {
			e.clock.Advance(1234 * time.Millisecond)
			m := c.create(t, validUser("millis@example.com"))
			if m["created_at"] != "2026-04-16T12:34:57.234Z" || m["updated_at"] != m["created_at"] {
				t.Errorf("created_at, updated_at = %v, %v; want 2026-04-16T12:34:57.234Z twice", m["created_at"], m["updated_at"])
			}
		})

		// Every call that answers users answers the same shape, and none
		// carries the full SSN anywhere in its body.
		e.clock.Advance(time.Second)
		for _, tc := range []struct {
			path string
			body map[string]any
		}{
			{"user/get", map[string]any{"user_id": id}},
			{"user/get-all", map[string]any{}},
			{"user/get-all", map[string]any{"email": "ada.lovelace@example.com"}},
			{"user/update", map[string]any{"user_id": id, "city": "Oakland"}},
			{"user/block", map[string]any{"user_id": id}},
			{"user/unblock", map[string]any{"user_id": id}},
			{"user/events", map[string]any{"user_id": id}},
		} {
			t.Run(tc.path, func(t *testing.T) {
				r := c.call(tc.path, tc.body).want(t, http.StatusOK, "")
				if tc.path != "user/events" {
					items := r.items(t)
					if len(items) == 0 {
						t.Fatalf("no items; body %s", r.Body)
					}
					for _, it := range items {
						checkUser(t, it)
					}
				}
				for _, s := range []string{ssn, strings.ReplaceAll(ssn, "-", "")} {
					if bytes.Contains(r.Body, []byte(s)) {
						t.Errorf("answer carries the full SSN: %s", r.Body)
					}
				}
			})
		}
		if bytes.Contains(created.Body, []byte("123456789")) || bytes.Contains(created.Body, []byte(ssn)) {
			t.Errorf("create answer carries the full SSN: %s", created.Body)
		}

		t.Run("SSN stored sealed", func(t *testing.T) {
			var sealed []byte
			if err := e.store.DB().QueryRow(`SELECT ssn_sealed FROM users WHERE id = '` + id + `'`).Scan(&sealed); err != nil {
				t.Fatal(err)
			}
			if len(sealed) == 0 || bytes.Contains(sealed, []byte("123456789")) || bytes.Contains(sealed, []byte("6789")) {
				t.Errorf("ssn_sealed = %q, want ciphertext without the SSN", sealed)
			}
		})
	})
}
