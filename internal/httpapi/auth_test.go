package httpapi_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/signature"
)

// Spec section 2: both authentication layers on every API call, the exact 401
// message of each failure, and that a refused call executes and writes nothing.

const (
	msgUnauthorized = "Unauthorized"
	msgBadDate      = "HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication"
	msgCannotVerify = "HMAC signature cannot be verified"
	msgMismatch     = "HMAC signature does not match"
	msgBadAPIKey    = "Invalid API key"
)

// authCase alters how one request is authenticated.
type authCase struct {
	name string
	// as signs the request (default: the program that owns the user).
	as func(a, b *apiClient) *apiClient
	// body changes the body before it is signed.
	body func(m map[string]any)
	// tamper changes the signed request before it is sent.
	tamper func(r *http.Request)
	msg    string // "" means the call must succeed
}

// authCases lists every case of spec section 2. a owns the users; b is another
// program; at is the server's time.
func authCases(t *testing.T, a, b *apiClient, at time.Time) []authCase {
	date := func(d time.Duration) string { return at.Add(d).UTC().Format(http.TimeFormat) }
	// setXDate sets X-Date and signs again, so only the date is at fault.
	setXDate := func(v string) func(r *http.Request) {
		return func(r *http.Request) {
			r.Header.Set("X-Date", v)
			a.resign(r, signature.RequiredHeaders...)
		}
	}
	// useDate replaces X-Date by Date and signs date instead of x-date.
	useDate := func(v string) func(r *http.Request) {
		return func(r *http.Request) {
			r.Header.Del("X-Date")
			r.Header.Set("Date", v)
			a.resign(r, "request-line", "date", "content-type", "content-sha512", "content-length")
		}
	}
	// authz replaces Authorization with a hand-built one over the usual headers.
	authz := func(username, algorithm string, sign func(s string) string) func(r *http.Request) {
		return func(r *http.Request) {
			h := signature.RequiredHeaders
			r.Header.Set("Authorization", signature.Authorization{Username: username, Algorithm: algorithm,
				Headers: h, Signature: sign(signature.SigningString(r, h))}.String())
		}
	}
	secret := []byte(a.creds.HMACSecret)
	sha256Sign := func(s string) string {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(s))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	editBody := func(edit func([]byte) []byte) func(r *http.Request) {
		return func(r *http.Request) { setBody(r, edit(readBody(t, r))) }
	}
	setHeader := func(k, v string) func(r *http.Request) {
		return func(r *http.Request) { r.Header.Set(k, v) }
	}
	asB := func(a, b *apiClient) *apiClient { return b }

	return []authCase{
		// Authorization header.
		{name: "no Authorization", tamper: func(r *http.Request) { r.Header.Del("Authorization") }, msg: msgUnauthorized},
		{name: "garbage Authorization", tamper: setHeader("Authorization", "garbage"), msg: msgUnauthorized},
		{name: "bearer token", tamper: setHeader("Authorization", "Bearer "+a.creds.APIKey), msg: msgUnauthorized},
		{name: "hmac without signature", tamper: setHeader("Authorization",
			`hmac username="`+a.creds.HMACUsername+`", algorithm="hmac-sha512", headers="request-line x-date content-sha512"`), msg: msgUnauthorized},
		{name: "hmac with unquoted values", tamper: func(r *http.Request) {
			r.Header.Set("Authorization", strings.ReplaceAll(r.Header.Get("Authorization"), `"`, ""))
		}, msg: msgUnauthorized},
		{name: "two Authorization headers", tamper: func(r *http.Request) {
			r.Header.Add("Authorization", r.Header.Get("Authorization"))
		}, msg: msgUnauthorized},

		// Date.
		{name: "no X-Date and no Date", tamper: func(r *http.Request) { r.Header.Del("X-Date") }, msg: msgBadDate},
		{name: "X-Date malformed", tamper: setXDate("yesterday"), msg: msgBadDate},
		{name: "X-Date ISO 8601", tamper: setXDate(at.UTC().Format(time.RFC3339)), msg: msgBadDate},
		{name: "X-Date not GMT", tamper: setXDate(at.UTC().Format("Mon, 02 Jan 2006 15:04:05") + " UTC"), msg: msgBadDate},
		{name: "X-Date 301s old", tamper: setXDate(date(-301 * time.Second)), msg: msgBadDate},
		{name: "X-Date 301s in the future", tamper: setXDate(date(301 * time.Second)), msg: msgBadDate},
		{name: "X-Date a day old", tamper: setXDate(date(-24 * time.Hour)), msg: msgBadDate},
		{name: "Date 301s old", tamper: useDate(date(-301 * time.Second)), msg: msgBadDate},
		{name: "Date malformed", tamper: useDate("now"), msg: msgBadDate},

		// Credential, algorithm and signed header list.
		{name: "unknown username", tamper: authz("hu_nobody", signature.Algorithm, func(s string) string {
			return signature.Sign(secret, s)
		}), msg: msgCannotVerify},
		{name: "algorithm hmac-sha256", tamper: authz(a.creds.HMACUsername, "hmac-sha256", sha256Sign), msg: msgCannotVerify},
		{name: "algorithm hmac-sha1", tamper: authz(a.creds.HMACUsername, "hmac-sha1", sha256Sign), msg: msgCannotVerify},
		{name: "request-line not signed", tamper: func(r *http.Request) {
			a.resign(r, "x-date", "content-type", "content-sha512", "content-length")
		}, msg: msgCannotVerify},
		{name: "x-date not signed", tamper: func(r *http.Request) {
			a.resign(r, "request-line", "content-type", "content-sha512", "content-length")
		}, msg: msgCannotVerify},
		{name: "content-sha512 not signed", tamper: func(r *http.Request) {
			a.resign(r, "request-line", "x-date", "content-type", "content-length")
		}, msg: msgCannotVerify},
		{name: "Date sent but x-date signed", tamper: func(r *http.Request) {
			r.Header.Set("Date", r.Header.Get("X-Date"))
			r.Header.Del("X-Date")
			a.resign(r, signature.RequiredHeaders...)
		}, msg: msgCannotVerify},

		// Signature and body digest.
		{name: "wrong signature", tamper: authz(a.creds.HMACUsername, signature.Algorithm, func(s string) string {
			return signature.Sign([]byte("not the secret"), s)
		}), msg: msgMismatch},
		{name: "signature not base64", tamper: authz(a.creds.HMACUsername, signature.Algorithm, func(string) string {
			return "!!not-base64!!"
		}), msg: msgMismatch},
		{name: "signed with another program's secret", tamper: authz(a.creds.HMACUsername, signature.Algorithm, func(s string) string {
			return signature.Sign([]byte(b.creds.HMACSecret), s)
		}), msg: msgMismatch},
		{name: "body changed after signing, same length", tamper: editBody(func(b []byte) []byte {
			return bytes.Replace(b, []byte("Ada"), []byte("Eve"), 1)
		}), msg: msgMismatch},
		{name: "body changed after signing, longer", tamper: editBody(func(b []byte) []byte {
			return append(b, ' ')
		}), msg: msgMismatch},
		{name: "query added after signing", tamper: func(r *http.Request) { r.URL.RawQuery = "dry_run=1" }, msg: msgMismatch},
		{name: "signed header changed", tamper: setHeader("Content-Type", "application/json; charset=utf-8"), msg: msgMismatch},
		{name: "content-sha512 replaced", tamper: setHeader("Content-Sha512", signature.ContentDigest([]byte("{}"))), msg: msgMismatch},
		{name: "content-sha512 wrong but signed", tamper: func(r *http.Request) {
			r.Header.Set("Content-Sha512", signature.ContentDigest([]byte("{}")))
			a.resign(r, signature.RequiredHeaders...)
		}, msg: msgMismatch},
		{name: "content-sha512 hex", tamper: func(r *http.Request) {
			r.Header.Set("Content-Sha512", strings.Repeat("ab", 64))
			a.resign(r, signature.RequiredHeaders...)
		}, msg: msgMismatch},
		{name: "content-sha512 missing but signed", tamper: func(r *http.Request) {
			r.Header.Del("Content-Sha512")
			a.resign(r, signature.RequiredHeaders...)
		}, msg: msgMismatch},

		// API key.
		{name: "api_key missing", tamper: func(r *http.Request) { r.Header.Del("api_key") }, msg: msgBadAPIKey},
		{name: "api_key unknown", tamper: setHeader("api_key", "ak_0000000000000000000000000000000000000000"), msg: msgBadAPIKey},
		{name: "api_key of another program", tamper: setHeader("api_key", b.creds.APIKey), msg: msgBadAPIKey},
		{name: "signed by another program with the owner's api_key", as: asB,
			tamper: setHeader("api_key", a.creds.APIKey), msg: msgBadAPIKey},
		{name: "api_key in body differs from header", body: func(m map[string]any) { m["api_key"] = b.creds.APIKey }, msg: msgBadAPIKey},
		{name: "api_key in body unknown", body: func(m map[string]any) { m["api_key"] = "ak_nope" }, msg: msgBadAPIKey},
		{name: "api_key only in body, of another program", body: func(m map[string]any) { m["api_key"] = b.creds.APIKey },
			tamper: func(r *http.Request) { r.Header.Del("api_key") }, msg: msgBadAPIKey},
		{name: "api_key empty in body and no header", body: func(m map[string]any) { m["api_key"] = "" },
			tamper: func(r *http.Request) { r.Header.Del("api_key") }, msg: msgBadAPIKey},

		// Accepted variants.
		{name: "as signed"},
		{name: "Date accepted without X-Date", tamper: useDate(date(0))},
		{name: "X-Date 300s old", tamper: setXDate(date(-300 * time.Second))},
		{name: "X-Date 300s in the future", tamper: setXDate(date(300 * time.Second))},
		{name: "Date 300s old", tamper: useDate(date(-300 * time.Second))},
		{name: "X-Date wins over a bad Date", tamper: setHeader("Date", "garbage")},
		{name: "only the three required headers signed", tamper: func(r *http.Request) {
			a.resign(r, "request-line", "x-date", "content-sha512")
		}},
		{name: "extra signed headers in another order", tamper: func(r *http.Request) {
			r.Header.Set("X-Trace", "t-1")
			a.resign(r, "content-length", "x-trace", "host", "content-sha512", "request-line", "content-type", "x-date")
		}},
		{name: "api_key only in body", body: func(m map[string]any) { m["api_key"] = a.creds.APIKey },
			tamper: func(r *http.Request) { r.Header.Del("api_key") }},
		{name: "api_key in body equal to header", body: func(m map[string]any) { m["api_key"] = a.creds.APIKey }},
	}
}

