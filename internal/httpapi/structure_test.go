package httpapi

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/apitype"
)

// structureTypes are the destinations the structure checks are compared on:
// real requests (nested meta_data, pointers, embedded Common) and shapes the
// API does not use yet (maps, arrays, interfaces, no type at all).
var structureTypes = []reflect.Type{
	reflect.TypeFor[*apitype.CreateUserRequest](),
	reflect.TypeFor[*apitype.UpdateUserRequest](),
	reflect.TypeFor[*apitype.UserRequest](),
	reflect.TypeFor[*struct {
		M map[string]struct {
			A int `json:"a"`
		} `json:"m"`
		L [2]struct {
			B string `json:"b"`
		} `json:"l"`
		X any      `json:"x"`
		P **string `json:"p"`
	}](),
	nil,
}

// structureBodies seed the comparison and the fuzz corpus.
var structureBodies = []string{
	``, ` `, `{}`, `[]`, `null`, `5`, `"x"`, `{`, `{} {}`, `{}{}`, `{} x`, `[1,2]`, `{"a":1}`,
	`{"first_name":"Ada","last_name":"Lovelace"}`, `{"first_name":"Ada","first_name":"Bob"}`,
	`{"First_Name":"Ada"}`, `{"first\u005fname":"Ada","first_name":"x"}`, `{"unknown":1,"first_name":"a","first_name":"b"}`,
	`{"first_name":"a","first_name":"b","unknown":1}`, `{"meta_data":[{"name":"a","value":"b"},{"name":"c","name":"d"}]}`,
	`{"meta_data":[{"name":"a","Value":"b"}]}`, `{"meta_data":{"name":"a"}}`, `{"meta_data":[1,"x",null,[{"q":1}]]}`,
	`{"meta_data":null,"meta_data":[]}`, `{"api_key":"k","api_key":"k"}`, `{"user_id":"u","idempotent_key":"i"}`,
	`{"m":{"k":{"a":1,"a":2}}}`, `{"m":{"k":{"z":1}}}`, `{"m":{"k":1,"k":2}}`, `{"l":[{"b":"x"},{"c":1},{"b":1}]}`,
	`{"l":[{"b":"x","b":"y"}]}`, `{"x":{"any":{"a":1,"a":1}}}`, `{"p":"s","P":"t"}`, `{"p":{"q":1}}`,
	`{"first_name":"\ud800","last_name":"caf` + "\xc3\xa9" + `"}`, "{\"first_name\xff\":1}", "{\"a\xff\":1,\"a\xfe\":2}",
	`{"a":[` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `]}`,
	`{"meta_data":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`,
	`{"meta_data":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`,
	strings.Repeat(`{"a":`, 33) + `1` + strings.Repeat("}", 33),
	`{"x":` + strings.Repeat(`{"a":`, 31) + `1` + strings.Repeat("}", 31) + `,"x":1}`,
	`{"first_name":"a",}`, `{"first_name":"a","first_name":}`, `{"first_name":"a" "last_name":"b"}`,
	`{"page":1e400,"page":1}`, `{"a":1}` + "\n", " \t\r\n{\"user_id\" : \"u\" , \"reason\":\"r\"}\n",
}

func TestCheckStructureWalkMatchesTokens(t *testing.T) {
	for _, body := range structureBodies {
		for _, dst := range structureTypes {
			got, want := checkStructure([]byte(body), dst), checkStructureTokens([]byte(body), dst)
			if !reflect.DeepEqual(got, want) {
				short := body
				if len(short) > 80 {
					short = short[:80] + "..."
				}
				t.Errorf("checkStructure(%q, %v) = %v, want %v", short, dst, got, want)
			}
		}
	}
}

// FuzzCheckStructure compares the walk with the token walk on arbitrary
// bodies, for every destination type.
func FuzzCheckStructure(f *testing.F) {
	for _, body := range structureBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dst := range structureTypes {
			got, want := checkStructure(body, dst), checkStructureTokens(body, dst)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("checkStructure(%q, %v) = %v, want %v", body, dst, got, want)
			}
		}
	})
}
