package httpapi

import (
	"errors"
	"testing"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
)

// TestUnknownFieldSuggestion: an unknown member spelled in another
// convention, or with a typo, is answered with the field it meant; the
// message keeps its usual text.
func TestUnknownFieldSuggestion(t *testing.T) {
	create := func() any { return new(apitype.CreateUserRequest) }
	list := func() any { return new(apitype.ListUsersRequest) }
	update := func() any { return new(updateUserBody) }
	business := func() any { return new(apitype.CreateBusinessRequest) }
	for _, tc := range []struct {
		dst        func() any
		name, want string // want "" means no suggestion
	}{
		{create, "firstName", "first_name"},
		{create, "FirstName", "first_name"},
		{create, "first-name", "first_name"},
		{create, "frist_name", "first_name"},
		{create, "postalCode", "postal_code"},
		{create, "dateOfBirth", "date_of_birth"},
		{create, "emial", "email"},
		{create, "idempotentKey", "idempotent_key"},
		{list, "perPage", "per_page"},
		{list, "kycStatus", "kyc_status"},
		{update, "userId", "user_id"},
		// The answer's names and short forms (a review finding).
		{create, "phone", "phone_number"},
		{create, "zip", "postal_code"},
		{business, "postal_code", "zipcode"},
		{business, "address_one", "business_address"},
		{business, "address_two", "business_address_2"},
		{business, "zip", "zipcode"},
		{business, "phone", "phone_number"},
		{create, "nickname", ""},
		{create, "zzz", ""},
		{list, "limit", ""},
		{list, "PER_PAGE", ""}, // a case variant keeps the plain answer
		{list, "x", ""},
	} {
		body := `{"` + tc.name + `":"x"}`
		err := decode([]byte(body), tc.dst())
		var be *banking.Error
		if !errors.As(err, &be) || be.Message != "unknown field "+tc.name {
			t.Errorf("decode(%s) = %v, want unknown field %s", body, err, tc.name)
			continue
		}
		want := "unknown field"
		if tc.want != "" {
			want = "unknown field; did you mean " + tc.want + "?"
		}
		if got := be.Fields[tc.name]; got != want {
			t.Errorf("decode(%s) fields[%s] = %q, want %q", body, tc.name, got, want)
		}
	}
}
