package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"
)

// bodyAPIKeyUnmarshal is how bodyAPIKey used to read the field: a second
// full json.Unmarshal of the body. It is the reference bodyAPIKey must agree
// with on every input.
func bodyAPIKeyUnmarshal(body []byte) string {
	var v struct {
		APIKey string `json:"api_key"`
	}
	_ = json.Unmarshal(body, &v)
	return v.APIKey
}

// apiKeyBodies are bodies whose api_key field is easy to get wrong: they seed
// both the table test and the fuzz corpus.
var apiKeyBodies = []string{
	``, ` `, `{}`, `[]`, `null`, `"api_key"`, `5`, `nul`, `{`, `}`, `{"api_key"}`,
	`{"api_key":"ak_1"}`, ` {"api_key":"ak_1"} `, "\t{\r\n\"api_key\"\n:\t\"ak_1\"\r}\n",
	`{"user_id":"u","api_key":"ak_1"}`, `{"api_key":"ak_1","user_id":"u"}`,
	// Repeated fields: the last string wins; null and other types keep it.
	`{"api_key":"ak_1","api_key":"ak_2"}`, `{"api_key":"ak_1","api_key":null}`,
	`{"api_key":"ak_1","api_key":5}`, `{"api_key":"ak_1","api_key":true}`, `{"api_key":"ak_1","api_key":false}`,
	`{"api_key":"ak_1","api_key":{"a":"b"}}`, `{"api_key":"ak_1","api_key":["ak_2"]}`,
	`{"api_key":"ak_1","api_key":""}`, `{"api_key":null,"api_key":"ak_2"}`,
	// Wrong types alone.
	`{"api_key":5}`, `{"api_key":-1.5e3}`, `{"api_key":null}`, `{"api_key":[]}`, `{"api_key":{}}`,
	// Names match case-insensitively, with Unicode simple folding (U+212A
	// KELVIN SIGN folds to k), and through escapes.
	`{"API_KEY":"ak_1"}`, `{"Api_Key":"ak_1"}`, `{"api_key":"ak_1","API_KEY":"ak_2"}`,
	`{"api_` + "\u212a" + `ey":"ak_1"}`, `{"api_\u212aey":"ak_1"}`, `{"api\u005fkey":"ak_1"}`, `{"\u0061pi_key":"ak_1"}`,
	`{"api_key ":"ak_1"}`, `{" api_key":"ak_1"}`, `{"apikey":"ak_1"}`, `{"api_keys":"ak_1"}`, `{"api_ke":"ak_1"}`,
	`{"api_` + "\u017f" + `ey":"ak_1"}`,
	// Escapes and odd bytes in the value.
	`{"api_key":"ak_\u0031"}`, `{"api_key":"a\"b\\c\/d\b\f\n\r\t"}`, `{"api_key":"\ud83d\ude00"}`,
	`{"api_key":"\ud83d"}`, `{"api_key":"\ude00x"}`, "{\"api_key\":\"\xff\xfe\"}", "{\"api_key\":\"caf\xc3\xa9\"}",
	"{\"api_key\xff\":\"ak_1\"}", "{\"api_key\":\"a\x01\"}", "{\"api_key\":\"\u2028\"}",
	// Only the top level counts.
	`{"a":{"api_key":"ak_1"}}`, `{"a":[{"api_key":"ak_1"}],"b":"}"}`, `[{"api_key":"ak_1"}]`,
	`{"a":"{\"api_key\":\"x\"}","api_key":"ak_1"}`, `{"a":"\\","api_key":"ak_1"}`,
	`{"a":[1,2,{"b":[true,false,null]}],"api_key":"ak_1","c":-0.5E+2}`,
	// Anything invalid anywhere means no key at all.
	`{"api_key":"ak_1"} {}`, `{"api_key":"ak_1"}x`, `{"api_key":"ak_1",}`, `{"api_key":"ak_1"`,
	`{"api_key":"ak_1","a":01}`, `{"api_key":"ak_1","a":tru}`, `{"api_key":'ak_1'}`, `{api_key:"ak_1"}`,
	"\ufeff{\"api_key\":\"ak_1\"}", `{"api_key":"ak_1","a":[}`, `{"api_key":"ak_1","a":1.}`,
	`{"a":` + deepArray(10001) + `,"api_key":"ak_1"}`, `{"a":` + deepArray(9000) + `,"api_key":"ak_1"}`,
}

func deepArray(n int) string {
	b := make([]byte, 0, 2*n)
	for range n {
		b = append(b, '[')
	}
	for range n {
		b = append(b, ']')
	}
	return string(b)
}

func TestBodyAPIKeyMatchesUnmarshal(t *testing.T) {
	for _, body := range apiKeyBodies {
		got, want := bodyAPIKey([]byte(body)), bodyAPIKeyUnmarshal([]byte(body))
		if got != want {
			short := body
			if len(short) > 80 {
				short = short[:80] + "..."
			}
			t.Errorf("bodyAPIKey(%q) = %q, want %q", short, got, want)
		}
	}
}

// FuzzBodyAPIKey checks bodyAPIKey against the json.Unmarshal reference on
// arbitrary bodies.
func FuzzBodyAPIKey(f *testing.F) {
	for _, body := range apiKeyBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, want := bodyAPIKey(body), bodyAPIKeyUnmarshal(body); got != want {
			t.Fatalf("bodyAPIKey(%q) = %q, want %q", body, got, want)
		}
	})
}

// apiKeyBenchBody is a typical user/create body carrying its api_key.
var apiKeyBenchBody = []byte(`{"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","phone_number":"+14155550123",` +
	`"address_one":"1 Main St","city":"San Francisco","state":"CA","postal_code":"94105","country":"US",` +
	`"ssn":"123-45-6789","date_of_birth":"1990-12-10","meta_data":[{"name":"ref","value":"42"}],` +
	`"api_key":"ak_0123456789abcdef0123456789abcdef01234567"}`)

// BenchmarkBodyAPIKey measures reading the body's api_key, which
// authentication does on every API call, next to the json.Unmarshal
// reference it replaced.
func BenchmarkBodyAPIKey(b *testing.B) {
	bodies := []struct {
		name string
		body []byte
		key  bool
	}{
		{"create-with-key", apiKeyBenchBody, true},
		{"get-without-key", []byte(`{"user_id":"user-0b5a3c1e-8f55-4a59-9a57-6a3f0e1f2d3c"}`), false},
	}
	for _, impl := range []struct {
		name string
		fn   func([]byte) string
	}{{"scan", bodyAPIKey}, {"unmarshal", bodyAPIKeyUnmarshal}} {
		for _, bb := range bodies {
			b.Run(impl.name+"/"+bb.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if got := impl.fn(bb.body); (got != "") != bb.key {
						b.Fatalf("key %q", got)
					}
				}
			})
		}
	}
}

func TestAPIKeyHeaderCanonical(t *testing.T) {
	if got := http.CanonicalHeaderKey("api_key"); got != apiKeyHeader {
		t.Fatalf("CanonicalHeaderKey(api_key) = %q, want apiKeyHeader %q", got, apiKeyHeader)
	}
}
