package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ingot-dev/ingot/internal/banking"
)

// checkContentType requires a JSON body (spec section 1).
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "application/json" {
		// What every client sends: skip the parser and its map.
		return checkContentEncoding(r)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return banking.Errorf(banking.CodeUnsupportedMedia, "Content-Type must be application/json")
	}
	return checkContentEncoding(r)
}

// checkContentEncoding refuses a body sent with a content coding (gzip,
// deflate, ...): ingot reads bodies as sent and signs their exact bytes, so
// a coded body is a media type it does not support (RFC 9110 section
// 15.5.16), not a malformed one. "identity" is no coding.
func checkContentEncoding(r *http.Request) error {
	for _, v := range r.Header.Values("Content-Encoding") {
		for _, coding := range strings.Split(v, ",") {
			coding = strings.TrimSpace(coding)
			if coding != "" && !strings.EqualFold(coding, "identity") {
				return banking.Errorf(banking.CodeUnsupportedMedia,
					"Content-Encoding %q is not supported: send the JSON body uncoded", coding)
			}
		}
	}
	return nil
}

// readBody reads at most limit bytes; a larger body is refused without being
// read further.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	// Built only when needed: formatting it on every request cost a
	// Sprintf and three allocations.
	tooLarge := func() error {
		return banking.Errorf(banking.CodeTooLarge, "request body is larger than %d bytes", limit)
	}
	if r.ContentLength > limit {
		// Without this the server would read up to 256 KiB of the unwanted
		// body before sending the answer.
		w.Header().Set("Connection", "close")
		return nil, tooLarge()
	}
	// MaxBytesReader must see the server's own writer to make it answer at
	// once and close the connection instead of draining the rest of the body
	// first; through a wrapper it silently cannot.
	body, err := io.ReadAll(http.MaxBytesReader(serverWriter(w), r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge()
	}
	if err != nil {
		return nil, banking.Errorf(banking.CodeInvalid, "cannot read request body")
	}
	return body, nil
}

// serverWriter returns the writer net/http gave the handler, under any
// wrappers that implement Unwrap.
func serverWriter(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// strict are the options of every request decode. The library's defaults
// (encoding/json/v2's) already refuse what encoding/json silently accepted: a
// name repeated in one object (encoding/json kept the last, so one signed
// body could say two things to two parsers), invalid UTF-8 and lone surrogate
// escapes (both became U+FFFD, stored as if the client had sent it), and a
// name that matches a field only case-insensitively ("First_Name" filled
// first_name; names must match exactly, spec section 1). Unknown names are
// refused too, so a client's typo fails loudly instead of being ignored.
var strict = jsonv2.JoinOptions(jsonv2.RejectUnknownMembers(true), jsonv2.WithUnmarshalers(stringValues))

// stringValues decodes an object of string values (a movement's metadata,
// money.md section 4: "string values") refusing null as a value: the default
// stores it as "", a value the client never sent, where a number or an
// object is refused. The object itself may be null, as any optional field
// (absent); anything but an object is left to the default, which refuses it.
var stringValues = jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, m *map[string]string) error {
	if dec.PeekKind() != '{' {
		return errors.ErrUnsupported
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	out := map[string]string{}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		name := tok.String() // before the next read voids tok
		if k := dec.PeekKind(); k != '"' {
			// A malformed value is a syntax error (SkipValue's), not a
			// wrong type; a well-formed one is named by its path
			// ("metadata.a"), taken before the skip moves past it, as the
			// default names a number.
			at := dec.StackPointer()
			if err := dec.SkipValue(); err != nil {
				return err
			}
			return &jsonv2.SemanticError{JSONKind: k, JSONPointer: at, GoType: reflect.TypeFor[string]()}
		}
		if tok, err = dec.ReadToken(); err != nil {
			return err
		}
		out[name] = tok.String()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*m = out
	return nil
})

// decode parses body into dst strictly: one JSON object, well-formed UTF-8,
// no lone surrogate escape, no repeated or unknown name, right types. The
// answer is a 400 invalid about the first problem in the body, naming the
// field when one is at fault. Nesting needs no limit of its own: no request
// field takes arbitrary JSON (update's email takes any value, and is then
// refused), so a deep body is a wrong type at its first level.
func decode(body []byte, dst any) error {
	// Unmarshal would turn null into a zero request: refuse anything but an
	// object before it runs. The checks of the whole body below run only
	// once Unmarshal failed, costing a valid body nothing.
	if i := skipSpace(body, 0); i == len(body) || body[i] != '{' {
		if !utf8.Valid(body) {
			return errNotUTF8()
		}
		return banking.Errorf(banking.CodeInvalid, "request body must be a JSON object")
	}
	err := jsonv2.Unmarshal(body, dst, strict)
	if err == nil {
		return nil
	}
	// Invalid UTF-8 is a problem of the whole body, whichever field holds it.
	if !utf8.Valid(body) {
		return errNotUTF8()
	}
	// A body cut short (the other half of a surrogate pair might have
	// followed) and a repeated name are decodeError's to name.
	var se *jsontext.SyntacticError
	if errors.As(err, &se) && se.Err != jsontext.ErrDuplicateName && !errors.Is(err, io.ErrUnexpectedEOF) {
		if oneValue(body) {
			// The object itself is well-formed: what failed follows it.
			return banking.Errorf(banking.CodeInvalid, "request body must hold exactly one JSON object")
		}
		if off := int(se.ByteOffset); isSurrogateEscape(body, off) {
			return loneSurrogate(body, off, se.JSONPointer)
		}
	}
	return decodeError(err)
}

