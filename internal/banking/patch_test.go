package banking_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/banking"
)

const currentSSN = "123456789"

// patchable returns a user with every field set, an SSN on file, and the
// given kyc_status, as ApplyPatch receives it from the service.
func patchable(t *testing.T, k banking.KYCStatus) banking.User {
	t.Helper()
	in := validInput()
	in.MiddleName = "Augusta"
	in.AddressTwo = "Apt 2"
	in.DateOfBirth = "1985-12-10"
	in.SSN = "123-45-6789"
	in.Username = "ada"
	in.MetaData = []banking.MetaData{{Name: "tier", Value: "gold"}}
	u, ssn := mustNewUser(t, in)
	if ssn != currentSSN {
		t.Fatalf("NewUser ssn = %q, want %q", ssn, currentSSN)
	}
	u.SSNSealed = []byte("sealed")
	u.KYCStatus = k
	return u
}

func TestApplyPatchEachField(t *testing.T) {
	for _, tc := range []struct {
		field    string
		from, to string
		set      func(*banking.UserPatch, *string)
	}{
		{"first_name", "Ada", "Augusta", func(p *banking.UserPatch, v *string) { p.FirstName = v }},
		{"middle_name", "Augusta", "", func(p *banking.UserPatch, v *string) { p.MiddleName = v }},
		{"last_name", "Lovelace", "King", func(p *banking.UserPatch, v *string) { p.LastName = v }},
		{"phone_number", "+14155550123", "+442071838750", func(p *banking.UserPatch, v *string) { p.PhoneNumber = v }},
		{"date_of_birth", "1985-12-10", "1986-01-01", func(p *banking.UserPatch, v *string) { p.DateOfBirth = v }},
		{"address_one", "1 Main St", "2 Side St", func(p *banking.UserPatch, v *string) { p.AddressOne = v }},
		{"address_two", "Apt 2", "", func(p *banking.UserPatch, v *string) { p.AddressTwo = v }},
		{"city", "San Francisco", "Oakland", func(p *banking.UserPatch, v *string) { p.City = v }},
		{"state", "CA", "NY", func(p *banking.UserPatch, v *string) { p.State = v }},
		{"country", "US", "PR", func(p *banking.UserPatch, v *string) { p.Country = v }},
		{"postal_code", "94105", "10001-0001", func(p *banking.UserPatch, v *string) { p.PostalCode = v }},
		{"username", "ada", "countess", func(p *banking.UserPatch, v *string) { p.Username = v }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			u := patchable(t, banking.KYCNotStarted)
			before := u
			var p banking.UserPatch
			tc.set(&p, ptr("  "+tc.to+" "))
			ch, newSSN, err := banking.ApplyPatch(&u, p, currentSSN, later)
			if err != nil {
				t.Fatalf("ApplyPatch error = %v, want nil", err)
			}
			want := banking.Changes{tc.field: {From: tc.from, To: tc.to}}
			if !reflect.DeepEqual(ch, want) {
				t.Errorf("changes = %v, want %v", ch, want)
			}
			if newSSN != "" {
				t.Errorf("newSSN = %q, want \"\"", newSSN)
			}
			// Exactly one field moved, plus updated_at.
			after := u
			after.UpdatedAt = before.UpdatedAt
			tc.set(&p, &tc.from)
			if _, _, err := banking.ApplyPatch(&after, p, currentSSN, later); err != nil {
				t.Fatalf("reverting ApplyPatch error = %v", err)
			}
			after.UpdatedAt = before.UpdatedAt
			if !reflect.DeepEqual(after, before) {
				t.Errorf("patching %s changed other fields:\n%+v\nwant\n%+v", tc.field, after, before)
			}
			if !u.UpdatedAt.Equal(later) {
				t.Errorf("UpdatedAt = %v, want %v", u.UpdatedAt, later)
			}
		})
	}
}

