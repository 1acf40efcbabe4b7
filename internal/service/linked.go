package service

import (
	"context"

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
	a, number, err := banking.ParseLinkedAccount(in)
	var missing error
	if !forProgram && rawUser == "" {
		missing = banking.Invalid("user_id", "is required")
	}
	if err := joinInvalid(missing, err); err != nil {
		return banking.LinkedAccount{}, err
	}
	now := s.clock()
	a.ID, a.ProgramID, a.CreatedAt, a.UpdatedAt = banking.NewID[banking.LinkedAccountID](now), c.ProgramID, now, now
	switch {
	case forProgram:
		a.OwnerType, a.OwnerID = banking.EntityProgram, string(c.ProgramID)
	case rawBusiness != "":
		if a.UserID, a.BusinessID, err = businessRef(rawUser, rawBusiness); err != nil {
			return banking.LinkedAccount{}, err
		}
		a.OwnerType, a.OwnerID = banking.EntityBusiness, string(a.BusinessID)
	default:
		if a.UserID, err = userID(rawUser); err != nil {
			return banking.LinkedAccount{}, err
		}
		a.OwnerType, a.OwnerID = banking.EntityUser, string(a.UserID)
	}
	a.NumberSealed = s.sealer.Seal([]byte(number), banking.LinkedAccountAAD(a.ID))
	a.NumberIndex = s.sealer.BlindIndex(banking.LinkedIndexPurpose, banking.LinkedIndexInput(a.Routing, number))
	w := store.SaveLinkedAccountWork(a, banking.NewLinkedAccountEvent(&a, banking.EventLinkedAccountSaved, c.actor(), now))
	w.Idem = c.finish()
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.LinkedAccount{}, err
	}
	return v.(banking.LinkedAccount), nil
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
