package signature

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkVerify measures the server's check of one correctly signed
// request, which runs on every API call.
func BenchmarkVerify(b *testing.B) {
	r := httptest.NewRequest(http.MethodPost, "/api/v4/user/unblock", nil)
	if _, err := SignRequest(r, []byte(testBody), testUser, []byte(testSecret), testNow); err != nil {
		b.Fatal(err)
	}
	body, secret := []byte(testBody), []byte(testSecret)
	lookup := func(string) ([]byte, error) { return secret, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(r, body, testNow, lookup); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDigestMatches(t *testing.T) {
	for _, body := range []string{"", testBody, "x"} {
		d := ContentDigest([]byte(body))
		if !digestMatches(d, []byte(body)) {
			t.Errorf("digestMatches(ContentDigest(%q)) = false", body)
		}
		for _, wrong := range []string{"", d[:len(d)-1], d + "=", "A" + d[1:], d[:87] + "x", ContentDigest([]byte(body + " "))} {
			if wrong != d && digestMatches(wrong, []byte(body)) {
				t.Errorf("digestMatches(%q, %q) = true", wrong, body)
			}
		}
	}
}
