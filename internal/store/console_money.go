package store

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// The operator console's reads of accounts, transactions and entries
// (sandbox.md section 3) that no API call makes: a program's accounts with
// their holders, a program's transactions, a transaction's entries and the
// returns that reverse it.

// HeldAccount is an RBA with the name of whoever holds it: the user's
// first and last name, or the business's name ("" for the master account).
type HeldAccount struct {
	banking.Account
	Holder string
}

// AccountSearch selects a page of a program's RBAs, newest first.
type AccountSearch struct {
	Status banking.AccountStatus
	// Search is four digits (the account number's last four), an id (the
	// account's, its user's or its business's), or part of the holder's
	// name or email, case-insensitive.
	Search  string
	Page    int
	PerPage int
}

// heldCols reads an account and its holder's name (aliases u, b).
const heldCols = accountCols + `, COALESCE(b.name, u.first_name || ' ' || u.last_name, '')`

const heldFrom = `accounts a LEFT JOIN users u ON u.id = a.user_id LEFT JOIN businesses b ON b.id = a.business_id`

func scanHeld(row rowScanner) (HeldAccount, error) {
	var h HeldAccount
	var err error
	h.Account, err = scanAccount(row, &h.Holder)
	return h, err
}

var lastFour = regexp.MustCompile(`^[0-9]{4}$`)

// ConsoleAccounts returns one page of program pid's RBAs matching f, newest
// first, with their holders, and how many match (counted up to
// banking.ExactTotalUpTo, beyond which the total is an estimate). Its cost
// grows with the program's accounts, never with its users: a holder's name
// is matched on the accounts' own rows, joined by key.
func (s *Store) ConsoleAccounts(ctx context.Context, pid banking.ProgramID, f AccountSearch) ([]HeldAccount, banking.Total, error) {
	defer s.timed("console_accounts", time.Now())
	where := []string{"a.program_id = ?", "a.kind <> 'clearing'"}
	args := []any{pid}
	if f.Status != "" {
		where, args = append(where, "a.status = ?"), append(args, f.Status)
	}
	if q := strings.TrimSpace(f.Search); q != "" {
		switch {
		case lastFour.MatchString(q):
			where, args = append(where, "a.account_number LIKE ?"), append(args, "%"+q)
		case strings.HasPrefix(q, "rbac-"):
			where, args = append(where, "a.id = ?"), append(args, strings.ToLower(q))
		case strings.HasPrefix(q, "user-"):
			where, args = append(where, "a.user_id = ?"), append(args, strings.ToLower(q))
		case strings.HasPrefix(q, "buss-"):
			where, args = append(where, "a.business_id = ?"), append(args, strings.ToLower(q))
		default:
			// Correlated by key, so that both engines walk the program's
			// accounts and look each holder up, never the other way
			// round through a million users.
			term := "%" + escapeLike(strings.ToLower(q)) + "%"
			where = append(where, `(EXISTS (SELECT 1 FROM users hu WHERE hu.id = a.user_id AND
				(lower(hu.first_name || ' ' || hu.last_name) LIKE ? ESCAPE '\' OR lower(hu.email) LIKE ? ESCAPE '\'))
				OR EXISTS (SELECT 1 FROM businesses hb WHERE hb.id = a.business_id AND lower(hb.name) LIKE ? ESCAPE '\'))`)
			args = append(args, term, term, term)
		}
	}
	cond := strings.Join(where, " AND ")
	n, err := s.countUpTo(ctx, "accounts a", cond, args, banking.ExactTotalUpTo+1)
	if err != nil {
		return nil, banking.Total{}, err
	}
	out, err := queryList(ctx, s, `SELECT `+heldCols+` FROM `+heldFrom+` WHERE `+cond+
		` ORDER BY a.created_at DESC, a.id DESC LIMIT ? OFFSET ?`, append(args, f.PerPage, (f.Page-1)*f.PerPage), scanHeld)
	if err != nil {
		return nil, banking.Total{}, err
	}
	return out, total(n, f.Page, f.PerPage, len(out)), nil
}

// total is a list's Total from a count made up to ExactTotalUpTo+1.
func total(n, page, perPage, rows int) banking.Total {
	if n <= banking.ExactTotalUpTo {
		return banking.ExactTotal(n)
	}
	return banking.Total{N: max(banking.ExactTotalUpTo, (page-1)*perPage+rows), Estimate: true}
}

// HeldAccount reads RBA id of program pid with its holder; another
// program's, an internal or an unknown account is not found.
func (s *Store) HeldAccount(ctx context.Context, pid banking.ProgramID, id banking.AccountID) (HeldAccount, error) {
	defer s.timed("held_account", time.Now())
	h, err := scanHeld(s.queryRow(ctx, nil, `SELECT `+heldCols+` FROM `+heldFrom+`
		WHERE a.program_id = ? AND a.id = ? AND a.kind <> 'clearing'`, pid, id))
	if err == sql.ErrNoRows {
		return h, errAccountNotFound
	}
	return h, s.translate(err)
}

// TxSearch selects a page of a program's transactions, newest first.
type TxSearch struct {
	Status   banking.TxStatus
	Category banking.Category
	Page     int
	PerPage  int
}

// TxRow is a transaction with the account numbers of its two sides ("" for
// the outside world's).
type TxRow struct {
	banking.Transaction
	SourceNumber, DestinationNumber string
}

