package httpapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf16"

	"github.com/ingot-dev/ingot/internal/banking"
)

// checkSurrogates refuses a body holding a \u escape of half a UTF-16
// surrogate pair ("\ud800" alone, a low half first, a high half not followed
// by its low half). Such an escape encodes no character: encoding/json
// silently turns it into U+FFFD, which would be stored as if the client had
// sent it. Like invalid UTF-8 it is refused, but naming the field, as the
// body is valid JSON by now. It runs after decode, on a body that passed it,
// and reads the body a second time only when it finds such an escape.
func checkSurrogates(body []byte) error {
	off := loneSurrogate(body)
	if off < 0 {
		return nil
	}
	return banking.Invalid(fieldAt(body, off), "must be valid Unicode text")
}

// loneSurrogate returns the offset of the first \u escape in body that is
// half a surrogate pair without its other half, or -1. body must be valid
// JSON, where a backslash occurs only in a string and always starts an
// escape, so one scan from backslash to backslash sees every escape and never
// mistakes an escaped backslash followed by "ud800" for one.
func loneSurrogate(body []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(body[i:], '\\')
		if j < 0 || i+j+1 >= len(body) {
			return -1
		}
		i += j
		if body[i+1] != 'u' {
			i += 2 // \" \\ \/ \b \f \n \r \t
			continue
		}
		r, ok := hex4(body, i+2)
		if !ok || !utf16.IsSurrogate(r) {
			i += 6
			continue
		}
		if r >= 0xDC00 { // a low half with no high half before it
			return i
		}
		if i+7 >= len(body) || body[i+6] != '\\' || body[i+7] != 'u' {
			return i
		}
		if lo, ok := hex4(body, i+8); !ok || lo < 0xDC00 || lo > 0xDFFF {
			return i
		}
		i += 12 // a whole pair
	}
}

// hex4 decodes the four hex digits at body[at:], if there are four.
func hex4(body []byte, at int) (rune, bool) {
	if at+4 > len(body) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(body[at:at+4]), 16, 16)
	return rune(n), err == nil
}

// fieldAt names the field whose key or string value spans offset off of body,
// as validation names fields ("city", "meta_data[1].value"), or "body".
func fieldAt(body []byte, off int) string {
	type frame struct {
		object    bool
		path      string // the container's own name; "" for the body
		key       string // the current key of an object
		expectKey bool
		index     int // the current index of an array
	}
	var stack []*frame
	// current is the name of the value being read in the innermost container.
	current := func() string {
		if len(stack) == 0 {
			return "body"
		}
		f := stack[len(stack)-1]
		switch {
		case !f.object:
			return f.path + "[" + strconv.Itoa(f.index) + "]"
		case f.path == "":
			return f.key
		}
		return f.path + "." + f.key
	}
	// valueDone moves the innermost container past the value just read.
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		if f := stack[len(stack)-1]; f.object {
			f.expectKey = true
		} else {
			f.index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	end := 0
	for {
		start := end
		tok, err := dec.Token()
		if err != nil {
			return "body"
		}
		end = int(dec.InputOffset())
		hit := start <= off && off < end
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				path := ""
				if len(stack) > 0 {
					path = current()
				}
				stack = append(stack, &frame{object: t == '{', path: path, expectKey: t == '{'})
				continue
			}
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		case string:
			if len(stack) == 0 {
				return "body"
			}
			if f := stack[len(stack)-1]; f.object && f.expectKey {
				f.key, f.expectKey = t, false
				if hit {
					return current()
				}
				continue
			}
			if hit {
				return current()
			}
		}
		valueDone()
	}
}
