package banking

import "time"

// AccountKind says whose a ledger account is. Every routable bank account
// (money.md section 2.1) is a ledger account of kind master, user or
// business; a program's internal accounts (section 3) are never exposed as
// RBAs.
type AccountKind string

// The kinds of ledger account.
const (
	// AccountMaster is a program's own RBA, one per program (section 2.2).
	AccountMaster AccountKind = "master"
	// AccountUser is an RBA of a user (business_id "").
	AccountUser AccountKind = "user"
	// AccountBusiness is an RBA of a business; its UserID is the owning user.
	AccountBusiness AccountKind = "business"
	// AccountClearing is a program's internal account standing for the
	// outside world across external rails: money entering an RBA from
	// outside is debited here. It may go negative.
	AccountClearing AccountKind = "clearing"
)

// AccountStatus is an RBA's state (money.md section 2.1 [ours]).
type AccountStatus string

// The states of an RBA: a frozen account can receive but not send, a closed
// one does neither.
const (
	AccountActive AccountStatus = "active"
	AccountFrozen AccountStatus = "frozen"
	AccountClosed AccountStatus = "closed"
)

// MaxOpenAccounts is how many RBAs that are not closed one user or business
// may have (a sixth is 409 conflict) [ours].
const MaxOpenAccounts = 5

// Balance is a ledger account's balances in cents, kept in step with its
// entries in the transaction that writes them (money.md section 3).
type Balance struct {
	// Posted is posted credits minus posted debits.
	Posted int64
	// PendingDebits is the sum of the account's pending debits (>= 0).
	PendingDebits int64
	// PendingCredits is the sum of its pending credits (>= 0).
	PendingCredits int64
	// Overdraft is what the account owes (>= 0): the part of an ACH return
	// its money no longer covered (docs/decisions.md). Its entries sum to
	// Posted - Overdraft.
	Overdraft int64
}

// Available is available_balance: posted minus pending debits, so money a
// pending movement takes out cannot be spent again. Never negative for an
// RBA.
func (b Balance) Available() int64 { return b.Posted - b.PendingDebits }

// Pending is pending_balance: the pending credits.
func (b Balance) Pending() int64 { return b.PendingCredits }

// Account is a ledger account: an RBA (master, user, business) or an
// internal account of its program.
type Account struct {
	ID        AccountID
	ProgramID ProgramID
	Kind      AccountKind
	// UserID is the user whose account it is, or who owns the business
	// whose account it is; "" for the program's own accounts.
	UserID UserID
	// BusinessID is the business whose account it is; "" otherwise.
	BusinessID BusinessID
	// Number is the 10-digit account number; "" for internal accounts.
	Number    string
	Status    AccountStatus
	Balance   Balance
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsRBA reports whether a is a routable bank account (not internal).
func (a *Account) IsRBA() bool { return a.Kind != AccountClearing }

// MasterAccountID is the id of program pid's master RBA: "rbac-" and the
// program's own UUID. Deriving it makes it one rule for programs created
// before migration 0009 (which computes it in SQL) and after.
func MasterAccountID(pid ProgramID) AccountID { return AccountID("rbac-" + UUIDOf(pid)) }

// ClearingAccountID is the id of program pid's clearing account: "lacc-"
// and the program's UUID. No API call accepts it (ParseID wants "rbac-").
func ClearingAccountID(pid ProgramID) AccountID { return AccountID("lacc-" + UUIDOf(pid)) }

// NewAccount is a new active RBA of kind for its owners, with the n-th
// account number of the installation.
func NewAccount(pid ProgramID, kind AccountKind, uid UserID, bid BusinessID, n int64, now time.Time) Account {
	return Account{ID: NewID[AccountID](now), ProgramID: pid, Kind: kind, UserID: uid, BusinessID: bid,
		Number: AccountNumber(n), Status: AccountActive, CreatedAt: now, UpdatedAt: now}
}

// Freeze stops an active account from sending (it may still receive).
func (a *Account) Freeze(now time.Time) (Changes, error) {
	if a.Status != AccountActive {
		return nil, Errorf(CodeConflict, "account is %s, not active", a.Status)
	}
	return a.setStatus(AccountFrozen, now), nil
}

// Unfreeze makes a frozen account active again.
func (a *Account) Unfreeze(now time.Time) (Changes, error) {
	if a.Status != AccountFrozen {
		return nil, Errorf(CodeConflict, "account is %s, not frozen", a.Status)
	}
	return a.setStatus(AccountActive, now), nil
}

// Close closes an active or frozen account for good. It must hold nothing:
// a zero posted balance and nothing pending either way (409 otherwise). The
// master account cannot be closed: the program's money movements need it.
func (a *Account) Close(now time.Time) (Changes, error) {
	switch {
	case a.Kind == AccountMaster:
		return nil, Errorf(CodeConflict, "the program master account cannot be closed")
	case a.Status == AccountClosed:
		return nil, Errorf(CodeConflict, "account is already closed")
	case a.Balance != Balance{}:
		return nil, Errorf(CodeConflict, "account still holds money (available %s, pending credits %s, pending debits %s): "+
			"only an empty account with nothing pending can be closed",
			FormatAmount(a.Balance.Available()), FormatAmount(a.Balance.PendingCredits), FormatAmount(a.Balance.PendingDebits))
	}
	return a.setStatus(AccountClosed, now), nil
}

func (a *Account) setStatus(s AccountStatus, now time.Time) Changes {
	ch := Changes{"status": {From: string(a.Status), To: string(s)}}
	a.Status, a.UpdatedAt = s, now
	return ch
}

// Event types of accounts; an account's events have the account id as
// subject (a later webhooks layer derives account.* webhooks from them by
// type, so the names are stable).
const (
	EventAccountIssued   EventType = "account.issued"
	EventAccountFrozen   EventType = "account.frozen"
	EventAccountUnfrozen EventType = "account.unfrozen"
	EventAccountClosed   EventType = "account.closed"
)

// NewAccountEvent builds an event about account a.
func NewAccountEvent(a *Account, typ EventType, actor, reason string, ch Changes, now time.Time) Event {
	return Event{ID: NewEventID(now), ProgramID: a.ProgramID, SubjectID: string(a.ID), Type: typ,
		Actor: actor, Reason: reason, Changes: ch, CreatedAt: now}
}

// IssuedChanges records an issued account: its number, owners and kind.
func IssuedChanges(a *Account) Changes {
	ch := Changes{
		"account_number": {From: "", To: a.Number},
		"kind":           {From: "", To: string(a.Kind)},
		"status":         {From: "", To: string(a.Status)},
	}
	if a.UserID != "" {
		ch["user_id"] = Change{From: "", To: string(a.UserID)}
	}
	if a.BusinessID != "" {
		ch["business_id"] = Change{From: "", To: string(a.BusinessID)}
	}
	return ch
}

// AccountFilter selects a page of a program's RBAs (routable-bank-accounts/
// get-all), newest first.
type AccountFilter struct {
	UserID     UserID
	BusinessID BusinessID
	Status     AccountStatus
	Page       int
	PerPage    int
}

// ParseAccountStatus reads an account status filter ("" for any).
func ParseAccountStatus(s string) (AccountStatus, error) {
	switch st := AccountStatus(s); st {
	case "", AccountActive, AccountFrozen, AccountClosed:
		return st, nil
	}
	return "", Invalid("status", "must be active, frozen or closed")
}
