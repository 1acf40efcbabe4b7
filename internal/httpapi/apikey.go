package httpapi

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// bodyAPIKey extracts the optional top-level "api_key" body field without
// the strict rules, because authentication runs before the body is validated.
// It returns exactly what json.Unmarshal into struct{ APIKey string
// `json:"api_key"` } would leave in the field (apikey_test.go pins this): ""
// unless the whole body is valid JSON and an object; names match
// case-insensitively (bytes.EqualFold, as encoding/json does); a repeated
// key's last string wins, and null or a value of another type leaves the
// previous one. It validates with json.Valid, which does not allocate, then
// walks the top-level members without decoding anything but the few strings
// it needs.
func bodyAPIKey(body []byte) string {
	if !json.Valid(body) {
		return ""
	}
	i := skipSpace(body, 0)
	if body[i] != '{' {
		return ""
	}
	key := ""
	i = skipSpace(body, i+1)
	if body[i] == '}' {
		return ""
	}
	for {
		nameEnd := stringEnd(body, i)
		name := body[i:nameEnd]
		i = skipSpace(body, nameEnd)
		i = skipSpace(body, i+1) // past ':'
		valueEnd := jsonValueEnd(body, i)
		if body[i] == '"' && bytes.EqualFold(unquoteJSON(name), []byte("api_key")) {
			key = string(unquoteJSON(body[i:valueEnd]))
		}
		i = skipSpace(body, valueEnd)
		if body[i] == '}' {
			return key
		}
		i = skipSpace(body, i+1) // past ','
	}
}

// The helpers below walk a body json.Valid accepted, so they need not check
// for malformed input.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string literal starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// jsonValueEnd returns the index just past the value starting at b[i].
func jsonValueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// unquoteJSON returns the content of a valid string literal as encoding/json
// decodes it: escapes resolved, invalid UTF-8 and lone surrogates replaced
// by U+FFFD. A literal without escapes or invalid UTF-8 is returned as is.
func unquoteJSON(lit []byte) []byte {
	inner := lit[1 : len(lit)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return inner
	}
	var s string
	_ = json.Unmarshal(lit, &s)
	return []byte(s)
}
