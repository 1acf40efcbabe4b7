package httpapi_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/signature"
)

// api-v4.md section 2.5: in the sandbox every 401 keeps the gateway's
// message and adds error.hint naming the check that failed; never a secret
// or the signature the server expected. Outside the sandbox there is no
// hint, and the same cause is logged at debug level.

// hintCase is one way to get a 401 and what its hint must say.
type hintCase struct {
	name   string
	tamper func(r *http.Request)
	msg    string
	hint   []string // substrings of error.hint
}

// hintCases covers each cause issue 19 lists. a signs; at is server time.
func hintCases(t *testing.T, a *apiClient, at time.Time, expired *apiClient) []hintCase {
	secret := []byte(a.creds.HMACSecret)
	resignWith := func(sign func(sts string) string) func(r *http.Request) {
		return func(r *http.Request) {
			h := signature.RequiredHeaders
			r.Header.Set("Authorization", signature.Authorization{Username: a.creds.HMACUsername, Algorithm: signature.Algorithm,
				Headers: h, Signature: sign(signature.SigningString(r, h))}.String())
		}
	}
	setXDate := func(v string) func(r *http.Request) {
		return func(r *http.Request) {
			r.Header.Set("X-Date", v)
			a.resign(r, signature.RequiredHeaders...)
		}
	}
	mac := func(s string) []byte {
		m := hmac.New(sha512.New, secret)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	server := at.UTC().Format(http.TimeFormat)
	reqLine := `request line "POST /api/v4/user/get-all HTTP/1.1"`
	headers := `headers "request-line x-date content-type content-sha512 content-length"`
	return []hintCase{
		{"wrong secret", resignWith(func(s string) string { return signature.Sign([]byte("not the secret"), s) }), msgMismatch,
			[]string{"signature check", "does not match", reqLine, headers, "no trailing newline", "rotate-credentials"}},
		{"hex signature", resignWith(func(s string) string { return hex.EncodeToString(mac(s)) }), msgMismatch,
			[]string{"signature check", "hex-encoded", "Base64"}},
		{"signature over a trailing newline", resignWith(func(s string) string { return signature.Sign(secret, s+"\n") }), msgMismatch,
			[]string{"signature check", "trailing newline"}},
		{"unpadded Base64 signature", resignWith(func(s string) string { return strings.TrimRight(signature.Sign(secret, s), "=") }), msgMismatch,
			[]string{"signature check", "without padding"}},
		{"body changed after signing", func(r *http.Request) { setBody(r, []byte(`{"per_page":50}`)) }, msgMismatch,
			[]string{"body digest check", "changed after it was signed", "15 bytes", signature.ContentDigest([]byte(`{"per_page":50}`))}},
		{"body gained a trailing newline", func(r *http.Request) { setBody(r, append(readBody(t, r), '\n')) }, msgMismatch,
			[]string{"body digest check", "without its final newline"}},
		{"digest of the body plus a newline", func(r *http.Request) {
			r.Header.Set("Content-Sha512", signature.ContentDigest(append(readBody(t, r), '\n')))
			a.resign(r, signature.RequiredHeaders...)
		}, msgMismatch, []string{"body digest check", "plus a trailing newline", "printf"}},
		{"hex digest", func(r *http.Request) {
			sum := sha512.Sum512(readBody(t, r))
			r.Header.Set("Content-Sha512", hex.EncodeToString(sum[:]))
			a.resign(r, signature.RequiredHeaders...)
		}, msgMismatch, []string{"body digest check", "hex-encoded"}},
		{"Content-sha512 missing, still signed", func(r *http.Request) {
			r.Header.Del("Content-Sha512")
			a.resign(r, signature.RequiredHeaders...)
		}, msgMismatch, []string{"body digest check", "no Content-sha512 header", signature.ContentDigest([]byte(`{"per_page":5}`))}},
		{"Content-sha512 missing after signing", func(r *http.Request) { r.Header.Del("Content-Sha512") }, msgMismatch,
			[]string{"body digest check", "no Content-sha512 header, yet content-sha512 is signed", `"content-sha512: "`}},
		{"content-sha512 not signed", func(r *http.Request) {
			r.Header.Del("Content-Sha512")
			a.resign(r, "request-line", "x-date", "content-type", "content-length")
		}, msgCannotVerify, []string{"signed headers check", "lacks content-sha512"}},
		{"no X-Date", func(r *http.Request) { r.Header.Del("X-Date") }, msgBadDate,
			[]string{"date check", "no X-Date header", "Mon, 02 Jan 2006 15:04:05 GMT", server}},
		{"stale X-Date", setXDate(at.Add(-7 * time.Minute).UTC().Format(http.TimeFormat)), msgBadDate,
			[]string{"date check", "is 7m0s behind the server's time " + server, "5m0s"}},
		{"X-Date ahead", setXDate(at.Add(10 * time.Minute).UTC().Format(http.TimeFormat)), msgBadDate,
			[]string{"date check", "10m0s ahead of the server's time"}},
		{"one-digit day", setXDate("Mon, 2 Nov 2026 20:00:00 GMT"), msgBadDate,
			[]string{"date check", `"Mon, 2 Nov 2026 20:00:00 GMT"`, "one-digit day", "Mon, 02 Jan 2006 15:04:05 GMT", server}},
		{"wrong weekday", setXDate("Tue, 02 Nov 2026 20:00:00 GMT"), msgBadDate,
			[]string{"date check", "wrong weekday", "Monday"}},
		{"ISO 8601 X-Date", setXDate(at.UTC().Format(time.RFC3339)), msgBadDate,
			[]string{"date check", "is not in the format Mon, 02 Jan 2006 15:04:05 GMT"}},
		{"no Authorization", func(r *http.Request) { r.Header.Del("Authorization") }, msgUnauthorized,
			[]string{"Authorization check", "no Authorization header", `algorithm="hmac-sha512"`}},
		{"Bearer token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }, msgUnauthorized,
			[]string{"Authorization check", "scheme is not hmac"}},
		{"algorithm hmac-sha256", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "hmac-sha512", "hmac-sha256", 1))
		}, msgCannotVerify, []string{"algorithm check", "hmac-sha256"}},
		{"unknown username", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), a.creds.HMACUsername, "hu_nobody", 1))
		}, msgCannotVerify, []string{"username check", `"hu_nobody"`, "ingot program list"}},
		{"rotated credential after its grace", func(r *http.Request) {
			r.Header.Set("api_key", expired.creds.APIKey)
			expired.resign(r, signature.RequiredHeaders...)
		}, msgCannotVerify, []string{"username check", expired.creds.HMACUsername, "grace period ended", "rotate-credentials"}},
		{"api_key missing", func(r *http.Request) { r.Header.Del("api_key") }, msgBadAPIKey,
			[]string{"API key check", "no api_key header", "underscore"}},
		{"api_key wrong", func(r *http.Request) { r.Header.Set("api_key", "ak_wrong") }, msgBadAPIKey,
			[]string{"API key check", "is not that program's", a.creds.ProgramID}},
		{"api_key twice", func(r *http.Request) { r.Header.Add("api_key", a.creds.APIKey) }, msgBadAPIKey,
			[]string{"API key check", "more than once"}},
	}
}

