// Package kyc is the boundary to identity-verification providers. ingot asks a
// Provider for a decision about a user; the sandbox provider decides from the
// SSN's last four digits so integrators can script every outcome.
package kyc

import (
	"context"
	"time"
)

// Subject is what a provider needs to verify a person. It carries the clear
// SSN, so it must never be logged.
type Subject struct {
	UserID      string
	FirstName   string
	LastName    string
	DateOfBirth string
	SSN         string
}

// Outcome is a provider's decision.
type Outcome string

// Provider outcomes. Review leaves the user pending for a human.
const (
	Verified Outcome = "verified"
	Rejected Outcome = "rejected"
	Review   Outcome = "review"
)

// Decision is an outcome with the provider's reason code.
type Decision struct {
	Outcome Outcome
	Reason  string
}

// Provider verifies identities. Check may take long (real providers answer in
// seconds to days); callers run it in the background and honour ctx.
type Provider interface {
	// Name identifies the provider in the audit trail ("kyc:<name>").
	Name() string
	Check(ctx context.Context, s Subject) (Decision, error)
}

// Sandbox is the deterministic provider of spec section 5: SSN ending 0001 is
// rejected (SSN_MISMATCH), 0002 stays pending for manual review, anything else
// is verified, after Delay.
type Sandbox struct {
	Delay time.Duration
}

// Name implements Provider.
func (Sandbox) Name() string { return "sandbox" }

// Check implements Provider.
func (p Sandbox) Check(ctx context.Context, s Subject) (Decision, error) {
	if p.Delay > 0 {
		t := time.NewTimer(p.Delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return Decision{}, ctx.Err()
		case <-t.C:
		}
	}
	last4 := ""
	if len(s.SSN) >= 4 {
		last4 = s.SSN[len(s.SSN)-4:]
	}
	switch last4 {
	case "0001":
		return Decision{Outcome: Rejected, Reason: "SSN_MISMATCH"}, nil
	case "0002":
		return Decision{Outcome: Review, Reason: "MANUAL_REVIEW"}, nil
	}
	return Decision{Outcome: Verified}, nil
}

// Manual is the provider outside the sandbox until a real provider is
// integrated: it decides nothing, so every submission stays pending for a
// human instead of being approved by a rule meant for test data.
type Manual struct{}

// Name implements Provider.
func (Manual) Name() string { return "manual" }

// Check implements Provider.
func (Manual) Check(ctx context.Context, s Subject) (Decision, error) {
	return Decision{Outcome: Review, Reason: "MANUAL_REVIEW"}, nil
}

// Scheduled splits p into the provider to ask when a check is due and how
// long after submission that is. The sandbox's delay becomes the due time of
// the check's job, so a delayed check holds no process while it waits, and
// the sandbox clock can bring it forward; the provider returned decides at
// once. Other providers are asked at once and take the time they take.
func Scheduled(p Provider) (Provider, time.Duration) {
	if sb, ok := p.(Sandbox); ok {
		return Sandbox{}, sb.Delay
	}
	return p, 0
}
