package httpapi

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
)

// TestDecodeAnswers pins the 400 each kind of bad body gets: the message,
// and the field named (nil: none). The field is the member's own name for a
// repeated or unknown member, and its path, as validation names fields, for
// a wrong type or a lone surrogate escape.
func TestDecodeAnswers(t *testing.T) {
	create := func() any { return new(apitype.CreateUserRequest) }
	update := func() any { return new(updateUserBody) }
	list := func() any { return new(apitype.ListUsersRequest) }
	topUp := func() any { return new(apitype.TopUpRequest) }
	const failed = "validation failed"
	for _, tc := range []struct {
		name   string
		dst    func() any
		body   string
		msg    string
		fields map[string]string
	}{
		{"empty", list, ``, "request body must be a JSON object", nil},
		{"white space", list, " \n", "request body must be a JSON object", nil},
		{"null", list, `null`, "request body must be a JSON object", nil},
		{"array", list, `[{}]`, "request body must be a JSON object", nil},
		{"string", list, `"{}"`, "request body must be a JSON object", nil},
		{"byte order mark", list, "\ufeff{}", "request body must be a JSON object", nil},
		{"invalid UTF-8 in a value", list, "{\"search\":\"\xff\"}", "request body is not valid UTF-8", nil},
		{"invalid UTF-8 in a name", list, "{\"search\xff\":1}", "request body is not valid UTF-8", nil},
		{"invalid UTF-8 and not an object", list, "\xff", "request body is not valid UTF-8", nil},
		{"invalid UTF-8 after a repeated name", list, "{\"page\":1,\"page\":2,\"x\":\"\xff\"}", "request body is not valid UTF-8", nil},
		{"cut short", create, `{"first_name":`, "malformed JSON: unexpected end of body", nil},
		{"cut short in a string", create, `{"first_name":"Ad`, "malformed JSON: unexpected end of body", nil},
		{"cut short after half a pair", create, `{"first_name":"\ud83d`, "malformed JSON: unexpected end of body", nil},
		{"cut short inside a pair", create, `{"first_name":"\ud83d\u`, "malformed JSON: unexpected end of body", nil},
		{"cut short after a pair", create, `{"first_name":"\ud83d\ude00`, "malformed JSON: unexpected end of body", nil},
		{"missing colon", list, `{"page" 1}`, "malformed JSON at byte 8", nil},
		{"trailing comma", create, `{"first_name":"a",}`, "malformed JSON at byte 17", nil},
		{"raw control character", create, "{\"first_name\":\"a\x01\"}", "malformed JSON at byte 16", nil},
		{"two objects", list, `{} {}`, "request body must hold exactly one JSON object", nil},
		{"trailing garbage", list, `{}x`, "request body must hold exactly one JSON object", nil},
		{"trailing NUL", list, "{}\x00", "request body must hold exactly one JSON object", nil},
		{"repeated name", create, `{"email":"a@example.com","email":"b@example.com"}`,
			"duplicate field email", map[string]string{"email": "appears more than once"}},
		{"repeated name, one escaped", create, `{"first\u005fname":"a","first_name":"b"}`,
			"duplicate field first_name", map[string]string{"first_name": "appears more than once"}},
		{"repeated name in meta_data", create, `{"meta_data":[{"name":"a","value":"1","name":"b"}]}`,
			"duplicate field name", map[string]string{"name": "appears more than once"}},
		{"repeated api_key", list, `{"api_key":"k","api_key":"k"}`,
			"duplicate field api_key", map[string]string{"api_key": "appears more than once"}},
		{"repeated email on update", update, `{"email":null,"email":null}`,
			"duplicate field email", map[string]string{"email": "appears more than once"}},
		{"unknown", create, `{"nickname":"ada"}`, "unknown field nickname", map[string]string{"nickname": "unknown field"}},
		{"unknown before bad syntax", list, `{"limit":[}`, "unknown field limit", map[string]string{"limit": "unknown field"}},
		{"unknown, repeated", list, `{"x":1,"x":2}`, "unknown field x", map[string]string{"x": "unknown field"}},
		{"another case", list, `{"PER_PAGE":2}`, "unknown field PER_PAGE", map[string]string{"PER_PAGE": "unknown field"}},
		{"api_key in another case", list, `{"Api_Key":"k"}`, "unknown field Api_Key", map[string]string{"Api_Key": "unknown field"}},
		{"unknown in meta_data", create, `{"meta_data":[{"name":"a","type":"x"}]}`,
			"unknown field type", map[string]string{"type": "unknown field"}},
		{"another case in meta_data", update, `{"meta_data":[{"Name":"a"}]}`,
			"unknown field Name", map[string]string{"Name": "unknown field"}},
		{"unknown with JSON Pointer escapes", list, `{"a~b/c":1}`, "unknown field a~b/c", map[string]string{"a~b/c": "unknown field"}},
		{"unknown with a lone surrogate", list, `{"\ud800x":1}`, "unknown field \uFFFDx", map[string]string{"\uFFFDx": "unknown field"}},
		{"number for a string", create, `{"first_name":5}`, failed, map[string]string{"first_name": "must be a string"}},
		{"object for a string", create, `{"email":{}}`, failed, map[string]string{"email": "must be a string"}},
		{"string for a boolean", create, `{"terms_accepted":"yes"}`, failed, map[string]string{"terms_accepted": "must be a boolean"}},
		{"object for an array", create, `{"meta_data":{}}`, failed, map[string]string{"meta_data": "must be an array"}},
		{"number in meta_data", create, `{"meta_data":[1]}`, failed, map[string]string{"meta_data[0]": "must be an object"}},
		{"number for a name in meta_data", update, `{"meta_data":[{"name":"a"},{"value":true}]}`,
			failed, map[string]string{"meta_data[1].value": "must be a string"}},
		{"null in metadata", topUp, `{"metadata":{"a":null,"b":"x"}}`, failed, map[string]string{"metadata.a": "must be a string"}},
		{"object in metadata", topUp, `{"metadata":{"b":"x","a":{"c":"d"}}}`, failed, map[string]string{"metadata.a": "must be a string"}},
		{"malformed in metadata", topUp, `{"metadata":{"a":}}`, "malformed JSON at byte 17", nil},
		{"cut short in metadata", topUp, `{"metadata":{"a":nul}}`, "malformed JSON at byte 20", nil},
		{"repeated name in metadata", topUp, `{"metadata":{"a":"x","a":"y"}}`, "duplicate field a", map[string]string{"a": "appears more than once"}},
		{"number for amount", topUp, `{"amount":5}`, failed, map[string]string{"amount": banking.AmountForm}},
		{"number for a metadata amount", topUp, `{"metadata":{"amount":5}}`, failed, map[string]string{"metadata.amount": "must be a string"}},
		{"number for api_key", list, `{"api_key":5}`, failed, map[string]string{"api_key": "must be a string"}},
		{"object for idempotent_key", update, `{"idempotent_key":{}}`, failed, map[string]string{"idempotent_key": "must be a string"}},
		{"string for page", list, `{"page":"1"}`, failed, map[string]string{"page": "must be an integer"}},
		{"fraction for page", list, `{"page":1.5}`, failed, map[string]string{"page": "must be an integer"}},
		{"page out of range", list, `{"page":1e30}`, failed, map[string]string{"page": "must be an integer"}},
		{"page beyond int64", list, `{"page":99999999999999999999}`, failed, map[string]string{"page": "must be an integer"}},
		{"deep nesting", create, `{"meta_data":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
			failed, map[string]string{"meta_data[0]": "must be an object"}},
		{"lone surrogate", create, `{"middle_name":"\ud800"}`, failed, map[string]string{"middle_name": "must be valid Unicode text"}},
		{"high half before a bad escape", create, `{"middle_name":"\ud800\u12"}`, failed, map[string]string{"middle_name": "must be valid Unicode text"}},
		{"lone surrogate, then trailing data", create, `{"middle_name":"\udc00"} x`, failed, map[string]string{"middle_name": "must be valid Unicode text"}},
		{"lone surrogate in meta_data", update, `{"meta_data":[{"name":"a","value":"b"},{"name":"c","value":"x\udc00"}]}`,
			failed, map[string]string{"meta_data[1].value": "must be valid Unicode text"}},
		{"the first problem is the answer", create, `{"first_name":"\ud800","nickname":1}`,
			failed, map[string]string{"first_name": "must be valid Unicode text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := decode([]byte(tc.body), tc.dst())
			var be *banking.Error
			if !errors.As(err, &be) {
				t.Fatalf("decode(%q) = %v, want a *banking.Error", tc.body, err)
			}
			if be.Code != banking.CodeInvalid || be.Message != tc.msg || !reflect.DeepEqual(be.Fields, tc.fields) {
				t.Errorf("decode(%q) = %s %q %v, want invalid %q %v", tc.body, be.Code, be.Message, be.Fields, tc.msg, tc.fields)
			}
		})
	}
}

// TestDecodeAccepts: what the strict rules leave alone.
func TestDecodeAccepts(t *testing.T) {
	t.Run("common fields on every request", func(t *testing.T) {
		for _, dst := range []any{new(apitype.CreateUserRequest), new(updateUserBody), new(apitype.ListUsersRequest),
			new(apitype.UserRequest), new(apitype.BlockUserRequest), new(apitype.UserEventsRequest)} {
			if err := decode([]byte(`{"api_key":"ak_1","idempotent_key":"k-1"}`), dst); err != nil {
				t.Errorf("decode into %T: %v", dst, err)
				continue
			}
			c := reflect.ValueOf(dst).Elem().FieldByName("Common").Interface().(apitype.Common)
			if c.APIKey != "ak_1" || c.IdempotentKey != "k-1" {
				t.Errorf("decode into %T: Common = %+v", dst, c)
			}
		}
	})
	t.Run("create", func(t *testing.T) {
		var got apitype.CreateUserRequest
		body := " \t\r\n{\"first_name\" : \"Ada\", \"middle_name\":null, \"terms_accepted\":true," +
			`"meta_data":[{"name":"crm","value":"\ud83d\ude00 \\ud800 \ufffd \u0000"}]}` + "\n\t "
		if err := decode([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		want := apitype.CreateUserRequest{FirstName: "Ada", TermsAccepted: true,
			MetaData: []apitype.MetaData{{Name: "crm", Value: "\U0001F600 \\ud800 \uFFFD \x00"}}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decoded %+v, want %+v", got, want)
		}
	})
	t.Run("metadata absent, null, empty or of strings", func(t *testing.T) {
		for body, want := range map[string]map[string]string{
			`{}`: nil, `{"metadata":null}`: nil, `{"metadata":{}}`: {},
			`{"metadata":{"a":"x","b":""}}`: {"a": "x", "b": ""},
		} {
			var got apitype.TopUpRequest
			if err := decode([]byte(body), &got); err != nil || !reflect.DeepEqual(got.Metadata, want) {
				t.Errorf("decode(%s): metadata %#v, %v; want %#v", body, got.Metadata, err, want)
			}
		}
	})
	t.Run("email on update, whatever its value", func(t *testing.T) {
		for _, v := range []string{`null`, `""`, `"a@example.com"`, `5`, `{"a":[1]}`} {
			var got updateUserBody
			if err := decode([]byte(`{"user_id":"u","email":`+v+`}`), &got); err != nil || !got.Email || got.UpdateUserRequest.Email != nil {
				t.Errorf("email %s: err %v, present %v, inner %v; want nil, true, nil", v, err, got.Email, got.UpdateUserRequest.Email)
			}
		}
		var got updateUserBody
		if err := decode([]byte(`{"user_id":"u","meta_data":[]}`), &got); err != nil || got.Email ||
			got.MetaData == nil || len(*got.MetaData) != 0 {
			t.Errorf("no email: err %v, present %v, meta_data %v; want nil, false, empty", err, got.Email, got.MetaData)
		}
	})
}