// forbidden are strings no hint or log line may hold: the secret, in clear
// or hex, and the signature the server expects for the request.
func forbidden(a *apiClient, r *http.Request) []string {
	out := []string{a.creds.HMACSecret, hex.EncodeToString([]byte(a.creds.HMACSecret))}
	if auth, err := signature.ParseAuthorization(r.Header.Get("Authorization")); err == nil {
		out = append(out, signature.Sign([]byte(a.creds.HMACSecret), signature.SigningString(r, auth.Headers)))
	}
	return out
}

// sandboxEnv serves in sandbox mode with a program "acme" whose credentials
// sign requests, and an "old" client of it whose credentials a rotation
// replaced and whose grace period is over.
func sandboxEnv(t *testing.T, e *env) (a, expired *apiClient) {
	t.Helper()
	e.production = false
	e.restart()
	a = e.program("acme")
	b := e.program("beta")
	if _, err := e.svc.RotateCredentials(context.Background(), banking.ProgramID(b.creds.ProgramID), time.Second); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	return a, b
}

func TestSandboxAuthHints(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		a, expired := sandboxEnv(t, e)
		for _, tc := range hintCases(t, a, e.clock.Now(), expired) {
			t.Run(tc.name, func(t *testing.T) {
				req, err := a.signed("user/get-all", []byte(`{"per_page":5}`))
				if err != nil {
					t.Fatal(err)
				}
				tc.tamper(req)
				before := e.counts(t)
				bad := forbidden(a, req)
				r := do(t, req)
				r.want(t, http.StatusUnauthorized, "unauthenticated")
				e.wantNoWrites(t, before)
				if got := r.JSON["message"]; got != tc.msg {
					t.Errorf("message = %q, want the gateway's %q", got, tc.msg)
				}
				detail, _ := r.JSON["error"].(map[string]any)
				hint, _ := detail["hint"].(string)
				for _, want := range tc.hint {
					if !strings.Contains(hint, want) {
						t.Errorf("hint lacks %q:\n%s", want, hint)
					}
				}
				for _, s := range bad {
					if strings.Contains(hint, s) {
						t.Errorf("hint holds a secret or the expected signature %q:\n%s", s, hint)
					}
				}
			})
		}
		for _, s := range forbidden(a, &http.Request{Header: http.Header{}}) {
			if strings.Contains(e.logs.String(), s) {
				t.Errorf("the log holds the secret")
			}
		}
	})
}

// TestNoHintOutsideSandbox: the same refusals outside the sandbox carry no
// hint; the cause is in the debug log instead (the harness logs at debug).
func TestNoHintOutsideSandbox(t *testing.T) {
	e := newEnv(t)
	e.production = true
	e.restart()
	a := e.program("acme")
	req, err := a.signed("user/get-all", []byte(`{"per_page":5}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Date", "Mon, 2 Nov 2026 20:00:00 GMT")
	a.resign(req, signature.RequiredHeaders...)
	r := do(t, req).wantError(t, http.StatusUnauthorized, "unauthenticated", msgBadDate)
	if bytes.Contains(r.Body, []byte("hint")) {
		t.Errorf("a 401 outside the sandbox has a hint: %s", r.Body)
	}
	rid := r.Header.Get("X-Request-Id")
	var line string
	for l := range strings.Lines(e.logs.String()) {
		if strings.Contains(l, `"msg":"authentication refused"`) && strings.Contains(l, rid) {
			line = l
		}
	}
	if !strings.Contains(line, `"level":"DEBUG"`) || !strings.Contains(line, "one-digit day") {
		t.Errorf("no debug line with the cause for request %s; log:\n%s", rid, e.logs)
	}
}
