package signature

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func assertAuthEqual(t *testing.T, got, want Authorization) {
	t.Helper()
	if got.Username != want.Username || got.Algorithm != want.Algorithm ||
		!slices.Equal(got.Headers, want.Headers) || got.Signature != want.Signature {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestParseAuthorization(t *testing.T) {
	std := Authorization{Username: "u", Algorithm: "hmac-sha512", Headers: []string{"request-line", "x-date"}, Signature: "c2ln"}
	tests := []struct {
		name string
		in   string
		want *Authorization // nil means ErrNoAuthorization
	}{
		{"canonical", `hmac username="u", algorithm="hmac-sha512", headers="request-line x-date", signature="c2ln"`, &std},
		{"no spaces, other order", `hmac signature="c2ln",headers="request-line x-date",algorithm="hmac-sha512",username="u"`, &std},
		{"upper-case scheme and keys", `HMAC Username="u", ALGORITHM="hmac-sha512", Headers="request-line x-date", Signature="c2ln"`, &std},
		{"extra whitespace", "hmac  username=\"u\" ,\talgorithm=\"hmac-sha512\",  headers=\" request-line   x-date \", signature=\"c2ln\"  ", &std},
		{"comma inside quotes", `hmac username="a, b=c", algorithm="x", headers="h", signature="s"`,
			&Authorization{Username: "a, b=c", Algorithm: "x", Headers: []string{"h"}, Signature: "s"}},
		{"empty", "", nil},
		{"scheme only", "hmac", nil},
		{"scheme and space", "hmac ", nil},
		{"other scheme", `Signature username="u", algorithm="hmac-sha512", headers="x-date", signature="c2ln"`, nil},
		{"scheme without space", `hmacusername="u", algorithm="hmac-sha512", headers="x-date", signature="c2ln"`, nil},
		{"missing username", `hmac algorithm="hmac-sha512", headers="x-date", signature="c2ln"`, nil},
		{"missing algorithm", `hmac username="u", headers="x-date", signature="c2ln"`, nil},
		{"missing headers", `hmac username="u", algorithm="hmac-sha512", signature="c2ln"`, nil},
		{"missing signature", `hmac username="u", algorithm="hmac-sha512", headers="x-date"`, nil},
		{"empty signature", `hmac username="u", algorithm="hmac-sha512", headers="x-date", signature=""`, nil},
		{"empty headers", `hmac username="u", algorithm="hmac-sha512", headers="  ", signature="c2ln"`, nil},
		{"empty username", `hmac username="", algorithm="hmac-sha512", headers="x-date", signature="c2ln"`, nil},
		{"duplicate param", `hmac username="u", username="v", algorithm="hmac-sha512", headers="x-date", signature="c2ln"`, nil},
		{"duplicate param other case", `hmac username="u", USERNAME="u", algorithm="hmac-sha512", headers="x-date", signature="c2ln"`, nil},
		{"unknown param", `hmac username="u", algorithm="hmac-sha512", headers="x-date", signature="c2ln", realm="x"`, nil},
		{"unquoted value", `hmac username=u, algorithm="hmac-sha512", headers="x-date", signature="c2ln"`, nil},
		{"unterminated quote", `hmac username="u, algorithm="hmac-sha512", headers="x-date", signature="c2ln`, nil},
		{"missing comma", `hmac username="u" algorithm="hmac-sha512", headers="x-date", signature="c2ln"`, nil},
		{"trailing comma", `hmac username="u", algorithm="hmac-sha512", headers="x-date", signature="c2ln",`, nil},
		{"double comma", `hmac username="u",, algorithm="hmac-sha512", headers="x-date", signature="c2ln"`, nil},
		{"space before equals", `hmac username ="u", algorithm="hmac-sha512", headers="x-date", signature="c2ln"`, nil},
		{"header name with colon", `hmac username="u", algorithm="hmac-sha512", headers="x-date: evil", signature="c2ln"`, nil},
		{"control character", "hmac username=\"u\x00\", algorithm=\"hmac-sha512\", headers=\"x-date\", signature=\"c2ln\"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAuthorization(tt.in)
			if tt.want == nil {
				if !errors.Is(err, ErrNoAuthorization) {
					t.Fatalf("ParseAuthorization(%q) = %#v, %v; want ErrNoAuthorization", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAuthorization(%q): %v", tt.in, err)
			}
			assertAuthEqual(t, got, *tt.want)
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		`hmac username="hmac-demo", algorithm="hmac-sha512", headers="request-line x-date content-type content-sha512 content-length", signature="z6jnqJAbXMA5pgMDR+u4S1BEjQDrpU8Uqlv1ecMClzloF/pb1S0lNMHlyc2F1v4MkoTZgVWzu3SbqP1JpHl/Gw=="`,
		`HMAC signature="x",headers="a",algorithm="b",username="c"`,
		"hmac username=\"a\tb\", algorithm=\"\", headers=\"a\tb\", signature=\"=\"",
		`hmac username="a, b=c", algorithm="x", headers="h", signature="s"`,
		`hmac username="u", username="u"`,
		`hmac username="`,
		`hmac =""`,
		"hmac ",
		"",
		`Basic dTpw`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAuthorization(s)
		if err != nil {
			if !errors.Is(err, ErrNoAuthorization) {
				t.Fatalf("ParseAuthorization(%q) error %v does not wrap ErrNoAuthorization", s, err)
			}
			return
		}
		formatted := a.String()
		b, err := ParseAuthorization(formatted)
		if err != nil {
			t.Fatalf("ParseAuthorization(%q) ok, but re-parsing its String %q: %v", s, formatted, err)
		}
		assertAuthEqual(t, b, a)
	})
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time // zero means ErrBadDate
	}{
		{"Mon, 23 Nov 2026 20:00:00 GMT", time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)},
		{"Fri, 01 Jan 2027 00:00:00 GMT", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"", time.Time{}},
		{"Mon, 23 Nov 2026 20:00:00 UTC", time.Time{}},
		{"Mon, 23 Nov 2026 20:00:00 +0000", time.Time{}},
		{"Monday, 23-Nov-26 20:00:00 GMT", time.Time{}}, // RFC 850
		{"Mon Nov 23 20:00:00 2026", time.Time{}},       // ANSI C
		{"Tue, 23 Nov 2026 20:00:00 GMT", time.Time{}},  // wrong weekday
		{"Fri, 1 Jan 2027 00:00:00 GMT", time.Time{}},   // no zero padding
		{"mon, 23 nov 2026 20:00:00 GMT", time.Time{}},
		{" Mon, 23 Nov 2026 20:00:00 GMT", time.Time{}},
		{"1795464000", time.Time{}},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if tt.want.IsZero() {
			if !errors.Is(err, ErrBadDate) {
				t.Errorf("ParseDate(%q) = %v, %v; want ErrBadDate", tt.in, got, err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestSigningString(t *testing.T) {
	server := func(target string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, target, nil)
		r.Host = "api.ingot.test"
		return r
	}
	client := func(url string) *http.Request {
		r, err := http.NewRequest(http.MethodPost, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name    string
		r       *http.Request
		setup   func(r *http.Request)
		headers []string
		want    string
	}{
		{"server request-line keeps raw target", server("/a%2Fb?x=1&y=%20"), nil,
			[]string{"request-line"}, "POST /a%2Fb?x=1&y=%20 HTTP/1.1"},
		{"client request-line", client("https://api.ingot.test/api/v4/x?limit=1"), nil,
			[]string{"request-line"}, "POST /api/v4/x?limit=1 HTTP/1.1"},
		{"client empty path", client("https://api.ingot.test"), nil,
			[]string{"request-line"}, "POST / HTTP/1.1"},
		{"empty proto and method default", server("/p"), func(r *http.Request) { r.Proto, r.Method = "", "" },
			[]string{"request-line"}, "GET /p HTTP/1.1"},
		{"server proto kept", server("/p"), func(r *http.Request) { r.Proto = "HTTP/1.0" },
			[]string{"request-line"}, "POST /p HTTP/1.0"},
		{"host from r.Host", server("/p"), nil, []string{"host"}, "host: api.ingot.test"},
		{"host from client URL", client("https://h.example:8443/p"), func(r *http.Request) { r.Host = "" },
			[]string{"host"}, "host: h.example:8443"},
		{"content-length header wins", server("/p"), func(r *http.Request) {
			r.Header.Set("Content-Length", "12")
			r.ContentLength = 99
		}, []string{"content-length"}, "content-length: 12"},
		{"content-length from field", server("/p"), func(r *http.Request) {
			r.ContentLength = 55
		}, []string{"content-length"}, "content-length: 55"},
		{"content-length zero without body", server("/p"), nil, []string{"content-length"}, "content-length: 0"},
		{"content-length unknown", server("/p"), func(r *http.Request) {
			r.ContentLength = -1
		}, []string{"content-length"}, "content-length: "},
		{"multiple values joined", server("/p"), func(r *http.Request) {
			r.Header.Add("X-Trace", "a")
			r.Header.Add("X-Trace", "b")
		}, []string{"x-trace"}, "x-trace: a, b"},
		{"missing header is empty", server("/p"), nil, []string{"x-missing"}, "x-missing: "},
		{"names kept as written, no trailing newline", server("/p"), func(r *http.Request) {
			r.Header.Set("X-Date", "D")
		}, []string{"X-Date", "Request-Line"}, "X-Date: D\nPOST /p HTTP/1.1"},
		{"repeated name repeats line", server("/p"), func(r *http.Request) {
			r.Header.Set("X-Date", "D")
		}, []string{"x-date", "x-date"}, "x-date: D\nx-date: D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(tt.r)
			}
			if got := SigningString(tt.r, tt.headers); got != tt.want {
				t.Errorf("SigningString = %q, want %q", got, tt.want)
			}
		})
	}
}
