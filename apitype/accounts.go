package apitype

// Accounts, balances and money movement (money.md). Amounts travel as
// strings with exactly two decimals ("100.00"), never as JSON numbers.

// Account is a routable bank account (money.md section 2.1): exactly these
// keys. BusinessID is "" for a user's own account; UserID and BusinessID
// are both "" for the program master account.
type Account struct {
	ID            string `json:"id"`
	AccountNumber string `json:"account_number"`
	RoutingNumber string `json:"routing_number"`
	Status        string `json:"status"`
	UserID        string `json:"user_id"`
	BusinessID    string `json:"business_id"`
	CreatedAt     string `json:"created_at"`
}

// IssueUserAccountRequest is the body of /user/routable-bank-accounts/issue.
type IssueUserAccountRequest struct {
	Common
	UserID string `json:"user_id"`
}

// IssueBusinessAccountRequest is the body of
// /business/routable-bank-accounts/issue.
type IssueBusinessAccountRequest struct {
	Common
	UserID     string `json:"user_id"`
	BusinessID string `json:"business_id"`
}

// BusinessAccountRequest is the body of
// /business/routable-bank-accounts/get-single.
type BusinessAccountRequest struct {
	Common
	UserID                string `json:"user_id"`
	BusinessID            string `json:"business_id"`
	RoutableBankAccountID string `json:"routable_bank_account_id"`
}

// ListAccountsRequest is the body of /routable-bank-accounts/get-all: the
// program's RBAs, optionally of one user (their own and their businesses')
// or one business, and of one status.
type ListAccountsRequest struct {
	Common
	UserID     string `json:"user_id,omitempty"`
	BusinessID string `json:"business_id,omitempty"`
	Status     string `json:"status,omitempty"`
	Page       *int   `json:"page,omitempty"`
	PerPage    *int   `json:"per_page,omitempty"`
}

// AccountActionRequest is the body of /routable-bank-accounts/freeze,
// /unfreeze and /close.
type AccountActionRequest struct {
	Common
	RoutableBankAccountID string `json:"routable_bank_account_id"`
	Reason                string `json:"reason,omitempty"`
}

// ProgramRequest is the body of the calls about the program itself
// (/program/routable-bank-accounts/get, /balance/program-master-rba): no
// field but the common ones.
type ProgramRequest struct {
	Common
}

// Balance is the data of the balance calls (money.md section 5), with no
// items wrapper.
type Balance struct {
	AvailableBalance string `json:"available_balance"`
	PendingBalance   string `json:"pending_balance"`
	Currency         string `json:"currency"`
}

// UserBalanceRequest is the body of /balance/user.
type UserBalanceRequest struct {
	Common
	UserID                string `json:"user_id"`
	BusinessID            string `json:"business_id,omitempty"`
	RoutableBankAccountID string `json:"routable_bank_account_id,omitempty"`
}

// Transaction is a ledger transaction (money.md section 3.1): exactly these
// keys. Direction is the point of view of the account the call is about
// ("debit" in a transfer's own answer). An account id of the outside world
// is "".
type Transaction struct {
	ID                    string            `json:"id"`
	UUID                  string            `json:"uuid"`
	Amount                string            `json:"amount"`
	Currency              string            `json:"currency"`
	Status                string            `json:"status"`
	Category              string            `json:"category"`
	Method                string            `json:"method"`
	Direction             string            `json:"direction"`
	OriginatorType        string            `json:"originator_type"`
	OriginatorID          string            `json:"originator_id"`
	SourceAccountID       string            `json:"source_account_id"`
	DestinationAccountID  string            `json:"destination_account_id"`
	Description           string            `json:"description"`
	Reference             string            `json:"reference"`
	Metadata              map[string]string `json:"metadata"`
	IdempotentKey         string            `json:"idempotent_key"`
	FailureReason         string            `json:"failure_reason"`
	PostingDate           string            `json:"posting_date"`
	ReversedTransactionID string            `json:"reversed_transaction_id"`
	CreatedAt             string            `json:"created_at"`
	UpdatedAt             string            `json:"updated_at"`
}

// BookTransferRequest is the body of
// /book-transfer/routable-bank-account-to-routable-bank-account-transfer.
// Entity types are user, business or program (named by its program id).
// Currency is as in MovementFields: nil sends none, anything else must be
// "usd" in any letter case.
type BookTransferRequest struct {
	Common
	Amount                           string            `json:"amount"`
	SourceEntityID                   string            `json:"source_entity_id"`
	SourceEntityType                 string            `json:"source_entity_type"`
	SourceRoutableBankAccountID      string            `json:"source_routable_bank_account_id"`
	DestinationEntityID              string            `json:"destination_entity_id"`
	DestinationEntityType            string            `json:"destination_entity_type"`
	DestinationRoutableBankAccountID string            `json:"destination_routable_bank_account_id"`
	Description                      string            `json:"description"`
	Currency                         *string           `json:"currency,omitempty"`
	Reference                        string            `json:"reference,omitempty"`
	Metadata                         map[string]string `json:"metadata,omitempty"`
}

// TransactionFilters are the filters the transaction lists share.
type TransactionFilters struct {
	Direction string `json:"direction,omitempty"`
	Status    string `json:"status,omitempty"`
	StartDate string `json:"start_date,omitempty"`
	EndDate   string `json:"end_date,omitempty"`
	Page      *int   `json:"page,omitempty"`
	PerPage   *int   `json:"per_page,omitempty"`
}

// BusinessTransactionsRequest is the body of /transactions/business.
type BusinessTransactionsRequest struct {
	Common
	TransactionFilters
	BusinessID            string `json:"business_id"`
	RoutableBankAccountID string `json:"routable_bank_account_id,omitempty"`
}

// UserTransactionsRequest is the body of /transactions/user.
type UserTransactionsRequest struct {
	Common
	TransactionFilters
	UserID                string `json:"user_id"`
	RoutableBankAccountID string `json:"routable_bank_account_id,omitempty"`
}

// ProgramTransactionsRequest is the body of /transactions/program-rba:
// search matches the description or the id.
type ProgramTransactionsRequest struct {
	Common
	TransactionFilters
	Search string `json:"search,omitempty"`
}

// SingleTransactionRequest is the body of /transactions/single: IDGeneric
// is a transaction id, its uuid, its reference or its idempotent_key.
type SingleTransactionRequest struct {
	Common
	UserID           string `json:"user_id"`
	IDGeneric        string `json:"id_generic"`
	PaymentDirection string `json:"payment_direction,omitempty"`
}

// InboundTransferRequest is the body of /sandbox/simulate/inbound-transfer
// (sandbox.md section 1): Rail is ach (the default: pending, then settled)
// or wire (completed at once). Currency is as in MovementFields.
type InboundTransferRequest struct {
	Common
	RoutableBankAccountID string  `json:"routable_bank_account_id"`
	Amount                string  `json:"amount"`
	Rail                  string  `json:"rail,omitempty"`
	Description           string  `json:"description,omitempty"`
	Currency              *string `json:"currency,omitempty"`
}
