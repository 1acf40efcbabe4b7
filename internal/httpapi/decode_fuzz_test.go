package httpapi

import (
	"errors"
	"testing"

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
