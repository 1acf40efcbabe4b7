package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// txCols is the one column list every ledger transaction query reads, in
// scanTransaction's order (table alias t).
const txCols = `t.id, t.program_id, t.amount, t.status, t.category, t.method, t.originator_type, t.originator_id,
	t.source_account_id, t.destination_account_id, t.source_entity_type, t.source_entity_id,
	t.destination_entity_type, t.destination_entity_id, t.description, t.reference, t.metadata, t.idempotent_key,
	t.failure_reason, t.posting_date, t.reversed_transaction_id, t.created_at, t.updated_at`

var errTransactionNotFound = banking.Errorf(banking.CodeNotFound, "transaction not found")

func scanTransaction(row interface{ Scan(...any) error }, extra ...any) (banking.Transaction, error) {
	var t banking.Transaction
	var meta string
	var posting, created, updated int64
	dst := append([]any{&t.ID, &t.ProgramID, &t.Amount, &t.Status, &t.Category, &t.Method, &t.OriginatorType,
		&t.OriginatorID, &t.SourceAccountID, &t.DestinationAccountID, &t.SourceEntityType, &t.SourceEntityID,
		&t.DestinationEntityType, &t.DestinationEntityID, &t.Description, &t.Reference, &meta, &t.IdempotentKey,
		&t.FailureReason, &posting, &t.ReversedTransactionID, &created, &updated}, extra...)
	if err := row.Scan(dst...); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(meta), &t.Metadata); err != nil {
		return t, fmt.Errorf("transaction %s metadata: %w", t.ID, err)
	}
	if posting != 0 {
		t.PostingDate = fromMillis(posting)
	}
	t.CreatedAt, t.UpdatedAt = fromMillis(created), fromMillis(updated)
	return t, nil
}

// Transaction reads ledger transaction id of program pid.
func (s *Store) Transaction(ctx context.Context, pid banking.ProgramID, id banking.TransactionID) (banking.Transaction, error) {
	defer s.timed("get_transaction", time.Now())
	t, err := scanTransaction(s.queryRow(ctx, nil, `SELECT `+txCols+` FROM ledger_transactions t
		WHERE t.program_id = ? AND t.id = ?`, pid, id))
	if err == sql.ErrNoRows {
		return t, errTransactionNotFound
	}
	return t, s.translate(err)
}

// StatementScope says whose accounts a statement list covers.
type StatementScope struct {
	// Exactly one of these is set: every RBA of a business, a user's own
	// RBAs (not their businesses'), one account.
	Business banking.BusinessID
	User     banking.UserID
	Account  banking.AccountID
}

// cond is the scope's accounts as a condition on e.account_id.
func (sc StatementScope) cond() (string, any) {
	switch {
	case sc.Account != "":
		return "e.account_id = ?", sc.Account
	case sc.Business != "":
		return "e.account_id IN (SELECT id FROM accounts WHERE business_id = ?)", sc.Business
	default:
		return "e.account_id IN (SELECT id FROM accounts WHERE user_id = ? AND kind = 'user')", sc.User
	}
}

