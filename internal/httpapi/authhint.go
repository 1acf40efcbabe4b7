package httpapi

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/signature"
)

// The sandbox's 401 hints (api-v4.md section 2.5). Every 401 keeps the
// gateway's message, which clients match on; the hint says which check
// failed and what the server saw, so a developer fixes the client without
// guessing. A hint never holds a secret or the signature the server
// expected: it may name what the client sent (it has that anyway), the
// server's own time, and the signing string the server built, which is
// made of the request's own headers. The secret is used only to recognise
// common mistakes (a trailing newline, another encoding), whose names are
// all the hint says about it.

// dateFormat is the one X-Date format the server accepts, as a person reads it.
const dateFormat = "Mon, 02 Jan 2006 15:04:05 GMT (RFC 1123, GMT, two-digit day)"

// signHowTo ends signature hints: what the signing string must be.
const signHowTo = "The signing string is one line per name in headers, in that order, joined by \\n with no trailing newline; " +
	"the signature is standard Base64 (with padding) of the raw 64-byte HMAC-SHA512 of it under the HMAC secret."

// hintSignature explains a failure of signature.Verify. secret is the
// username's secret when the lookup found one (nil otherwise); miss is why
// the lookup found none, when it knows more than "unknown".
func hintSignature(r *http.Request, body []byte, now time.Time, err error, secret []byte, miss string) string {
	switch {
	case errors.Is(err, signature.ErrNoAuthorization):
		return hintAuthorization(r, err)
	case errors.Is(err, signature.ErrBadDate):
		return hintDate(r, now)
	case errors.Is(err, signature.ErrCannotVerify):
		return hintCannotVerify(r, miss)
	case errors.Is(err, signature.ErrMismatch):
		return hintMismatch(r, body, secret)
	}
	return ""
}

func hintAuthorization(r *http.Request, err error) string {
	const want = `the Authorization header must be: hmac username="...", algorithm="hmac-sha512", ` +
		`headers="request-line x-date content-type content-sha512 content-length", signature="..."`
	switch n := len(r.Header.Values("Authorization")); n {
	case 0:
		return "Authorization check: there is no Authorization header; " + want + "."
	case 1:
	default:
		return fmt.Sprintf("Authorization check: %d Authorization headers; send exactly one.", n)
	}
	detail := strings.TrimPrefix(err.Error(), signature.ErrNoAuthorization.Error()+": ")
	return fmt.Sprintf("Authorization check: the header cannot be parsed (%s); %s.", detail, want)
}

// hintDate explains why no date was acceptable: X-Date (or Date) missing,
// repeated, malformed (a one-digit day named as such), or too far from the
// server's clock, with the server's time and the skew.
func hintDate(r *http.Request, now time.Time) string {
	server := now.UTC().Format(http.TimeFormat)
	name, vals := "X-Date", r.Header.Values("X-Date")
	if len(vals) == 0 {
		name, vals = "Date", r.Header.Values("Date")
	}
	switch len(vals) {
	case 0:
		return fmt.Sprintf("date check: the request has no X-Date header (nor Date); send the time of signing in X-Date, "+
			"formatted as %s, e.g. X-Date: %s (the server's time now), and sign it.", dateFormat, server)
	case 1:
	default:
		return fmt.Sprintf("date check: %d %s headers; send exactly one.", len(vals), name)
	}
	v := vals[0]
	signed, err := signature.ParseDate(v)
	if err != nil {
		why := "is not in the format " + dateFormat
		// time.Parse reads one or two digits for "2" and checks a weekday's
		// spelling only, so this parses exactly the near misses worth naming.
		if t, err := time.Parse("Mon, 2 Jan 2006 15:04:05 GMT", v); err == nil {
			switch {
			case len(strings.Fields(v)[1]) == 1:
				why = "has a one-digit day; the day must have two digits: " + dateFormat
			case !strings.HasPrefix(v, t.Weekday().String()[:3]):
				why = fmt.Sprintf("names the wrong weekday (%s is a %s); the format is %s", t.Format("02 Jan 2006"), t.Weekday(), dateFormat)
			}
		}
		return fmt.Sprintf("date check: %s %q %s. Example: %s: %s (the server's time now).", name, v, why, name, server)
	}
	skew := signed.Sub(now)
	rel := "ahead of"
	if skew < 0 {
		rel, skew = "behind", -skew
	}
	return fmt.Sprintf("date check: %s %q is %s %s the server's time %s; at most %s either way is accepted. "+
		"Sign each request when it is sent, and check the client's clock.", name, v, skew.Round(time.Second), rel, server, signature.MaxSkew)
}

