package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

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
		{`{"a":[[]],"b":"\ud800"}`, "b"},
	} {
		off := loneSurrogate([]byte(tc.body))
		if tc.field == "" {
			if off >= 0 {
				t.Errorf("loneSurrogate(%s) = %d, want -1", tc.body, off)
			}
			continue
		}
		if off < 0 {
			t.Errorf("loneSurrogate(%s) = -1, want the offset of the escape", tc.body)
			continue
		}
		if got := tc.body[off : off+2]; got != `\u` {
			t.Errorf("loneSurrogate(%s) = %d, at %q, want the offset of a \\u escape", tc.body, off, got)
		}
		if got := fieldAt([]byte(tc.body), off); got != tc.field {
			t.Errorf("fieldAt(%s, %d) = %q, want %q", tc.body, off, got, tc.field)
		}
	}
}

// FuzzLoneSurrogate checks loneSurrogate against encoding/json itself: in a
// valid JSON body that holds no U+FFFD of its own, a string decodes with a
// U+FFFD exactly when the body has a lone surrogate escape. fieldAt must
// never panic.
func FuzzLoneSurrogate(f *testing.F) {
	for _, seed := range []string{
		`{"a":"\ud800"}`, `{"a":"\ud83d\ude00"}`, `{"a":"\\ud800"}`, `{"a":["\udc00"]}`,
		`{"a":"\ud800\u0041"}`, `{"a":{"b":"\\\ud800"}}`, `{"a":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !utf8.Valid(body) || !json.Valid(body) || bytes.ContainsRune(body, utf8.RuneError) ||
			strings.Contains(strings.ToLower(string(body)), `\ufffd`) {
			return
		}
		// UseNumber: a number too large for float64 is valid JSON that
		// Unmarshal into any would refuse.
		var v any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(v)
		replaced := bytes.ContainsRune(raw, utf8.RuneError) || bytes.Contains(raw, []byte(`\ufffd`))
		off := loneSurrogate(body)
		if (off >= 0) != replaced {
			t.Fatalf("loneSurrogate(%q) = %d, but encoding/json replaced a character: %v", body, off, replaced)
		}
		if off >= 0 {
			_ = fieldAt(body, off)
		}
	})
}