// Statements returns one page of the transactions touching the scope's
// accounts, newest first, each seen from the account it touches (a
// transfer between two accounts of the scope is two items, one debit and
// one credit), and how many match f in all.
func (s *Store) Statements(ctx context.Context, pid banking.ProgramID, sc StatementScope, f banking.TxFilter) ([]banking.Statement, int, error) {
	defer s.timed("list_statements", time.Now())
	scope, arg := sc.cond()
	where := []string{scope, "e.program_id = ?"}
	args := []any{arg, pid}
	switch f.Direction {
	case banking.Credit:
		where = append(where, "e.amount > 0")
	case banking.Debit:
		where = append(where, "e.amount < 0")
	}
	if !f.From.IsZero() {
		where = append(where, "e.created_at >= ?")
		args = append(args, millis(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "e.created_at < ?")
		args = append(args, millis(f.To))
	}
	if f.Status != "" {
		where = append(where, "t.status = ?")
		args = append(args, f.Status)
	}
	if f.Search != "" {
		where = append(where, `(lower(t.description) LIKE ? ESCAPE '\' OR t.id LIKE ? ESCAPE '\')`)
		term := "%" + escapeLike(strings.ToLower(f.Search)) + "%"
		args = append(args, term, term)
	}
	from := ` FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id WHERE ` + strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*)`+from), args...).Scan(&total); err != nil {
		return nil, 0, s.translate(err)
	}
	out := []banking.Statement{}
	if total == 0 {
		return out, 0, nil
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+txCols+`, e.amount`+from+
		` ORDER BY e.created_at DESC, e.seq DESC LIMIT ? OFFSET ?`), append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, s.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var amount int64
		t, err := scanTransaction(rows, &amount)
		if err != nil {
			return nil, 0, s.translate(err)
		}
		out = append(out, banking.Statement{Transaction: t, Direction: directionOf(amount)})
	}
	return out, total, s.translate(rows.Err())
}

func directionOf(entry int64) banking.Direction {
	if entry > 0 {
		return banking.Credit
	}
	return banking.Debit
}

// UserTransaction finds the newest transaction of program pid that generic
// names (its id, its uuid, its reference or its idempotent_key, tried in
// that order) and that moves money from or to an account of user uid or of
// a business uid owns, seen from that account: the leg of direction dir
// when dir is set; else from the user's own account if one is involved
// (the debit if both are), else from their business's. Anything else is
// not found.
func (s *Store) UserTransaction(ctx context.Context, pid banking.ProgramID, uid banking.UserID, generic string, dir banking.Direction) (banking.Statement, error) {
	defer s.timed("user_transaction", time.Now())
	var conds []string
	var vals []any
	if id, ok := banking.ParseID[banking.TransactionID](generic); ok {
		conds, vals = append(conds, "t.id = ?"), append(vals, strings.ToLower(string(id)))
	} else if id, ok := banking.ParseID[banking.TransactionID]("ltra-" + generic); ok {
		conds, vals = append(conds, "t.id = ?"), append(vals, strings.ToLower(string(id)))
	}
	// The '' conditions let the engines use the partial indexes.
	conds = append(conds, "t.reference = ? AND t.reference <> ''", "t.idempotent_key = ? AND t.idempotent_key <> ''")
	vals = append(vals, generic, generic)
	// Whose the two accounts are: a user's own account and a business's
	// both carry the user (accounts.user_id).
	legs := "(src.user_id = ? OR dst.user_id = ?)"
	switch dir {
	case banking.Credit:
		legs = "(dst.user_id = ? AND dst.user_id = ?)"
	case banking.Debit:
		legs = "(src.user_id = ? AND src.user_id = ?)"
	}
	for i, c := range conds {
		var srcKind, srcUser, dstKind, dstUser string
		t, err := scanTransaction(s.db.QueryRowContext(ctx, s.q(`SELECT `+txCols+`, src.kind, COALESCE(src.user_id, ''),
			dst.kind, COALESCE(dst.user_id, '')
			FROM ledger_transactions t JOIN accounts src ON src.id = t.source_account_id
			JOIN accounts dst ON dst.id = t.destination_account_id
			WHERE t.program_id = ? AND `+c+` AND `+legs+`
			ORDER BY t.created_at DESC, t.seq DESC LIMIT 1`), pid, vals[i], uid, uid), &srcKind, &srcUser, &dstKind, &dstUser)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return banking.Statement{}, s.translate(err)
		}
		d := dir
		if d == "" {
			// Seen from the user's own account first, then from their
			// business's: a business paying its owner is a credit to them.
			own := func(kind, user string) bool { return kind == string(banking.AccountUser) && user == string(uid) }
			switch {
			case own(srcKind, srcUser):
				d = banking.Debit
			case own(dstKind, dstUser):
				d = banking.Credit
			case srcUser == string(uid):
				d = banking.Debit
			default:
				d = banking.Credit
			}
		}
		return banking.Statement{Transaction: t, Direction: d}, nil
	}
	return banking.Statement{}, errTransactionNotFound
}
