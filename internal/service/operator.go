package service

import (
	"context"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Operator is a person signed in to the console, named by their console
// token's name. Everything an operator changes is recorded in the audit
// trail with the actor "operator:<name>" (sandbox.md section 3).
type Operator string

// Actor is the operator as the audit trail names them.
func (o Operator) Actor() string { return "operator:" + string(o) }

// Decision is an operator's verdict in the review queue.
type Decision string

// The verdicts an operator may give.
const (
	Approve Decision = "approve"
	Reject  Decision = "reject"
)

// outcome maps a verdict to the KYC status it sets; anything else is
// invalid.
func (d Decision) outcome() (banking.KYCStatus, error) {
	switch d {
	case Approve:
		return banking.KYCVerified, nil
	case Reject:
		return banking.KYCRejected, nil
	}
	return "", banking.Invalid("decision", "must be approve or reject")
}

// DecideKYC resolves the KYC of a user in manual review, as the provider's
// decision would (kycDecisionWork): pending becomes verified (approve) or
// rejected (reject) with reason, recorded as a user.kyc.verified or
// user.kyc.rejected event whose actor is the operator. A user that is not
// pending is a conflict; an unknown or malformed id is not_found.
func (s *Service) DecideKYC(ctx context.Context, op Operator, pid banking.ProgramID, rawUser string, d Decision, reason string) (banking.User, error) {
	to, err := d.outcome()
	if err != nil {
		return banking.User{}, err
	}
	if err := banking.CheckReason(reason); err != nil {
		return banking.User{}, err
	}
	uid, err := userID(rawUser)
	if err != nil {
		return banking.User{}, err
	}
	v, err := s.store.Do(ctx, s.kycDecisionWork(pid, uid, to, reason, op.Actor(), nil))
	if err != nil {
		return banking.User{}, err
	}
	return v.(banking.User), nil
}

// DecideKYB resolves the KYB of a business in manual review, as the
// provider's decision would (kybDecisionWork): the business, its owners
// (who follow it) and their documents become verified and approved, or
// rejected, with reason, recorded with the operator as actor. A business
// that is not pending is a conflict; an unknown or malformed id is
// not_found.
func (s *Service) DecideKYB(ctx context.Context, op Operator, pid banking.ProgramID, rawBusiness string, d Decision, reason string) (banking.Business, error) {
	to, err := d.outcome()
	if err != nil {
		return banking.Business{}, err
	}
	if err := banking.CheckReason(reason); err != nil {
		return banking.Business{}, err
	}
	b, err := s.BusinessByID(ctx, pid, rawBusiness)
	if err != nil {
		return banking.Business{}, err
	}
	// The owning user never changes, so reading it outside the Work is safe.
	w := s.kybDecisionWork(pid, b.UserID, b.ID, banking.KYBDecision{Outcome: to, Reason: reason}, op.Actor(), nil)
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.Business{}, err
	}
	return v.(banking.Business), nil
}

// The console's reads. Every other read of a program's data goes through
// the API's own service methods with Caller{ProgramID: pid}.

// Program reads one program (without secrets in use by the console).
func (s *Service) Program(ctx context.Context, pid banking.ProgramID) (banking.Program, error) {
	return s.store.Program(ctx, pid)
}

// ProgramSummary is a program with the counts the console's programs page
// shows (ProgramInfo.Users counts its users).
type ProgramSummary struct {
	ProgramInfo
	// PendingUsers and PendingBusinesses wait in the review queue.
	PendingUsers, Businesses, PendingBusinesses int
}

// ProgramSummaries lists every program, oldest first, with its counts.
func (s *Service) ProgramSummaries(ctx context.Context) ([]ProgramSummary, error) {
	ps, err := s.Programs(ctx)
	if err != nil {
		return nil, err
	}
	stats, err := s.store.ProgramStats(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ProgramSummary, len(ps))
	for i, p := range ps {
		st := stats[p.ID]
		out[i] = ProgramSummary{ProgramInfo: p, PendingUsers: st.PendingUsers, Businesses: st.Businesses,
			PendingBusinesses: st.PendingBusinesses}
	}
	return out, nil
}

// BusinessByID reads a business of program pid by its id alone; a malformed
// or unknown id is not_found.
func (s *Service) BusinessByID(ctx context.Context, pid banking.ProgramID, rawBusiness string) (banking.Business, error) {
	bid, ok := banking.ParseID[banking.BusinessID](rawBusiness)
	if !ok {
		return banking.Business{}, errNoBusiness
	}
	return s.store.BusinessByID(ctx, pid, bid)
}

// MaxBusinessDocuments is how many of a business's documents its console
// page lists.
const MaxBusinessDocuments = 200

// BusinessDocuments lists a business's documents, every owner's, oldest
// first, at most MaxBusinessDocuments.
func (s *Service) BusinessDocuments(ctx context.Context, pid banking.ProgramID, bid banking.BusinessID) ([]banking.Document, error) {
	return s.store.BusinessDocuments(ctx, pid, bid, MaxBusinessDocuments)
}

// ReviewUsers lists a page of program pid's users in manual KYC review,
// oldest first, with the total.
func (s *Service) ReviewUsers(ctx context.Context, pid banking.ProgramID, page, perPage int) ([]banking.User, int, error) {
	return s.store.ReviewUsers(ctx, pid, page, perPage)
}

// ReviewBusinesses lists a page of program pid's businesses in manual KYB
// review, oldest first, with the total.
func (s *Service) ReviewBusinesses(ctx context.Context, pid banking.ProgramID, page, perPage int) ([]banking.Business, int, error) {
	return s.store.ReviewBusinesses(ctx, pid, page, perPage)
}

// TrailEvent is an audit event with the outcome of its chain check.
type TrailEvent = store.TrailEvent

// Trail lists a page of a subject's audit trail, newest first, each event
// with the outcome of its chain check (store.SubjectTrail).
func (s *Service) Trail(ctx context.Context, pid banking.ProgramID, subject string, page, perPage int) ([]TrailEvent, int, error) {
	return s.store.SubjectTrail(ctx, pid, subject, page, perPage)
}
