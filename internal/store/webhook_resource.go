package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ingot-dev/ingot/internal/banking"
)

// A resource's webhook events, found through its audit events without an
// index entry per event (migrations 0017 and, on PostgreSQL, 0019;
// docs/decisions.md "What emitting costs"). The service gives every event
// an id that starts with its audit event's Unix milliseconds in base 62
// (webhook.NewEventID(audit time)), so the unique index of ids finds an
// audit event's webhook events: the ids of its millisecond, then
// audit_event_id. Rows whose id does not start with their own created_at's
// prefix (random ids written before ids were time-ordered) are found
// otherwise: on SQLite they keep an entry in the partial index
// webhook_events_audit; on PostgreSQL, which evaluates such an index's
// WHERE at every insert, 0019 copied them into webhook_events_random,
// which nothing writes again. On PostgreSQL the id column collates as C
// (0019): under the database's own collation a range of ids need not be a
// range of prefixes.

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
func eventIDPrefixSQL(col string) string { return prefixSQL(col, SQLite) }

// prefixSQL is eventIDPrefixSQL on engine e: PostgreSQL spells max as
// greatest and takes substr's position as an integer (its migration 0019
// spells out that expression for created_at).
func prefixSQL(col string, e Engine) string {
	greatest, pos := "max", "%s"
	if e == Postgres {
		greatest, pos = "greatest", "(%s)::int"
	}
	var b strings.Builder
	b.WriteString(`'` + eventIDPrefix + `'`)
	p := int64(62 * 62 * 62 * 62 * 62 * 62 * 62) // the first digit's place
	for ; p >= 1; p /= 62 {
		digit := greatest + `(` + col + `, 0)`
		if p > 1 {
			digit += ` / ` + strconv.FormatInt(p, 10)
		}
		b.WriteString(` || substr('` + eventIDAlphabet + `', ` + fmt.Sprintf(pos, digit+` % 62 + 1`) + `, 1)`)
	}
	return b.String()
}

// resourceEvents is a query of the seqs of program pid's webhook events
// about resource, and its arguments: through the audit trail's index of
// subjects (an event's resource is its audit event's subject), and the few
// events derived from a notice, which have none (an empty audit_event_id).
func (s *Store) resourceEvents(pid banking.ProgramID, resource string) (string, []any) {
	notices := `SELECT seq FROM webhook_events WHERE program_id = ? AND audit_event_id = '' AND resource_id = ?`
	// The ids of the audit event's millisecond: '{' follows every letter
	// and digit (in C's order, which the id column has on PostgreSQL).
	at := prefixSQL("a.created_at", s.dialect.engine)
	byTime := `SELECT w.seq FROM events a JOIN webhook_events w
			ON w.id >= ` + at + ` AND w.id < ` + at + ` || '{' AND w.audit_event_id = a.id
			WHERE a.program_id = ? AND a.subject_id = ?`
	if s.dialect.engine == Postgres {
		return byTime + `
		UNION ALL SELECT r.seq FROM events a JOIN webhook_events_random r ON r.audit_event_id = a.id
			WHERE a.program_id = ? AND a.subject_id = ?
		UNION ALL ` + notices, []any{pid, resource, pid, resource, pid, resource}
	}
	// The second branch repeats webhook_events_audit's WHERE term for
	// term, or SQLite would not use that partial index.
	return byTime + `
		UNION ALL SELECT w.seq FROM events a JOIN webhook_events w ON w.audit_event_id = a.id
			WHERE a.program_id = ? AND a.subject_id = ?
			AND w.audit_event_id <> '' AND substr(w.id, 1, 16) <> ` + eventIDPrefixSQL("w.created_at") + `
		UNION ALL ` + notices, []any{pid, resource, pid, resource, pid, resource}
}
