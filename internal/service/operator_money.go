package service

import (
	"context"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// The console's reads of money (sandbox.md section 3): accounts with their
// holders and balances, transactions with their entries and returns. The
// program is the operator's choice (the page's), not a caller's.

// AccountSearch selects a page of a program's accounts (store.AccountSearch).
type AccountSearch = store.AccountSearch

// HeldAccount is an RBA with its holder's name (store.HeldAccount).
type HeldAccount = store.HeldAccount

// ConsoleAccounts lists program pid's RBAs matching f, newest first; an
// invalid status filter is 400.
func (s *Service) ConsoleAccounts(ctx context.Context, pid banking.ProgramID, f AccountSearch) ([]HeldAccount, banking.Total, error) {
	if _, err := banking.ParseAccountStatus(string(f.Status)); err != nil {
		return nil, banking.Total{}, err
	}
	return s.store.ConsoleAccounts(ctx, pid, f)
}

// AccountByID reads RBA rawAccount of program pid with its holder (404 for
// a malformed, unknown, internal or another program's id).
func (s *Service) AccountByID(ctx context.Context, pid banking.ProgramID, rawAccount string) (HeldAccount, error) {
	id, ok := banking.ParseID[banking.AccountID](rawAccount)
	if !ok {
		return HeldAccount{}, errNoAccount
	}
	return s.store.HeldAccount(ctx, pid, id)
}

// AccountStatements lists the transactions of RBA id of program pid, each
// seen from it, newest first.
func (s *Service) AccountStatements(ctx context.Context, pid banking.ProgramID, id banking.AccountID, f banking.TxFilter) ([]banking.Statement, int, error) {
	return s.store.Statements(ctx, pid, store.StatementScope{Account: id}, f)
}

// TxSearch selects a page of a program's transactions (store.TxSearch).
type TxSearch = store.TxSearch

// TxRow is a transaction with its accounts' numbers (store.TxRow).
type TxRow = store.TxRow

// Entry is a ledger entry (store.Entry).
type Entry = store.Entry

// ConsoleTransactions lists program pid's transactions matching f, newest
// first; an invalid status or category filter is 400.
func (s *Service) ConsoleTransactions(ctx context.Context, pid banking.ProgramID, f TxSearch) ([]TxRow, banking.Total, error) {
	if _, err := banking.ParseTxStatus("status", string(f.Status)); err != nil {
		return nil, banking.Total{}, err
	}
	switch f.Category {
	case "", banking.CategoryBookTransfer, banking.CategoryTopUp, banking.CategoryPayout, banking.CategoryProgramFunding,
		banking.CategoryInboundTransfer, banking.CategoryReturn:
	default:
		return nil, banking.Total{}, banking.Invalid("type",
			"must be book_transfer, top_up, payout, program_funding, inbound_transfer or return")
	}
	return s.store.ConsoleTransactions(ctx, pid, f)
}

// TransactionFile is a transaction with what its console page shows: its
// entries and the transactions that return it.
type TransactionFile struct {
	TxRow
	Entries []Entry
	Returns []banking.Transaction
}

// TransactionByID reads transaction rawTransaction of program pid with its
// entries and returns (404 for a malformed, unknown or another program's
// id).
func (s *Service) TransactionByID(ctx context.Context, pid banking.ProgramID, rawTransaction string) (TransactionFile, error) {
	id, ok := banking.ParseID[banking.TransactionID](rawTransaction)
	if !ok {
		return TransactionFile{}, banking.Errorf(banking.CodeNotFound, "transaction not found")
	}
	var f TransactionFile
	var err error
	if f.TxRow, err = s.store.TransactionRow(ctx, pid, id); err != nil {
		return f, err
	}
	if f.Entries, err = s.store.Entries(ctx, &f.Transaction); err != nil {
		return f, err
	}
	f.Returns, err = s.store.Returns(ctx, &f.Transaction)
	return f, err
}
