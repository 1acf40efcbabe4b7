package banking

import (
	"strings"
	"time"
)

// External movements (money.md sections 4.2-4.4): money between an RBA and
// a linked external bank account, over ACH. In the ledger the outside
// world's side is the program's clearing account; the linked account is
// named by the movement's payment intent.

// ExternalInput is a top-up, a payout or a program funding as sent. Field
// names are the wire's, so that errors name them.
type ExternalInput struct {
	Category Category
	// UserID and BusinessID name the entity (both "" for program funding;
	// a top-up names the business as receiver_business_id).
	UserID, BusinessID string
	Amount             string
	// Linked is the linked account's id; Account the RBA's.
	Linked, Account        string
	Description, Reference string
	// Currency is nil when the request sent none (section 1).
	Currency *string
	Metadata map[string]string
	HasKey   bool
}

// The wire names of each category's fields: user, business, linked
// account, RBA.
var externalFields = map[Category][4]string{
	CategoryTopUp:          {"user_id", "receiver_business_id", "account_id", "routable_bank_account_id"},
	CategoryPayout:         {"user_id", "business_id", "destination_account_id", "source_account_id"},
	CategoryProgramFunding: {"", "", "account_id", "routable_bank_account_id"},
}

// External is a validated external movement.
type External struct {
	Category    Category
	Amount      int64
	UserID      UserID
	BusinessID  BusinessID
	Linked      LinkedAccountID
	Account     AccountID
	Description string
	Reference   string
	Metadata    map[string]string
}

// In reports whether the movement brings money in (a top-up, program
// funding): its payment intent's direction is credit, a payout's debit.
func (e *External) In() bool { return e.Category != CategoryPayout }

// ParseExternal validates an external movement in the first two steps of
// section 4's order: the body (400 naming every wrong field, the
// idempotent_key included), then the ids' shapes (404: an id of the wrong
// kind names nothing, an RBA id given as the linked account included).
func ParseExternal(in ExternalInput) (External, error) {
	names, ok := externalFields[in.Category]
	if !ok {
		return External{}, Errorf(CodeInternal, "no external movement of category %q", in.Category)
	}
	f := fieldErrors{}
	amount, msg := parseCents(in.Amount)
	if msg != "" {
		f.add("amount", msg)
	}
	if names[0] != "" {
		required(f, names[0], in.UserID)
		required(f, names[1], in.BusinessID)
	}
	required(f, names[2], in.Linked)
	required(f, names[3], in.Account)
	desc, ref := normText(in.Description), normText(in.Reference)
	checkText(f, "description", desc, maxMovementText)
	checkText(f, "reference", ref, maxReference)
	checkCurrency(f, "currency", in.Currency)
	checkMetadata(f, in.Metadata)
	if !in.HasKey {
		f.add("idempotent_key", "is required for money movement")
	}
	if err := f.err(); err != nil {
		return External{}, err
	}
	e := External{Category: in.Category, Amount: amount, Description: desc, Reference: ref, Metadata: cloneMetadata(in.Metadata)}
	if names[0] != "" {
		if e.UserID, ok = ParseID[UserID](in.UserID); !ok {
			return External{}, Errorf(CodeNotFound, "user not found")
		}
		if e.BusinessID, ok = ParseID[BusinessID](in.BusinessID); !ok {
			return External{}, Errorf(CodeNotFound, "business not found")
		}
	}
	if e.Linked, ok = ParseID[LinkedAccountID](in.Linked); !ok {
		return External{}, Errorf(CodeNotFound, "linked bank account not found")
	}
	if e.Account, ok = ParseID[AccountID](in.Account); !ok {
		return External{}, Errorf(CodeNotFound, "routable bank account not found")
	}
	return e, nil
}

