package banking_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

var userIDRE = regexp.MustCompile(`^user-[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewUserID(t *testing.T) {
	seen := map[banking.UserID]bool{}
	for i := 0; i < 100; i++ {
		id := banking.NewUserID(now)
		if !userIDRE.MatchString(string(id)) {
			t.Fatalf("NewUserID = %q, want user- + lowercase UUIDv7 (version 7, variant 10)", id)
		}
		if seen[id] {
			t.Fatalf("NewUserID returned %q twice", id)
		}
		seen[id] = true
		if got, ok := banking.ParseUserID(string(id)); !ok || got != id {
			t.Errorf("ParseUserID(%q) = %q, %v, want the id, true", id, got, ok)
		}
		if u := id.UUID(); "user-"+u != string(id) || len(u) != 36 {
			t.Errorf("UUID() = %q, want %q without the user- prefix", u, id)
		}
	}
}

func TestNewUserIDEncodesMilliseconds(t *testing.T) {
	// RFC 9562: the first 48 bits are the Unix time in milliseconds.
	for _, at := range []time.Time{now, time.UnixMilli(0), time.UnixMilli(1<<48 - 1)} {
		id := banking.NewUserID(at)
		hexMS := strings.ReplaceAll(id.UUID(), "-", "")[:12]
		b, err := hex.DecodeString(hexMS)
		if err != nil {
			t.Fatalf("UUID %s: %v", id.UUID(), err)
		}
		var ms int64
		for _, c := range b {
			ms = ms<<8 | int64(c)
		}
		if ms != at.UnixMilli() {
			t.Errorf("NewUserID(%v) timestamp = %d, want %d", at, ms, at.UnixMilli())
		}
	}
	if a, b := banking.NewUserID(now), banking.NewUserID(now.Add(time.Millisecond)); a >= b {
		t.Errorf("NewUserID(t) = %s >= NewUserID(t+1ms) = %s, want time order", a, b)
	}
}

func TestOtherIDsHavePrefixes(t *testing.T) {
	if id := string(banking.NewProgramID(now)); !strings.HasPrefix(id, "prog-") || len(id) != 5+36 {
		t.Errorf("NewProgramID = %q, want prog- + UUID", id)
	}
	if id := string(banking.NewEventID(now)); !strings.HasPrefix(id, "event-") || len(id) != 6+36 {
		t.Errorf("NewEventID = %q, want event- + UUID", id)
	}
}

func TestParseUserID(t *testing.T) {
	const uuid = "0196a3c1-2b3d-7e4f-8a5b-6c7d8e9f0a1b"
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"user-" + uuid, true},
		{"user-" + strings.ToUpper(uuid), true},
		{"user-00000000-0000-0000-0000-000000000000", true},
		{uuid, false},
		{"", false},
		{"user-", false},
		{"User-" + uuid, false},
		{"prog-" + uuid, false},
		{"user-" + uuid + "0", false},
		{"user-" + uuid[:35], false},
		{"user-" + strings.ReplaceAll(uuid, "-", ""), false},
		{"user-" + strings.Replace(uuid, "-", "_", 1), false},
		{"user-" + strings.Replace(uuid, "a", "g", 1), false},
		{"user-" + strings.Replace(strings.ToUpper(uuid), "A", "G", 1), false},
		{" user-" + uuid, false},
		{"user-" + uuid + "\x00", false},
		{"user-{" + uuid[:34] + "}", false},
	} {
		got, ok := banking.ParseUserID(tc.in)
		if ok != tc.ok {
			t.Errorf("ParseUserID(%q) ok = %v, want %v", tc.in, ok, tc.ok)
		}
		if want := banking.UserID(""); !tc.ok && got != want {
			t.Errorf("ParseUserID(%q) = %q, want %q", tc.in, got, want)
		}
		if tc.ok && string(got) != tc.in {
			t.Errorf("ParseUserID(%q) = %q, want it unchanged", tc.in, got)
		}
	}
}

func TestSearchText(t *testing.T) {
	u := banking.User{ID: "user-0196A3C1-2B3D-7E4F-8A5B-6C7D8E9F0A1B", FirstName: "Ada", MiddleName: "Augusta",
		LastName: "LOVELACE", Email: "Ada@Example.com", PhoneNumber: "+14155550123", City: "Springfield"}
	text := u.SearchText()
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{"ada", true}, {"augusta", true}, {"lovelace", true}, {"ada@example.com", true},
		{"+1415", true}, {"user-0196a3c1", true}, {"8e9f0a1b", true},
		{"adaaugusta", false},    // across first and middle name
		{"lovelaceada", false},   // across last name and email
		{"ada augusta", false},   // no space separator either
		{"springfield", false},   // city is not searched
		{"example.com+1", false}, // across email and phone
		{"0a1bada", false},       // across id and first name
	} {
		if got := strings.Contains(text, tc.q); got != tc.want {
			t.Errorf("SearchText() contains %q = %v, want %v (text %q)", tc.q, got, tc.want, text)
		}
	}
	if text != strings.ToLower(text) {
		t.Errorf("SearchText() = %q, want it lowercased", text)
	}
}

func TestNormalizeEmail(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ada@example.com", "ada@example.com"},
		{"Ada@Example.COM", "ada@example.com"},
		{"  ADA@EXAMPLE.COM\t", "ada@example.com"},
		{"", ""},
	} {
		if got := banking.NormalizeEmail(tc.in); got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	cause := io.ErrUnexpectedEOF
	conflict := banking.Errorf(banking.CodeConflict, "user %s is %s", "u1", "blocked")
	internal := banking.Internal(cause)
	wrapped := fmt.Errorf("store: %w", conflict)
	plain := errors.New("boom")

	for _, tc := range []struct {
		err     error
		code    banking.Code
		message string
	}{
		{conflict, banking.CodeConflict, "user u1 is blocked"},
		{wrapped, banking.CodeConflict, "user u1 is blocked"},
		{internal, banking.CodeInternal, "internal error"},
		{plain, banking.CodeInternal, "internal error"},
		{banking.Invalid("email", "is required"), banking.CodeInvalid, "validation failed"},
	} {
		if got := banking.ErrorCode(tc.err); got != tc.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if !banking.IsCode(tc.err, tc.code) {
			t.Errorf("IsCode(%v, %q) = false, want true", tc.err, tc.code)
		}
		if banking.IsCode(tc.err, banking.CodeNotFound) {
			t.Errorf("IsCode(%v, not_found) = true, want false", tc.err)
		}
		if got := banking.AsError(tc.err); got.Code != tc.code || got.Message != tc.message {
			t.Errorf("AsError(%v) = {%q, %q}, want {%q, %q}", tc.err, got.Code, got.Message, tc.code, tc.message)
		}
	}
	if banking.IsCode(nil, banking.CodeInternal) {
		t.Error("IsCode(nil, internal) = true, want false")
	}
	if got := banking.AsError(wrapped); got != conflict {
		t.Errorf("AsError(wrapped) = %p, want the wrapped *Error %p", got, conflict)
	}
	if got := banking.AsError(plain); !errors.Is(got, plain) {
		t.Errorf("AsError(plain).Err = %v, want the cause %v", got.Err, plain)
	}
	if !errors.Is(internal, cause) {
		t.Errorf("errors.Is(Internal(cause), cause) = false, want true")
	}
	if got, want := internal.Error(), "internal: internal error: unexpected EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := conflict.Error(), "conflict: user u1 is blocked"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	inv := banking.Invalid("email", "must be a valid email address")
	if want := map[string]string{"email": "must be a valid email address"}; !reflect.DeepEqual(inv.Fields, want) {
		t.Errorf("Invalid().Fields = %v, want %v", inv.Fields, want)
	}
}

func TestCreatedChangesAndEvent(t *testing.T) {
	in := validInput()
	in.SSN = "123-45-6789"
	u, _ := mustNewUser(t, in)
	ch := banking.CreatedChanges(&u)
	for k, want := range map[string]string{"first_name": "Ada", "email": "ada@example.com",
		"ssn_last_4": "6789", "status": "active", "kyc_status": "not_started", "country": "US"} {
		if got := ch[k]; got.From != "" || got.To != want {
			t.Errorf("CreatedChanges[%q] = %v, want {\"\" %q}", k, got, want)
		}
	}
	for _, k := range []string{"middle_name", "address_two", "date_of_birth", "username", "ssn"} {
		if c, ok := ch[k]; ok {
			t.Errorf("CreatedChanges[%q] = %v, want absent (unset or secret)", k, c)
		}
	}
	if s := fmt.Sprintf("%#v", ch); strings.Contains(s, "123456789") {
		t.Errorf("CreatedChanges %s contain the full SSN", s)
	}
	ev := banking.NewEvent(&u, banking.EventUserCreated, banking.ActorProgram(testProgram), "", ch, nowMS)
	if ev.SubjectID != string(u.ID) || ev.ProgramID != testProgram || ev.Type != "user.created" ||
		ev.Actor != "program:"+string(testProgram) || !ev.CreatedAt.Equal(nowMS) ||
		!strings.HasPrefix(string(ev.ID), "event-") {
		t.Errorf("NewEvent = %+v, want subject %s, program %s, type user.created, actor program:…", ev, u.ID, testProgram)
	}
}

// TestParseIDEveryKind: each kind accepts its own prefix and refuses the
// others', so a "bbac-" id where an "rbac-" belongs names nothing.
func TestParseIDEveryKind(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	check := func(name string, fresh string, parse func(string) bool, prefix string) {
		t.Helper()
		if !strings.HasPrefix(fresh, prefix) {
			t.Errorf("%s: NewID = %q, want prefix %q", name, fresh, prefix)
		}
		if !parse(fresh) {
			t.Errorf("%s: ParseID(%q) refused its own fresh id", name, fresh)
		}
		other := "user-" + strings.TrimPrefix(fresh, prefix)
		if prefix == "user-" {
			other = "buss-" + strings.TrimPrefix(fresh, prefix)
		}
		if parse(other) {
			t.Errorf("%s: ParseID(%q) accepted another kind's prefix", name, other)
		}
		if parse(prefix + "not-a-uuid") {
			t.Errorf("%s: ParseID accepted a malformed uuid", name)
		}
	}
	check("user", string(banking.NewID[banking.UserID](now)), func(s string) bool { _, ok := banking.ParseID[banking.UserID](s); return ok }, "user-")
	check("business", string(banking.NewID[banking.BusinessID](now)), func(s string) bool { _, ok := banking.ParseID[banking.BusinessID](s); return ok }, "buss-")
	check("owner", string(banking.NewID[banking.OwnerID](now)), func(s string) bool { _, ok := banking.ParseID[banking.OwnerID](s); return ok }, "bown-")
	check("document", string(banking.NewID[banking.DocumentID](now)), func(s string) bool { _, ok := banking.ParseID[banking.DocumentID](s); return ok }, "bkyc-")
	check("contact", string(banking.NewID[banking.ContactID](now)), func(s string) bool { _, ok := banking.ParseID[banking.ContactID](s); return ok }, "bcus-")
	check("account", string(banking.NewID[banking.AccountID](now)), func(s string) bool { _, ok := banking.ParseID[banking.AccountID](s); return ok }, "rbac-")
	check("linked", string(banking.NewID[banking.LinkedAccountID](now)), func(s string) bool { _, ok := banking.ParseID[banking.LinkedAccountID](s); return ok }, "bbac-")
	check("transaction", string(banking.NewID[banking.TransactionID](now)), func(s string) bool { _, ok := banking.ParseID[banking.TransactionID](s); return ok }, "ltra-")
	check("intent", string(banking.NewID[banking.PaymentIntentID](now)), func(s string) bool { _, ok := banking.ParseID[banking.PaymentIntentID](s); return ok }, "ptra-")
	if got, want := banking.UUIDOf(banking.AccountID("rbac-0192d3a4-0000-7000-8000-000000000001")), "0192d3a4-0000-7000-8000-000000000001"; got != want {
		t.Errorf("UUIDOf = %q, want %q", got, want)
	}
}
