package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Fixtures (sandbox.md section 2): programs with their users, businesses,
// owners and funded accounts, loaded in one transaction, all or nothing.
// The wire format (JSON) is read by package httpapi (ParseFixtures), which
// knows the API's field names; this is what it becomes.

// fixtureActor is the audit actor of everything a fixture creates.
const fixtureActor = "fixtures"

// Fixtures is a fixture file's content.
type Fixtures struct {
	Programs []FixtureProgram
}

// FixtureProgram is one program: credentials ("" to generate them), its
// users, businesses, accounts and linked external accounts.
type FixtureProgram struct {
	Name                             string
	APIKey, HMACUsername, HMACSecret string
	Users                            []FixtureUser
	Businesses                       []FixtureBusiness
	Accounts                         []FixtureAccount
	LinkedAccounts                   []FixtureLinkedAccount
}

// FixtureLinkedAccount is a linked external bank account of the user with
// UserEmail (and of their business with BusinessEIN), or of the program
// when both are "" (money.md section 2.3).
type FixtureLinkedAccount struct {
	UserEmail, BusinessEIN string
	Input                  banking.LinkedAccountInput
}

// FixtureUser is a user/create body and the KYC status to give the user
// ("" for not_started).
type FixtureUser struct {
	Input     banking.NewUserInput
	KYCStatus string
}

// FixtureBusiness is a business/create body of the user with UserEmail,
// its owners, and the KYB status to give it (its owners follow a verified
// or rejected one).
type FixtureBusiness struct {
	UserEmail string
	Input     banking.NewBusinessInput
	Owners    []banking.NewOwnerInput
	KYBStatus string
}

// FixtureAccount is an RBA of the user with UserEmail (and of their
// business with BusinessEIN), or the master account when both are "", with
// its opening balance ("" or "0.00" for none), booked as a completed
// inbound wire.
type FixtureAccount struct {
	UserEmail, BusinessEIN, OpeningBalance string
}

// LoadedProgram is a program a load created (with its credentials, shown
// once) or found already there (Existed; credentials not shown).
type LoadedProgram struct {
	Credentials
	Existed bool
}

// FixtureError is a refused fixture: Entry names the entry ("programs[0]
// (acme).users[2] (ada@example.com)"), Err says why.
type FixtureError struct {
	Entry string
	Err   error
}

func (e *FixtureError) Error() string {
	b := banking.AsError(e.Err)
	msg := b.Message
	if b.Code == banking.CodeInternal {
		msg = e.Err.Error()
	}
	if len(b.Fields) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(b.Fields)) {
			parts = append(parts, k+": "+b.Fields[k])
		}
		msg += " (" + strings.Join(parts, "; ") + ")"
	}
	return e.Entry + ": " + msg
}

func (e *FixtureError) Unwrap() error { return e.Err }

// at wraps err as the fault of entry, unless it already names one.
func at(entry string, err error) error {
	var fe *FixtureError
	if err == nil || errors.As(err, &fe) {
		return err
	}
	return &FixtureError{Entry: entry, Err: err}
}

// LoadFixtures loads f in one transaction: every program is created with
// everything it lists, or, if any entry is refused, nothing of any program
// is (the error, a *FixtureError, names the entry). A program that already
// exists (the same hmac_username, or the same name when the file gives no
// credentials) is left exactly as it is, so loading a file twice changes
// nothing.
func (s *Service) LoadFixtures(ctx context.Context, f Fixtures) ([]LoadedProgram, error) {
	v, err := s.store.Do(ctx, store.Work{Run: func(ctx context.Context, tx *store.Tx) (any, error) {
		var out []LoadedProgram
		for i, p := range f.Programs {
			lp, err := s.loadProgram(ctx, tx, fmt.Sprintf("programs[%d] (%s)", i, p.Name), p)
			if err != nil {
				return nil, err
			}
			out = append(out, lp)
		}
		return out, nil
	}})
	if err != nil {
		return nil, err
	}
	return v.([]LoadedProgram), nil
}

