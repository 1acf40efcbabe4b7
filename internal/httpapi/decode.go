package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ingot-dev/ingot/internal/banking"
)

// checkContentType requires a JSON body (spec section 1).
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "application/json" {
		// What every client sends: skip the parser and its map.
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return banking.Errorf(banking.CodeUnsupportedMedia, "Content-Type must be application/json")
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

// decode parses body into dst strictly: one JSON object, well-formed UTF-8,
// no unknown fields, right types. Errors name the field so a client's typo
// fails loudly.
func decode(body []byte, dst any) error {
	if !utf8.Valid(body) {
		return banking.Errorf(banking.CodeInvalid, "request body is not valid UTF-8")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return banking.Errorf(banking.CodeInvalid, "request body must be a JSON object")
	}
	if err := checkStructure(body, reflect.TypeOf(dst)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return banking.Errorf(banking.CodeInvalid, "request body must hold exactly one JSON object")
	}
	return nil
}

func unknownField(name string) error {
	return &banking.Error{Code: banking.CodeInvalid, Message: "unknown field " + name,
		Fields: map[string]string{name: "unknown field"}}
}

// fieldCache maps a struct type to its JSON field names and types, built
// once per type instead of on every request.
var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// structFields returns the JSON names of struct type t's fields.
func structFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	f := map[string]reflect.Type{}
	jsonFields(t, f)
	fieldCache.Store(t, f)
	return f
}

// jsonFields collects the JSON names of t's fields, flattening embedded
// structs as encoding/json does.
func jsonFields(t reflect.Type, into map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			jsonFields(f.Type, into)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = f.Type
	}
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return banking.Invalid(field, "must be "+jsonKind(te.Type))
	case errors.As(err, &se):
		return banking.Errorf(banking.CodeInvalid, "malformed JSON at byte %d", se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return banking.Errorf(banking.CodeInvalid, "malformed JSON: unexpected end of body")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return unknownField(strings.Trim(name, `"`))
	}
	return banking.Errorf(banking.CodeInvalid, "malformed JSON")
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
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
