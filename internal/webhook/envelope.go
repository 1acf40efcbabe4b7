package webhook

import (
	"crypto/rand"
	"strconv"
	"time"
	"unicode/utf8"
)

// Event is one webhook event before it is written: its envelope's parts.
type Event struct {
	// ID is "inn_whe_" + 22 letters and digits (NewEventID).
	ID   string
	Type Type
	// Fields are the event's own fields (section 3), in the order they are
	// written, between event_description and resource_id.
	Fields []Field
	// ResourceID is the API id of what the event is about (user-…,
	// buss-…, rbac-…, ltra-…): always the subject of the audit event it
	// derives from (the caller sets it; the delivery log finds a
	// resource's events through the audit trail's index of subjects).
	ResourceID string
	// OccurredAt is when the change happened (the audit event's time).
	OccurredAt time.Time
}

// Field is one key of an event's data. Value is a string, an int64, a
// []string or an Object.
type Field struct {
	Key   string
	Value any
}

// Object is a nested object of an event's data, keys in order
// (account.assignment.success's "account").
type Object []Field

// Envelope time formats (webhooks.md section 2): created_at and updated_at
// as Ingo writes them, data.occurred_at as the API's timestamps.
const (
	EnvelopeTime = "02-01-2006 03:04 PM"
	OccurredTime = "2006-01-02T15:04:05.000Z"
)

// Body is the exact request body of every attempt to deliver e:
//
//	{"event":T,"data":{"event_id":…,"event_type":T,"event_description":…,
//	 <fields>,"resource_id":…,"occurred_at":…},"created_at":…,"updated_at":…}
//
// compact, keys in that order, times in UTC: Render of e's Stored part.
func (e *Event) Body() []byte {
	return Render(e.Type, e.ID, e.Stored(), e.ResourceID, e.OccurredAt)
}

// Stored is the part of e's body the outbox keeps (store.WebhookEvent's
// Stored): the bytes between "event_description": and ,"resource_id":, that
// is the description, a JSON string, and e's own fields. The rest of the
// body is the outbox row's type, id, resource and time, so a row keeps
// about a tenth of a body (docs/decisions.md, "What emitting costs"); the
// description is kept, not looked up again, so that a later change of its
// text cannot change the body of an event already sent.
func (e *Event) Stored() []byte {
	b := make([]byte, 0, 48+64*len(e.Fields))
	b = appendString(b, Description(e.Type))
	for _, f := range e.Fields {
		b = append(b, ',')
		b = appendField(b, f)
	}
	return b
}

// Render is the body of the event of type typ and id, whose Stored part is
// stored, about resourceID, occurred at at (only its milliseconds count):
// the envelope of webhooks.md section 2 around stored. Every attempt of an
// event, and the log, render it from the same row, so the bodies are the
// same byte for byte.
func Render(typ Type, id string, stored []byte, resourceID string, at time.Time) []byte {
	b := make([]byte, 0, 224+len(stored))
	at = at.UTC()
	stamp := at.Format(EnvelopeTime)
	b = append(b, `{"event":`...)
	b = appendString(b, string(typ))
	b = append(b, `,"data":{"event_id":`...)
	b = appendString(b, id)
	b = append(b, `,"event_type":`...)
	b = appendString(b, string(typ))
	b = append(b, `,"event_description":`...)
	b = append(b, stored...)
	b = append(b, `,"resource_id":`...)
	b = appendString(b, resourceID)
	b = append(b, `,"occurred_at":`...)
	b = appendString(b, at.Format(OccurredTime))
	b = append(b, `},"created_at":`...)
	b = appendString(b, stamp)
	b = append(b, `,"updated_at":`...)
	b = appendString(b, stamp)
	return append(b, '}')
}

// IsStored reports whether an outbox payload is a Stored part (it starts
// with the description, a JSON string) rather than a whole body (a JSON
// object), as the outbox kept every event before it kept Stored parts.
func IsStored(payload []byte) bool { return len(payload) > 0 && payload[0] == '"' }

func appendField(b []byte, f Field) []byte {
	b = appendString(b, f.Key)
	b = append(b, ':')
	switch v := f.Value.(type) {
	case string:
		return appendString(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']')
	case Object:
		b = append(b, '{')
		for i, g := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendField(b, g)
		}
		return append(b, '}')
	}
	panic("webhook: field " + f.Key + " has a value of a type the envelope does not write")
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string exactly as encoding/json writes
// it: quotes, backslashes, control characters and <, >, & escaped (\b, \f,
// \n, \r and \t in short, as encoding/json has since Go 1.22), invalid
// UTF-8 replaced by U+FFFD, U+2028 and U+2029 escaped, everything else as
// is. Bodies already written keep their bytes: their rows keep the
// escaped strings (Stored), and the parts rendered again (type, ids) have
// no control characters.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				// <, > and & as encoding/json writes them, so the body
				// embedded in an API answer (webhook/events' payload)
				// is byte for byte the body sent.
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON as is, but not valid JavaScript: escaped as
			// encoding/json does.
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// idAlphabet is the event id's 62 characters, in ASCII order.
const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// EventIDPrefix starts every event id.
const EventIDPrefix = "inn_whe_"

// NewEventID returns "inn_whe_" and 22 letters and digits: 8 of them the
// Unix milliseconds of now in base 62 (so ids sort by time, and an index of
// them grows at its end instead of dirtying a random page per event), 14
// random ones (83 bits, from crypto/rand without modulo bias).
func NewEventID(now time.Time) string {
	b := make([]byte, len(EventIDPrefix)+22)
	copy(b, EventIDPrefix)
	ms := uint64(max(now.UnixMilli(), 0))
	for i := len(EventIDPrefix) + 7; i >= len(EventIDPrefix); i-- {
		b[i] = idAlphabet[ms%62]
		ms /= 62
	}
	n := len(EventIDPrefix) + 8
	var buf [32]byte
	for n < len(b) {
		rand.Read(buf[:])
		for _, x := range buf {
			// 248 = 4*62: values at or above it would favour the first
			// characters.
			if x < 248 && n < len(b) {
				b[n] = idAlphabet[x%62]
				n++
			}
		}
	}
	return string(b)
}

// ValidEventID reports whether s is an event id: the prefix and 22 ASCII
// letters or digits.
func ValidEventID(s string) bool {
	if len(s) != len(EventIDPrefix)+22 || s[:len(EventIDPrefix)] != EventIDPrefix {
		return false
	}
	for i := len(EventIDPrefix); i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
