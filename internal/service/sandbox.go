package service

import (
	"context"
	"strings"

	"github.com/ingot-dev/ingot/internal/banking"
)

// The sandbox control plane (sandbox.md section 1): reset, decisions on
// demand. Clocks are in sandbox_clock.go, faults in sandbox_faults.go.

// sandboxActor is the audit actor of what the control plane does.
const sandboxActor = "sandbox"

// controlActor is the actor of a control-plane call's own event (a reset,
// a clock advance): the console's operator when one acts (sandbox.md
// section 3), else the sandbox.
func (c Caller) controlActor() string {
	if c.Operator != "" {
		return c.Operator.Actor()
	}
	return sandboxActor
}

// Reset is sandbox/reset: it deletes every row of the caller's program but
// its credentials and webhook endpoint, in one transaction
// (store.ResetWork), recreates its master RBA empty, and starts the
// program's audit trail anew with a program.reset event (docs/decisions.md:
// what a reset does with the audit trail). The clock's offset and the
// faults go with the rest.
func (s *Service) Reset(ctx context.Context, c Caller) (struct{}, error) {
	// The reset sets the clock back to the real time: its own event is
	// stamped so.
	now := s.clock()
	ev := banking.Event{ID: banking.NewEventID(now), ProgramID: c.ProgramID, SubjectID: string(c.ProgramID),
		Type: banking.EventProgramReset, Actor: c.controlActor(), Changes: banking.Changes{}, CreatedAt: now}
	w := s.store.ResetWork(c.ProgramID, ev)
	w.Idem = c.finish()
	_, err := s.store.Do(ctx, w)
	s.forgetClock(c.ProgramID)
	s.forgetFaults(c.ProgramID)
	return struct{}{}, err
}

// SimulatedDecision is the body of sandbox/simulate/kyc-decision and
// kyb-decision: the outcome (verified or rejected) and its reason codes.
type SimulatedDecision struct {
	Outcome     string
	ReasonsCode []string
}

// parse validates the decision: outcome verified or rejected; reason codes
// (at most 20, each 1 to 64 printable characters) joined as the reason.
func (d SimulatedDecision) parse() (banking.KYCStatus, string, error) {
	var fields []error
	var to banking.KYCStatus
	switch d.Outcome {
	case "verified":
		to = banking.KYCVerified
	case "rejected":
		to = banking.KYCRejected
	case "":
		fields = append(fields, banking.Invalid("outcome", "is required: verified or rejected"))
	default:
		fields = append(fields, banking.Invalid("outcome", "must be verified or rejected"))
	}
	if len(d.ReasonsCode) > 20 {
		fields = append(fields, banking.Invalid("reasons_code", "must have at most 20 codes"))
	}
	for _, r := range d.ReasonsCode {
		if r == "" || len(r) > 64 || strings.ContainsFunc(r, func(c rune) bool { return c < 0x20 || c == 0x7f || c == ',' }) {
			fields = append(fields, banking.Invalid("reasons_code", "each code must be 1 to 64 printable characters without commas"))
			break
		}
	}
	if len(fields) > 0 {
		return "", "", joinInvalid(fields...)
	}
	reason := strings.Join(d.ReasonsCode, ",")
	if banking.CheckReason(reason) != nil {
		return "", "", banking.Invalid("reasons_code", "the codes are too long together")
	}
	return to, reason, nil
}

// SimulateKYC is sandbox/simulate/kyc-decision: the provider's decision,
// now, for a user whose KYC is pending (409 conflict otherwise), with its
// user.kyc.* event (actor "sandbox") and webhook. A check job still waiting
// finds the user decided and does nothing.
func (s *Service) SimulateKYC(ctx context.Context, c Caller, rawUser string, d SimulatedDecision) (banking.User, error) {
	uid, uerr := userID(rawUser)
	to, reason, err := d.parse()
	switch {
	case banking.IsCode(uerr, banking.CodeInvalid):
		return banking.User{}, joinInvalid(uerr, err)
	case err != nil:
		return banking.User{}, err
	case uerr != nil:
		return banking.User{}, uerr
	}
	w := s.kycDecisionWork(c.ProgramID, uid, to, reason, sandboxActor, nil)
	w.Idem = c.finish()
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.User{}, err
	}
	return v.(banking.User), nil
}

// SimulateKYB is sandbox/simulate/kyb-decision: SimulateKYC for a business
// whose KYB is pending; its owners and documents follow it, as with the
// provider's decision.
func (s *Service) SimulateKYB(ctx context.Context, c Caller, rawBusiness string, d SimulatedDecision) (banking.Business, error) {
	to, reason, err := d.parse()
	if rawBusiness == "" {
		return banking.Business{}, joinInvalid(banking.Invalid("business_id", "is required"), err)
	}
	if err != nil {
		return banking.Business{}, err
	}
	b, err := s.BusinessByID(ctx, c.ProgramID, rawBusiness)
	if err != nil {
		return banking.Business{}, err
	}
	// The owning user never changes, so reading it outside the Work is safe.
	w := s.kybDecisionWork(c.ProgramID, b.UserID, b.ID, banking.KYBDecision{Outcome: to, Reason: reason}, sandboxActor, nil)
	w.Idem = c.finish()
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.Business{}, err
	}
	return v.(banking.Business), nil
}