func TestApplyPatchOmittedFieldsUnchanged(t *testing.T) {
	u := patchable(t, banking.KYCNotStarted)
	before := u
	ch, _, err := banking.ApplyPatch(&u, banking.UserPatch{City: ptr("Oakland")}, currentSSN, later)
	if err != nil {
		t.Fatalf("ApplyPatch error = %v, want nil", err)
	}
	if len(ch) != 1 {
		t.Errorf("changes = %v, want only city", ch)
	}
	want := before
	want.City, want.UpdatedAt = "Oakland", later
	if !reflect.DeepEqual(u, want) {
		t.Errorf("user =\n%+v\nwant\n%+v", u, want)
	}
}

func TestApplyPatchNoOp(t *testing.T) {
	same := banking.UserPatch{
		FirstName: ptr("Ada"), MiddleName: ptr(" Augusta "), LastName: ptr("Lovelace"),
		PhoneNumber: ptr("+14155550123"), DateOfBirth: ptr("1985-12-10"), AddressOne: ptr("1 Main St"),
		AddressTwo: ptr("Apt 2"), City: ptr("San Francisco"), State: ptr("CA"), Country: ptr("US"),
		PostalCode: ptr("94105"), Username: ptr("ada"), SSN: ptr("123-45-6789"),
		MetaData: &[]banking.MetaData{{Name: "tier", Value: "gold"}},
	}
	for name, p := range map[string]banking.UserPatch{"empty": {}, "same values": same} {
		for _, k := range allKYC {
			t.Run(name+"/"+string(k), func(t *testing.T) {
				u := patchable(t, k)
				before := u
				ch, newSSN, err := banking.ApplyPatch(&u, p, currentSSN, later)
				if err != nil {
					t.Fatalf("ApplyPatch error = %v, want nil", err)
				}
				if len(ch) != 0 || newSSN != "" {
					t.Errorf("changes, newSSN = %v, %q, want empty, \"\"", ch, newSSN)
				}
				if !reflect.DeepEqual(u, before) {
					t.Errorf("user changed by a no-op patch (UpdatedAt %v, was %v)", u.UpdatedAt, before.UpdatedAt)
				}
			})
		}
	}
}

func TestApplyPatchValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p      banking.UserPatch
		fields []string
	}{
		{"first_name empty", banking.UserPatch{FirstName: ptr("")}, []string{"first_name"}},
		{"last_name blank", banking.UserPatch{LastName: ptr("   ")}, []string{"last_name"}},
		{"phone empty", banking.UserPatch{PhoneNumber: ptr("")}, []string{"phone_number"}},
		{"address_one empty", banking.UserPatch{AddressOne: ptr("")}, []string{"address_one"}},
		{"city empty", banking.UserPatch{City: ptr("")}, []string{"city"}},
		{"state empty", banking.UserPatch{State: ptr("")}, []string{"state"}},
		{"postal empty", banking.UserPatch{PostalCode: ptr("")}, []string{"postal_code"}},
		{"country empty", banking.UserPatch{Country: ptr("")}, []string{"country"}},
		{"phone format", banking.UserPatch{PhoneNumber: ptr("415-555-0123")}, []string{"phone_number"}},
		{"state format", banking.UserPatch{State: ptr("ca")}, []string{"state"}},
		{"state not US", banking.UserPatch{State: ptr("ZZ")}, []string{"state"}},
		{"country moves state out of US list", banking.UserPatch{Country: ptr("US"), State: ptr("EN")}, []string{"state"}},
		{"country", banking.UserPatch{Country: ptr("XX")}, []string{"country"}},
		{"postal", banking.UserPatch{PostalCode: ptr("1234")}, []string{"postal_code"}},
		{"dob future", banking.UserPatch{DateOfBirth: ptr("2026-05-01")}, []string{"date_of_birth"}},
		{"dob Feb 30", banking.UserPatch{DateOfBirth: ptr("2000-02-30")}, []string{"date_of_birth"}},
		{"ssn short", banking.UserPatch{SSN: ptr("1234")}, []string{"ssn"}},
		{"ssn empty", banking.UserPatch{SSN: ptr("")}, []string{"ssn"}},
		{"name too long", banking.UserPatch{MiddleName: ptr(strings.Repeat("x", 101))}, []string{"middle_name"}},
		{"username too long", banking.UserPatch{Username: ptr(strings.Repeat("x", 65))}, []string{"username"}},
		{"control char", banking.UserPatch{AddressTwo: ptr("a\x00b")}, []string{"address_two"}},
		{"meta name", banking.UserPatch{MetaData: &[]banking.MetaData{{Name: "", Value: "v"}}}, []string{"meta_data[0].name"}},
		{"meta too many", banking.UserPatch{MetaData: ptr(make([]banking.MetaData, 51))}, []string{"meta_data"}},
		{"several", banking.UserPatch{FirstName: ptr(""), PhoneNumber: ptr("x"), SSN: ptr("x")},
			[]string{"first_name", "phone_number", "ssn"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := patchable(t, banking.KYCNotStarted)
			before := u
			ch, newSSN, err := banking.ApplyPatch(&u, tc.p, currentSSN, later)
			wantInvalid(t, err, tc.fields...)
			if ch != nil || newSSN != "" || !reflect.DeepEqual(u, before) {
				t.Errorf("invalid patch: changes %v, newSSN %q, user changed %v; want nil, \"\", false",
					ch, newSSN, !reflect.DeepEqual(u, before))
			}
		})
	}
}

