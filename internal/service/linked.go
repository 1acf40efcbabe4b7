package service

import (
	"context"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Linked external bank accounts (money.md section 2.3).

// SaveLinkedAccount links an external bank account to user rawUser (their
// own, or with rawBusiness that business's), or to the caller's program
// when rawUser is "" and forProgram is set. The full number is sealed and
// indexed before the Work runs, never stored or logged in clear; saving the
// same routing and account numbers again for the same owner answers the
// existing account (the new sealed value is dropped with the Work's
// nothing-to-write). Order: the body (400, every field), then the owner
// (404).
func (s *Service) SaveLinkedAccount(ctx context.Context, c Caller, rawUser, rawBusiness string, forProgram bool, in banking.LinkedAccountInput) (banking.LinkedAccount, error) {
	in.HasKey = c.Idem != nil
	_, _, err := banking.ParseLinkedAccount(in)
	var missing error
	if !forProgram && rawUser == "" {
		missing = banking.Invalid("user_id", "is required")
	}
	if err := joinInvalid(missing, err); err != nil {
		return banking.LinkedAccount{}, err
	}
	var uid banking.UserID
	var bid banking.BusinessID
	switch {
	case forProgram:
	case rawBusiness != "":
		uid, bid, err = businessRef(rawUser, rawBusiness)
	default:
		uid, err = userID(rawUser)
	}
	if err != nil {
		return banking.LinkedAccount{}, err
	}
	now := s.nowFor(c.ProgramID)
	a, err := s.linkedAccount(c.ProgramID, uid, bid, forProgram, in, now)
	if err != nil {
		return banking.LinkedAccount{}, err
	}
	w := store.SaveLinkedAccountWork(a, banking.NewLinkedAccountEvent(&a, banking.EventLinkedAccountSaved, c.actor(), now))
	w.Idem = c.finish()
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.LinkedAccount{}, err
	}
	return v.(banking.LinkedAccount), nil
}

// linkedAccount makes linked account in of program pid's program (forProgram),
// user uid's or, with bid, that business's, at now: validated (400 naming
// every wrong field), its full number sealed and indexed, never kept in
// clear. The API and fixtures both save through it.
func (s *Service) linkedAccount(pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID, forProgram bool,
	in banking.LinkedAccountInput, now time.Time) (banking.LinkedAccount, error) {
	a, number, err := banking.ParseLinkedAccount(in)
	if err != nil {
		return banking.LinkedAccount{}, err
	}
	a.ID, a.ProgramID, a.CreatedAt, a.UpdatedAt = banking.NewID[banking.LinkedAccountID](now), pid, now, now
	a.UserID, a.BusinessID = uid, bid
	switch {
	case forProgram:
		a.OwnerType, a.OwnerID = banking.EntityProgram, string(pid)
	case bid != "":
		a.OwnerType, a.OwnerID = banking.EntityBusiness, string(bid)
	default:
		a.OwnerType, a.OwnerID = banking.EntityUser, string(uid)
	}
	a.NumberSealed = s.sealer.Seal([]byte(number), banking.LinkedAccountAAD(a.ID))
	a.NumberIndex = s.sealer.BlindIndex(banking.LinkedIndexPurpose, banking.LinkedIndexInput(a.Routing, number))
	return a, nil
}

// LinkedAccounts lists the linked accounts of user rawUser (their own and
// their businesses'), or with rawBusiness of that business of theirs
// (users/bank-accounts/get-all [extension]).
func (s *Service) LinkedAccounts(ctx context.Context, c Caller, rawUser, rawBusiness string, page, perPage int) ([]banking.LinkedAccount, banking.Total, error) {
	uid, err := userID(rawUser)
	if err != nil {
		return nil, banking.Total{}, err
	}
	var bid banking.BusinessID
	if rawBusiness != "" {
		if uid, bid, err = businessRef(rawUser, rawBusiness); err != nil {
			return nil, banking.Total{}, err
		}
	}
	if err := s.entityExists(ctx, c, uid, bid); err != nil {
		return nil, banking.Total{}, err
	}
	return s.store.LinkedAccounts(ctx, c.ProgramID, uid, bid, page, perPage)
}
