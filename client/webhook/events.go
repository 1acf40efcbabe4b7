package webhook

import "time"

// The event types ingot sends (webhooks.md section 3).
const (
	UserKYCFailed            = "user.kyc.failed"
	UserKYCVerified          = "user.kyc.verified"
	UserKYCPending           = "user.kyc.pending"
	UserBlocked              = "user.blocked"
	UserUnblocked            = "user.unblocked"
	BusinessKYBFailed        = "business.kyb.failed"
	BusinessKYBVerified      = "business.kyb.verified"
	BusinessKYBPending       = "business.kyb.pending"
	BusinessBlocked          = "business.blocked"
	BusinessUnblocked        = "business.unblocked"
	AccountIssueCreated      = "account.issue.created"
	AccountAssignmentSuccess = "account.assignment.success"
	AccountTransferCreated   = "account.transfer.created"
	AccountTransferCompleted = "account.transfer.completed"
	AccountTransferFailed    = "account.transfer.failed"
	AccountTransferBlocked   = "account.transfer.blocked"
	AccountTransferReturned  = "account.transfer.returned"
	AccountFrozen            = "account.frozen"
	AccountUnfrozen          = "account.unfrozen"
	AccountClosed            = "account.closed"
)

// Event is one delivery's body: the envelope of webhooks.md section 2.
// CreatedAt and UpdatedAt are Ingo's "DD-MM-YYYY hh:mm AM/PM" in UTC (Time
// reads them; Data.OccurredAt has the millisecond time).
type Event struct {
	Event     string `json:"event"`
	Data      Data   `json:"data"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// Data is an event's data: the fields every event has, then those of each
// type (section 3), empty where the type has none. Entity ids (UserID,
// BusinessID, EntityID, AccountID) are numeric strings; ResourceID is the
// API id (user-…, buss-…, rbac-…, ltra-…) to call the API with.
type Data struct {
	EventID          string `json:"event_id"`
	EventType        string `json:"event_type"`
	EventDescription string `json:"event_description"`
	ResourceID       string `json:"resource_id"`
	// OccurredAt is when the change happened, ISO 8601 with milliseconds.
	OccurredAt string `json:"occurred_at"`

	// Users and businesses.
	UserID      string   `json:"user_id,omitempty"`
	BusinessID  string   `json:"business_id,omitempty"`
	Status      string   `json:"status,omitempty"`
	Reasons     []string `json:"reasons,omitempty"`
	ReasonsCode []string `json:"reasons_code,omitempty"`

	// Accounts and transfers.
	EntityID     string   `json:"entity_id,omitempty"`
	EntityType   string   `json:"entity_type,omitempty"`
	AccountID    string   `json:"account_id,omitempty"`
	AccountType  string   `json:"account_type,omitempty"`
	TransferID   string   `json:"transfer_id,omitempty"`
	AdjustmentID string   `json:"adjustment_id,omitempty"`
	Currency     string   `json:"currency,omitempty"`
	Amount       string   `json:"amount,omitempty"`
	Memo         string   `json:"memo,omitempty"`
	Direction    string   `json:"direction,omitempty"`
	Account      *Account `json:"account,omitempty"`
}

// Account is account.assignment.success's account: Number is the last four
// digits.
type Account struct {
	AccountID string `json:"account_id"`
	Status    string `json:"status"`
	Number    string `json:"number"`
	Routing   string `json:"routing"`
	BankName  string `json:"bank_name"`
	Type      string `json:"type"`
}

// EnvelopeTime is the layout of CreatedAt and UpdatedAt.
const EnvelopeTime = "02-01-2006 03:04 PM"

// Time is when the event happened, from Data.OccurredAt (or, failing that,
// CreatedAt, to the minute).
func (e Event) Time() (time.Time, error) {
	if t, err := time.Parse("2006-01-02T15:04:05.000Z", e.Data.OccurredAt); err == nil {
		return t, nil
	}
	return time.Parse(EnvelopeTime, e.CreatedAt)
}