func TestApplyPatchIdentityLock(t *testing.T) {
	identity := []struct {
		field string
		p     banking.UserPatch
	}{
		{"first_name", banking.UserPatch{FirstName: ptr("Augusta")}},
		{"last_name", banking.UserPatch{LastName: ptr("King")}},
		{"date_of_birth", banking.UserPatch{DateOfBirth: ptr("1986-01-01")}},
		{"date_of_birth cleared", banking.UserPatch{DateOfBirth: ptr("")}},
		{"ssn", banking.UserPatch{SSN: ptr("587-65-4321")}},
		{"with another field", banking.UserPatch{City: ptr("Oakland"), LastName: ptr("King")}},
	}
	for _, k := range allKYC {
		locked := k == banking.KYCPending || k == banking.KYCVerified
		for _, tc := range identity {
			t.Run(fmt.Sprintf("%s/%s", k, tc.field), func(t *testing.T) {
				u := patchable(t, k)
				before := u
				ch, newSSN, err := banking.ApplyPatch(&u, tc.p, currentSSN, later)
				if !locked {
					if err != nil || len(ch) == 0 {
						t.Fatalf("ApplyPatch with kyc_status %s = %v, %v, want changes and nil error", k, ch, err)
					}
					return
				}
				e := wantCode(t, err, banking.CodeConflict)
				name := strings.Fields(tc.field)[0]
				if tc.field == "with another field" {
					name = "last_name"
				}
				if !strings.Contains(e.Message, name) {
					t.Errorf("conflict message = %q, want it to name %q", e.Message, name)
				}
				if strings.Contains(e.Message, "587654321") || strings.Contains(e.Message, "4321") {
					t.Errorf("conflict message = %q reveals the SSN", e.Message)
				}
				if ch != nil || newSSN != "" || !reflect.DeepEqual(u, before) {
					t.Errorf("locked patch: changes %v, newSSN %q, user changed %v; want nil, \"\", false",
						ch, newSSN, !reflect.DeepEqual(u, before))
				}
			})
		}
	}
}

func TestApplyPatchLockedUserOtherFieldsChange(t *testing.T) {
	for _, k := range []banking.KYCStatus{banking.KYCPending, banking.KYCVerified} {
		t.Run(string(k), func(t *testing.T) {
			u := patchable(t, k)
			p := banking.UserPatch{
				// identity re-sent unchanged (after trimming and dash removal): not a change
				FirstName: ptr(" Ada "), LastName: ptr("Lovelace"), DateOfBirth: ptr("1985-12-10"),
				SSN: ptr("123456789"),
				// everything else may move
				MiddleName: ptr("A."), City: ptr("Oakland"), PhoneNumber: ptr("+15105550000"),
			}
			ch, newSSN, err := banking.ApplyPatch(&u, p, currentSSN, later)
			if err != nil {
				t.Fatalf("ApplyPatch error = %v, want nil", err)
			}
			want := banking.Changes{
				"middle_name":  {From: "Augusta", To: "A."},
				"city":         {From: "San Francisco", To: "Oakland"},
				"phone_number": {From: "+14155550123", To: "+15105550000"},
			}
			if !reflect.DeepEqual(ch, want) || newSSN != "" {
				t.Errorf("changes, newSSN = %v, %q, want %v, \"\"", ch, newSSN, want)
			}
		})
	}
}

