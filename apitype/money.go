package apitype

// External money movement (money.md sections 2.3, 4.2-4.5 and 6): linked
// bank accounts, top-ups, payouts, program funding, payment intents, the
// transaction report and summary, and the sandbox's settlement control.

// LinkedAccount is a linked external bank account (money.md section 2.3):
// exactly these keys. Only the last four digits of its number are ever
// answered; the holder's names and the account type, saved with it, stay
// in the database (the operator console shows them) and are not answered.
type LinkedAccount struct {
	ID                 string `json:"id"`
	AccountNumberLast4 string `json:"account_number_last_4"`
	RoutingNumber      string `json:"routing_number"`
	BankName           string `json:"bank_name"`
	SourcePlatform     string `json:"source_platform"`
	Status             string `json:"status"`
	UserID             string `json:"user_id"`
	BusinessID         string `json:"business_id"`
	CreatedAt          string `json:"created_at"`
}

// SaveLinkedAccountFields are the fields of a linked account as saved.
type SaveLinkedAccountFields struct {
	FirstName     string `json:"first_name"`
	LastName      string `json:"last_name"`
	AccountNumber string `json:"account_number"`
	RoutingNumber string `json:"routing_number"`
	AccountType   string `json:"account_type,omitempty"`
	AddressOne    string `json:"address_one,omitempty"`
	City          string `json:"city,omitempty"`
	State         string `json:"state,omitempty"`
	PostalCode    string `json:"postal_code,omitempty"`
	Country       string `json:"country,omitempty"`
}

// SaveUserLinkedAccountRequest is the body of /users/bank-accounts/save:
// a linked account of the user, or with BusinessID of that business.
type SaveUserLinkedAccountRequest struct {
	Common
	SaveLinkedAccountFields
	UserID     string `json:"user_id"`
	BusinessID string `json:"business_id,omitempty"`
}

// SaveProgramLinkedAccountRequest is the body of
// /program/bank-accounts/save: a linked account of the program.
type SaveProgramLinkedAccountRequest struct {
	Common
	SaveLinkedAccountFields
}

// ListLinkedAccountsRequest is the body of /users/bank-accounts/get-all.
type ListLinkedAccountsRequest struct {
	Common
	UserID     string `json:"user_id"`
	BusinessID string `json:"business_id,omitempty"`
	Page       *int   `json:"page,omitempty"`
	PerPage    *int   `json:"per_page,omitempty"`
}

// MovementFields are the optional fields every movement accepts.
// Currency, when not nil, must be "usd" in any letter case (money.md
// section 1); it is a pointer so that a currency sent as "" is refused
// rather than read as absent (nil, or JSON null, sends none).
type MovementFields struct {
	Description string            `json:"description,omitempty"`
	Currency    *string           `json:"currency,omitempty"`
	Reference   string            `json:"reference,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// TopUpRequest is the body of
// /user/charge-bank-account-fund-business-routable-bank-account.
type TopUpRequest struct {
	Common
	MovementFields
	UserID                string `json:"user_id"`
	Amount                string `json:"amount"`
	AccountID             string `json:"account_id"`
	ReceiverBusinessID    string `json:"receiver_business_id"`
	RoutableBankAccountID string `json:"routable_bank_account_id"`
}

// PayoutRequest is the body of
// /payout/business/routable-bank-account-to-linked-bank-account.
type PayoutRequest struct {
	Common
	MovementFields
	UserID               string `json:"user_id"`
	BusinessID           string `json:"business_id"`
	Amount               string `json:"amount"`
	SourceAccountID      string `json:"source_account_id"`
	DestinationAccountID string `json:"destination_account_id"`
}

// ProgramFundingRequest is the body of
// /program/charge-program-bank-account-fund-program-routable-bank-account
// (user_id, in Ingo's sample, is accepted and ignored).
type ProgramFundingRequest struct {
	Common
	MovementFields
	UserID                string `json:"user_id,omitempty"`
	Amount                string `json:"amount"`
	AccountID             string `json:"account_id"`
	RoutableBankAccountID string `json:"routable_bank_account_id"`
}

// PaymentIntent is a payment intent (money.md section 6).
type PaymentIntent struct {
	ID            string            `json:"id"`
	Amount        string            `json:"amount"`
	Currency      string            `json:"currency"`
	Direction     string            `json:"direction"`
	Action        string            `json:"action"`
	Category      string            `json:"category"`
	Status        string            `json:"status"`
	EntityType    string            `json:"entity_type"`
	EntityID      string            `json:"entity_id"`
	IdempotentKey string            `json:"idempotent_key"`
	TransactionID string            `json:"transaction_id"`
	PostingDate   string            `json:"posting_date"`
	Metadata      map[string]string `json:"metadata"`
	CreatedAt     string            `json:"created_at"`
}

// PaymentIntentsRequest is the body of /payment-intent/program/all.
type PaymentIntentsRequest struct {
	Common
	PIAction   string `json:"pi_action,omitempty"`
	StatusStr  string `json:"status_str,omitempty"`
	EntityType string `json:"entity_type,omitempty"`
	Direction  string `json:"direction,omitempty"`
	Search     string `json:"search,omitempty"`
	StartDate  string `json:"start_date,omitempty"`
	EndDate    string `json:"end_date,omitempty"`
	Page       *int   `json:"page,omitempty"`
	PerPage    *int   `json:"per_page,omitempty"`
}

// ReportRequest is the body of /transactions/report and
// /balance/program-transaction-summary.
type ReportRequest struct {
	Common
	StartDate string `json:"start_date"`
	EndDate   string `json:"end_date"`
	Direction string `json:"direction,omitempty"`
}

// Report is the data of /transactions/report: every transaction in the
// range, oldest first, without pagination.
type Report struct {
	Items []Transaction `json:"items"`
}

// Summary is the data of /balance/program-transaction-summary: the master
// RBA's posted credits and debits in the range.
type Summary struct {
	CreditsTotal string `json:"credits_total"`
	DebitsTotal  string `json:"debits_total"`
	CreditsCount int    `json:"credits_count"`
	DebitsCount  int    `json:"debits_count"`
	Net          string `json:"net"`
	Currency     string `json:"currency"`
}

// SettleRequest is the body of /sandbox/simulate/settle.
type SettleRequest struct {
	Common
	TransactionID string `json:"transaction_id"`
	Outcome       string `json:"outcome"`
	ReturnCode    string `json:"return_code,omitempty"`
}
