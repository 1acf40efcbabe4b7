package service

import (
	"context"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Routable bank accounts (money.md section 2).

// errNoAccount is the answer for an account that is not the caller's, or
// not the named entity's: unknown, another program's or entity's, internal,
// or a malformed id all read the same.
var errNoAccount = banking.Errorf(banking.CodeNotFound, "account not found")

// RoutingNumber is the installation's ABA routing number, shown on every
// RBA.
func (s *Service) RoutingNumber() string { return s.routing }

// accountID validates a routable_bank_account_id sent as field: absent is
// 400, malformed (another kind of id included) 404.
func accountID(field, v string) (banking.AccountID, error) {
	if v == "" {
		return "", banking.Invalid(field, "is required")
	}
	id, ok := banking.ParseID[banking.AccountID](v)
	if !ok {
		return "", errNoAccount
	}
	return id, nil
}

// IssueUserAccount issues an RBA to user rawUser [extension]: the user
// must be the program's (404), active (409 blocked) and KYC verified (409
// not_verified), with fewer than five open RBAs of their own (409 conflict).
func (s *Service) IssueUserAccount(ctx context.Context, c Caller, rawUser string) (banking.Account, error) {
	uid, err := userID(rawUser)
	if err != nil {
		return banking.Account{}, err
	}
	return s.issue(ctx, c, uid, "", banking.AccountUser)
}

// IssueBusinessAccount issues an RBA to business rawBusiness of user
// rawUser: the business must be the user's (404), neither it nor its user
// blocked (409 blocked), KYB verified (409 not_verified), with fewer than
// five open RBAs (409 conflict).
func (s *Service) IssueBusinessAccount(ctx context.Context, c Caller, rawUser, rawBusiness string) (banking.Account, error) {
	uid, bid, err := businessRef(rawUser, rawBusiness)
	if err != nil {
		return banking.Account{}, err
	}
	return s.issue(ctx, c, uid, bid, banking.AccountBusiness)
}

func (s *Service) issue(ctx context.Context, c Caller, uid banking.UserID, bid banking.BusinessID, kind banking.AccountKind) (banking.Account, error) {
	now := s.nowFor(c.ProgramID)
	w := store.IssueAccountWork(c.ProgramID, uid, bid, func(n int64) (banking.Account, banking.Event) {
		a := banking.NewAccount(c.ProgramID, kind, uid, bid, n, now)
		return a, banking.NewAccountEvent(&a, banking.EventAccountIssued, c.actor(), "", banking.IssuedChanges(&a), now)
	})
	return s.doAccount(ctx, c, w)
}

// doAccount runs the one Work of a mutation answering an account.
func (s *Service) doAccount(ctx context.Context, c Caller, w store.Work) (banking.Account, error) {
	w.Idem = c.finish()
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.Account{}, err
	}
	return v.(banking.Account), nil
}

// GetBusinessAccount reads RBA rawAccount of business rawBusiness of user
// rawUser; any other account is 404.
func (s *Service) GetBusinessAccount(ctx context.Context, c Caller, rawUser, rawBusiness, rawAccount string) (banking.Account, error) {
	if err := joinInvalid(required("user_id", rawUser, "business_id", rawBusiness, "routable_bank_account_id", rawAccount)); err != nil {
		return banking.Account{}, err
	}
	uid, bid, err := businessRef(rawUser, rawBusiness)
	if err != nil {
		return banking.Account{}, err
	}
	id, err := accountID("routable_bank_account_id", rawAccount)
	if err != nil {
		return banking.Account{}, err
	}
	a, err := s.store.Account(ctx, c.ProgramID, id)
	if err != nil {
		return a, err
	}
	if a.Kind != banking.AccountBusiness || a.BusinessID != bid || a.UserID != uid {
		return banking.Account{}, errNoAccount
	}
	return a, nil
}

// MasterAccount reads the caller's program master RBA.
func (s *Service) MasterAccount(ctx context.Context, c Caller) (banking.Account, error) {
	return s.store.MasterAccount(ctx, c.ProgramID)
}

// ListAccounts returns a page of the program's RBAs, of user rawUser
// (their own and their businesses') and of business rawBusiness when set
// (a user or business of another program is 404), and the total count.
func (s *Service) ListAccounts(ctx context.Context, c Caller, rawUser, rawBusiness string, f banking.AccountFilter) ([]banking.Account, int, error) {
	if rawUser != "" {
		uid, err := userID(rawUser)
		if err != nil {
			return nil, 0, err
		}
		if _, err := s.store.User(ctx, c.ProgramID, uid); err != nil {
			return nil, 0, err
		}
		f.UserID = uid
	}
	if rawBusiness != "" {
		bid, ok := banking.ParseID[banking.BusinessID](rawBusiness)
		if !ok {
			return nil, 0, errNoBusiness
		}
		// The business must be the program's (and the user's, when named).
		owner, err := s.store.BusinessUser(ctx, c.ProgramID, bid)
		if err != nil {
			return nil, 0, err
		}
		if f.UserID != "" && owner != f.UserID {
			return nil, 0, errNoBusiness
		}
		f.BusinessID = bid
	}
	return s.store.ListAccounts(ctx, c.ProgramID, f)
}

// FreezeAccount stops an active RBA from sending; it may still receive.
func (s *Service) FreezeAccount(ctx context.Context, c Caller, rawAccount, reason string) (banking.Account, error) {
	return s.accountTransition(ctx, c, rawAccount, reason, banking.EventAccountFrozen, (*banking.Account).Freeze)
}

// UnfreezeAccount makes a frozen RBA active again.
func (s *Service) UnfreezeAccount(ctx context.Context, c Caller, rawAccount, reason string) (banking.Account, error) {
	return s.accountTransition(ctx, c, rawAccount, reason, banking.EventAccountUnfrozen, (*banking.Account).Unfreeze)
}

// CloseAccount closes an empty RBA with nothing pending, for good.
func (s *Service) CloseAccount(ctx context.Context, c Caller, rawAccount, reason string) (banking.Account, error) {
	return s.accountTransition(ctx, c, rawAccount, reason, banking.EventAccountClosed, (*banking.Account).Close)
}

func (s *Service) accountTransition(ctx context.Context, c Caller, rawAccount, reason string, typ banking.EventType,
	step func(*banking.Account, time.Time) (banking.Changes, error)) (banking.Account, error) {
	if err := joinInvalid(required("routable_bank_account_id", rawAccount), banking.CheckReason(reason)); err != nil {
		return banking.Account{}, err
	}
	id, err := accountID("routable_bank_account_id", rawAccount)
	if err != nil {
		return banking.Account{}, err
	}
	return s.doAccount(ctx, c, store.AccountWork(c.ProgramID, id, func(a *banking.Account) (banking.Event, error) {
		now := s.nowFor(c.ProgramID)
		ch, err := step(a, now)
		if err != nil {
			return banking.Event{}, err
		}
		return banking.NewAccountEvent(a, typ, c.actor(), reason, ch, now), nil
	}))
}
