package service

import (
	"context"
	"encoding/json"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/kyc"
	"github.com/ingot-dev/ingot/internal/store"
)

// jobKYBCheck is the job kind of a KYB check (businesses.md section 5): it
// asks the provider about a business and its owners and applies the
// decision.
const jobKYBCheck = "kyb.check"

// kybJob is a KYB check job's payload.
type kybJob struct {
	UserID     banking.UserID     `json:"user_id"`
	BusinessID banking.BusinessID `json:"business_id"`
}

// SubmitKYB sends a business to verification: it and its owners become
// pending, and the provider check is scheduled in the same transaction, due
// after the provider's decision delay (as KYC's). It answers the business as
// submitted.
func (s *Service) SubmitKYB(ctx context.Context, c Caller, rawUser, rawBusiness string) (banking.Business, error) {
	uid, bid, err := businessRef(rawUser, rawBusiness)
	if err != nil {
		return banking.Business{}, err
	}
	needs := store.BusinessNeeds{User: true, Owners: true}
	return s.doBusiness(ctx, c, store.BusinessWork(c.ProgramID, uid, bid, needs, func(tx *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
		now := s.nowFor(c.ProgramID)
		ch, err := f.SubmitKYB(now)
		if err != nil {
			return nil, nil, err
		}
		payload, err := json.Marshal(kybJob{UserID: uid, BusinessID: bid})
		if err != nil {
			return nil, nil, banking.Internal(err)
		}
		tx.Schedule(store.NewJob{Program: c.ProgramID, Kind: jobKYBCheck, Payload: payload, RunAt: now.Add(s.kycDelay)})
		return f.Business, []banking.Event{banking.NewBusinessEvent(&f.Business, banking.EventKYBSubmitted, c.actor(), "", ch, now)}, nil
	}))
}

// runKYBCheck is the handler of a KYB check job. The decision about the
// business, its owners and their documents, and the job's completion,
// commit together in one Work: a check decides once however many processes
// try it.
func (s *Service) runKYBCheck(ctx context.Context, j store.Job) error {
	var p kybJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return banking.Errorf(banking.CodeInvalid, "kyb job payload: %v", err)
	}
	checked, err := s.store.BusinessFile(ctx, j.Program, p.UserID, p.BusinessID)
	if err != nil {
		return err // not found: dropped
	}
	b := &checked.Business
	if b.KYBStatus != banking.KYCPending {
		return nil // decided meanwhile
	}
	subject := kyc.Business{ID: string(b.ID), Name: b.Name, EIN: b.EIN, Type: b.BusinessType}
	for _, o := range checked.Owners {
		ssn, err := s.sealer.Open(o.SSNSealed, ssnAAD(o.ID))
		if err != nil {
			return banking.Internal(err)
		}
		subject.Owners = append(subject.Owners, kyc.Subject{UserID: string(o.ID), FirstName: o.FirstName,
			LastName: o.LastName, DateOfBirth: o.DateOfBirth, SSN: string(ssn)})
	}
	d, err := s.kyc.CheckBusiness(ctx, subject)
	if err != nil {
		return banking.Internal(err)
	}
	decision, final := kybDecision(d, checked.Owners)
	actor := "kyc:" + s.kyc.Name()
	if !final {
		// Manual review: the business stays pending for a human; as for
		// KYC (runKYCCheck), a notice tells webhook receivers once.
		w := store.BusinessWork(j.Program, p.UserID, p.BusinessID, store.BusinessNeeds{Owners: true}, func(tx *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
			if f.Business.KYBStatus == banking.KYCPending && f.SameKYBSubject(&checked) {
				tx.Notify(banking.NewBusinessEvent(&f.Business, banking.EventKYBReview, actor, d.Reason, nil, s.nowFor(j.Program)))
			}
			return nil, nil, nil
		})
		w.Job = &j
		_, err = s.store.Do(ctx, w)
		if banking.IsCode(err, banking.CodeConflict) {
			return nil
		}
		return err
	}
	w := s.kybDecisionWork(j.Program, p.UserID, p.BusinessID, decision, actor, func(f *banking.BusinessFile) bool {
		// Decided meanwhile, or another submission's check decides it.
		return f.Business.KYBStatus != banking.KYCPending || !f.SameKYBSubject(&checked)
	})
	w.Job = &j
	_, err = s.store.Do(ctx, w)
	if banking.IsCode(err, banking.CodeConflict) {
		return nil // another process holds the job now and decides
	}
	return err
}

// kybDecision turns a provider's answer about a business and its owners
// (in the order asked) into the domain's decision; final is false when the
// business waits for manual review. An owner left for review follows the
// business.
func kybDecision(d kyc.BusinessDecision, owners []banking.Owner) (banking.KYBDecision, bool) {
	outcome := func(o kyc.Outcome) (banking.KYCStatus, bool) {
		switch o {
		case kyc.Verified:
			return banking.KYCVerified, true
		case kyc.Rejected:
			return banking.KYCRejected, true
		}
		return "", false
	}
	st, final := outcome(d.Outcome)
	if !final {
		return banking.KYBDecision{}, false
	}
	out := banking.KYBDecision{Outcome: st, Reason: d.Reason, Owners: map[banking.OwnerID]banking.OwnerDecision{}}
	for i, od := range d.Owners {
		if i >= len(owners) {
			break
		}
		if ost, ok := outcome(od.Outcome); ok {
			out.Owners[owners[i].ID] = banking.OwnerDecision{Outcome: ost, Reason: od.Reason}
		}
	}
	return out, true
}

// kybDecisionWork is the Work that applies a final KYB decision to a pending
// business, its owners and their documents, with an owner event per owner
// whose status changed and the business.kyb.* event: the provider's
// (runKYBCheck) and an operator's (DecideKYB) alike. When stale reports the
// business file as locked no longer needs the decision, nothing changes;
// otherwise a business no longer pending is a conflict
// (banking.BusinessFile.ResolveKYB). It answers the business as it then is.
func (s *Service) kybDecisionWork(pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID, decision banking.KYBDecision,
	actor string, stale func(*banking.BusinessFile) bool) store.Work {
	needs := store.BusinessNeeds{Owners: true, Documents: true}
	return store.BusinessWork(pid, uid, bid, needs, func(_ *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
		if stale != nil && stale(f) {
			return f.Business, nil, nil
		}
		now := s.nowFor(pid)
		ch, owners, err := f.ResolveKYB(decision, now)
		if err != nil {
			return nil, nil, err
		}
		var evs []banking.Event
		for _, o := range owners {
			typ := banking.EventOwnerKYCVerified
			if o.Owner.KYCStatus == banking.KYCRejected {
				typ = banking.EventOwnerKYCRejected
			}
			evs = append(evs, banking.NewBusinessEvent(&f.Business, typ, actor, o.Reason, o.Changes, now))
		}
		typ := banking.EventKYBVerified
		if decision.Outcome == banking.KYCRejected {
			typ = banking.EventKYBRejected
		}
		return f.Business, append(evs, banking.NewBusinessEvent(&f.Business, typ, actor, decision.Reason, ch, now)), nil
	})
}
