package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ingot-dev/ingot/internal/banking"
)

// surrogateAnswer is the field decode's error names for a lone surrogate
// escape, or "" when the error (or nil) is about something else.
func surrogateAnswer(err error) string {
	var be *banking.Error
	if !errors.As(err, &be) {
		return ""
	}
	for name, msg := range be.Fields {
		if msg == "must be valid Unicode text" || (msg == "unknown field" && strings.ContainsRune(name, utf8.RuneError)) {
			return name
		}
	}
	return ""
}

// TestLoneSurrogate: a \u escape of half a UTF-16 surrogate pair is refused
// wherever it is, naming the field; a whole pair, an escaped backslash
// before "ud800", and U+FFFD itself are ordinary text. A map destination
// reaches values no request type has (arrays of strings, nested objects).
func TestLoneSurrogate(t *testing.T) {
	for _, tc := range []struct {
		body  string
		field string // "" when the body has no lone surrogate
	}{
		{`{}`, ""},
		{`{"a":"plain"}`, ""},
		{`{"a":"\u00e9\u0041\n\"\\"}`, ""},
		{`{"a":"\ud83d\ude00"}`, ""},
		{`{"a":"\uD83D\uDE00\ud800\udc00x"}`, ""},
		{`{"a":"\\ud800"}`, ""},
		{`{"a":"\\\\ud800"}`, ""},
		{`{"a":"\ufffd"}`, ""},
		{`{"a":"\ud800"}`, "a"},
		{`{"a":"x","b":"\udc00"}`, "b"},
		{`{"a":"\\\ud800"}`, "a"},
		{`{"a":"\ud800\u0041"}`, "a"},
		{`{"a":"\ud800\\udc00"}`, "a"},
		{`{"a":"\ude00\ud83d"}`, "a"},
		{`{"a":"\ud83d\ude00\ud83d"}`, "a"},
		{`{"a":"\udbff"}`, "a"},
		{`{"a":"\udfff"}`, "a"},
		{`{"meta_data":[{"name":"n","value":"v"},{"name":"n","value":"\ud800"}]}`, "meta_data[1].value"},
		{`{"meta_data":[{"name":"\udc00"}]}`, "meta_data[0].name"},
		{`{"page":1,"x":[1,"a",{"y":null},"\ud800"]}`, "x[3]"},
		{`{"x":{"y":{"z":"\ud800"}}}`, "x.y.z"},
		{`{"\ud800":"v"}`, "\uFFFD"},
		{`{"a\"\\\ud800b":"v"}`, "a\"\\\uFFFDb"},
		{`{"x":{"\udc00" : 1}}`, "\uFFFD"},
		{`{"a":[[]],"b":"\ud800"}`, "b"},
	} {
		var dst map[string]any
		err := decode([]byte(tc.body), &dst)
		if got := surrogateAnswer(err); got != tc.field {
			t.Errorf("decode(%s) = %v, naming %q for a lone surrogate, want %q", tc.body, err, got, tc.field)
		}
		if tc.field == "" && err != nil {
			t.Errorf("decode(%s) = %v, want nil", tc.body, err)
		}
	}
}

// FuzzLoneSurrogate checks decode against encoding/json: in a valid JSON
// object that holds no U+FFFD of its own, encoding/json decodes a string with
// a U+FFFD exactly when the body has a lone surrogate escape, which decode
// must refuse, naming it. (decode may refuse the body for another reason
// first, such as a repeated name, which encoding/json accepts.)
func FuzzLoneSurrogate(f *testing.F) {
	for _, seed := range []string{
		`{"a":"\ud800"}`, `{"a":"\ud83d\ude00"}`, `{"a":"\\ud800"}`, `{"a":["\udc00"]}`,
		`{"a":"\ud800\u0041"}`, `{"a":{"b":"\\\ud800"}}`, `{"a":1}`, `{"\ud800":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !utf8.Valid(body) || !json.Valid(body) || bytes.ContainsRune(body, utf8.RuneError) ||
			strings.Contains(strings.ToLower(string(body)), `\ufffd`) {
			return
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if _, ok := v.(map[string]any); !ok {
			return
		}
		raw, _ := json.Marshal(v)
		replaced := bytes.ContainsRune(raw, utf8.RuneError) || bytes.Contains(raw, []byte(`\ufffd`))
		var dst map[string]any
		err := decode(body, &dst)
		named := surrogateAnswer(err) != ""
		switch {
		case replaced && err == nil:
			t.Fatalf("decode(%q) accepted a lone surrogate escape", body)
		case !replaced && named:
			t.Fatalf("decode(%q) = %v, but the body has no lone surrogate escape", body, err)
		}
	})
}