func (s *Service) loadProgram(ctx context.Context, tx *store.Tx, entry string, p FixtureProgram) (LoadedProgram, error) {
	if err := banking.ValidateProgramName(p.Name); err != nil {
		return LoadedProgram{}, at(entry, err)
	}
	given := p.APIKey != "" || p.HMACUsername != "" || p.HMACSecret != ""
	if given {
		if err := checkFixedCredentials(p); err != nil {
			return LoadedProgram{}, at(entry, err)
		}
	}
	existing, err := s.store.ProgramForFixture(ctx, tx, p.Name, p.HMACUsername)
	if err != nil {
		return LoadedProgram{}, at(entry, err)
	}
	if existing != "" {
		return LoadedProgram{Credentials: Credentials{ProgramID: string(existing), Name: p.Name}, Existed: true}, nil
	}
	c, prog, ev, err := s.newProgram(p.Name)
	if err != nil {
		return LoadedProgram{}, at(entry, err)
	}
	if given {
		c.APIKey, c.HMACUsername, c.HMACSecret = p.APIKey, p.HMACUsername, p.HMACSecret
		prog.APIKeyHash = banking.HashAPIKey(c.APIKey)
		prog.HMACUsername = c.HMACUsername
		prog.HMACSecretSealed = s.sealer.Seal([]byte(c.HMACSecret), []byte(c.HMACUsername))
	}
	ev.Actor = fixtureActor
	if err := s.store.CreateProgramIn(ctx, tx, prog, ev); err != nil {
		return LoadedProgram{}, at(entry, err)
	}
	pid := prog.ID
	now := s.clock() // a new program's clock has no offset
	users := map[string]banking.UserID{}
	for i, fu := range p.Users {
		e := fmt.Sprintf("%s.users[%d] (%s)", entry, i, fu.Input.Email)
		uid, err := s.loadUser(ctx, tx, pid, fu, now)
		if err != nil {
			return LoadedProgram{}, at(e, err)
		}
		users[banking.NormalizeEmail(fu.Input.Email)] = uid
	}
	businesses := map[string]banking.BusinessID{} // by EIN digits
	owners := map[banking.BusinessID]banking.UserID{}
	for i, fb := range p.Businesses {
		e := fmt.Sprintf("%s.businesses[%d] (%s)", entry, i, fb.Input.EIN)
		uid, ok := users[banking.NormalizeEmail(fb.UserEmail)]
		if !ok {
			return LoadedProgram{}, at(e, banking.Invalid("user_email", "names no user of this program's fixture"))
		}
		bid, err := s.loadBusiness(ctx, tx, pid, uid, e, fb, now)
		if err != nil {
			return LoadedProgram{}, at(e, err)
		}
		businesses[einKey(fb.Input.EIN)] = bid
		owners[bid] = uid
	}
	for i, fa := range p.Accounts {
		e := fmt.Sprintf("%s.accounts[%d]", entry, i)
		if err := s.loadAccount(ctx, tx, pid, users, businesses, owners, fa, now); err != nil {
			return LoadedProgram{}, at(e, err)
		}
	}
	for i, fl := range p.LinkedAccounts {
		e := fmt.Sprintf("%s.linked_accounts[%d]", entry, i)
		if err := s.loadLinked(ctx, tx, pid, users, businesses, owners, fl, now); err != nil {
			return LoadedProgram{}, at(e, err)
		}
	}
	return LoadedProgram{Credentials: c}, nil
}

