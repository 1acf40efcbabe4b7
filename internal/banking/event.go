package banking

import "time"

// EventType names what happened to a subject in the audit trail.
type EventType string

// Event types of the user audit trail (spec section 5, /user/events).
const (
	EventProgramCreated EventType = "program.created"
	// EventCredentialsRotated: an operator replaced the program's
	// credentials; the old ones work until the grace period ends.
	EventCredentialsRotated EventType = "program.credentials_rotated"
	// EventProgramReset: sandbox/reset deleted the program's data; it is the
	// first event of the program's new audit chain (sandbox.md section 1).
	EventProgramReset  EventType = "program.reset"
	EventUserCreated   EventType = "user.created"
	EventUserUpdated   EventType = "user.updated"
	EventUserBlocked   EventType = "user.blocked"
	EventUserUnblocked EventType = "user.unblocked"
	EventKYCSubmitted  EventType = "user.kyc.submitted"
	EventKYCVerified   EventType = "user.kyc.verified"
	EventKYCRejected   EventType = "user.kyc.rejected"
)

// Events of the sandbox's and the webhook log's controls, each made by a
// program's call or by an operator in the console (sandbox.md section 3:
// every operator action is in the audit trail). Neither has a webhook of
// its own: no mapper is registered for them (internal/webhook).
const (
	// EventClockAdvanced: sandbox/clock/advance moved the program's clock
	// forward. Subject: the program. Its change "now" goes from the
	// program's time before the advance to the time asked for.
	EventClockAdvanced EventType = "program.clock_advanced"
	// EventWebhookRedelivered: webhook/redeliver made a webhook event due
	// for one more delivery. Subject: the webhook event's id. Its change
	// "status" goes from the delivery's status before to pending.
	EventWebhookRedelivered EventType = "webhook.redelivered"
)

// Notices: what happened without changing anything, so it has no place in
// the audit trail (which records changes), but is told to webhook receivers
// (store.Tx.Notify). A check that ends in manual review leaves the user or
// business pending as it was.
const (
	EventKYCReview EventType = "user.kyc.review"
	EventKYBReview EventType = "business.kyb.review"
)

// Change is one field's old and new value. Values are strings, or lists for
// meta_data; secrets appear only as their safe projection (ssn_last_4).
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// Changes maps a field name to how it changed.
type Changes map[string]Change

// Event is one entry of the audit trail. Every change of a user writes exactly
// one event in the same transaction as the change.
type Event struct {
	ID        EventID
	ProgramID ProgramID
	// SubjectID is the id of what changed (a user or a program).
	SubjectID string
	Type      EventType
	// Actor is who caused it: "program:<id>" for API calls, "kyc:<provider>"
	// for provider decisions, "operator" for the CLI.
	Actor     string
	Reason    string
	Changes   Changes
	CreatedAt time.Time
}

// ActorProgram is the actor string for a call made with a program's credentials.
func ActorProgram(id ProgramID) string { return "program:" + string(id) }

// NewEvent builds an event about a user.
func NewEvent(u *User, typ EventType, actor, reason string, ch Changes, now time.Time) Event {
	return Event{
		ID:        NewEventID(now),
		ProgramID: u.ProgramID,
		SubjectID: string(u.ID),
		Type:      typ,
		Actor:     actor,
		Reason:    reason,
		Changes:   ch,
		CreatedAt: now,
	}
}
