package webhook

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Mapping. Domains record audit events only (banking.Event); webhook events
// are derived from them, in the transaction that records them, by the
// Mapper registered for the audit event's type. Adding a webhook for a new
// audit event is one Register call (see users.go for the pattern).

// Mapper turns one audit event into zero or more webhook events.
type Mapper struct {
	// Refs names the entities whose numbers Map will ask the Lookup for,
	// so that a group's numbers are read in one query per table. Optional:
	// a number not prefetched is read on demand.
	Refs func(ev *banking.Event) []Ref
	// Map derives the webhook events; their ID and OccurredAt are filled in
	// by the caller (a fresh event id, the audit event's time).
	Map func(ctx context.Context, l *Lookup, ev *banking.Event) ([]Event, error)
}

// registry maps an audit event type to its mapper. It is filled by init
// functions and read only afterwards.
var registry = map[banking.EventType]Mapper{}

// Register installs the mapper of an audit event type; registering a type
// twice is a programming error.
func Register(t banking.EventType, m Mapper) {
	if _, dup := registry[t]; dup {
		panic("webhook: a mapper for " + string(t) + " is registered twice")
	}
	registry[t] = m
}

// MapperFor returns the mapper of an audit event type.
func MapperFor(t banking.EventType) (Mapper, bool) {
	m, ok := registry[t]
	return m, ok
}

// Table names a table of numbered entities (every row has entity_number).
type Table string

// The tables of numbered entities (migrations 0011 and 0013).
const (
	Users      Table = "users"
	Businesses Table = "businesses"
	Accounts   Table = "accounts"
)

// Ref is one numbered entity: its table and API id.
type Ref struct {
	Table Table
	ID    string
}

// Querier is what a Lookup reads through: the group's transaction.
type Querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Lookup reads entity numbers (and anything else a mapper needs) inside a
// group's transaction, remembering what it read.
type Lookup struct {
	// Routing is the installation's ABA routing number
	// (account.assignment.success's account.routing).
	Routing string
	// Known, when set, answers numbers read already (the group's works
	// read them with the rows they locked, store.Tx.EntityNumber), so
	// neither Prefetch nor Number reads them again.
	Known   func(table, id string) (int64, bool)
	q       Querier
	numbers map[Ref]int64
	// holders are accounts' holders read by holderOf (accounts.go).
	holders map[string]holder
}

// NewLookup returns a Lookup reading through q.
func NewLookup(q Querier) *Lookup { return &Lookup{q: q, numbers: map[Ref]int64{}} }

// Querier is the transaction a mapper may read extra data from.
func (l *Lookup) Querier() Querier { return l.q }

// Prefetch reads the numbers of refs, one query per table.
func (l *Lookup) Prefetch(ctx context.Context, refs []Ref) error {
	by := map[Table][]any{}
	for _, r := range refs {
		if _, ok := l.known(r); !ok && !slices.Contains(by[r.Table], any(r.ID)) {
			by[r.Table] = append(by[r.Table], r.ID)
		}
	}
	rt, ok := l.q.(interface{ RoundTrips() bool })
	batch := !ok || rt.RoundTrips()
	for table, ids := range by {
		if len(ids) == 1 || !batch {
			for _, id := range ids {
				if _, err := l.Number(ctx, Ref{table, id.(string)}); err != nil {
					return err
				}
			}
			continue
		}
		if len(ids) == 1 {
			if _, err := l.Number(ctx, Ref{table, ids[0].(string)}); err != nil {
				return err
			}
			continue
		}
		rows, err := l.q.Query(ctx, `SELECT id, entity_number FROM `+string(table)+` WHERE id IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`)`, ids...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return err
			}
			l.numbers[Ref{table, id}] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Number returns an entity's number, reading it when it was not
// prefetched.
func (l *Lookup) Number(ctx context.Context, r Ref) (int64, error) {
	if n, ok := l.known(r); ok {
		return n, nil
	}
	var n int64
	if err := l.q.QueryRow(ctx, `SELECT entity_number FROM `+string(r.Table)+` WHERE id = ?`, r.ID).Scan(&n); err != nil {
		return 0, fmt.Errorf("entity number of %s %s: %w", r.Table, r.ID, err)
	}
	l.numbers[r] = n
	return n, nil
}

// known is a number read already, by this Lookup or (Known) with its row.
func (l *Lookup) known(r Ref) (int64, bool) {
	if n, ok := l.numbers[r]; ok {
		return n, true
	}
	if l.Known != nil {
		if n, ok := l.Known(string(r.Table), r.ID); ok {
			l.numbers[r] = n
			return n, true
		}
	}
	return 0, false
}

// EntityID is a number as webhooks write entity ids: a numeric string.
func EntityID(n int64) string { return fmt.Sprint(n) }

// reasonTexts are the human reasons of the provider's reason codes, for
// the reasons list next to reasons_code.
var reasonTexts = map[string]string{
	"SSN_MISMATCH":     "The SSN does not match the person's identity",
	"EIN_MISMATCH":     "The EIN does not match the business's registration",
	"OWNER_KYC_FAILED": "A beneficial owner failed KYC",
	"MANUAL_REVIEW":    "The verification needs a manual review",
}

// Reasons returns the reasons and reasons_code lists of a decision's reason
// code: both empty when there is none; a code without a text is its own
// reason.
func Reasons(code string) (reasons, codes []string) {
	if code == "" {
		return []string{}, []string{}
	}
	text, ok := reasonTexts[code]
	if !ok {
		text = code
	}
	return []string{text}, []string{code}
}