// checkFixedCredentials validates credentials a fixture fixes: all three,
// in the forms ingot generates them (ak_, hu_ prefixes) and long enough to
// be worth signing with.
func checkFixedCredentials(p FixtureProgram) error {
	bad := map[string]string{}
	if !strings.HasPrefix(p.APIKey, "ak_") || len(p.APIKey) < 19 || len(p.APIKey) > 128 {
		bad["api_key"] = "must be ak_ followed by 16 to 125 characters"
	}
	if !strings.HasPrefix(p.HMACUsername, "hu_") || len(p.HMACUsername) < 11 || len(p.HMACUsername) > 128 {
		bad["hmac_username"] = "must be hu_ followed by 8 to 125 characters"
	}
	if len(p.HMACSecret) < 32 || len(p.HMACSecret) > 256 {
		bad["hmac_secret"] = "must be 32 to 256 characters"
	}
	for _, v := range []string{p.APIKey, p.HMACUsername, p.HMACSecret} {
		if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) {
			bad["credentials"] = "must be printable ASCII without spaces"
		}
	}
	if len(bad) > 0 {
		return &banking.Error{Code: banking.CodeInvalid, Message: "validation failed", Fields: bad}
	}
	return nil
}

// fixtureStatus reads a fixture's kyc_status or kyb_status.
func fixtureStatus(field, v string) (banking.KYCStatus, error) {
	switch banking.KYCStatus(v) {
	case "":
		return banking.KYCNotStarted, nil
	case banking.KYCNotStarted, banking.KYCPending, banking.KYCVerified, banking.KYCRejected:
		return banking.KYCStatus(v), nil
	}
	return "", banking.Invalid(field, "must be not_started, pending, verified or rejected")
}

func (s *Service) loadUser(ctx context.Context, tx *store.Tx, pid banking.ProgramID, fu FixtureUser, now time.Time) (banking.UserID, error) {
	ks, serr := fixtureStatus("kyc_status", fu.KYCStatus)
	u, ssn, err := banking.NewUser(pid, fu.Input, now)
	if err := joinInvalid(err, serr); err != nil {
		return "", err
	}
	if fu.Input.BusinessID != "" {
		return "", banking.Invalid("business_id", "a fixture's user cannot be a business contact")
	}
	u.KYCStatus = ks
	if ssn != "" {
		u.SSNSealed = s.sealer.Seal([]byte(ssn), ssnAAD(u.ID))
	}
	ev := banking.NewEvent(&u, banking.EventUserCreated, fixtureActor, "", banking.CreatedChanges(&u), now)
	if _, err := store.CreateUserWork(u, ev).Run(ctx, tx); err != nil {
		return "", err
	}
	return u.ID, nil
}

func (s *Service) loadBusiness(ctx context.Context, tx *store.Tx, pid banking.ProgramID, uid banking.UserID, entry string,
	fb FixtureBusiness, now time.Time) (banking.BusinessID, error) {
	ks, serr := fixtureStatus("kyb_status", fb.KYBStatus)
	b, err := banking.NewBusiness(pid, uid, fb.Input, now)
	if err := joinInvalid(err, serr); err != nil {
		return "", err
	}
	ev := banking.NewBusinessEvent(&b, banking.EventBusinessCreated, fixtureActor, "", banking.BusinessCreatedChanges(&b), now)
	if _, err := store.CreateBusinessWork(b, ev).Run(ctx, tx); err != nil {
		return "", err
	}
	for i, in := range fb.Owners {
		o, ssn, err := banking.NewOwner(pid, b.ID, in, now)
		if err != nil {
			return "", at(fmt.Sprintf("%s.owners[%d] (%s)", entry, i, in.Email), err)
		}
		if ssn != "" {
			o.SSNSealed = s.sealer.Seal([]byte(ssn), ssnAAD(o.ID))
		}
		w := store.BusinessWork(pid, uid, b.ID, store.BusinessNeeds{Owners: true}, func(_ *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
			ch, err := f.AddOwner(o)
			if err != nil {
				return nil, nil, err
			}
			return nil, []banking.Event{banking.NewBusinessEvent(&f.Business, banking.EventOwnerAdded, fixtureActor, "", ch, now)}, nil
		})
		if _, err := w.Run(ctx, tx); err != nil {
			return "", at(fmt.Sprintf("%s.owners[%d] (%s)", entry, i, in.Email), err)
		}
	}
	if ks == banking.KYCNotStarted {
		return b.ID, nil
	}
	// The status is set directly, as the fixture says; owners follow a
	// final decision as they follow the provider's.
	w := store.BusinessWork(pid, uid, b.ID, store.BusinessNeeds{Owners: true}, func(_ *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
		ch := banking.Changes{"kyb_status": {From: string(f.Business.KYBStatus), To: string(ks)}}
		f.Business.KYBStatus, f.Business.UpdatedAt = ks, now
		if ks == banking.KYCVerified || ks == banking.KYCRejected {
			for i := range f.Owners {
				f.Owners[i].KYCStatus, f.Owners[i].UpdatedAt = ks, now
			}
		}
		return nil, []banking.Event{banking.NewBusinessEvent(&f.Business, kybEventOf(ks), fixtureActor, "", ch, now)}, nil
	})
	if _, err := w.Run(ctx, tx); err != nil {
		return "", err
	}
	return b.ID, nil
}

