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
//
// A body that is one valid JSON value (nearly every request) is walked by
// walkStructure, which finds the same first problem without json.Decoder's
// per-token allocations; any other body goes through the token walk,
// checkStructureTokens, whose syntax errors (and offsets) are part of the
// API's answers. structure_test.go checks that both agree.
func checkStructure(body []byte, dst reflect.Type) error {
	if json.Valid(body) {
		w := structureWalker{body: body}
		_, err := w.value(skipSpace(body, 0), dst, 0)
		return err
	}
	return checkStructureTokens(body, dst)
}

// checkStructureTokens is checkStructure on json.Decoder's token stream: it
// reports syntax errors as the decoder does.
func checkStructureTokens(body []byte, dst reflect.Type) error {
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
					return errTooDeep()
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

// structureWalker is checkStructure's walk over a body json.Valid accepted:
// the same checks, in the same order, as checkStructureTokens.
type structureWalker struct {
	body []byte
}

// value checks the value starting at body[i], whose Go type is t (nil when
// unknown), inside depth open containers, and returns the index just past it.
func (w *structureWalker) value(i int, t reflect.Type, depth int) (int, error) {
	b := w.body
	switch b[i] {
	case '{':
		if depth >= maxDepth {
			return 0, errTooDeep()
		}
		t = deref(t)
		var fields map[string]reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = structFields(t)
		}
		i = skipSpace(b, i+1)
		if b[i] == '}' {
			return i + 1, nil
		}
		var keys map[string]struct{}
		for {
			nameEnd := stringEnd(b, i)
			name := unquoteJSON(b[i:nameEnd])
			if _, dup := keys[string(name)]; dup {
				key := string(name)
				return 0, &banking.Error{Code: banking.CodeInvalid, Message: "duplicate field " + key,
					Fields: map[string]string{key: "appears more than once"}}
			}
			var child reflect.Type
			if fields != nil {
				ft, ok := fields[string(name)]
				if !ok {
					return 0, unknownField(string(name))
				}
				child = ft
			}
			i = skipSpace(b, nameEnd)
			i = skipSpace(b, i+1) // past ':'
			end, err := w.value(i, child, depth+1)
			if err != nil {
				return 0, err
			}
			i = skipSpace(b, end)
			if b[i] == '}' {
				return i + 1, nil
			}
			// Another member follows: only now is the key worth keeping.
			if keys == nil {
				keys = make(map[string]struct{}, 8)
			}
			keys[string(name)] = struct{}{}
			i = skipSpace(b, i+1) // past ','
		}
	case '[':
		if depth >= maxDepth {
			return 0, errTooDeep()
		}
		t = deref(t)
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		i = skipSpace(b, i+1)
		if b[i] == ']' {
			return i + 1, nil
		}
		for {
			end, err := w.value(i, elem, depth+1)
			if err != nil {
				return 0, err
			}
			i = skipSpace(b, end)
			if b[i] == ']' {
				return i + 1, nil
			}
			i = skipSpace(b, i+1) // past ','
		}
	}
	return jsonValueEnd(b, i), nil
}

func errTooDeep() error {
	return banking.Errorf(banking.CodeInvalid, "request body nests deeper than %d levels", maxDepth)
}

// deref strips pointer types; nil stays nil.
func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
