package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// What must never leave the server: internal error details (spec section 3,
// 500) and secrets in logs (sections 2 and 4).

func TestInternalErrorLeaksNothing(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		id := c.newUser(t, "ada@example.com")
		// Pull the database from under the running server.
		if err := e.store.DB().Close(); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			path string
			body map[string]any
		}{
			{"user/get-all", map[string]any{}},
			{"user/get", map[string]any{"user_id": id}},
			{"user/create", validUser("grace@example.com")},
		} {
			t.Run(tc.path, func(t *testing.T) {
				r := c.call(tc.path, tc.body).wantError(t, http.StatusInternalServerError, "internal", "internal error")
				if f := r.fields(); f != nil {
					t.Errorf("error.fields = %v, want none", f)
				}
				for _, leak := range []string{"sql", "database", "closed", "sqlite", "pgx", "panic", ".go"} {
					if strings.Contains(strings.ToLower(string(r.Body)), leak) {
						t.Errorf("500 body mentions %q: %s", leak, r.Body)
					}
				}
				rid := r.Header.Get("X-Request-Id")
				logs := e.logs.String()
				var logged bool
				for _, line := range strings.Split(logs, "\n") {
					if strings.Contains(line, rid) && strings.Contains(line, "internal error") && strings.Contains(line, "closed") {
						logged = true
					}
				}
				if !logged {
					t.Errorf("no log line with request id %s, \"internal error\" and the cause; logs:\n%s", rid, logs)
				}
			})
		}
		r := e.raw(http.MethodGet, "/readyz", "", nil)
		if r.Status != http.StatusServiceUnavailable {
			t.Errorf("GET /readyz with the database gone = %d, want 503", r.Status)
		}
		e.raw(http.MethodGet, "/healthz", "", nil).want(t, http.StatusOK, "")

		// A fresh process on the same database serves again.
		e.restart()
		c.get(t, id)
	})
}

func TestLogsCarryNoSecrets(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		a, b := e.program("acme"), e.program("globex")
		body := validUser("ada@example.com")
		body["ssn"], body["date_of_birth"] = "123-45-6789", "1990-12-10"
		id := a.create(t, body)["id"].(string)
		a.call("user/update", map[string]any{"user_id": id, "ssn": "587-65-4321"}).want(t, http.StatusOK, "")
		a.call("user/update", map[string]any{"user_id": id, "ssn": "587-65-43x1"}).wantError(t, http.StatusBadRequest, "invalid", "")
		a.submit(t, id)
		a.waitKYC(t, id, "verified")
		bad := validUser("eve@example.com")
		bad["ssn"] = "111-22-3333"
		a.call("user/create", map[string]any{"ssn": "111-22-3333"}).wantError(t, http.StatusBadRequest, "invalid", "")
		a.send("user/create", bad, func(r *http.Request) { r.Header.Set("api_key", b.creds.APIKey) }).
			wantError(t, http.StatusUnauthorized, "unauthenticated", msgBadAPIKey)
		a.send("user/create", bad, func(r *http.Request) { r.Header.Set("X-Date", "garbage") }).
			wantError(t, http.StatusUnauthorized, "unauthenticated", msgBadDate)
		b.call("user/get", map[string]any{"user_id": id, "api_key": b.creds.APIKey}).wantError(t, http.StatusNotFound, "not_found", "")

		logs := e.logs.String()
		if !strings.Contains(logs, "request_id") {
			t.Fatalf("no request log lines captured; logs:\n%s", logs)
		}
		for name, secret := range map[string]string{
			"SSN": "123456789", "SSN with dashes": "123-45-6789", "new SSN": "587654321", "new SSN with dashes": "587-65-4321",
			"refused SSN": "111-22-3333", "invalid SSN": "587-65-43x1",
			"api key A": a.creds.APIKey, "api key B": b.creds.APIKey,
			"HMAC secret A": a.creds.HMACSecret, "HMAC secret B": b.creds.HMACSecret,
		} {
			if strings.Contains(logs, secret) {
				t.Errorf("logs carry the %s", name)
			}
		}
	})
}