// PaymentIntent is the payment intent of an external movement (money.md
// section 6): its status follows its transaction's.
type PaymentIntent struct {
	ID            PaymentIntentID
	ProgramID     ProgramID
	TransactionID TransactionID
	LinkedAccount LinkedAccountID
	Amount        int64
	Direction     Direction
	// Action is settlement_needed for ACH (every intent ingot makes today).
	Action        string
	Category      Category
	Status        TxStatus
	EntityType    EntityType
	EntityID      string
	IdempotentKey string
	PostingDate   time.Time
	Metadata      map[string]string
	// Description and Reference are its transaction's, kept for search.
	Description string
	Reference   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Payment intent actions (Ingo's pi_action filter).
const (
	ActionInstant          = "instant"
	ActionApprovalNeeded   = "approval_needed"
	ActionSettlementNeeded = "settlement_needed"
	ActionHold             = "hold"
	ActionCheck            = "check"
)

// IntentFilter selects a page of a program's payment intents, newest
// first.
type IntentFilter struct {
	Action     string
	Status     TxStatus
	EntityType EntityType
	Direction  Direction
	Search     string
	From, To   time.Time
	Page       int
	PerPage    int
}

// ParseIntentFilter validates payment-intent/program/all's filters (400
// naming every wrong one).
func ParseIntentFilter(action, status, entityType, direction, search, start, end string, page, perPage int) (IntentFilter, error) {
	f := fieldErrors{}
	q := IntentFilter{Action: action, Search: search, Page: page, PerPage: perPage}
	switch action {
	case "", ActionInstant, ActionApprovalNeeded, ActionSettlementNeeded, ActionHold, ActionCheck:
	default:
		f.add("pi_action", "must be instant, approval_needed, settlement_needed, hold or check")
	}
	var err error
	if q.Status, err = ParseTxStatus("status_str", status); err != nil {
		f.add("status_str", AsError(err).Fields["status_str"])
	}
	switch t := EntityType(entityType); t {
	case "", EntityUser, EntityBusiness, EntityProgram:
		q.EntityType = t
	default:
		f.add("entity_type", "must be user, business or program")
	}
	if q.Direction, err = ParseDirection("direction", direction); err != nil {
		f.add("direction", AsError(err).Fields["direction"])
	}
	checkText(f, "search", search, maxSearch)
	from, okFrom := parseInstant(f, "start_date", start, false)
	to, okTo := parseInstant(f, "end_date", end, true)
	if okFrom && okTo && !from.IsZero() && !to.IsZero() && !from.Before(to) {
		f.add("end_date", "must not be before start_date")
	}
	q.From, q.To = from, to
	return q, f.err()
}

// Report limits (money.md section 6): a report's range spans at most
// MaxReportDays and answers at most MaxReportItems transactions.
const (
	MaxReportDays  = 366
	MaxReportItems = 10_000
)

// ReportRange is a validated report or summary range: From <= created_at <
// To, both required.
type ReportRange struct {
	From, To  time.Time
	Direction Direction
}

// ParseReportRange validates transactions/report's and the summary's
// start_date, end_date (required, inclusive, start <= end, at most 366 days
// apart) and direction.
func ParseReportRange(start, end, direction string) (ReportRange, error) {
	f := fieldErrors{}
	required(f, "start_date", start)
	required(f, "end_date", end)
	from, okFrom := parseInstant(f, "start_date", start, false)
	to, okTo := parseInstant(f, "end_date", end, true)
	var r ReportRange
	var err error
	if r.Direction, err = ParseDirection("direction", direction); err != nil {
		f.add("direction", AsError(err).Fields["direction"])
	}
	if okFrom && okTo && start != "" && end != "" {
		switch {
		case !from.Before(to):
			f.add("end_date", "must not be before start_date")
		case lastInstant(end, to).Sub(from) > MaxReportDays*24*time.Hour:
			f.add("end_date", "must be at most 366 days after start_date")
		}
	}
	r.From, r.To = from, to
	return r, f.err()
}

// lastInstant is the instant end_date names, given to, the exclusive bound
// parseInstant made of it: a date's start (the range takes the whole day,
// but "366 days apart" counts from the date), or a date-time itself.
func lastInstant(end string, to time.Time) time.Time {
	if _, err := time.Parse(time.DateOnly, end); err == nil {
		return to.AddDate(0, 0, -1)
	}
	return to.Add(-time.Millisecond)
}

// Summary is balance/program-transaction-summary's answer: the master
// RBA's posted credits and debits in a range, in cents.
type Summary struct {
	CreditsTotal, DebitsTotal int64
	CreditsCount, DebitsCount int
}

// Outcome is a decision about a movement sent to settlement (sandbox.md
// section 1, `ingot transfers settle`).
type Outcome string

// The outcomes: a pending movement completes, fails or is blocked; a
// completed one is returned.
const (
	OutcomeCompleted Outcome = "completed"
	OutcomeFailed    Outcome = "failed"
	OutcomeBlocked   Outcome = "blocked"
	OutcomeReturned  Outcome = "returned"
)

// returnReasons are the words of the common ACH return codes.
var returnReasons = map[string]string{
	"R01": "insufficient funds", "R02": "account closed", "R03": "no account/unable to locate account",
	"R04": "invalid account number", "R05": "unauthorized debit", "R06": "returned per ODFI's request",
	"R07": "authorization revoked by customer", "R08": "payment stopped", "R09": "uncollected funds",
	"R10": "customer advises not authorized", "R16": "account frozen", "R20": "non-transaction account",
	"R29": "corporate customer advises not authorized",
}

// ReturnReason is the failure_reason of ACH return code c ("R01" to "R99"):
// the code and its words, e.g. "R01 insufficient funds".
func ReturnReason(c string) string {
	if w, ok := returnReasons[c]; ok {
		return c + " " + w
	}
	return c + " returned"
}

// ParseOutcome validates a settlement decision: outcome completed, failed,
// blocked or returned, and return_code R01 to R99 (default R01).
func ParseOutcome(outcome, code string) (Outcome, string, error) {
	f := fieldErrors{}
	o := Outcome(outcome)
	switch o {
	case OutcomeCompleted, OutcomeFailed, OutcomeBlocked, OutcomeReturned:
	case "":
		f.add("outcome", "is required")
	default:
		f.add("outcome", "must be completed, failed, blocked or returned")
	}
	if code == "" {
		code = "R01"
	} else if len(code) != 3 || code[0] != 'R' || !allDigits(code[1:]) || code == "R00" {
		f.add("return_code", "must be an ACH return code R01 to R99")
	}
	return o, code, f.err()
}

// SearchText is what payment-intent/program/all's search matches: the
// intent's id, its transaction's id, the entity's id, the description, the
// reference and the idempotent_key.
func (p *PaymentIntent) SearchText() string {
	return SearchTerm(strings.Join([]string{string(p.ID), string(p.TransactionID), p.EntityID, p.Description,
		p.Reference, p.IdempotentKey}, "\x1f"))
}