// hintCannotVerify: unknown username, another algorithm, or a required
// header left out of the signed list (the checks of signature.Verify's
// steps 3 to 5).
func hintCannotVerify(r *http.Request, miss string) string {
	a, err := signature.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return ""
	}
	if !strings.EqualFold(a.Algorithm, signature.Algorithm) {
		return fmt.Sprintf("algorithm check: algorithm %q is not supported; use %s.", a.Algorithm, signature.Algorithm)
	}
	dateName := "x-date"
	if len(r.Header.Values("X-Date")) == 0 {
		dateName = "date"
	}
	for _, req := range []string{"request-line", dateName, "content-sha512"} {
		if !containsFold(a.Headers, req) {
			extra := ""
			if req == "date" && containsFold(a.Headers, "x-date") {
				extra = " (x-date is signed, but the request carries Date, not X-Date)"
			}
			return fmt.Sprintf("signed headers check: headers=%q lacks %s%s; it must name at least request-line, "+
				"x-date (or date, when Date is sent instead) and content-sha512.", strings.Join(a.Headers, " "), req, extra)
		}
	}
	if miss != "" {
		return "username check: " + miss + "; get working credentials with \"ingot program rotate-credentials\"."
	}
	return fmt.Sprintf("username check: no program has the HMAC username %q; check INGOT_HMAC_USERNAME (the hmac_username "+
		"printed with the program's credentials). Lost them? \"ingot program list\", then \"ingot program rotate-credentials\".", a.Username)
}

// hintMismatch explains ErrMismatch: the signature (in Verify's order,
// first) or the body digest is wrong.
func hintMismatch(r *http.Request, body []byte, secret []byte) string {
	a, err := signature.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil || secret == nil {
		return ""
	}
	sts := signature.SigningString(r, a.Headers)
	want := macOf(secret, sts)
	got, decodeErr := base64.StdEncoding.DecodeString(a.Signature)
	if decodeErr == nil && hmac.Equal(got, want) {
		return hintDigest(r, body)
	}
	if n := len(r.Header.Values("Content-Sha512")); n != 1 && containsFold(a.Headers, "content-sha512") {
		// The client signed a digest it did not send (or sent twice): the
		// server's signing string cannot match, and the digest is the cause.
		what := "no Content-sha512 header"
		if n > 1 {
			what = fmt.Sprintf("%d Content-sha512 headers", n)
		}
		return fmt.Sprintf("body digest check: the request has %s, yet content-sha512 is signed (the server signed the line %q). "+
			"Send exactly one: standard Base64 of the raw SHA-512 of the exact body bytes (for the %d bytes received: %s).",
			what, "content-sha512: "+strings.Join(r.Header.Values("Content-Sha512"), ", "), len(body), signature.ContentDigest(body))
	}
	var b strings.Builder
	b.WriteString("signature check: ")
	switch {
	case isHex(a.Signature, sha512.Size):
		if hmac.Equal(must(hex.DecodeString(a.Signature)), want) {
			b.WriteString("the signature is hex-encoded; send it Base64-encoded (e.g. openssl dgst -sha512 -hmac KEY -binary | base64 -w0).")
			return b.String()
		}
		b.WriteString("the signature looks hex-encoded (128 hex digits): it must be Base64 of the raw 64-byte HMAC. ")
	case decodeErr != nil:
		for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if alt, err := enc.DecodeString(a.Signature); err == nil && hmac.Equal(alt, want) {
				b.WriteString("the signature is right but encoded in another Base64 alphabet or without padding; use standard Base64 with padding (+, /, =).")
				return b.String()
			}
		}
		b.WriteString("the signature is not valid standard Base64. ")
	case len(got) != sha512.Size:
		fmt.Fprintf(&b, "the signature decodes to %d bytes; an HMAC-SHA512 is 64 bytes. ", len(got))
	case hmac.Equal(got, macOf(secret, sts+"\n")):
		b.WriteString("the signature was computed over the signing string plus a trailing newline; drop the final \\n.")
		return b.String()
	case hmac.Equal(got, macOf(secret, strings.ReplaceAll(sts, "\n", "\r\n"))):
		b.WriteString("the signature was computed with lines joined by \\r\\n; join them by \\n.")
		return b.String()
	default:
		// A body changed after signing breaks the digest and, through
		// content-length, the signature: the digest is the cause to name.
		if v := r.Header.Values("Content-Sha512"); len(v) == 1 && v[0] != signature.ContentDigest(body) {
			return hintDigest(r, body) + " (The signature does not match either: it covers headers that changed with the body.)"
		}
		b.WriteString("the signature does not match the one computed with this username's secret. ")
	}
	reqLine, _, _ := strings.Cut(signature.SigningString(r, []string{"request-line"}), "\n")
	fmt.Fprintf(&b, "The server signed request line %q and headers %q; its signing string was %q. "+
		"If yours is the same, the HMAC secret is not this username's (lost it? \"ingot program rotate-credentials\"). %s",
		reqLine, strings.Join(a.Headers, " "), sts, signHowTo)
	return b.String()
}