func errNotUTF8() error {
	return banking.Errorf(banking.CodeInvalid, "request body is not valid UTF-8")
}

// oneValue reports whether body starts with one well-formed JSON value,
// repeated names allowed (decode reports those itself).
func oneValue(body []byte) bool {
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true))
	_, err := dec.ReadValue()
	return err == nil
}

// decodeError turns an error of the strict Unmarshal into the 400 a client
// gets. A repeated or unknown name is named as sent ("type", whatever object
// holds it); a wrong type by its path, as validation names fields
// ("meta_data[0].name"). Any other error (idemKeyAndHash passes those of
// encoding/json, which cannot fail on a body decode accepted) is malformed
// JSON.
func decodeError(err error) error {
	var se *jsontext.SyntacticError
	var te *jsonv2.SemanticError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return banking.Errorf(banking.CodeInvalid, "malformed JSON: unexpected end of body")
	case errors.As(err, &se) && se.Err == jsontext.ErrDuplicateName:
		name := se.JSONPointer.LastToken()
		return &banking.Error{Code: banking.CodeInvalid, Message: "duplicate field " + name,
			Fields: map[string]string{name: "appears more than once"}}
	case errors.As(err, &se):
		return banking.Errorf(banking.CodeInvalid, "malformed JSON at byte %d", se.ByteOffset)
	case errors.As(err, &te) && te.Err == jsonv2.ErrUnknownName:
		name := te.JSONPointer.LastToken()
		if want := suggestField(te.GoType, name); want != "" {
			return &banking.Error{Code: banking.CodeInvalid, Message: "unknown field " + name,
				Fields: map[string]string{name: "unknown field; did you mean " + want + "?"}}
		}
		return unknownField(name)
	case errors.As(err, &te) && te.GoType != nil:
		name, kind := fieldName(te.JSONPointer), jsonKind(te.GoType)
		if kind == "a string" && name == "amount" { // every amount field is named so (apitype)
			// 1000 for "1000.00": say the whole form, not only "a string".
			return banking.Invalid(name, banking.AmountForm)
		}
		return banking.Invalid(name, "must be "+kind)
	}
	return banking.Errorf(banking.CodeInvalid, "malformed JSON")
}

func unknownField(name string) error {
	return &banking.Error{Code: banking.CodeInvalid, Message: "unknown field " + name,
		Fields: map[string]string{name: "unknown field"}}
}

// fieldName names the value at p as validation names fields: "city",
// "meta_data[1].value", or "body" for the whole body. A token of digits is
// taken for an array index: a pointer does not tell, and the only object
// whose names the client chooses is a movement's metadata, where a key of
// digits is then named "metadata[0]" (still the field at fault).
func fieldName(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		switch {
		case isIndex(tok):
			b.WriteString("[" + tok + "]")
		case b.Len() > 0:
			b.WriteString("." + tok)
		default:
			b.WriteString(tok)
		}
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

func isIndex(tok string) bool {
	if tok == "" {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return false
		}
	}
	return true
}

// isSurrogateEscape reports whether body holds a \u escape of half a UTF-16
// surrogate pair at off, where json.Unmarshal stopped: the escape encodes no
// character on its own (RFC 8259 section 8.2), so json refuses it unless its
// other half follows.
func isSurrogateEscape(body []byte, off int) bool {
	if off < 0 || off+6 > len(body) || body[off] != '\\' || body[off+1] != 'u' {
		return false
	}
	n, err := strconv.ParseUint(string(body[off+2:off+6]), 16, 16)
	return err == nil && utf16.IsSurrogate(rune(n))
}

// loneSurrogate is the 400 for the lone surrogate escape at off, in the
// string of the value or member name at p. In a value it is refused like
// invalid UTF-8, but naming the field. A member name holding one matches no
// field (request fields are ASCII), so it is an unknown field, named as
// encoding/json would decode it, with U+FFFD for the escape.
func loneSurrogate(body []byte, off int, p jsontext.Pointer) error {
	start, end := stringAround(body, off)
	if i := skipSpace(body, end); i < len(body) && body[i] == ':' {
		name, _ := jsontext.AppendUnquote(nil, body[start:end])
		return unknownField(string(name))
	}
	return banking.Invalid(fieldName(p), "must be valid Unicode text")
}

// stringAround returns the bounds of the string literal (quotes included)
// holding body[off]. Every byte before off is valid JSON: the opening quote
// is the first one before off preceded by an even number of backslashes.
// The literal may be cut short by the end of the body.
func stringAround(body []byte, off int) (start, end int) {
	for start = off - 1; start > 0; start-- {
		if body[start] != '"' {
			continue
		}
		n := 0
		for start-1-n >= 0 && body[start-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			break
		}
	}
	for end = off; end < len(body); end++ {
		switch body[end] {
		case '\\':
			end++
		case '"':
			return start, end + 1
		}
	}
	return start, len(body)
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if k, ok := reflect.Zero(t).Interface().(interface{ JSONKind() string }); ok {
		return k.JSONKind()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "of another type"
}

// writeJSON writes v with status. Encoding our own types cannot fail.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"status":"error","message":"internal error","error":{"code":"internal"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
