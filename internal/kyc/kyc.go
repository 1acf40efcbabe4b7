// Package kyc is the boundary to identity-verification providers. ingot asks a
// Provider for a decision about a user (KYC) or about a business and its
// beneficial owners (KYB); the sandbox provider decides from the SSN's and
// the EIN's last four digits so integrators can script every outcome.
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

// Business is what a provider needs to verify a business (KYB): its
// registration and its owners, each a Subject whose UserID is the owner's
// id. It carries clear SSNs, so it must never be logged.
type Business struct {
	ID, Name, EIN, Type string
	Owners              []Subject
}

// BusinessDecision is a decision about a business, and one about each of its
// owners, in the order of Business.Owners.
type BusinessDecision struct {
	Decision
	Owners []Decision
}

// Provider verifies identities. Its checks may take long (real providers
// answer in seconds to days); callers run them in the background and honour
// ctx.
type Provider interface {
	// Name identifies the provider in the audit trail ("kyc:<name>").
	Name() string
	// Check decides about a person.
	Check(ctx context.Context, s Subject) (Decision, error)
	// CheckBusiness decides about a business and its owners.
	CheckBusiness(ctx context.Context, b Business) (BusinessDecision, error)
}

// Sandbox is the deterministic provider of spec section 5: SSN ending 0001 is
// rejected (SSN_MISMATCH), 0002 stays pending for manual review, anything else
// is verified, after Delay.
type Sandbox struct {
	Delay time.Duration
}

// Name implements Provider.
func (Sandbox) Name() string { return "sandbox" }

// wait sleeps for the sandbox's delay, or until ctx ends.
func (p Sandbox) wait(ctx context.Context) error {
	if p.Delay <= 0 {
		return nil
	}
	t := time.NewTimer(p.Delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func last4(s string) string {
	if len(s) < 4 {
		return ""
	}
	return s[len(s)-4:]
}

// Check implements Provider.
func (p Sandbox) Check(ctx context.Context, s Subject) (Decision, error) {
	if err := p.wait(ctx); err != nil {
		return Decision{}, err
	}
	switch last4(s.SSN) {
	case "0001":
		return Decision{Outcome: Rejected, Reason: "SSN_MISMATCH"}, nil
	case "0002":
		return Decision{Outcome: Review, Reason: "MANUAL_REVIEW"}, nil
	}
	return Decision{Outcome: Verified}, nil
}

// CheckBusiness implements Provider with the sandbox rules of businesses.md
// section 5, by the EIN's last four digits: 0001 is rejected (EIN_MISMATCH),
// 0002 stays pending for manual review with its owners, and anything else is
// decided by the owners: an owner whose SSN ends in 0001 is rejected
// (SSN_MISMATCH) and the business with it (OWNER_KYC_FAILED); otherwise
// every owner and the business are verified. Owners are decided by their SSN
// also when the EIN is rejected: their identity does not depend on it.
func (p Sandbox) CheckBusiness(ctx context.Context, b Business) (BusinessDecision, error) {
	if err := p.wait(ctx); err != nil {
		return BusinessDecision{}, err
	}
	d := BusinessDecision{Owners: make([]Decision, len(b.Owners))}
	if last4(b.EIN) == "0002" {
		d.Decision = Decision{Outcome: Review, Reason: "MANUAL_REVIEW"}
		for i := range d.Owners {
			d.Owners[i] = d.Decision
		}
		return d, nil
	}
	failed := false
	for i, o := range b.Owners {
		d.Owners[i] = Decision{Outcome: Verified}
		if last4(o.SSN) == "0001" {
			d.Owners[i] = Decision{Outcome: Rejected, Reason: "SSN_MISMATCH"}
			failed = true
		}
	}
	switch {
	case last4(b.EIN) == "0001":
		d.Decision = Decision{Outcome: Rejected, Reason: "EIN_MISMATCH"}
	case failed:
		d.Decision = Decision{Outcome: Rejected, Reason: "OWNER_KYC_FAILED"}
	default:
		d.Decision = Decision{Outcome: Verified}
	}
	return d, nil
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

// CheckBusiness implements Provider: the business and its owners wait for a
// human.
func (Manual) CheckBusiness(ctx context.Context, b Business) (BusinessDecision, error) {
	review := Decision{Outcome: Review, Reason: "MANUAL_REVIEW"}
	d := BusinessDecision{Decision: review, Owners: make([]Decision, len(b.Owners))}
	for i := range d.Owners {
		d.Owners[i] = review
	}
	return d, nil
}

// Scheduled splits p into the provider to ask when a check (KYC or KYB) is
// due and how long after submission that is. The sandbox's delay becomes the due time of
// the check's job, so a delayed check holds no process while it waits, and
// the sandbox clock can bring it forward; the provider returned decides at
// once. Other providers are asked at once and take the time they take.
func Scheduled(p Provider) (Provider, time.Duration) {
	if sb, ok := p.(Sandbox); ok {
		return Sandbox{}, sb.Delay
	}
	return p, 0
}
