package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
)

// FuzzDecode feeds arbitrary bytes to the request decoder. It must never
// panic, and every refusal must be a client error (invalid), never an
// internal one: hostile input is the client's problem, not a 500. The seed
// corpus runs in every "go test"; "make fuzz" runs it longer.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"first_name":"Ada","meta_data":[{"name":"a","value":"b"}]}`,
		`{"first_name":5}`, `{"a":1,"a":2}`, `{"meta_data":[{"name":"x","name":"y"}]}`,
		`[[[[[[[[[[]]]]]]]]]]`, `{"x":` + `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]` + `}`,
		`{"first_name":"\u0000"}`, "{\"first_name\":\"\xff\"}", `{"FIRST_NAME":"a"}`, `{} {}`, `nul`, ``,
		`{"page":1e400}`, `{"terms_accepted":"yes"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req apitype.CreateUserRequest
		err := decode(body, &req)
		if err == nil {
			return
		}
		var be *banking.Error
		if !errors.As(err, &be) || be.Code != banking.CodeInvalid {
			t.Fatalf("decode(%q) = %v (%T), want an invalid *banking.Error", body, err, err)
		}
	})
}

// requestTypes are the destinations decode serves: every request body, with
// nested meta_data, pointers, the embedded Common and update's email mark.
var requestTypes = []reflect.Type{
	reflect.TypeFor[apitype.CreateUserRequest](),
	reflect.TypeFor[updateUserBody](),
	reflect.TypeFor[apitype.ListUsersRequest](),
	reflect.TypeFor[apitype.UserRequest](),
	reflect.TypeFor[apitype.BlockUserRequest](),
	reflect.TypeFor[apitype.UserEventsRequest](),
	reflect.TypeFor[apitype.TopUpRequest](), // metadata: an object of strings (stringValues)
}

// decodeSeeds are bodies at the edges of the strict rules.
var decodeSeeds = []string{
	``, ` `, `{}`, `[]`, `null`, `5`, `"x"`, `{`, `{} {}`, `{}{}`, `{} x`, `{"a":1}`,
	`{"first_name":"Ada","last_name":"Lovelace"}`, `{"first_name":"Ada","first_name":"Bob"}`,
	`{"First_Name":"Ada"}`, `{"first\u005fname":"Ada","first_name":"x"}`, `{"unknown":1,"first_name":"a","first_name":"b"}`,
	`{"meta_data":[{"name":"a","value":"b"},{"name":"c","name":"d"}]}`, `{"meta_data":[{"name":"a","Value":"b"}]}`,
	`{"meta_data":{"name":"a"}}`, `{"meta_data":[1,"x",null,[{"q":1}]]}`, `{"meta_data":null,"meta_data":[]}`,
	`{"meta_data":[null,{}]}`, `{"api_key":"k","api_key":"k"}`, `{"user_id":"u","idempotent_key":"i","api_key":"k"}`,
	`{"first_name":"\ud800","last_name":"caf` + "\xc3\xa9" + `"}`, "{\"first_name\xff\":1}", `{"\ud800":1}`,
	`{"email":null}`, `{"email":{"a":[1,{"b":null}]}}`, `{"email":"x","city":null,"meta_data":[]}`,
	`{"meta_data":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
	`{"first_name":"a",}`, `{"first_name":"a" "last_name":"b"}`, `{"first_name":null,"terms_accepted":false}`,
	`{"page":1e400,"page":1}`, `{"page":1,"per_page":-0}`, `{"page":1.0}`, `{"page":1e2}`, `{"page":-1}`,
	`{"page":9223372036854775807}`, `{"page":9223372036854775808}`, `{"reason":"\ud83d\ude00\\ud800"}`,
	`{"a":1}` + "\n", " \t\r\n{\"user_id\" : \"u\" , \"reason\":\"r\"}\n",
	`{"metadata":{"a":"x","b":""}}`, `{"metadata":{"a":null}}`, `{"metadata":{"a":}}`, `{"metadata":{"a":nul}}`,
	`{"metadata":{"a"}}`, `{"metadata":null}`, `{"metadata":{}}`, `{"metadata":{"a":"x","a":"y"}}`,
	`{"metadata":{"a":{"b":"c"}}}`, `{"metadata":[]}`, `{"metadata":{"0":1}}`,
}

// FuzzDecodeMatchesEncodingJSON: a body decode accepts is one strict JSON
// object (valid UTF-8, no lone surrogate, no repeated name at any depth) and
// means exactly what it meant to encoding/json, which decoded requests before:
// the same request, field for field.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	for _, body := range decodeSeeds {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, typ := range requestTypes {
			got := reflect.New(typ)
			if err := decode(body, got.Interface()); err != nil {
				continue
			}
			if !jsontext.Value(body).IsValid() {
				t.Fatalf("decode(%q) into %v accepted a body that is not strict JSON", body, typ)
			}
			want := reflect.New(typ)
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(want.Interface()); err != nil {
				t.Fatalf("decode(%q) into %v accepted what encoding/json refuses: %v", body, typ, err)
			}
			if _, err := dec.Token(); err != io.EOF {
				t.Fatalf("decode(%q) into %v accepted trailing data", body, typ)
			}
			if !reflect.DeepEqual(got.Interface(), want.Interface()) {
				t.Fatalf("decode(%q) into %v = %+v, encoding/json read %+v", body, typ, got.Elem(), want.Elem())
			}
		}
	})
}
