package banking

// Holder is the state of whoever an RBA belongs to, as a movement or an
// issue reads it: the user whose account it is (or who owns the business
// whose account it is) and the business. The program's master account has
// neither and is always allowed.
type Holder struct {
	Kind           AccountKind
	UserStatus     Status
	KYCStatus      KYCStatus
	BusinessStatus Status
	KYBStatus      KYCStatus
}

// Blocked reports whether the holder may not move money: a blocked user, a
// blocked business, or a business whose owning user is blocked
// (businesses.md section 7).
func (h Holder) Blocked() bool {
	switch h.Kind {
	case AccountUser:
		return h.UserStatus == StatusBlocked
	case AccountBusiness:
		return h.BusinessStatus == StatusBlocked || h.UserStatus == StatusBlocked
	}
	return false
}

// Verified reports whether the entity holding the account passed KYC (a
// user) or KYB (a business).
func (h Holder) Verified() bool {
	switch h.Kind {
	case AccountUser:
		return h.KYCStatus == KYCVerified
	case AccountBusiness:
		return h.KYBStatus == KYCVerified
	}
	return true
}

// blockedError and notVerifiedError name the entity refused.
func (h Holder) blockedError() error {
	if h.Kind == AccountBusiness {
		if h.BusinessStatus == StatusBlocked {
			return Errorf(CodeBlocked, "business is blocked")
		}
		return Errorf(CodeBlocked, "the user owning the business is blocked")
	}
	return Errorf(CodeBlocked, "user is blocked")
}

func (h Holder) notVerifiedError() error {
	if h.Kind == AccountBusiness {
		return Errorf(CodeNotVerified, "business has not passed KYB (kyb_status %s)", h.KYBStatus)
	}
	return Errorf(CodeNotVerified, "user has not passed KYC (kyc_status %s)", h.KYCStatus)
}

// CheckIssue decides whether a new RBA may be issued to the holder, which
// has open RBAs that are not closed (money.md section 2.1): 409 blocked,
// then not_verified, then conflict for a sixth open account.
func (h Holder) CheckIssue(open int) error {
	switch {
	case h.Blocked():
		return h.blockedError()
	case !h.Verified():
		return h.notVerifiedError()
	case open >= MaxOpenAccounts:
		return Errorf(CodeConflict, "at most %d open routable bank accounts per user or business", MaxOpenAccounts)
	}
	return nil
}

// Party is one end of a movement as the ledger reads it, under its lock:
// the account and its holder.
type Party struct {
	Account Account
	Holder  Holder
}

// Owns reports whether side names p's account with its own entity: a user's
// own account (not a business's) for a user, the business's for a business,
// the master account for the program (money.md section 4.1).
func (p *Party) Owns(side Side) bool {
	t, id := EntityOf(&p.Account)
	return p.Account.ID == side.Account && t == side.Type && id == side.EntityID
}

// CheckMovement applies steps 3 to 6 of money.md section 4, in that order,
// to a movement of amount cents from src to dst (either nil for the outside
// world's side): 409 blocked, not_verified, account_not_active (the source
// must be active; the destination active or frozen), insufficient_funds.
func CheckMovement(src, dst *Party, amount int64) error {
	parties := []*Party{src, dst}
	for _, p := range parties {
		if p != nil && p.Holder.Blocked() {
			return p.Holder.blockedError()
		}
	}
	for _, p := range parties {
		if p != nil && !p.Holder.Verified() {
			return p.Holder.notVerifiedError()
		}
	}
	if src != nil && src.Account.Status != AccountActive {
		return Errorf(CodeAccountNotActive, "source account is %s", src.Account.Status)
	}
	if dst != nil && dst.Account.Status == AccountClosed {
		return Errorf(CodeAccountNotActive, "destination account is closed")
	}
	if src != nil && src.Account.IsRBA() && src.Account.Balance.Available() < amount {
		return Errorf(CodeInsufficientFunds, "source account's available balance (%s) is below the amount (%s)",
			FormatAmount(src.Account.Balance.Available()), FormatAmount(amount))
	}
	return nil
}
