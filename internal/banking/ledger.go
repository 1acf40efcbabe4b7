package banking

import "time"

// The ledger (money.md section 3). A ledger transaction is a set of entries
// that sum to zero: a movement of an amount from one ledger account to
// another is a debit (negative entry) of the source and a credit (positive
// entry) of the destination. It is created pending (its entries pending:
// the source's pending debits and the destination's pending credits rise)
// and later completes (its entries are posted) or fails (they are voided).

// TxStatus is a ledger transaction's state (section 3.1).
type TxStatus string

// The states of a ledger transaction.
const (
	TxPending   TxStatus = "pending"
	TxCompleted TxStatus = "completed"
	TxFailed    TxStatus = "failed"
	TxBlocked   TxStatus = "blocked"
	TxReturned  TxStatus = "returned"
	TxReversed  TxStatus = "reversed"
)

// ParseTxStatus reads a status filter ("" for any) sent as field.
func ParseTxStatus(field, s string) (TxStatus, error) {
	switch st := TxStatus(s); st {
	case "", TxPending, TxCompleted, TxFailed, TxBlocked, TxReturned, TxReversed:
		return st, nil
	}
	return "", Invalid(field, "must be pending, completed, failed, blocked, returned or reversed")
}

// Category is what kind of movement a transaction is (section 3.1).
type Category string

// The categories of movement.
const (
	CategoryBookTransfer    Category = "book_transfer"
	CategoryTopUp           Category = "top_up"
	CategoryPayout          Category = "payout"
	CategoryProgramFunding  Category = "program_funding"
	CategoryInboundTransfer Category = "inbound_transfer"
	CategoryReturn          Category = "return"
)

// Method is the rail a movement travels on.
type Method string

// The rails.
const (
	MethodBook Method = "book"
	MethodACH  Method = "ach"
	MethodWire Method = "wire"
)

// Direction is a movement seen from one account: money in is a credit,
// money out a debit.
type Direction string

// The directions.
const (
	Credit Direction = "credit"
	Debit  Direction = "debit"
)

// ParseDirection reads a direction filter ("" for any) sent as field.
func ParseDirection(field, s string) (Direction, error) {
	switch d := Direction(s); d {
	case "", Credit, Debit:
		return d, nil
	}
	return "", Invalid(field, "must be credit or debit")
}

// EntityType names who owns an account in a movement: a user, a business
// or the program itself (section 4.1).
type EntityType string

// The entity types.
const (
	EntityUser     EntityType = "user"
	EntityBusiness EntityType = "business"
	EntityProgram  EntityType = "program"
)

// EntityOf is the entity owning RBA a: its type and id ("" for an internal
// account, which no entity owns).
func EntityOf(a *Account) (EntityType, string) {
	switch a.Kind {
	case AccountUser:
		return EntityUser, string(a.UserID)
	case AccountBusiness:
		return EntityBusiness, string(a.BusinessID)
	case AccountMaster:
		return EntityProgram, string(a.ProgramID)
	}
	return "", ""
}

// Transaction is a ledger transaction (section 3.1). Amount is in cents,
// always positive: the direction is the account's point of view.
type Transaction struct {
	ID                   TransactionID
	ProgramID            ProgramID
	Amount               int64
	Status               TxStatus
	Category             Category
	Method               Method
	OriginatorType       EntityType
	OriginatorID         string
	SourceAccountID      AccountID
	DestinationAccountID AccountID
	// SourceEntityType and the others name the entities owning the two
	// accounts ("" for the outside world's side).
	SourceEntityType      EntityType
	SourceEntityID        string
	DestinationEntityType EntityType
	DestinationEntityID   string
	Description           string
	Reference             string
	Metadata              map[string]string
	IdempotentKey         string
	FailureReason         string
	// PostingDate is when it completed; zero before.
	PostingDate           time.Time
	ReversedTransactionID TransactionID
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// Statement is a transaction seen from one account (a list's item): the
// direction is that account's.
type Statement struct {
	Transaction
	Direction Direction
}

// Event types of movements; their subject is the transaction id. A later
// webhooks layer derives account.transfer.* webhooks from them (one per RBA
// involved, each from that account's point of view) by type, so the names
// are stable and the changes carry everything a webhook needs.
const (
	EventTransferCreated   EventType = "transfer.created"
	EventTransferCompleted EventType = "transfer.completed"
	EventTransferFailed    EventType = "transfer.failed"
	// EventTransferBlocked: a pending movement stopped by a compliance hold
	// (funds released, nothing moved).
	EventTransferBlocked EventType = "transfer.blocked"
	// EventTransferReturned: a completed movement returned over ACH; the
	// original's status becomes returned and a new transaction (category
	// return, reversed_transaction_id naming it) moves the money back.
	EventTransferReturned EventType = "transfer.returned"
)

// TransferChanges records a movement: status from before to t's, and the
// facts of the movement (amount, currency, category, method, the two
// accounts and their entities, description, reference) with from equal to
// to, so that every event of a transaction stands on its own.
func TransferChanges(t *Transaction, before TxStatus) Changes {
	same := func(v string) Change { return Change{From: v, To: v} }
	ch := Changes{
		"status":                  {From: string(before), To: string(t.Status)},
		"amount":                  same(FormatAmount(t.Amount)),
		"currency":                same(Currency),
		"category":                same(string(t.Category)),
		"method":                  same(string(t.Method)),
		"source_account_id":       same(publicAccount(t.SourceAccountID)),
		"destination_account_id":  same(publicAccount(t.DestinationAccountID)),
		"source_entity_type":      same(string(t.SourceEntityType)),
		"source_entity_id":        same(t.SourceEntityID),
		"destination_entity_type": same(string(t.DestinationEntityType)),
		"destination_entity_id":   same(t.DestinationEntityID),
		"description":             same(t.Description),
		"reference":               same(t.Reference),
	}
	if before == "" {
		for k, c := range ch {
			if k != "status" {
				ch[k] = Change{From: "", To: c.To}
			}
		}
	}
	if !t.PostingDate.IsZero() {
		ch["posting_date"] = Change{From: "", To: t.PostingDate.UTC().Format("2006-01-02T15:04:05.000Z")}
	}
	if t.FailureReason != "" {
		ch["failure_reason"] = Change{From: "", To: t.FailureReason}
	}
	return ch
}

// PublicAccount is how an account id is shown: "" for an internal account
// (the outside world's side of a movement), the id for an RBA.
func PublicAccount(id AccountID) string { return publicAccount(id) }

func publicAccount(id AccountID) string {
	if _, ok := ParseID[AccountID](string(id)); !ok {
		return ""
	}
	return string(id)
}

// NewTransferEvent builds an event about transaction t.
func NewTransferEvent(t *Transaction, typ EventType, actor string, ch Changes, now time.Time) Event {
	return Event{ID: NewEventID(now), ProgramID: t.ProgramID, SubjectID: string(t.ID), Type: typ,
		Actor: actor, Changes: ch, CreatedAt: now}
}
