package service

import (
	"context"
	"fmt"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Balances (money.md section 5) and transactions (section 6).

// UserBalance answers the balance of RBA rawAccount of user rawUser's own
// or, with rawBusiness, of that business of the user's; without rawAccount,
// of the entity's only open RBA (400 naming routable_bank_account_id when it
// has several, 404 when none). Any account of someone else is 404.
func (s *Service) UserBalance(ctx context.Context, c Caller, rawUser, rawBusiness, rawAccount string) (banking.Balance, error) {
	uid, err := userID(rawUser)
	if err != nil {
		return banking.Balance{}, err
	}
	var bid banking.BusinessID
	if rawBusiness != "" {
		if uid, bid, err = businessRef(rawUser, rawBusiness); err != nil {
			return banking.Balance{}, err
		}
	}
	if rawAccount != "" {
		id, err := accountID("routable_bank_account_id", rawAccount)
		if err != nil {
			return banking.Balance{}, err
		}
		a, err := s.store.Account(ctx, c.ProgramID, id)
		if err != nil {
			return banking.Balance{}, err
		}
		if !heldBy(&a, uid, bid) {
			return banking.Balance{}, errNoAccount
		}
		return a.Balance, nil
	}
	if err := s.entityExists(ctx, c, uid, bid); err != nil {
		return banking.Balance{}, err
	}
	open, err := s.store.OpenAccounts(ctx, c.ProgramID, uid, bid)
	if err != nil {
		return banking.Balance{}, err
	}
	switch len(open) {
	case 0:
		return banking.Balance{}, banking.Errorf(banking.CodeNotFound, "no open routable bank account")
	case 1:
		return open[0].Balance, nil
	}
	return banking.Balance{}, banking.Invalid("routable_bank_account_id",
		fmt.Sprintf("is required: there are %d open routable bank accounts", len(open)))
}

// heldBy reports whether a is user uid's own RBA (bid "") or business bid's
// of user uid.
func heldBy(a *banking.Account, uid banking.UserID, bid banking.BusinessID) bool {
	if bid != "" {
		return a.Kind == banking.AccountBusiness && a.BusinessID == bid && a.UserID == uid
	}
	return a.Kind == banking.AccountUser && a.UserID == uid
}

// entityExists is nil when user uid (and business bid of uid, when set) is
// the caller's program's, else 404.
func (s *Service) entityExists(ctx context.Context, c Caller, uid banking.UserID, bid banking.BusinessID) error {
	if bid == "" {
		_, err := s.store.User(ctx, c.ProgramID, uid)
		return err
	}
	owner, err := s.store.BusinessUser(ctx, c.ProgramID, bid)
	if err == nil && owner != uid {
		err = errNoBusiness
	}
	return err
}

// MasterBalance answers the program master RBA's balance.
func (s *Service) MasterBalance(ctx context.Context, c Caller) (banking.Balance, error) {
	a, err := s.store.MasterAccount(ctx, c.ProgramID)
	return a.Balance, err
}

// BusinessTransactions lists the transactions of business rawBusiness's
// RBAs, or of its RBA rawAccount, each seen from the business's account.
func (s *Service) BusinessTransactions(ctx context.Context, c Caller, rawBusiness, rawAccount string, f banking.TxFilter) ([]banking.Statement, int, error) {
	if rawBusiness == "" {
		return nil, 0, banking.Invalid("business_id", "is required")
	}
	bid, ok := banking.ParseID[banking.BusinessID](rawBusiness)
	if !ok {
		return nil, 0, errNoBusiness
	}
	uid, err := s.store.BusinessUser(ctx, c.ProgramID, bid)
	if err != nil {
		return nil, 0, err
	}
	sc := store.StatementScope{Business: bid}
	if rawAccount != "" {
		if sc, err = s.accountScope(ctx, c, rawAccount, uid, bid); err != nil {
			return nil, 0, err
		}
	}
	return s.store.Statements(ctx, c.ProgramID, sc, f)
}

// UserTransactions lists the transactions of user rawUser's own RBAs (not
// their businesses'), or of their RBA rawAccount [extension].
func (s *Service) UserTransactions(ctx context.Context, c Caller, rawUser, rawAccount string, f banking.TxFilter) ([]banking.Statement, int, error) {
	uid, err := userID(rawUser)
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.store.User(ctx, c.ProgramID, uid); err != nil {
		return nil, 0, err
	}
	sc := store.StatementScope{User: uid}
	if rawAccount != "" {
		if sc, err = s.accountScope(ctx, c, rawAccount, uid, ""); err != nil {
			return nil, 0, err
		}
	}
	return s.store.Statements(ctx, c.ProgramID, sc, f)
}

// accountScope is the scope of RBA rawAccount, which must be held by uid
// (and bid): 404 otherwise.
func (s *Service) accountScope(ctx context.Context, c Caller, rawAccount string, uid banking.UserID, bid banking.BusinessID) (store.StatementScope, error) {
	id, err := accountID("routable_bank_account_id", rawAccount)
	if err != nil {
		return store.StatementScope{}, err
	}
	a, err := s.store.Account(ctx, c.ProgramID, id)
	if err != nil {
		return store.StatementScope{}, err
	}
	if !heldBy(&a, uid, bid) {
		return store.StatementScope{}, errNoAccount
	}
	return store.StatementScope{Account: id}, nil
}

// ProgramTransactions lists the movements of the program master RBA.
func (s *Service) ProgramTransactions(ctx context.Context, c Caller, f banking.TxFilter) ([]banking.Statement, int, error) {
	return s.store.Statements(ctx, c.ProgramID, store.StatementScope{Account: banking.MasterAccountID(c.ProgramID)}, f)
}

// SingleTransaction finds a transaction of user rawUser by id, uuid,
// reference or idempotent_key (section 6), seen from the user's account (or
// their business's): 404 unless it touches one.
func (s *Service) SingleTransaction(ctx context.Context, c Caller, rawUser, generic, rawDirection string) (banking.Statement, error) {
	dir, derr := banking.ParseDirection("payment_direction", rawDirection)
	var missing error
	if rawUser == "" || generic == "" {
		missing = required("user_id", rawUser, "id_generic", generic)
	}
	if err := joinInvalid(missing, derr); err != nil {
		return banking.Statement{}, err
	}
	uid, err := userID(rawUser)
	if err != nil {
		return banking.Statement{}, err
	}
	if _, err := s.store.User(ctx, c.ProgramID, uid); err != nil {
		return banking.Statement{}, err
	}
	if !banking.PlausibleKey(generic) {
		// No id, reference or key looks like it (PostgreSQL cannot even
		// compare a text holding NUL).
		return banking.Statement{}, banking.Errorf(banking.CodeNotFound, "transaction not found")
	}
	return s.store.UserTransaction(ctx, c.ProgramID, uid, generic, dir)
}
