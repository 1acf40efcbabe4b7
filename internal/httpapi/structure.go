package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"

	"github.com/ingot-dev/ingot/internal/banking"
)

// maxDepth bounds JSON nesting. No request of the API nests deeper than 3
// (an object holding meta_data's array of objects); a much deeper body is an
// attack on the parser, refused before it is decoded.
const maxDepth = 32

// checkStructure walks the body's tokens once and refuses what encoding/json
// would silently accept: a key repeated in one object (json keeps the last,
// so a signed body could say two things at once), absurd nesting, and a key
// that matches a field of dst only case-insensitively ("First_Name" would fill
// first_name; names must match exactly, spec section 1). It follows dst's type
// down the nesting so nested objects (meta_data's) are checked too; type
// mismatches are left to the decoder, which names them better.
func checkStructure(body []byte, dst reflect.Type) error {
	type frame struct {
		object    bool
		expectKey bool
		keys      map[string]struct{}
		t         reflect.Type // this container's Go type; nil when unknown
		child     reflect.Type // the type of the value being read next
	}
	var stack []*frame
	next := dst // the type of the next container to open
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
			next = top.child
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if len(stack) >= maxDepth {
					return banking.Errorf(banking.CodeInvalid, "request body nests deeper than %d levels", maxDepth)
				}
				f := &frame{object: d == '{', expectKey: d == '{', t: deref(next)}
				if f.object {
					f.keys = map[string]struct{}{}
				} else if f.t != nil && (f.t.Kind() == reflect.Slice || f.t.Kind() == reflect.Array) {
					f.child = f.t.Elem()
				}
				stack = append(stack, f)
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
			top.child = nil
			if top.t != nil && top.t.Kind() == reflect.Struct {
				ft, ok := structFields(top.t)[key]
				if !ok {
					return unknownField(key)
				}
				top.child = ft
			}
			continue
		}
		top.expectKey = true
	}
}

// deref strips pointer types; nil stays nil.
func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
