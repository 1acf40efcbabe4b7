package httpapi

import (
	"testing"

	"github.com/ingot-dev/ingot/apitype"
)

// BenchmarkDecodeCreate measures the strict decoder on a typical create body:
// it runs on every API call.
func BenchmarkDecodeCreate(b *testing.B) {
	body := []byte(`{"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","phone_number":"+14155550123",` +
		`"address_one":"1 Main St","city":"San Francisco","state":"CA","postal_code":"94105","country":"US",` +
		`"ssn":"123-45-6789","date_of_birth":"1990-12-10","meta_data":[{"name":"ref","value":"42"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		var req apitype.CreateUserRequest
		if err := decode(body, &req); err != nil {
			b.Fatal(err)
		}
	}
}