const txRowFrom = `ledger_transactions t JOIN accounts src ON src.id = t.source_account_id
	JOIN accounts dst ON dst.id = t.destination_account_id`

func scanTxRow(row rowScanner) (TxRow, error) {
	var r TxRow
	var err error
	r.Transaction, err = scanTransaction(row, &r.SourceNumber, &r.DestinationNumber)
	return r, err
}

// ConsoleTransactions returns one page of program pid's ledger
// transactions matching f, newest first (by creation time, then by the
// order they were written in), and how many match (counted up to
// banking.ExactTotalUpTo). The order is that of the index
// ledger_transactions_program_created (program_id, created_at, seq), so a
// page walks the index from its newest end and stops after its rows,
// however many transactions the program has; a filter skips the rows
// that do not match on the way.
func (s *Store) ConsoleTransactions(ctx context.Context, pid banking.ProgramID, f TxSearch) ([]TxRow, banking.Total, error) {
	defer s.timed("console_transactions", time.Now())
	where := []string{"t.program_id = ?"}
	args := []any{pid}
	if f.Status != "" {
		where, args = append(where, "t.status = ?"), append(args, f.Status)
	}
	if f.Category != "" {
		where, args = append(where, "t.category = ?"), append(args, f.Category)
	}
	cond := strings.Join(where, " AND ")
	n, err := s.countUpTo(ctx, "ledger_transactions t", cond, args, banking.ExactTotalUpTo+1)
	if err != nil {
		return nil, banking.Total{}, err
	}
	// The page is chosen first; only its rows are joined to their accounts.
	out, err := queryList(ctx, s, `SELECT `+txCols+`, COALESCE(src.account_number, ''), COALESCE(dst.account_number, '')
		FROM (SELECT * FROM ledger_transactions t WHERE `+cond+` ORDER BY t.created_at DESC, t.seq DESC LIMIT ? OFFSET ?) t
		JOIN accounts src ON src.id = t.source_account_id JOIN accounts dst ON dst.id = t.destination_account_id
		ORDER BY t.created_at DESC, t.seq DESC`, append(args, f.PerPage, (f.Page-1)*f.PerPage), scanTxRow)
	if err != nil {
		return nil, banking.Total{}, err
	}
	return out, total(n, f.Page, f.PerPage, len(out)), nil
}

// TransactionRow reads transaction id of program pid with its accounts'
// numbers.
func (s *Store) TransactionRow(ctx context.Context, pid banking.ProgramID, id banking.TransactionID) (TxRow, error) {
	defer s.timed("transaction_row", time.Now())
	r, err := scanTxRow(s.queryRow(ctx, nil, `SELECT `+txCols+`, COALESCE(src.account_number, ''),
		COALESCE(dst.account_number, '') FROM `+txRowFrom+` WHERE t.program_id = ? AND t.id = ?`, pid, id))
	if err == sql.ErrNoRows {
		return r, errTransactionNotFound
	}
	return r, s.translate(err)
}

// Entry is one ledger entry: amount in cents, credits positive, debits
// negative; Kind and Number are its account's.
type Entry struct {
	AccountID banking.AccountID
	Kind      banking.AccountKind
	Number    string
	Amount    int64
	CreatedAt time.Time
}

// Entries returns transaction t's entries, debit first. Entries have no
// index by transaction (migration 0009 says why): they are found through
// their two accounts' index at the transaction's creation time, where
// record() wrote them.
func (s *Store) Entries(ctx context.Context, t *banking.Transaction) ([]Entry, error) {
	defer s.timed("transaction_entries", time.Now())
	return queryList(ctx, s, `SELECT e.account_id, a.kind, COALESCE(a.account_number, ''), e.amount, e.created_at
		FROM ledger_entries e JOIN accounts a ON a.id = e.account_id
		WHERE e.account_id IN (?, ?) AND e.created_at = ? AND e.transaction_id = ? AND e.program_id = ?
		ORDER BY e.amount, e.seq`, []any{t.SourceAccountID, t.DestinationAccountID, millis(t.CreatedAt), t.ID, t.ProgramID},
		func(row rowScanner) (Entry, error) {
			var e Entry
			var at int64
			err := row.Scan(&e.AccountID, &e.Kind, &e.Number, &e.Amount, &at)
			e.CreatedAt = fromMillis(at)
			return e, err
		})
}

// Returns lists the transactions that reverse t (their
// reversed_transaction_id is t's), oldest first. A return moves money
// between t's two accounts, so it is looked for among the entries of t's
// routable side made since t; no index by reversed_transaction_id exists.
func (s *Store) Returns(ctx context.Context, t *banking.Transaction) ([]banking.Transaction, error) {
	defer s.timed("transaction_returns", time.Now())
	side := t.DestinationAccountID
	if banking.PublicAccount(side) == "" {
		side = t.SourceAccountID
	}
	return queryList(ctx, s, `SELECT `+txCols+` FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE e.account_id = ? AND e.created_at >= ? AND t.program_id = ? AND t.reversed_transaction_id = ?
		ORDER BY e.created_at, e.seq`, []any{side, millis(t.CreatedAt), t.ProgramID, t.ID},
		func(row rowScanner) (banking.Transaction, error) { return scanTransaction(row) })
}