// kybEventOf is the event that records a business reaching status ks.
func kybEventOf(ks banking.KYCStatus) banking.EventType {
	switch ks {
	case banking.KYCVerified:
		return banking.EventKYBVerified
	case banking.KYCRejected:
		return banking.EventKYBRejected
	}
	return banking.EventKYBSubmitted
}

// einKey is an EIN's digits, how a fixture's account names its business.
func einKey(ein string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, ein)
}

func (s *Service) loadAccount(ctx context.Context, tx *store.Tx, pid banking.ProgramID, users map[string]banking.UserID,
	businesses map[string]banking.BusinessID, owners map[banking.BusinessID]banking.UserID, fa FixtureAccount, now time.Time) error {
	var acct banking.AccountID
	switch {
	case fa.UserEmail == "" && fa.BusinessEIN == "":
		acct = banking.MasterAccountID(pid)
	default:
		uid, ok := users[banking.NormalizeEmail(fa.UserEmail)]
		if !ok {
			return banking.Invalid("user_email", "names no user of this program's fixture")
		}
		var bid banking.BusinessID
		kind := banking.AccountUser
		if fa.BusinessEIN != "" {
			if bid, ok = businesses[einKey(fa.BusinessEIN)]; !ok || owners[bid] != uid {
				return banking.Invalid("business_ein", "names no business of that user in this program's fixture")
			}
			kind = banking.AccountBusiness
		}
		w := store.IssueAccountWork(pid, uid, bid, func(n int64) (banking.Account, banking.Event) {
			a := banking.NewAccount(pid, kind, uid, bid, n, now)
			return a, banking.NewAccountEvent(&a, banking.EventAccountIssued, fixtureActor, "", banking.IssuedChanges(&a), now)
		})
		v, err := w.Run(ctx, tx)
		if err != nil {
			return err
		}
		acct = v.(banking.Account).ID
	}
	if fa.OpeningBalance == "" {
		return nil
	}
	in, err := banking.ParseInboundTransfer(string(acct), fa.OpeningBalance, string(banking.RailWire), "opening balance", nil)
	if err != nil {
		if e := banking.AsError(err); e.Code == banking.CodeInvalid && e.Fields["amount"] != "" {
			return banking.Invalid("opening_balance", e.Fields["amount"])
		}
		return err
	}
	t := banking.Transaction{
		ID: banking.NewID[banking.TransactionID](now), ProgramID: pid, Amount: in.Amount,
		Status: banking.TxCompleted, Category: banking.CategoryInboundTransfer, Method: banking.Method(in.Rail),
		OriginatorType: banking.EntityProgram, OriginatorID: string(pid),
		SourceAccountID: banking.ClearingAccountID(pid), DestinationAccountID: in.Account,
		Description: in.Description, CreatedAt: now, UpdatedAt: now, PostingDate: now,
	}
	m, err := s.movement(t, banking.EventTransferCompleted, fixtureActor)
	if err != nil {
		return err
	}
	_, err = store.InboundWork(pid, m).Run(ctx, tx)
	return err
}

