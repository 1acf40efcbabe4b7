package banking_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// now is the injected clock of every test in this package: a Thursday
// afternoon with sub-millisecond digits, so truncation is observable.
var now = time.Date(2026, 4, 16, 12, 34, 56, 789_123_456, time.UTC)

// nowMS is now at the millisecond precision the domain stores.
var nowMS = now.Truncate(time.Millisecond)

const testProgram banking.ProgramID = "prog-0190a0b0-0000-7000-8000-000000000001"

// validInput returns a create request that passes every rule; tests break one
// thing at a time.
func validInput() banking.NewUserInput {
	return banking.NewUserInput{
		FirstName:   "Ada",
		LastName:    "Lovelace",
		Email:       "ada@example.com",
		PhoneNumber: "+14155550123",
		AddressOne:  "1 Main St",
		City:        "San Francisco",
		State:       "CA",
		PostalCode:  "94105",
		Country:     "US",
	}
}

// mustNewUser builds a valid user from in, failing the test otherwise.
func mustNewUser(t *testing.T, in banking.NewUserInput) (banking.User, string) {
	t.Helper()
	u, ssn, err := banking.NewUser(testProgram, in, now)
	if err != nil {
		t.Fatalf("NewUser(%+v) error = %v, want nil", in, err)
	}
	return u, ssn
}

// asBankingError fails the test unless err is a *banking.Error.
func asBankingError(t *testing.T, err error) *banking.Error {
	t.Helper()
	if err == nil {
		t.Fatal("error = nil, want a *banking.Error")
	}
	var e *banking.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %T %v, want *banking.Error", err, err)
	}
	return e
}

// wantCode fails the test unless err is a *banking.Error with code.
func wantCode(t *testing.T, err error, code banking.Code) *banking.Error {
	t.Helper()
	e := asBankingError(t, err)
	if e.Code != code {
		t.Fatalf("error code = %q (%v), want %q", e.Code, err, code)
	}
	return e
}

// wantInvalid fails the test unless err is a validation error naming exactly
// the given fields.
func wantInvalid(t *testing.T, err error, fields ...string) *banking.Error {
	t.Helper()
	e := wantCode(t, err, banking.CodeInvalid)
	got := slices.Sorted(maps.Keys(e.Fields))
	want := slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, want) {
		t.Fatalf("error fields = %v (%v), want %v", got, e.Fields, want)
	}
	return e
}

// wantFieldMsg fails the test unless e names field with a message containing
// msg.
func wantFieldMsg(t *testing.T, e *banking.Error, field, msg string) {
	t.Helper()
	got, ok := e.Fields[field]
	if !ok {
		t.Fatalf("error fields = %v, want a message for %q", e.Fields, field)
	}
	if !strings.Contains(got, msg) {
		t.Errorf("Fields[%q] = %q, want it to contain %q", field, got, msg)
	}
}

func ptr[T any](v T) *T { return &v }
