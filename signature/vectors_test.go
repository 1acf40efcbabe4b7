package signature

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// vector is one entry of testdata/vectors.json. The expected fields were
// computed outside Go (Python hashlib/hmac, openssl), so these tests catch
// mistakes that a round trip through our own code would hide.
type vector struct {
	Name          string `json:"name"`
	Username      string `json:"username"`
	Secret        string `json:"secret"`
	Method        string `json:"method"`
	Target        string `json:"target"`
	Host          string `json:"host"`
	Protocol      string `json:"protocol"`
	DateHeader    string `json:"date_header"`
	Date          string `json:"date"`
	ContentType   string `json:"content_type"`
	Body          string `json:"body"`
	Headers       string `json:"headers"`
	SigningString string `json:"signing_string"`
	ContentDigest string `json:"content_digest"`
	Signature     string `json:"signature"`
	Authorization string `json:"authorization"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("parsing vectors.json: %v", err)
	}
	if len(file.Vectors) < 3 {
		t.Fatalf("vectors.json has %d vectors, want at least 3", len(file.Vectors))
	}
	return file.Vectors
}

// vectorRequests builds the vector's request twice: as a client would before
// sending and as the server sees it after receipt. Both must sign the same.
func vectorRequests(t *testing.T, v vector) map[string]*http.Request {
	t.Helper()
	client, err := http.NewRequest(v.Method, "http://"+v.Host+v.Target, strings.NewReader(v.Body))
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewRequest(v.Method, v.Target, strings.NewReader(v.Body))
	server.Host = v.Host
	server.Proto = v.Protocol
	for _, r := range []*http.Request{client, server} {
		r.Header.Set(v.DateHeader, v.Date)
		r.Header.Set("Content-Type", v.ContentType)
		r.Header.Set("Content-Sha512", v.ContentDigest)
		r.Header.Set("Content-Length", strconv.Itoa(len(v.Body)))
	}
	return map[string]*http.Request{"client": client, "server": server}
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if got := ContentDigest([]byte(v.Body)); got != v.ContentDigest {
				t.Errorf("ContentDigest = %q, want %q", got, v.ContentDigest)
			}
			if got := Sign([]byte(v.Secret), v.SigningString); got != v.Signature {
				t.Errorf("Sign = %q, want %q", got, v.Signature)
			}
			headers := strings.Fields(v.Headers)
			for side, r := range vectorRequests(t, v) {
				if got := SigningString(r, headers); got != v.SigningString {
					t.Errorf("%s: SigningString =\n%s\nwant\n%s", side, got, v.SigningString)
				}
			}

			want := Authorization{Username: v.Username, Algorithm: Algorithm, Headers: headers, Signature: v.Signature}
			if got := want.String(); got != v.Authorization {
				t.Errorf("Authorization.String = %q, want %q", got, v.Authorization)
			}
			parsed, err := ParseAuthorization(v.Authorization)
			if err != nil {
				t.Fatalf("ParseAuthorization: %v", err)
			}
			assertAuthEqual(t, parsed, want)

			now, err := ParseDate(v.Date)
			if err != nil {
				t.Fatal(err)
			}
			r := vectorRequests(t, v)["server"]
			r.Header.Set("Authorization", v.Authorization)
			lookup := lookupFor(map[string]string{v.Username: v.Secret})
			if _, err := Verify(r, []byte(v.Body), now, lookup); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

// TestVectorsSignRequest checks that SignRequest reproduces the independent
// Authorization value for vectors that use its defaults.
func TestVectorsSignRequest(t *testing.T) {
	n := 0
	for _, v := range loadVectors(t) {
		if !slices.Equal(strings.Fields(v.Headers), RequiredHeaders) || v.DateHeader != "X-Date" {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			now, err := ParseDate(v.Date)
			if err != nil {
				t.Fatal(err)
			}
			r, err := http.NewRequest(v.Method, "http://"+v.Host+v.Target, nil)
			if err != nil {
				t.Fatal(err)
			}
			if v.ContentType != "application/json" {
				r.Header.Set("Content-Type", v.ContentType)
			}
			ss, err := SignRequest(r, []byte(v.Body), v.Username, []byte(v.Secret), now.In(est))
			if err != nil {
				t.Fatal(err)
			}
			if ss != v.SigningString {
				t.Errorf("signing string =\n%s\nwant\n%s", ss, v.SigningString)
			}
			if got := r.Header.Get("Authorization"); got != v.Authorization {
				t.Errorf("Authorization = %q, want %q", got, v.Authorization)
			}
			if got, want := r.ContentLength, int64(len(v.Body)); got != want {
				t.Errorf("ContentLength = %d, want %d", got, want)
			}
			var sent bytes.Buffer
			if _, err := sent.ReadFrom(r.Body); err != nil {
				t.Fatal(err)
			}
			if sent.String() != v.Body {
				t.Errorf("Body = %q, want %q", sent.String(), v.Body)
			}
		})
	}
	if n == 0 {
		t.Fatal("no vector uses the default headers; SignRequest is untested against independent values")
	}
}

// est is a non-UTC zone so tests prove SignRequest converts to GMT.
var est = time.FixedZone("EST", -5*60*60)
