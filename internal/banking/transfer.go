package banking

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a movement's free fields (money.md section 4) [ours where the
// spec gives none].
const (
	maxMovementText  = 255
	maxReference     = 255
	maxMetadataKeys  = 20
	maxMetadataKey   = 40
	maxMetadataValue = 500
)

// Side is one end of a movement as a request names it: an entity of a type
// and the RBA it owns.
type Side struct {
	Type     EntityType
	EntityID string
	Account  AccountID
}

// BookTransferInput is a book transfer (section 4.1) as sent.
type BookTransferInput struct {
	Amount                                                           string
	SourceEntityID, SourceEntityType, SourceAccountID                string
	DestinationEntityID, DestinationEntityType, DestinationAccountID string
	Description, Reference                                           string
	// Currency is nil when the request sent none (section 1).
	Currency *string
	Metadata map[string]string
	// HasKey says whether the call carries an idempotent_key, which every
	// movement requires (section 4).
	HasKey bool
}

// BookTransfer is a validated book transfer.
type BookTransfer struct {
	Amount              int64
	Source, Destination Side
	Description         string
	Reference           string
	Metadata            map[string]string
}

// ParseBookTransfer validates a book transfer of program pid in the first
// two steps of section 4's order: the body (400 naming every wrong field at
// once, the same account on both sides included), then the ids' shapes (404:
// an id of the wrong kind, or a program id other than pid, names nothing
// the caller has).
func ParseBookTransfer(pid ProgramID, in BookTransferInput) (BookTransfer, error) {
	f := fieldErrors{}
	amount, msg := parseCents(in.Amount)
	if msg != "" {
		f.add("amount", msg)
	}
	srcType := entityType(f, "source_entity_type", in.SourceEntityType)
	dstType := entityType(f, "destination_entity_type", in.DestinationEntityType)
	required(f, "source_entity_id", in.SourceEntityID)
	required(f, "destination_entity_id", in.DestinationEntityID)
	required(f, "source_routable_bank_account_id", in.SourceAccountID)
	if required(f, "destination_routable_bank_account_id", in.DestinationAccountID) &&
		in.DestinationAccountID == in.SourceAccountID {
		f.add("destination_routable_bank_account_id", "must differ from source_routable_bank_account_id")
	}
	desc := normText(in.Description)
	if required(f, "description", desc) {
		checkText(f, "description", desc, maxMovementText)
	}
	ref := normText(in.Reference)
	checkText(f, "reference", ref, maxReference)
	checkCurrency(f, "currency", in.Currency)
	checkMetadata(f, in.Metadata)
	if !in.HasKey {
		f.add("idempotent_key", "is required for money movement")
	}
	if err := f.err(); err != nil {
		return BookTransfer{}, err
	}
	src, err := parseSide(pid, "source", srcType, in.SourceEntityID, in.SourceAccountID)
	if err != nil {
		return BookTransfer{}, err
	}
	dst, err := parseSide(pid, "destination", dstType, in.DestinationEntityID, in.DestinationAccountID)
	if err != nil {
		return BookTransfer{}, err
	}
	return BookTransfer{Amount: amount, Source: src, Destination: dst, Description: desc, Reference: ref,
		Metadata: cloneMetadata(in.Metadata)}, nil
}

// entityType reads an entity type sent as field.
func entityType(f fieldErrors, field, v string) EntityType {
	if !required(f, field, v) {
		return ""
	}
	switch t := EntityType(v); t {
	case EntityUser, EntityBusiness, EntityProgram:
		return t
	}
	f.add(field, "must be user, business or program")
	return ""
}

// parseSide checks that the entity id has its type's shape (a program is
// named by the caller's own program id) and the account id an RBA's: 404
// otherwise, as for an id that exists nowhere.
func parseSide(pid ProgramID, side string, t EntityType, entity, account string) (Side, error) {
	ok := false
	switch t {
	case EntityUser:
		_, ok = ParseID[UserID](entity)
	case EntityBusiness:
		_, ok = ParseID[BusinessID](entity)
	case EntityProgram:
		ok = entity == string(pid)
	}
	if !ok {
		return Side{}, Errorf(CodeNotFound, "%s entity not found", side)
	}
	id, ok := ParseID[AccountID](account)
	if !ok {
		return Side{}, Errorf(CodeNotFound, "%s account not found", side)
	}
	return Side{Type: t, EntityID: entity, Account: id}, nil
}

// checkMetadata validates a movement's metadata: at most 20 keys of 1 to 40
// characters, string values of at most 500.
func checkMetadata(f fieldErrors, md map[string]string) {
	if len(md) > maxMetadataKeys {
		f.add("metadata", "must have at most "+itoa(maxMetadataKeys)+" keys")
		return
	}
	for k, v := range md {
		kf := fieldErrors{}
		if k == "" {
			kf.add("metadata", "keys must not be empty")
		}
		checkText(kf, "metadata", k, maxMetadataKey)
		checkText(kf, "metadata", v, maxMetadataValue)
		if msg, bad := kf["metadata"]; bad {
			f.add("metadata", "key "+quote(k)+": "+msg)
		}
	}
}

