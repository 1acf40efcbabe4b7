package httpapi

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/ingot-dev/ingot/internal/banking"
)

// maxDepth bounds JSON nesting. No request of the API nests deeper than 3
// (an object holding meta_data's array of objects); a much deeper body is an
// attack on the parser, refused before it is decoded.
const maxDepth = 32

// checkStructure walks the body's tokens once and refuses what encoding/json
// would silently accept: a key repeated in one object (json keeps the last,
// so a signed body could say two things at once) and absurd nesting.
func checkStructure(body []byte) error {
	type frame struct {
		object    bool
		expectKey bool
		keys      map[string]struct{}
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return decodeError(err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if len(stack) >= maxDepth {
					return banking.Errorf(banking.CodeInvalid, "request body nests deeper than %d levels", maxDepth)
				}
				stack = append(stack, &frame{object: d == '{', expectKey: d == '{', keys: map[string]struct{}{}})
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].expectKey = true
				}
			}
			continue
		}
		if top == nil || !top.object {
			continue
		}
		if top.expectKey {
			key, _ := tok.(string)
			if _, dup := top.keys[key]; dup {
				return &banking.Error{Code: banking.CodeInvalid, Message: "duplicate field " + key,
					Fields: map[string]string{key: "appears more than once"}}
			}
			top.keys[key] = struct{}{}
			top.expectKey = false
			continue
		}
		top.expectKey = true
	}
}