// hintDigest: the signature is right, so the Content-sha512 header is what
// was signed, but it is not the digest of the body received.
func hintDigest(r *http.Request, body []byte) string {
	vals := r.Header.Values("Content-Sha512")
	received := signature.ContentDigest(body)
	switch len(vals) {
	case 0:
		return fmt.Sprintf("body digest check: the request has no Content-sha512 header; send standard Base64 of the raw "+
			"SHA-512 of the exact body bytes (for the %d bytes received: %s), and sign it.", len(body), received)
	case 1:
	default:
		return fmt.Sprintf("body digest check: %d Content-sha512 headers; send exactly one.", len(vals))
	}
	v := vals[0]
	switch {
	case isHex(v, sha512.Size):
		return "body digest check: Content-sha512 is hex-encoded; it must be standard Base64 of the raw 64-byte SHA-512 " +
			"of the body (e.g. openssl dgst -sha512 -binary | base64 -w0)."
	case len(body) > 0 && body[len(body)-1] == '\n' && v == signature.ContentDigest(body[:len(body)-1]):
		return fmt.Sprintf("body digest check: Content-sha512 is the digest of the body without its final newline, but the "+
			"%d bytes received end with one; send exactly the bytes you digested.", len(body))
	case v == signature.ContentDigest(append(body[:len(body):len(body)], '\n')):
		return fmt.Sprintf("body digest check: Content-sha512 is the digest of the body plus a trailing newline (echo adds one; "+
			"use printf '%%s'), but the %d bytes received do not end with one.", len(body))
	}
	return fmt.Sprintf("body digest check: Content-sha512 %q is not the digest of the %d bytes received (%q): the body changed "+
		"after it was signed (a proxy or library that re-serialises JSON does that), or the digest was taken over other bytes. "+
		"It must be standard Base64 of the raw SHA-512 of the exact body bytes.", v, len(body), received)
}

// hintAPIKey explains an api_key refusal once the signature passed.
func hintAPIKey(prog *banking.Program, header, inBody string, repeated bool, now time.Time) string {
	switch {
	case repeated:
		return "API key check: the api_key header appears more than once; send it once."
	case header == "" && inBody == "":
		return "API key check: the request has no api_key header (nor an \"api_key\" body field). The header's name is " +
			"api_key, with an underscore: some proxies (nginx by default) drop headers whose names contain one."
	case header != "" && inBody != "" && header != inBody:
		return "API key check: the api_key header and the \"api_key\" body field differ; send one, or the same in both."
	}
	key := header
	if key == "" {
		key = inBody
	}
	h := banking.HashAPIKey(key)
	for _, r := range prog.Retired {
		if hmac.Equal(h, r.APIKeyHash) && !r.Live(now) {
			return fmt.Sprintf("API key check: this api_key was replaced by a credential rotation at %s and its grace period "+
				"ended at %s; use the program's new api_key.", r.RetiredAt.UTC().Format(time.RFC3339), r.ExpiresAt.UTC().Format(time.RFC3339))
		}
	}
	return fmt.Sprintf("API key check: the signature is valid for program %s (HMAC username %s), but the api_key is not "+
		"that program's; the api_key and the HMAC username must come from the same credentials (INGOT_API_KEY starts with ak_).",
		prog.ID, prog.HMACUsername)
}

func macOf(secret []byte, s string) []byte {
	m := hmac.New(sha512.New, secret)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// isHex reports whether s is exactly n bytes in hex.
func isHex(s string, n int) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == n
}

// must drops the error of a decode already known to succeed.
func must(b []byte, _ error) []byte { return b }

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
