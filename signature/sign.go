package signature

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ContentDigest returns the value of the Content-sha512 header for body.
// Signing the digest rather than the body keeps the signing string short
// while still binding the exact body bytes to the signature.
func ContentDigest(body []byte) string {
	sum := sha512.Sum512(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Sign returns the Base64 HMAC-SHA512 of signingString under secret, which
// is the signature parameter of the Authorization header.
func Sign(secret []byte, signingString string) string {
	return base64.StdEncoding.EncodeToString(mac(secret, signingString))
}

func mac(secret []byte, signingString string) []byte {
	return macBytes(secret, []byte(signingString))
}

// macBytes is mac over a signing string already in bytes, as Verify builds
// it, saving the copy a string costs.
func macBytes(secret, signingString []byte) []byte {
	m := hmac.New(sha512.New, secret)
	m.Write(signingString)
	return m.Sum(nil)
}

// SigningString builds the string that is signed for r over the given header
// names. It works on both client requests (before sending) and server
// requests (after receipt), so the same bytes are produced on either side.
//
// Names are used as written for the "name: value" lines, and matched
// case-insensitively to find values, because the signer chose the spelling
// and both sides must reproduce it. A missing header contributes an empty
// value, which makes verification fail rather than silently skipping a line.
func SigningString(r *http.Request, headers []string) string {
	var buf [512]byte
	return string(appendSigningString(buf[:0], r, headers))
}

// appendSigningString appends SigningString(r, headers) to dst, so that
// Verify can build it without a string and its intermediate copies.
func appendSigningString(dst []byte, r *http.Request, headers []string) []byte {
	for i, name := range headers {
		if i > 0 {
			dst = append(dst, '\n')
		}
		if strings.EqualFold(name, "request-line") {
			dst = appendRequestLine(dst, r)
			continue
		}
		dst = append(dst, name...)
		dst = append(dst, ": "...)
		dst = append(dst, headerValue(r, name)...)
	}
	return dst
}

// appendRequestLine appends the first line of the HTTP request, with the
// target in origin form. On the server RequestURI is what the client sent
// (reduced to origin form if it was absolute); on the client it is empty and
// URL.RequestURI is what the transport will write.
func appendRequestLine(dst []byte, r *http.Request) []byte {
	method := r.Method
	if method == "" {
		method = http.MethodGet // net/http's client default
	}
	uri := OriginForm(r.RequestURI)
	if uri == "" && r.URL != nil {
		uri = r.URL.RequestURI()
	}
	proto := r.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, uri...)
	dst = append(dst, ' ')
	return append(dst, proto...)
}

// headerValue finds the value signed for name. Host and Content-Length need
// special cases because net/http moves them out of r.Header into fields.
func headerValue(r *http.Request, name string) string {
	switch {
	case strings.EqualFold(name, "host"):
		if r.Host != "" {
			return r.Host
		}
		if r.URL != nil {
			return r.URL.Host
		}
		return ""
	case strings.EqualFold(name, "content-length"):
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return strings.Join(v, ", ")
		}
		// -1 means the length is unknown (e.g. a chunked upload), which is
		// the same as the header being missing.
		if r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
		return ""
	}
	return strings.Join(r.Header.Values(name), ", ")
}

// ParseDate parses a date or x-date header value. Only the exact
// http.TimeFormat form is accepted (including a correct weekday and zero
// padding) because the value is signed verbatim: accepting variants would
// let two spellings of one instant carry different signatures.
func ParseDate(v string) (time.Time, error) {
	t, err := time.Parse(http.TimeFormat, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %v", ErrBadDate, err)
	}
	var buf [len(http.TimeFormat) + 8]byte
	if string(t.AppendFormat(buf[:0], http.TimeFormat)) != v {
		return time.Time{}, fmt.Errorf("%w: %q is not in canonical %s form", ErrBadDate, v, http.TimeFormat)
	}
	return t, nil
}

// SignRequest prepares r for sending: it sets X-Date to now (UTC, in
// http.TimeFormat), Content-Type to application/json unless already set,
// Content-sha512 and Content-Length (header and r.ContentLength) for body,
// and an Authorization header signed over RequiredHeaders.
//
// It also replaces r.Body (and r.GetBody) with a reader over body, so the
// bytes sent are guaranteed to be the bytes that were digested and signed.
//
// The signing string is returned so tools can show what was signed, which is
// the quickest way to debug a signature a partner rejects.
func SignRequest(r *http.Request, body []byte, username string, secret []byte, now time.Time) (signingString string, err error) {
	if r == nil || r.URL == nil {
		return "", errors.New("signature: request or its URL is nil")
	}
	if len(secret) == 0 {
		return "", errors.New("signature: empty secret")
	}
	if username == "" || strings.ContainsRune(username, '"') || hasControl(username) {
		return "", fmt.Errorf("signature: username %q cannot be carried in an authorization header", username)
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	body = bytes.Clone(body) // later edits by the caller must not change what a retry sends
	r.Header.Set("X-Date", now.UTC().Format(http.TimeFormat))
	if r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Content-Sha512", ContentDigest(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	r.ContentLength = int64(len(body))
	if len(body) == 0 {
		r.Body = http.NoBody
		r.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
	} else {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}

	headers := append([]string(nil), RequiredHeaders...)
	signingString = SigningString(r, headers)
	a := Authorization{
		Username:  username,
		Algorithm: Algorithm,
		Headers:   headers,
		Signature: Sign(secret, signingString),
	}
	r.Header.Set("Authorization", a.String())
	return signingString, nil
}

// OriginForm returns a request target in origin form: the path and query.
// An absolute-form target ("http://host:port/path?q", which HTTP/1.1 servers
// must accept, RFC 9112 section 3.2.2) loses its scheme and authority, so a
// request signs the same line ("POST /api/v4/user/get-all HTTP/1.1")
// whatever form its target took on the wire (api-v4.md section 2). Any other
// target is returned as it is.
func OriginForm(target string) string {
	var rest string
	switch {
	case len(target) >= 7 && strings.EqualFold(target[:7], "http://"):
		rest = target[7:]
	case len(target) >= 8 && strings.EqualFold(target[:8], "https://"):
		rest = target[8:]
	default:
		return target
	}
	i := strings.IndexAny(rest, "/?")
	switch {
	case i < 0:
		return "/"
	case rest[i] == '?':
		return "/" + rest[i:]
	}
	return rest[i:]
}