func TestAuthentication(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		a, b := e.program("acme"), e.program("other")
		for i, tc := range authCases(t, a, b, e.clock.Now()) {
			signer := a
			if tc.as != nil {
				signer = tc.as(a, b)
			}
			t.Run(tc.name, func(t *testing.T) {
				// A create that must add nothing, or exactly one user.
				body := validUser("auth" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "@example.com")
				if tc.body != nil {
					tc.body(body)
				}
				before := e.counts(t)
				r := signer.send("user/create", body, tc.tamper)
				if tc.msg == "" {
					r.want(t, http.StatusOK, "")
					if after := e.counts(t); after.users != before.users+1 {
						t.Errorf("users = %d after create, want %d", after.users, before.users+1)
					}
				} else {
					r.wantError(t, http.StatusUnauthorized, "unauthenticated", tc.msg)
					e.wantNoWrites(t, before)
				}

				// A block that must change nothing, or block the user.
				victim := a.newUser(t, "victim"+string(rune('a'+i%26))+strings.Repeat("x", i/26)+"@example.com")
				body = map[string]any{"user_id": victim, "reason": "Ada"}
				if tc.body != nil {
					tc.body(body)
				}
				before = e.counts(t)
				r = signer.send("user/block", body, tc.tamper)
				want := "blocked"
				if tc.msg == "" {
					r.want(t, http.StatusOK, "")
				} else {
					r.wantError(t, http.StatusUnauthorized, "unauthenticated", tc.msg)
					e.wantNoWrites(t, before)
					want = "active"
				}
				if got := a.get(t, victim)["status"]; got != want {
					t.Errorf("victim status = %v, want %s", got, want)
				}
			})
		}
	})
}

// TestAuthenticationBeforeEverything shows authentication runs before the
// body is even parsed: a bad signature on a malformed body is 401, not 400,
// and on an unknown user is 401, not 404.
func TestAuthenticationBeforeEverything(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		noAuth := func(r *http.Request) { r.Header.Del("Authorization") }
		for _, tc := range []struct {
			name, path string
			body       []byte
		}{
			{"malformed body", "user/create", []byte(`{"first_name":`)},
			{"unknown field", "user/get-all", []byte(`{"nope":1}`)},
			{"unknown user", "user/get", []byte(`{"user_id":"user-00000000-0000-7000-8000-000000000000"}`)},
			{"invalid create", "user/create", []byte(`{}`)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c.send(tc.path, tc.body, noAuth).wantError(t, http.StatusUnauthorized, "unauthenticated", msgUnauthorized)
			})
		}
	})
}