func TestApplyPatchSSN(t *testing.T) {
	u := patchable(t, banking.KYCRejected)
	ch, newSSN, err := banking.ApplyPatch(&u, banking.UserPatch{SSN: ptr(" 587-65-4321 ")}, currentSSN, later)
	if err != nil {
		t.Fatalf("ApplyPatch error = %v, want nil", err)
	}
	want := banking.Changes{"ssn_last_4": {From: "6789", To: "4321"}}
	if !reflect.DeepEqual(ch, want) {
		t.Errorf("changes = %v, want %v", ch, want)
	}
	if newSSN != "587654321" {
		t.Errorf("newSSN = %q, want %q", newSSN, "587654321")
	}
	if u.SSNLast4 != "4321" {
		t.Errorf("SSNLast4 = %q, want %q", u.SSNLast4, "4321")
	}
	for _, full := range []string{"587654321", "587-65-4321", currentSSN} {
		if s := fmt.Sprintf("%#v", ch); strings.Contains(s, full) {
			t.Errorf("changes %s contain a full SSN", s)
		}
	}

	// A first SSN on a user that had none is a change from "".
	in := validInput()
	u, _ = mustNewUser(t, in)
	ch, newSSN, err = banking.ApplyPatch(&u, banking.UserPatch{SSN: ptr("111223333")}, "", later)
	if err != nil || newSSN != "111223333" {
		t.Fatalf("ApplyPatch = %v, %q, %v, want newSSN %q", ch, newSSN, err, "111223333")
	}
	want = banking.Changes{"ssn_last_4": {From: "", To: "3333"}}
	if !reflect.DeepEqual(ch, want) {
		t.Errorf("changes = %v, want %v", ch, want)
	}
}

func TestApplyPatchMetaData(t *testing.T) {
	old := []banking.MetaData{{Name: "tier", Value: "gold"}}
	for _, tc := range []struct {
		name    string
		md      []banking.MetaData
		changed bool
	}{
		{"replace", []banking.MetaData{{Name: "tier", Value: "silver"}, {Name: "ref", Value: "x"}}, true},
		{"clear", []banking.MetaData{}, true},
		{"clear with nil list", nil, true},
		{"same", []banking.MetaData{{Name: "tier", Value: "gold"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := patchable(t, banking.KYCVerified)
			md := tc.md
			ch, _, err := banking.ApplyPatch(&u, banking.UserPatch{MetaData: &md}, currentSSN, later)
			if err != nil {
				t.Fatalf("ApplyPatch error = %v, want nil", err)
			}
			if !tc.changed {
				if len(ch) != 0 {
					t.Errorf("changes = %v, want none", ch)
				}
				return
			}
			want := banking.Changes{"meta_data": {From: old, To: md}}
			if !reflect.DeepEqual(ch, want) {
				t.Errorf("changes = %#v, want %#v", ch, want)
			}
			if u.MetaData == nil || len(u.MetaData) != len(md) {
				t.Fatalf("MetaData = %#v, want %d pairs, non-nil", u.MetaData, len(md))
			}
			for i := range md {
				if u.MetaData[i] != md[i] {
					t.Errorf("MetaData[%d] = %v, want %v", i, u.MetaData[i], md[i])
				}
			}
			if len(md) > 0 {
				md[0].Value = "mutated"
				if u.MetaData[0].Value == "mutated" {
					t.Error("user shares the patch's meta_data slice, want a copy")
				}
			}
		})
	}
}

func TestApplyPatchBlockedUser(t *testing.T) {
	u := patchable(t, banking.KYCNotStarted)
	u.Status = banking.StatusBlocked
	ch, _, err := banking.ApplyPatch(&u, banking.UserPatch{City: ptr("Oakland")}, currentSSN, later)
	if err != nil || len(ch) != 1 {
		t.Fatalf("ApplyPatch on blocked user = %v, %v, want one change", ch, err)
	}
	if u.Status != banking.StatusBlocked {
		t.Errorf("Status = %s, want %s", u.Status, banking.StatusBlocked)
	}
}
