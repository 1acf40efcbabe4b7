package banking

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

// Identifier prefixes. Ingo's user ids are "user-" + UUID; programs and events
// follow the same shape so an id says what it names.
const (
	userPrefix    = "user-"
	programPrefix = "prog-"
	eventPrefix   = "event-"
)

// UserID identifies a user: "user-" followed by a UUID.
type UserID string

// ProgramID identifies a program (tenant).
type ProgramID string

// EventID identifies an audit event.
type EventID string

// UUID returns the bare UUID part of a user id (Ingo's "uuid" field).
func (id UserID) UUID() string { return strings.TrimPrefix(string(id), userPrefix) }

// ParseUserID checks that s has the shape of a user id. A malformed id cannot
// name an existing user, so callers answer not_found rather than invalid.
func ParseUserID(s string) (UserID, bool) {
	rest, ok := strings.CutPrefix(s, userPrefix)
	if !ok || !isUUID(rest) {
		return "", false
	}
	return UserID(s), true
}

// NewUserID returns a fresh user id. UUIDv7 is time-ordered, which keeps
// inserts at the right edge of the primary-key index.
func NewUserID(now time.Time) UserID { return UserID(userPrefix + newUUIDv7(now)) }

// NewProgramID returns a fresh program id.
func NewProgramID(now time.Time) ProgramID { return ProgramID(programPrefix + newUUIDv7(now)) }

// NewEventID returns a fresh event id.
func NewEventID(now time.Time) EventID { return EventID(eventPrefix + newUUIDv7(now)) }

// newUUIDv7 builds an RFC 9562 version 7 UUID: 48 bits of Unix milliseconds,
// then random bits.
func newUUIDv7(now time.Time) string {
	var b [16]byte
	if _, err := rand.Read(b[6:]); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	ms := uint64(now.UnixMilli())
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
