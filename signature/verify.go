package signature

import (
	"crypto/hmac"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Verify checks a received request; lookup maps a username to its secret. It
// returns the parsed Authorization on success.
//
// body must be the exact bytes read from r.Body: the request's own Body is
// not touched, so the caller can read it once and still decode it afterwards.
//
// Checks run from cheapest and least revealing to most expensive, and the
// secret is looked up only once the request is otherwise acceptable, so
// malformed or stale requests never reach the credential store. Failures
// wrap ErrNoAuthorization, ErrBadDate, ErrCannotVerify or ErrMismatch. An
// error from lookup other than ErrUnknownUsername is returned wrapped but
// not classified, so the server can answer 500 instead of blaming the client.
func Verify(r *http.Request, body []byte, now time.Time, lookup func(username string) ([]byte, error)) (Authorization, error) {
	// 1. Authorization header.
	authz := r.Header.Values("Authorization")
	switch len(authz) {
	case 0:
		return Authorization{}, fmt.Errorf("%w: no Authorization header", ErrNoAuthorization)
	case 1:
	default:
		return Authorization{}, fmt.Errorf("%w: %d Authorization headers", ErrNoAuthorization, len(authz))
	}
	a, err := ParseAuthorization(authz[0])
	if err != nil {
		return Authorization{}, err
	}

	// 2. Date. X-Date wins because browsers and proxies may rewrite Date.
	dateName := "x-date"
	dates := r.Header.Values("X-Date")
	if len(dates) == 0 {
		dateName = "date"
		dates = r.Header.Values("Date")
	}
	switch len(dates) {
	case 0:
		return Authorization{}, fmt.Errorf("%w: neither X-Date nor Date is present", ErrBadDate)
	case 1:
	default:
		return Authorization{}, fmt.Errorf("%w: %d %s headers", ErrBadDate, len(dates), dateName)
	}
	signed, err := ParseDate(dates[0])
	if err != nil {
		return Authorization{}, err
	}
	if skew := now.Sub(signed); skew > MaxSkew || skew < -MaxSkew {
		return Authorization{}, fmt.Errorf("%w: %s %q is %v from server time", ErrBadDate, dateName, dates[0], skew)
	}

	// 3. Algorithm.
	if !strings.EqualFold(a.Algorithm, Algorithm) {
		return Authorization{}, fmt.Errorf("%w: unsupported algorithm %q", ErrCannotVerify, a.Algorithm)
	}

	// 4. Required headers. The date that passed the freshness check must be
	// the one that is signed, or an old signature could be replayed with a
	// fresh unsigned date.
	for _, req := range []string{"request-line", dateName, "content-sha512"} {
		if !slices.ContainsFunc(a.Headers, func(h string) bool { return strings.EqualFold(h, req) }) {
			return Authorization{}, fmt.Errorf("%w: %s is not in the signed headers", ErrCannotVerify, req)
		}
	}

	// 5. Secret.
	secret, err := lookup(a.Username)
	switch {
	case errors.Is(err, ErrUnknownUsername):
		return Authorization{}, fmt.Errorf("%w: username %q: %w", ErrCannotVerify, a.Username, err)
	case err != nil:
		return Authorization{}, fmt.Errorf("signature: looking up secret for %q: %w", a.Username, err)
	case len(secret) == 0:
		// An empty key is a configuration fault on our side, not the
		// client's; refusing it also stops anyone forging with "".
		return Authorization{}, fmt.Errorf("signature: lookup returned an empty secret for %q", a.Username)
	}

	// 6. Signature.
	got, err := base64.StdEncoding.DecodeString(a.Signature)
	if err != nil {
		return Authorization{}, fmt.Errorf("%w: signature is not valid base64", ErrMismatch)
	}
	var ssBuf [512]byte
	if !hmac.Equal(got, macBytes(secret, appendSigningString(ssBuf[:0], r, a.Headers))) {
		return Authorization{}, fmt.Errorf("%w: wrong signature", ErrMismatch)
	}

	// 7. Body digest. The signature only covers the Content-sha512 header,
	// so this is what ties the signature to the body actually received.
	digests := r.Header.Values("Content-Sha512")
	if len(digests) != 1 {
		return Authorization{}, fmt.Errorf("%w: want one Content-sha512 header, got %d", ErrMismatch, len(digests))
	}
	if !digestMatches(digests[0], body) {
		return Authorization{}, fmt.Errorf("%w: Content-sha512 does not match the body", ErrMismatch)
	}
	return a, nil
}

// digestMatches reports, in constant time for a given length, whether
// header is ContentDigest(body). It encodes into a stack buffer instead of
// allocating the digest and two byte copies per request.
func digestMatches(header string, body []byte) bool {
	sum := sha512.Sum512(body)
	var enc [88]byte // base64.StdEncoding.EncodedLen(sha512.Size)
	base64.StdEncoding.Encode(enc[:], sum[:])
	if len(header) != len(enc) {
		return false
	}
	var diff byte
	for i := range enc {
		diff |= header[i] ^ enc[i]
	}
	return subtle.ConstantTimeByteEq(diff, 0) == 1
}