// quote is a short, safe rendering of a metadata key in a message.
func quote(s string) string {
	if len(s) > maxMetadataKey {
		s = s[:maxMetadataKey] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}

func cloneMetadata(md map[string]string) map[string]string {
	out := make(map[string]string, len(md))
	for k, v := range md {
		out[k] = v
	}
	return out
}

// Rail is how a simulated inbound transfer arrives (sandbox.md section 1).
type Rail string

// The rails of an inbound transfer: ACH settles later, a wire at once.
const (
	RailACH  Rail = "ach"
	RailWire Rail = "wire"
)

// InboundTransfer is a validated sandbox/simulate/inbound-transfer.
type InboundTransfer struct {
	Account     AccountID
	Amount      int64
	Rail        Rail
	Description string
}

// ParseInboundTransfer validates a simulated inbound transfer: 400 for the
// body (the rail defaults to ach; currency is nil when none was sent), then
// 404 for an account id that is not an RBA's.
func ParseInboundTransfer(account, amount, rail, description string, currency *string) (InboundTransfer, error) {
	f := fieldErrors{}
	cents, msg := parseCents(amount)
	if msg != "" {
		f.add("amount", msg)
	}
	required(f, "routable_bank_account_id", account)
	r := Rail(rail)
	switch r {
	case "":
		r = RailACH
	case RailACH, RailWire:
	default:
		f.add("rail", "must be ach or wire")
	}
	desc := normText(description)
	checkText(f, "description", desc, maxMovementText)
	checkCurrency(f, "currency", currency)
	if err := f.err(); err != nil {
		return InboundTransfer{}, err
	}
	id, ok := ParseID[AccountID](account)
	if !ok {
		return InboundTransfer{}, Errorf(CodeNotFound, "account not found")
	}
	return InboundTransfer{Account: id, Amount: cents, Rail: r, Description: desc}, nil
}

// TxFilter selects a page of one account's (or one entity's) transactions,
// newest first.
type TxFilter struct {
	Direction Direction
	Status    TxStatus
	// From and To bound created_at: From <= created_at < To (zero: open).
	From, To time.Time
	// Search is a case-insensitive substring of the description or the id
	// (transactions/program-rba).
	Search  string
	Page    int
	PerPage int
}

// ParseTxFilter validates the filters every transactions list shares:
// direction, status and the date range (ISO 8601 dates or date-times,
// inclusive; a date-only end covers its whole day; start <= end).
func ParseTxFilter(direction, status, start, end string, page, perPage int) (TxFilter, error) {
	f := fieldErrors{}
	tf := TxFilter{Page: page, PerPage: perPage}
	var err error
	if tf.Direction, err = ParseDirection("direction", direction); err != nil {
		f.add("direction", AsError(err).Fields["direction"])
	}
	if tf.Status, err = ParseTxStatus("status", status); err != nil {
		f.add("status", AsError(err).Fields["status"])
	}
	from, okFrom := parseInstant(f, "start_date", start, false)
	to, okTo := parseInstant(f, "end_date", end, true)
	if okFrom && okTo && !from.IsZero() && !to.IsZero() && !from.Before(to) {
		f.add("end_date", "must not be before start_date")
	}
	tf.From, tf.To = from, to
	return tf, f.err()
}

// parseInstant reads an optional date ("2026-04-16") or date-time (RFC 3339,
// with or without fractional seconds) sent as field. For the end of a range
// it returns the first instant after it: the next day for a date, the next
// millisecond for a date-time (times are kept to the millisecond).
func parseInstant(f fieldErrors, field, v string, end bool) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		f.add(field, "must be an ISO 8601 date (2026-04-16) or date-time (2026-04-16T12:00:00Z)")
		return time.Time{}, false
	}
	t = t.UTC().Truncate(time.Millisecond)
	if end {
		t = t.Add(time.Millisecond)
	}
	return t, true
}

// CheckSearch validates a list's search term sent as search.
func CheckSearch(v string) error {
	f := fieldErrors{}
	checkText(f, "search", v, maxSearch)
	return f.err()
}

// PlausibleKey reports whether v could be a transaction's id, uuid,
// reference or idempotent_key: valid UTF-8 without control characters, at
// most 255 characters (a reference's and a key's limit). Anything else
// names no transaction.
func PlausibleKey(v string) bool {
	return len(v) <= 4*maxReference && utf8.ValidString(v) && utf8.RuneCountInString(v) <= maxReference &&
		strings.IndexFunc(v, unicode.IsControl) < 0
}
