package store

import (
	"strconv"
	"strings"

	"github.com/ingot-dev/ingot/internal/banking"
)

// A resource's webhook events, found through its audit events without an
// index entry per event (migration 0017, docs/decisions.md "What emitting
// costs"). The service gives every event an id that starts with its audit
// event's Unix milliseconds in base 62 (webhook.NewEventID(audit time)), so
// on SQLite the unique index of ids finds an audit event's webhook events:
// the ids of its millisecond, then audit_event_id. Rows whose id does not
// start with their own created_at's prefix (random ids written before ids
// were time-ordered) keep an entry in the partial index
// webhook_events_audit. PostgreSQL keeps a full index of audit_event_id:
// its text comparisons follow the database's collation, by which a range of
// ids is not a range of prefixes unless it is C.

// eventIDAlphabet and eventIDPrefix are webhook.NewEventID's (the store
// cannot import that package; TestEventIDPrefixSQL holds them equal).
const (
	eventIDAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	eventIDPrefix   = "inn_whe_"
)

// eventIDPrefixSQL is a SQLite expression of the first 16 characters of an
// event id made at the Unix milliseconds col: the prefix and 8 base-62
// digits, negative times as 0 (webhook.NewEventID). Migration 0017 spells
// out the same expression for created_at in webhook_events_audit's WHERE.
func eventIDPrefixSQL(col string) string {
	var b strings.Builder
	b.WriteString(`'` + eventIDPrefix + `'`)
	p := int64(62 * 62 * 62 * 62 * 62 * 62 * 62) // the first digit's place
	for ; p >= 1; p /= 62 {
		b.WriteString(` || substr('` + eventIDAlphabet + `', max(` + col + `, 0)`)
		if p > 1 {
			b.WriteString(` / ` + strconv.FormatInt(p, 10))
		}
		b.WriteString(` % 62 + 1, 1)`)
	}
	return b.String()
}

// resourceEvents is a query of the seqs of program pid's webhook events
// about resource, and its arguments: through the audit trail's index of
// subjects (an event's resource is its audit event's subject), and the few
// events derived from a notice, which have none (an empty audit_event_id).
func (s *Store) resourceEvents(pid banking.ProgramID, resource string) (string, []any) {
	notices := `SELECT seq FROM webhook_events WHERE program_id = ? AND audit_event_id = '' AND resource_id = ?`
	if s.dialect.engine == Postgres {
		return `SELECT seq FROM webhook_events WHERE audit_event_id IN
			(SELECT id FROM events WHERE program_id = ? AND subject_id = ?)
			UNION ALL ` + notices, []any{pid, resource, pid, resource}
	}
	// The ids of the audit event's millisecond: '{' follows every
	// letter and digit. The second branch repeats webhook_events_audit's
	// WHERE term for term, or SQLite would not use that partial index.
	at := eventIDPrefixSQL("a.created_at")
	return `SELECT w.seq FROM events a JOIN webhook_events w
			ON w.id >= ` + at + ` AND w.id < ` + at + ` || '{' AND w.audit_event_id = a.id
			WHERE a.program_id = ? AND a.subject_id = ?
		UNION ALL SELECT w.seq FROM events a JOIN webhook_events w ON w.audit_event_id = a.id
			WHERE a.program_id = ? AND a.subject_id = ?
			AND w.audit_event_id <> '' AND substr(w.id, 1, 16) <> ` + eventIDPrefixSQL("w.created_at") + `
		UNION ALL ` + notices, []any{pid, resource, pid, resource, pid, resource}
}
