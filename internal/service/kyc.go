package service

import (
	"context"
	"errors"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/kyc"
)

// SubmitKYC moves a user to pending and starts the provider check in the
// background once the change is committed.
func (s *Service) SubmitKYC(ctx context.Context, c Caller, rawID string) error {
	id, err := userID(rawID)
	if err != nil {
		return err
	}
	u, err := s.store.UpdateUser(ctx, c.ProgramID, id, func(u *banking.User) (*banking.Event, error) {
		now := s.clock()
		ch, err := u.SubmitKYC(now)
		if err != nil {
			return nil, err
		}
		ev := banking.NewEvent(u, banking.EventKYCSubmitted, c.actor(), "", ch, now)
		return &ev, nil
	}, c.Idem)
	if err != nil {
		return err
	}
	s.startCheck(u)
	return nil
}

// ResumeKYC restarts the checks of every pending user, so a decision that was
// in flight when a process stopped is still made. Several processes may resume
// the same user: the decision applies once (ResolveKYC refuses a user who is no
// longer pending), and the loser's conflict is ignored.
func (s *Service) ResumeKYC(ctx context.Context) (int, error) {
	users, err := s.store.PendingKYC(ctx)
	if err != nil {
		return 0, err
	}
	for _, u := range users {
		s.startCheck(u)
	}
	return len(users), nil
}

// startCheck runs one provider check in the background.
func (s *Service) startCheck(u banking.User) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := s.check(s.bgCtx, u); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("kyc check failed", "user_id", u.ID, "program_id", u.ProgramID, "err", err)
		}
	}()
}

func (s *Service) check(ctx context.Context, u banking.User) error {
	ssn, err := s.sealer.Open(u.SSNSealed, ssnAAD(u.ID))
	if err != nil {
		return err
	}
	d, err := s.kyc.Check(ctx, kyc.Subject{
		UserID: string(u.ID), FirstName: u.FirstName, LastName: u.LastName,
		DateOfBirth: u.DateOfBirth, SSN: string(ssn),
	})
	if err != nil {
		return err
	}
	var to banking.KYCStatus
	var typ banking.EventType
	switch d.Outcome {
	case kyc.Verified:
		to, typ = banking.KYCVerified, banking.EventKYCVerified
	case kyc.Rejected:
		to, typ = banking.KYCRejected, banking.EventKYCRejected
	default:
		return nil // manual review: stays pending
	}
	actor := "kyc:" + s.kyc.Name()
	_, err = s.store.UpdateUser(ctx, u.ProgramID, u.ID, func(cur *banking.User) (*banking.Event, error) {
		if !cur.SameIdentity(&u) {
			return nil, banking.Errorf(banking.CodeConflict, "kyc decision is for an earlier submission")
		}
		now := s.clock()
		ch, err := cur.ResolveKYC(to, d.Reason, now)
		if err != nil {
			return nil, err
		}
		ev := banking.NewEvent(cur, typ, actor, d.Reason, ch, now)
		return &ev, nil
	})
	if banking.IsCode(err, banking.CodeConflict) {
		return nil // already decided, or made for an earlier submission: dropped
	}
	return err
}
