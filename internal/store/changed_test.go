package store

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ingot-dev/ingot/internal/banking"
)

func TestChangedSetNamesOnlyChangedColumns(t *testing.T) {
	t0 := time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)
	base := banking.User{ID: "user-1", ProgramID: "prog-1", FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@x.io", Status: banking.StatusActive, KYCStatus: banking.KYCNotStarted,
		MetaData: []banking.MetaData{{Name: "k", Value: "v"}}, CreatedAt: t0, UpdatedAt: t0}
	for _, c := range []struct {
		name     string
		change   func(u *banking.User)
		wantSet  string
		wantArgs []any
	}{
		{"nothing", func(u *banking.User) {}, "", nil},
		{"block", func(u *banking.User) { u.Status = banking.StatusBlocked; u.UpdatedAt = t0.Add(time.Second) },
			"status = ?, updated_at = ?", []any{banking.StatusBlocked, millis(t0.Add(time.Second))}},
		{"email moves its derived columns", func(u *banking.User) { u.Email = "Bob@x.io" },
			"email = ?, email_norm = ?, search_text = ?", []any{"Bob@x.io", "bob@x.io",
				"user-1\x1fada\x1f\x1flovelace\x1fbob@x.io\x1f"}},
		{"sealed ssn from none", func(u *banking.User) { u.SSNSealed = []byte{1, 2} }, "ssn_sealed = ?", []any{[]byte{1, 2}}},
		{"sealed ssn replaced", func(u *banking.User) { u.SSNSealed = []byte{1, 3} }, "ssn_sealed = ?", []any{[]byte{1, 3}}},
		{"meta data", func(u *banking.User) { u.MetaData = []banking.MetaData{{Name: "k", Value: "w"}} }, "meta_data = ?",
			[]any{`[{"name":"k","value":"w"}]`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := base
			if c.name == "sealed ssn replaced" {
				u.SSNSealed = []byte{1, 2}
			}
			before, err := userArgs(&u)
			if err != nil {
				t.Fatal(err)
			}
			c.change(&u)
			after, err := userArgs(&u)
			if err != nil {
				t.Fatal(err)
			}
			set, args := changedSet(before, after)
			if set != c.wantSet || !cmp.Equal(args, c.wantArgs) {
				t.Errorf("changedSet = %q %v, want %q %v", set, args, c.wantSet, c.wantArgs)
			}
		})
	}
}