// loadLinked saves a fixture's linked account with the API's own rules
// (linkedAccount): its number sealed, never stored in clear.
func (s *Service) loadLinked(ctx context.Context, tx *store.Tx, pid banking.ProgramID, users map[string]banking.UserID,
	businesses map[string]banking.BusinessID, owners map[banking.BusinessID]banking.UserID, fl FixtureLinkedAccount, now time.Time) error {
	var uid banking.UserID
	var bid banking.BusinessID
	if fl.UserEmail != "" || fl.BusinessEIN != "" {
		var ok bool
		if uid, ok = users[banking.NormalizeEmail(fl.UserEmail)]; !ok {
			return banking.Invalid("user_email", "names no user of this program's fixture")
		}
		if fl.BusinessEIN != "" {
			if bid, ok = businesses[einKey(fl.BusinessEIN)]; !ok || owners[bid] != uid {
				return banking.Invalid("business_ein", "names no business of that user in this program's fixture")
			}
		}
	}
	// A fixture is loaded once (idempotently, by program): the API's
	// idempotent_key requirement has nothing to protect here.
	fl.Input.HasKey = true
	a, err := s.linkedAccount(pid, uid, bid, uid == "", fl.Input, now)
	if err != nil {
		return err
	}
	_, err = store.SaveLinkedAccountWork(a, banking.NewLinkedAccountEvent(&a, banking.EventLinkedAccountSaved, fixtureActor, now)).Run(ctx, tx)
	return err
}

// ExportedProgram is a program's state as `ingot fixtures export` writes
// it: its users, businesses with owners, and accounts with balances.
type ExportedProgram struct {
	Program    banking.Program
	Users      []banking.User
	Businesses []ExportedBusiness
	Accounts   []banking.Account
}

// ExportedBusiness is a business with its owners.
type ExportedBusiness struct {
	Business banking.Business
	Owners   []banking.Owner
}

// exportPage is how many rows each read of an export takes.
const exportPage = banking.MaxPerPage

// ExportFixtures reads program pid's current state, oldest first.
func (s *Service) ExportFixtures(ctx context.Context, pid banking.ProgramID) (ExportedProgram, error) {
	p, err := s.store.Program(ctx, pid)
	if err != nil {
		return ExportedProgram{}, err
	}
	out := ExportedProgram{Program: p}
	for page := 1; ; page++ {
		us, _, err := s.store.ListUsers(ctx, pid, banking.UserFilter{Ascending: true, Page: page, PerPage: exportPage})
		if err != nil {
			return out, err
		}
		out.Users = append(out.Users, us...)
		if len(us) < exportPage {
			break
		}
	}
	for page := 1; ; page++ {
		bs, _, err := s.store.ListBusinesses(ctx, pid, banking.BusinessFilter{Ascending: true, Page: page, PerPage: exportPage})
		if err != nil {
			return out, err
		}
		for _, b := range bs {
			os, _, err := s.store.Owners(ctx, pid, b.UserID, b.ID, 1, banking.MaxOwners)
			if err != nil {
				return out, err
			}
			out.Businesses = append(out.Businesses, ExportedBusiness{Business: b, Owners: os})
		}
		if len(bs) < exportPage {
			break
		}
	}
	for page := 1; ; page++ {
		as, _, err := s.store.ListAccounts(ctx, pid, banking.AccountFilter{Page: page, PerPage: exportPage})
		if err != nil {
			return out, err
		}
		out.Accounts = append(out.Accounts, as...)
		if len(as) < exportPage {
			break
		}
	}
	master, err := s.store.MasterAccount(ctx, pid)
	if err != nil {
		return out, err
	}
	if !slices.ContainsFunc(out.Accounts, func(a banking.Account) bool { return a.ID == master.ID }) {
		out.Accounts = append([]banking.Account{master}, out.Accounts...)
	}
	return out, nil
}
