package banking

import (
	"encoding/hex"
	"strings"
	"time"
)

// Identifiers are a kind prefix followed by a UUID, as Ingo's are ("user-" +
// UUID, "buss-" + UUID, ...), so an id says what it names. Each kind is its
// own string type, so a business id cannot be passed where a user id
// belongs; ParseID and NewID serve every kind through its Prefix method.

// ID is the constraint every identifier type satisfies: a string type whose
// Prefix names its kind, including the trailing "-".
type ID interface {
	~string
	// Prefix is the kind prefix, such as "user-"; it does not depend on the
	// receiver's value.
	Prefix() string
}

// UserID identifies a user: "user-" + UUID (Ingo, users/create).
type UserID string

// ProgramID identifies a program (tenant): "prog-" + UUID.
type ProgramID string

// EventID identifies an audit event: "event-" + UUID.
type EventID string

// The identifiers of the platform's other kinds, with the prefixes Ingo's
// documentation shows (businesses.md, money.md).
type (
	// BusinessID identifies a business: "buss-" + UUID.
	BusinessID string
	// OwnerID identifies a beneficial owner of a business: "bown-" + UUID.
	OwnerID string
	// DocumentID identifies an owner's KYC/KYB document: "bkyc-" + UUID.
	DocumentID string
	// ContactID identifies a business contact: "bcus-" + UUID.
	ContactID string
	// AccountID identifies a routable bank account: "rbac-" + UUID.
	AccountID string
	// LinkedAccountID identifies a linked external bank account: "bbac-" + UUID.
	LinkedAccountID string
	// TransactionID identifies a ledger transaction: "ltra-" + UUID.
	TransactionID string
	// PaymentIntentID identifies a payment intent: "ptra-" + UUID.
	PaymentIntentID string
)

// Prefix implements ID.
func (UserID) Prefix() string { return "user-" }

// Prefix implements ID.
func (BusinessID) Prefix() string { return "buss-" }

// Prefix implements ID.
func (OwnerID) Prefix() string { return "bown-" }

// Prefix implements ID.
func (DocumentID) Prefix() string { return "bkyc-" }

// Prefix implements ID.
func (ContactID) Prefix() string { return "bcus-" }

// Prefix implements ID.
func (AccountID) Prefix() string { return "rbac-" }

// Prefix implements ID.
func (LinkedAccountID) Prefix() string { return "bbac-" }

// Prefix implements ID.
func (TransactionID) Prefix() string { return "ltra-" }

// Prefix implements ID.
func (PaymentIntentID) Prefix() string { return "ptra-" }

// Prefix implements ID.
func (ProgramID) Prefix() string { return "prog-" }

// Prefix implements ID.
func (EventID) Prefix() string { return "event-" }

// UUID returns the bare UUID part of a user id (Ingo's "uuid" field).
func (id UserID) UUID() string { return UUIDOf(id) }

// ParseID checks that s has the shape of a T: T's prefix, then a canonical
// UUID (either letter case). A malformed id cannot name an existing row, so
// callers answer not_found rather than invalid.
func ParseID[T ID](s string) (T, bool) {
	var zero T
	rest, ok := strings.CutPrefix(s, zero.Prefix())
	if !ok || !isUUID(rest) {
		return zero, false
	}
	return T(s), true
}

// NewID returns a fresh T. The UUID is version 7, time-ordered, which keeps
// inserts at the right edge of primary-key indexes.
func NewID[T ID](now time.Time) T {
	var zero T
	return T(zero.Prefix() + newUUIDv7(now))
}

// UUIDOf returns the UUID part of an id, without its kind prefix.
func UUIDOf[T ID](id T) string { return strings.TrimPrefix(string(id), id.Prefix()) }

// ParseUserID is ParseID for user ids.
func ParseUserID(s string) (UserID, bool) { return ParseID[UserID](s) }

// NewUserID returns a fresh user id.
func NewUserID(now time.Time) UserID { return NewID[UserID](now) }

// NewProgramID returns a fresh program id.
func NewProgramID(now time.Time) ProgramID { return NewID[ProgramID](now) }

// NewEventID returns a fresh event id.
func NewEventID(now time.Time) EventID { return NewID[EventID](now) }

// newUUIDv7 builds an RFC 9562 version 7 UUID: 48 bits of Unix milliseconds,
// then random bits.
func newUUIDv7(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	if seeded.Load() != nil {
		// Deterministic (SeedIDs): the time field counts ids instead, so
		// the same sequence of calls gives the same ids in any run.
		ms = seededMillis()
	}
	RandomBytes(b[6:])
	b[0], b[1], b[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	b[3], b[4], b[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// isUUID reports whether s is a canonical lowercase or uppercase UUID string.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
