package apitype

// The fixture file format (sandbox.md section 2, docs/sandbox.md): what
// `ingot fixtures load` and `ingot serve --sandbox --fixtures` read and
// `ingot fixtures export` writes.

// FixtureFile is a fixture file: programs to create.
type FixtureFile struct {
	Programs []FixtureProgram `json:"programs"`
}

// FixtureProgram is one program. The credentials are optional (all three or
// none: generated and printed when absent; export leaves them out).
type FixtureProgram struct {
	Name         string `json:"name"`
	APIKey       string `json:"api_key,omitempty"`
	HMACUsername string `json:"hmac_username,omitempty"`
	HMACSecret   string `json:"hmac_secret,omitempty"`
	// ProgramID is written by export (for reference); load ignores it.
	ProgramID      string                 `json:"program_id,omitempty"`
	Users          []FixtureUser          `json:"users,omitempty"`
	Businesses     []FixtureBusiness      `json:"businesses,omitempty"`
	Accounts       []FixtureAccount       `json:"accounts,omitempty"`
	LinkedAccounts []FixtureLinkedAccount `json:"linked_accounts,omitempty"`
}

// FixtureUser is a user/create body with the KYC status to give the user:
// not_started (the default), pending, verified or rejected.
type FixtureUser struct {
	CreateUserRequest
	KYCStatus string `json:"kyc_status,omitempty"`
}

// FixtureBusiness is a business/create body of the user with UserEmail (its
// user_id is ignored), its owners (add-business-owner bodies, whose user_id
// and business_id are ignored) and its KYB status (as KYCStatus; owners
// follow verified and rejected).
type FixtureBusiness struct {
	UserEmail string `json:"user_email"`
	CreateBusinessRequest
	Owners    []AddOwnerRequest `json:"owners,omitempty"`
	KYBStatus string            `json:"kyb_status,omitempty"`
}

// FixtureAccount is an RBA of the user with UserEmail, of their business
// with BusinessEIN when set, or the master account when both are absent,
// with its opening balance (a decimal amount such as "1000.00"), booked as
// a completed inbound transfer.
type FixtureAccount struct {
	UserEmail      string `json:"user_email,omitempty"`
	BusinessEIN    string `json:"business_ein,omitempty"`
	OpeningBalance string `json:"opening_balance,omitempty"`
}

// FixtureLinkedAccount is a users/bank-accounts/save body of the user with
// UserEmail (and of their business with BusinessEIN when set), or of the
// program itself (program/bank-accounts/save) when both are absent.
type FixtureLinkedAccount struct {
	UserEmail   string `json:"user_email,omitempty"`
	BusinessEIN string `json:"business_ein,omitempty"`
	SaveLinkedAccountFields
}
