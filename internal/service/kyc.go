package service

import (
	"context"
	"encoding/json"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/kyc"
	"github.com/ingot-dev/ingot/internal/store"
)

// jobKYCCheck is the job kind of a KYC check (api-v4.md section 5): it asks
// the provider and applies its decision.
const jobKYCCheck = "kyc.check"

// kycJob is a KYC check job's payload.
type kycJob struct {
	UserID banking.UserID `json:"user_id"`
}

// SubmitKYC moves a user to pending and schedules the provider check in the
// same transaction, due after the provider's decision delay. It answers the
// user as submitted.
func (s *Service) SubmitKYC(ctx context.Context, c Caller, rawID string) (banking.User, error) {
	id, err := userID(rawID)
	if err != nil {
		return banking.User{}, err
	}
	w := store.UpdateUserWork(c.ProgramID, id, func(tx *store.Tx, u *banking.User) (*banking.Event, error) {
		now := s.nowFor(u.ProgramID)
		ch, err := u.SubmitKYC(now)
		if err != nil {
			return nil, err
		}
		payload, err := json.Marshal(kycJob{UserID: u.ID})
		if err != nil {
			return nil, banking.Internal(err)
		}
		tx.Schedule(store.NewJob{Program: u.ProgramID, Kind: jobKYCCheck, Payload: payload, RunAt: now.Add(s.kycDelay)})
		ev := banking.NewEvent(u, banking.EventKYCSubmitted, c.actor(), "", ch, now)
		return &ev, nil
	})
	w.Idem = c.finish()
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.User{}, err
	}
	return v.(banking.User), nil
}

// ResumeKYC applies the configured decision delay to checks already waiting,
// KYC and KYB alike: a check scheduled by an earlier process with a longer
// delay (say, the sandbox's --kyc-delay 1h) becomes due by now plus this
// process's delay. Waiting checks are jobs and need no other resuming; it
// reports how many it brought forward, touching only those.
func (s *Service) ResumeKYC(ctx context.Context) (int, error) {
	by := s.clock().Add(s.kycDelay)
	total := 0
	for _, kind := range []string{jobKYCCheck, jobKYBCheck} {
		n, err := s.store.PullJobsIn(ctx, kind, by)
		if err != nil {
			return total, err
		}
		total += int(n)
	}
	return total, nil
}

// runKYCCheck is the handler of a KYC check job. The decision and the job's
// completion commit together, so a check decides once however many
// processes try it.
func (s *Service) runKYCCheck(ctx context.Context, j store.Job) error {
	var p kycJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return banking.Errorf(banking.CodeInvalid, "kyc job payload: %v", err)
	}
	u, err := s.store.User(ctx, j.Program, p.UserID)
	if err != nil {
		return err // not found: dropped
	}
	if u.KYCStatus != banking.KYCPending {
		return nil // decided meanwhile (by an operator, say)
	}
	ssn, err := s.sealer.Open(u.SSNSealed, ssnAAD(u.ID))
	if err != nil {
		return banking.Internal(err)
	}
	d, err := s.kyc.Check(ctx, kyc.Subject{
		UserID: string(u.ID), FirstName: u.FirstName, LastName: u.LastName,
		DateOfBirth: u.DateOfBirth, SSN: string(ssn),
	})
	if err != nil {
		return banking.Internal(err)
	}
	var to banking.KYCStatus
	actor := "kyc:" + s.kyc.Name()
	switch d.Outcome {
	case kyc.Verified:
		to = banking.KYCVerified
	case kyc.Rejected:
		to = banking.KYCRejected
	default:
		// Manual review: the user stays pending for a human, and nothing
		// changes, so the audit trail records nothing; webhook receivers
		// are told (user.kyc.pending) once, with the job's completion.
		w := store.UpdateUserWork(u.ProgramID, u.ID, func(tx *store.Tx, cur *banking.User) (*banking.Event, error) {
			if cur.KYCStatus == banking.KYCPending {
				tx.Notify(banking.NewEvent(cur, banking.EventKYCReview, actor, d.Reason, nil, s.nowFor(u.ProgramID)))
			}
			return nil, nil
		})
		w.Job = &j
		_, err = s.store.Do(ctx, w)
		if banking.IsCode(err, banking.CodeConflict) {
			return nil // another process holds the job now
		}
		return err
	}
	w := s.kycDecisionWork(u.ProgramID, u.ID, to, d.Reason, actor, func(cur *banking.User) bool {
		return cur.KYCStatus != banking.KYCPending
	})
	w.Job = &j
	_, err = s.store.Do(ctx, w)
	if banking.IsCode(err, banking.CodeConflict) {
		return nil // another process holds the job now and decides
	}
	return err
}

// kycDecisionWork is the Work that applies a final KYC decision (verified or
// rejected) to a pending user with its user.kyc.* event: the provider's
// (runKYCCheck) and an operator's (DecideKYC) alike. When stale reports the
// user as locked no longer needs the decision, nothing changes; otherwise a
// user no longer pending is a conflict (banking.User.ResolveKYC). It
// answers the user as it then is.
func (s *Service) kycDecisionWork(pid banking.ProgramID, uid banking.UserID, to banking.KYCStatus, reason, actor string,
	stale func(*banking.User) bool) store.Work {
	typ := banking.EventKYCVerified
	if to == banking.KYCRejected {
		typ = banking.EventKYCRejected
	}
	return store.UpdateUserWork(pid, uid, func(_ *store.Tx, u *banking.User) (*banking.Event, error) {
		if stale != nil && stale(u) {
			return nil, nil
		}
		now := s.nowFor(pid)
		ch, err := u.ResolveKYC(to, reason, now)
		if err != nil {
			return nil, err
		}
		ev := banking.NewEvent(u, typ, actor, reason, ch, now)
		return &ev, nil
	})
}
