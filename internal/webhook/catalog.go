// Package webhook is what ingot's webhooks are made of, without I/O of its
// own but the HTTP attempt: the catalog of event types (webhooks.md section
// 3), the envelope byte for byte (section 2), the registry that maps audit
// events to webhook events, Standard Webhooks signatures, the retry
// schedule, and the guard that keeps deliveries off private networks
// (section 1). internal/service wires it to the store and the job runner.
package webhook

import "slices"

// Type is a webhook event type, e.g. "user.kyc.failed".
type Type string

// The event types of webhooks.md section 3: Ingo's documented ones, then
// ours in the same shape.
const (
	UserKYCFailed            Type = "user.kyc.failed"
	UserKYCVerified          Type = "user.kyc.verified"
	UserKYCPending           Type = "user.kyc.pending"
	UserBlocked              Type = "user.blocked"
	UserUnblocked            Type = "user.unblocked"
	BusinessKYBFailed        Type = "business.kyb.failed"
	BusinessKYBVerified      Type = "business.kyb.verified"
	BusinessKYBPending       Type = "business.kyb.pending"
	BusinessBlocked          Type = "business.blocked"
	BusinessUnblocked        Type = "business.unblocked"
	AccountIssueCreated      Type = "account.issue.created"
	AccountAssignmentSuccess Type = "account.assignment.success"
	AccountTransferCreated   Type = "account.transfer.created"
	AccountTransferCompleted Type = "account.transfer.completed"
	AccountTransferFailed    Type = "account.transfer.failed"
	AccountTransferBlocked   Type = "account.transfer.blocked"
	AccountTransferReturned  Type = "account.transfer.returned"
	AccountFrozen            Type = "account.frozen"
	AccountUnfrozen          Type = "account.unfrozen"
	AccountClosed            Type = "account.closed"
)

// descriptions are the event_description of each type. Ingo's example gives
// "Transfer completed"; the rest follow it.
var descriptions = map[Type]string{
	UserKYCFailed:            "KYC failed",
	UserKYCVerified:          "KYC verified",
	UserKYCPending:           "KYC pending manual review",
	UserBlocked:              "User blocked",
	UserUnblocked:            "User unblocked",
	BusinessKYBFailed:        "KYB failed",
	BusinessKYBVerified:      "KYB verified",
	BusinessKYBPending:       "KYB pending manual review",
	BusinessBlocked:          "Business blocked",
	BusinessUnblocked:        "Business unblocked",
	AccountIssueCreated:      "Routable bank account issued",
	AccountAssignmentSuccess: "Account assigned",
	AccountTransferCreated:   "Transfer created",
	AccountTransferCompleted: "Transfer completed",
	AccountTransferFailed:    "Transfer failed",
	AccountTransferBlocked:   "Transfer blocked",
	AccountTransferReturned:  "Transfer returned",
	AccountFrozen:            "Account frozen",
	AccountUnfrozen:          "Account unfrozen",
	AccountClosed:            "Account closed",
}

// Description is t's event_description ("" for an unknown type).
func Description(t Type) string { return descriptions[t] }

// Types lists every event type, sorted: what an endpoint may subscribe to.
func Types() []Type {
	out := make([]Type, 0, len(descriptions))
	for t := range descriptions {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Known reports whether t is an event type of the catalog.
func Known(t Type) bool {
	_, ok := descriptions[t]
	return ok
}
