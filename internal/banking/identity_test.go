package banking_test

import (
	"testing"

	"github.com/ingot-dev/ingot/internal/banking"
)

func TestSameIdentity(t *testing.T) {
	base := banking.User{FirstName: "Ada", LastName: "Lovelace", DateOfBirth: "1990-01-02", SSNSealed: []byte{1, 2, 3}}
	for _, c := range []struct {
		name   string
		change func(u *banking.User)
		want   bool
	}{
		{"unchanged", func(*banking.User) {}, true},
		{"status and address do not matter", func(u *banking.User) { u.Status, u.City = banking.StatusBlocked, "Paris" }, true},
		{"SSN resealed (changed)", func(u *banking.User) { u.SSNSealed = []byte{9} }, false},
		{"first name", func(u *banking.User) { u.FirstName = "Augusta" }, false},
		{"last name", func(u *banking.User) { u.LastName = "King" }, false},
		{"date of birth", func(u *banking.User) { u.DateOfBirth = "1990-01-03" }, false},
	} {
		other := base
		c.change(&other)
		if got := base.SameIdentity(&other); got != c.want {
			t.Errorf("%s: SameIdentity = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCreatedChangesRecordsEveryField(t *testing.T) {
	in := validInput()
	in.TermsAccepted = true
	in.MetaData = []banking.MetaData{{Name: "ref", Value: "42"}}
	u, _, err := banking.NewUser("prog-x", in, now)
	if err != nil {
		t.Fatal(err)
	}
	ch := banking.CreatedChanges(&u)
	if got := ch["terms_accepted"]; got.To != "true" {
		t.Errorf("terms_accepted change = %+v, want to \"true\"", got)
	}
	if got, ok := ch["meta_data"].To.([]banking.MetaData); !ok || len(got) != 1 || got[0].Value != "42" {
		t.Errorf("meta_data change = %+v, want the one pair", ch["meta_data"])
	}
}
