// Package signature implements the request signing scheme of Ingo Payments'
// Banking Platform API v4, which is Kong's hmac-auth construction with
// HMAC-SHA512.
//
// Both sides of ingot use it: the client signs outgoing requests with
// SignRequest and the server checks them with Verify. Keeping the two in one
// package means the signing string is built by a single function, so client
// and server cannot drift apart on details such as line order or the
// request-line format.
//
// The Authorization header looks like
//
//	hmac username="u", algorithm="hmac-sha512", headers="request-line x-date ...", signature="base64"
//
// and the signature is Base64(HMAC-SHA512(secret, signing string)), where the
// signing string has one line per name listed in headers, joined by "\n".
package signature

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Algorithm is the only HMAC algorithm the platform accepts; anything weaker
// is refused rather than negotiated.
const Algorithm = "hmac-sha512"

// MaxSkew bounds how far the signed date may be from the verifier's clock.
// It limits how long a captured request can be replayed while still
// tolerating ordinary clock drift between partners.
const MaxSkew = 300 * time.Second

// RequiredHeaders is the list SignRequest signs. It covers everything the
// verifier insists on plus content-type and content-length, so a signed
// request cannot be re-labelled or truncated in transit.
var RequiredHeaders = []string{"request-line", "x-date", "content-type", "content-sha512", "content-length"}

// Sentinel errors. Verify and ParseAuthorization wrap exactly one of the
// first four so the HTTP layer can choose its response with errors.Is while
// the wrapped text keeps the detail for logs.
var (
	// ErrNoAuthorization means the Authorization header is absent or cannot
	// be parsed; the caller has not really attempted to authenticate.
	ErrNoAuthorization = errors.New("signature: missing or malformed authorization header")

	// ErrBadDate means the date the request was signed with is missing,
	// malformed, or outside MaxSkew, so freshness cannot be established.
	ErrBadDate = errors.New("signature: a valid date or x-date header is required")

	// ErrCannotVerify means the header is well formed but the request cannot
	// be checked: unknown user, unsupported algorithm, or a required header
	// left out of the signed list.
	ErrCannotVerify = errors.New("signature: HMAC signature cannot be verified")

	// ErrMismatch means the request was checkable and the signature or body
	// digest is wrong.
	ErrMismatch = errors.New("signature: HMAC signature does not match")

	// ErrUnknownUsername is returned by the lookup function passed to Verify
	// so that an unknown user is reported as ErrCannotVerify instead of being
	// mistaken for an internal failure.
	ErrUnknownUsername = errors.New("signature: unknown username")
)

// Authorization is the parsed form of the Authorization header value.
type Authorization struct {
	// Username identifies the key the request claims to be signed with.
	Username string
	// Algorithm is kept as sent so Verify can refuse anything but Algorithm.
	Algorithm string
	// Headers lists the signed names in signing order, as written by the
	// signer; their order defines the signing string.
	Headers []string
	// Signature is the Base64 text as sent; it is decoded only during
	// verification so a bad encoding is reported as a mismatch.
	Signature string
}

// String formats a as an Authorization header value. It is the exact inverse
// of ParseAuthorization for any value that parses.
func (a Authorization) String() string {
	return fmt.Sprintf(`hmac username="%s", algorithm="%s", headers="%s", signature="%s"`,
		a.Username, a.Algorithm, strings.Join(a.Headers, " "), a.Signature)
}

// ParseAuthorization parses an Authorization header value. It is strict:
// the scheme must be "hmac", every parameter must be quoted, each of
// username, algorithm, headers and signature must appear exactly once, and
// nothing else may appear. Rejecting oddities early keeps the signed header
// list unambiguous. Errors wrap ErrNoAuthorization.
func ParseAuthorization(v string) (Authorization, error) {
	const scheme = "hmac "
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return Authorization{}, noAuth("scheme is not hmac")
	}
	rest := v[len(scheme):]
	var a Authorization
	seen := make(map[string]bool, 4)
	for {
		rest = strings.TrimLeft(rest, " \t")
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			return Authorization{}, noAuth("expected key=\"value\"")
		}
		key := rest[:eq]
		if !isToken(key) {
			return Authorization{}, noAuth("invalid parameter name %q", key)
		}
		key = strings.ToLower(key)
		rest = rest[eq+1:]
		if !strings.HasPrefix(rest, `"`) {
			return Authorization{}, noAuth("value of %s is not quoted", key)
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return Authorization{}, noAuth("unterminated quote in %s", key)
		}
		val := rest[1 : 1+end]
		rest = rest[end+2:]
		if hasControl(val) {
			return Authorization{}, noAuth("control character in %s", key)
		}
		if seen[key] {
			return Authorization{}, noAuth("duplicate parameter %s", key)
		}
		seen[key] = true
		switch key {
		case "username":
			a.Username = val
		case "algorithm":
			a.Algorithm = val
		case "headers":
			a.Headers = strings.Fields(val)
			for _, h := range a.Headers {
				if !isToken(h) {
					return Authorization{}, noAuth("invalid header name %q", h)
				}
			}
		case "signature":
			a.Signature = val
		default:
			return Authorization{}, noAuth("unknown parameter %s", key)
		}
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return Authorization{}, noAuth("expected comma after %s", key)
		}
		rest = rest[1:]
	}
	for _, k := range []string{"username", "algorithm", "headers", "signature"} {
		if !seen[k] {
			return Authorization{}, noAuth("missing parameter %s", k)
		}
	}
	switch {
	case a.Username == "":
		return Authorization{}, noAuth("empty username")
	case len(a.Headers) == 0:
		return Authorization{}, noAuth("empty headers list")
	case a.Signature == "":
		return Authorization{}, noAuth("empty signature")
	}
	return a, nil
}

func noAuth(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNoAuthorization, fmt.Sprintf(format, args...))
}

// isToken reports whether s is a non-empty RFC 9110 token. Header names in
// the signed list must be tokens so that none can smuggle a newline or colon
// into the signing string.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// hasControl reports ASCII control characters, which cannot legitimately
// occur in a header value and would make String ambiguous to log.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}
