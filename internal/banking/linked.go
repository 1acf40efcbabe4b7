package banking

import (
	"strings"
	"time"
)

// Linked external bank accounts (money.md section 2.3): a bank account
// outside the installation that a user, a business or the program itself
// links in order to move money in (a top-up, program funding) or out (a
// payout). Its full number is sealed at rest and never answered.

// AccountType is a linked account's kind of bank account.
type AccountType string

// The kinds of linked account.
const (
	Checking AccountType = "checking"
	Savings  AccountType = "savings"
)

// LinkedAccount is a linked external bank account.
type LinkedAccount struct {
	ID        LinkedAccountID
	ProgramID ProgramID
	// OwnerType and OwnerID name whose account it is: a user (their own),
	// a business (UserID is its user) or the program.
	OwnerType  EntityType
	OwnerID    string
	UserID     UserID
	BusinessID BusinessID
	FirstName  string
	LastName   string
	Type       AccountType
	Routing    string
	// Last4 is the account number's last four digits, the only part ever
	// shown.
	Last4 string
	// NumberSealed is the full account number sealed by the vault
	// (associated data LinkedAccountAAD(ID)); NumberIndex its blind index.
	NumberSealed []byte
	NumberIndex  string
	BankName     string
	Status       string
	AddressOne   string
	City         string
	State        string
	PostalCode   string
	Country      string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// LinkedAccountAAD is the associated data a linked account's number is
// sealed under, binding it to its row.
func LinkedAccountAAD(id LinkedAccountID) []byte { return []byte("bank-account:" + string(id)) }

// LinkedIndexPurpose is the blind index purpose of a linked account's
// routing and account numbers.
const LinkedIndexPurpose = "linked-account-number"

// LinkedIndexInput is what the blind index of an account hashes: routing
// number and account number, which together name one bank account.
func LinkedIndexInput(routing, number string) []byte { return []byte(routing + ":" + number) }

// Event type of a linked account saved (its subject is the linked account).
const EventLinkedAccountSaved EventType = "bank_account.saved"

// LinkedAccountInput is users/bank-accounts/save or program/bank-accounts/
// save as sent.
type LinkedAccountInput struct {
	FirstName, LastName, AccountNumber, RoutingNumber, AccountType string
	AddressOne, City, State, PostalCode, Country                   string
	HasKey                                                         bool
}

// ParseLinkedAccount validates a linked account's fields (400 naming every
// wrong field): names, an account number of 5 to 17 digits, a routing
// number of 9 digits with a correct ABA checksum, the account type
// (checking by default) and the optional address. It returns the account
// without ids, owner or sealed number; number is the account number to
// seal. The account number is never echoed in a message.
func ParseLinkedAccount(in LinkedAccountInput) (a LinkedAccount, number string, err error) {
	f := fieldErrors{}
	a.FirstName, a.LastName = normText(in.FirstName), normText(in.LastName)
	if required(f, "first_name", a.FirstName) {
		checkText(f, "first_name", a.FirstName, maxName)
	}
	if required(f, "last_name", a.LastName) {
		checkText(f, "last_name", a.LastName, maxName)
	}
	if required(f, "account_number", in.AccountNumber) {
		if n := len(in.AccountNumber); n < 5 || n > 17 || !allDigits(in.AccountNumber) {
			f.add("account_number", "must be 5 to 17 digits")
		}
	}
	if required(f, "routing_number", in.RoutingNumber) && !ValidRoutingNumber(in.RoutingNumber) {
		f.add("routing_number", "must be a 9-digit ABA routing number with a valid checksum")
	}
	switch t := AccountType(strings.ToLower(in.AccountType)); t {
	case "":
		a.Type = Checking
	case Checking, Savings:
		a.Type = t
	default:
		f.add("account_type", "must be checking or savings")
	}
	a.AddressOne, a.City = normText(in.AddressOne), normText(in.City)
	checkText(f, "address_one", a.AddressOne, maxAddress)
	checkText(f, "city", a.City, maxName)
	a.State = strings.ToUpper(normText(in.State))
	if a.State != "" && !stateRE.MatchString(a.State) {
		f.add("state", "must be a two-letter state code")
	}
	a.PostalCode = normText(in.PostalCode)
	if a.PostalCode != "" && !postalRE.MatchString(a.PostalCode) {
		f.add("postal_code", "must be a ZIP code (12345 or 12345-6789)")
	}
	a.Country = strings.ToUpper(normText(in.Country))
	if a.Country != "" && a.Country != "US" {
		f.add("country", "must be US")
	}
	if !in.HasKey {
		f.add("idempotent_key", "is required")
	}
	if err := f.err(); err != nil {
		return LinkedAccount{}, "", err
	}
	a.Routing, a.Last4, a.Status = in.RoutingNumber, in.AccountNumber[len(in.AccountNumber)-4:], "active"
	return a, in.AccountNumber, nil
}

// SavedChanges records a linked account saved: never the full number.
func SavedChanges(a *LinkedAccount) Changes {
	ch := Changes{
		"account_number_last_4": {To: a.Last4},
		"routing_number":        {To: a.Routing},
		"account_type":          {To: string(a.Type)},
		"owner_type":            {To: string(a.OwnerType)},
		"owner_id":              {To: a.OwnerID},
	}
	return ch
}

// NewLinkedAccountEvent builds an event about linked account a.
func NewLinkedAccountEvent(a *LinkedAccount, typ EventType, actor string, now time.Time) Event {
	return Event{ID: NewEventID(now), ProgramID: a.ProgramID, SubjectID: string(a.ID), Type: typ,
		Actor: actor, Changes: SavedChanges(a), CreatedAt: now}
}
