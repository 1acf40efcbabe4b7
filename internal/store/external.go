package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// External movements (money.md sections 4.2-4.5): between an RBA and the
// outside world, which the program's clearing account stands for in the
// ledger, each with its payment intent, written in the movement's Work.

// ExternalWork is the Work of external movement e (a top-up, a payout or a
// program funding) recorded as m, with payment intent pi, answering the
// pending transaction. The linked account has been checked by the caller
// (linked accounts never change); under both accounts' locks it checks
// that the RBA is the named entity's (404: a business's for a top-up or a
// payout, the master for funding), then section 4's steps 3 to 6 for the
// RBA's side (money in: blocked, not_verified, a closed destination; a
// payout: also an active source and enough available balance).
func ExternalWork(pid banking.ProgramID, e banking.External, m Movement, pi banking.PaymentIntent) Work {
	clearing := banking.ClearingAccountID(pid)
	return Work{Program: pid, Locks: accountLocks(clearing, e.Account), Run: func(ctx context.Context, tx *Tx) (any, error) {
		parties, err := readParties(ctx, tx, pid, clearing, e.Account)
		if err != nil {
			return nil, err
		}
		if parties[clearing] == nil {
			return nil, fmt.Errorf("program %s has no clearing account", pid)
		}
		rba := parties[e.Account]
		side := banking.Side{Type: banking.EntityBusiness, EntityID: string(e.BusinessID), Account: e.Account}
		if e.Category == banking.CategoryProgramFunding {
			side = banking.Side{Type: banking.EntityProgram, EntityID: string(pid), Account: e.Account}
		}
		if rba == nil || !rba.Owns(side) || (e.UserID != "" && rba.Account.UserID != e.UserID) {
			return nil, banking.Errorf(banking.CodeNotFound, "routable bank account not found")
		}
		t := m.Tx
		if e.In() {
			err = banking.CheckMovement(nil, rba, t.Amount)
			t.DestinationEntityType, t.DestinationEntityID = side.Type, side.EntityID
		} else {
			err = banking.CheckMovement(rba, nil, t.Amount)
			t.SourceEntityType, t.SourceEntityID = side.Type, side.EntityID
		}
		if err != nil {
			return nil, err
		}
		v, err := record(ctx, tx, t, m)
		if err != nil {
			return nil, err
		}
		return v, insertIntent(ctx, tx, pi)
	}}
}

// insertIntent writes payment intent pi.
func insertIntent(ctx context.Context, tx *Tx, pi banking.PaymentIntent) error {
	meta, err := json.Marshal(pi.Metadata)
	if err != nil || pi.Metadata == nil {
		meta = []byte("{}")
	}
	_, err = tx.Exec(ctx, `INSERT INTO payment_intents (id, program_id, transaction_id, linked_account_id, amount,
		direction, action, category, status, entity_type, entity_id, idempotent_key, posting_date, metadata,
		search_text, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
		pi.ID, pi.ProgramID, pi.TransactionID, pi.LinkedAccount, pi.Amount, pi.Direction, pi.Action, pi.Category,
		pi.Status, pi.EntityType, pi.EntityID, pi.IdempotentKey, string(meta), pi.SearchText(),
		millis(pi.CreatedAt), millis(pi.UpdatedAt))
	return err
}

// external reports whether a transaction of category c has a payment
// intent.
func external(c banking.Category) bool {
	return c == banking.CategoryTopUp || c == banking.CategoryPayout || c == banking.CategoryProgramFunding
}

// syncIntent sets the payment intent of transaction t (if it has one) to
// t's status and posting date.
func syncIntent(ctx context.Context, tx *Tx, t *banking.Transaction) error {
	u, ok := intentUpdate(t)
	if !ok {
		return nil
	}
	_, err := tx.Exec(ctx, u.q, u.args...)
	return err
}

// intentUpdate is syncIntent's statement; false when t has no payment
// intent.
func intentUpdate(t *banking.Transaction) (stmt, bool) {
	if !external(t.Category) {
		return stmt{}, false
	}
	var posting int64
	if !t.PostingDate.IsZero() {
		posting = millis(t.PostingDate)
	}
	return stmt{`UPDATE payment_intents SET status = ?, posting_date = ?, updated_at = ? WHERE transaction_id = ?`,
		[]any{t.Status, posting, millis(t.UpdatedAt), t.ID}}, true
}

// ReturnWork is the Work of an ACH return of completed transaction id of
// program pid, whose accounts are src and dst (money.md section 3): the
// original becomes returned with reason as its failure_reason, and a new
// completed transaction r (its id, times and actor set by the caller; its
// amount, accounts, category and the rest filled in here) moves the amount
// back from dst to src. When dst is an RBA whose available balance no
// longer covers the amount, its posted balance drops only by what is
// available and the rest is recorded as its overdraft: the entries stay
// exact and available_balance never goes below zero (docs/decisions.md).
// Money returned to an RBA (a payout's return) repays its overdraft first,
// as every credit does. A transaction that is not completed (or unknown) is left alone: nil
// answer. Otherwise it answers the original transaction, now returned.
func ReturnWork(pid banking.ProgramID, id banking.TransactionID, src, dst banking.AccountID, reason string,
	r banking.Transaction, events func(orig, ret *banking.Transaction) (banking.Event, banking.Event)) Work {
	return Work{Program: pid, Locks: accountLocks(src, dst), Run: func(ctx context.Context, tx *Tx) (any, error) {
		orig, err := scanTransaction(tx.QueryRow(ctx, `UPDATE ledger_transactions SET status = 'returned',
			failure_reason = ?, updated_at = ? WHERE program_id = ? AND id = ? AND status = 'completed'
			RETURNING `+txColsBare, reason, millis(r.CreatedAt), pid, id))
		if err == sql.ErrNoRows {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if orig.SourceAccountID != src || orig.DestinationAccountID != dst {
			return nil, fmt.Errorf("transaction %s moves %s to %s, not %s to %s", id, orig.SourceAccountID, orig.DestinationAccountID, src, dst)
		}
		if err := syncIntent(ctx, tx, &orig); err != nil {
			return nil, err
		}
		r.ProgramID, r.Amount, r.Status, r.Category, r.Method = pid, orig.Amount, banking.TxCompleted, banking.CategoryReturn, orig.Method
		r.OriginatorType, r.OriginatorID = orig.OriginatorType, orig.OriginatorID
		r.SourceAccountID, r.DestinationAccountID = dst, src
		r.SourceEntityType, r.SourceEntityID = orig.DestinationEntityType, orig.DestinationEntityID
		r.DestinationEntityType, r.DestinationEntityID = orig.SourceEntityType, orig.SourceEntityID
		r.Description, r.Reference, r.Metadata = orig.Description, orig.Reference, orig.Metadata
		r.FailureReason, r.ReversedTransactionID, r.PostingDate = reason, orig.ID, r.CreatedAt
		// How much of the amount the returning account still holds.
		var kind banking.AccountKind
		var posted, pendingDebits int64
		if err := tx.QueryRow(ctx, `SELECT kind, posted, pending_debits FROM accounts WHERE id = ?`+tx.ForUpdate(), dst).
			Scan(&kind, &posted, &pendingDebits); err != nil {
			return nil, err
		}
		covered := r.Amount
		if kind != banking.AccountClearing {
			covered = max(min(r.Amount, posted-pendingDebits), 0)
		}
		meta, err := json.Marshal(r.Metadata)
		if err != nil || r.Metadata == nil {
			meta = []byte("{}")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ledger_transactions (id, program_id, amount, status, category, method,
			originator_type, originator_id, source_account_id, destination_account_id, source_entity_type,
			source_entity_id, destination_entity_type, destination_entity_id, description, reference, metadata,
			idempotent_key, failure_reason, posting_date, reversed_transaction_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)`,
			r.ID, pid, r.Amount, r.Status, r.Category, r.Method, r.OriginatorType, r.OriginatorID, r.SourceAccountID,
			r.DestinationAccountID, r.SourceEntityType, r.SourceEntityID, r.DestinationEntityType, r.DestinationEntityID,
			r.Description, r.Reference, string(meta), r.FailureReason, millis(r.PostingDate), r.ReversedTransactionID,
			millis(r.CreatedAt), millis(r.UpdatedAt)); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ledger_entries (program_id, transaction_id, account_id, amount, created_at)
			VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)`, pid, r.ID, r.SourceAccountID, -r.Amount, millis(r.CreatedAt),
			pid, r.ID, r.DestinationAccountID, r.Amount, millis(r.CreatedAt)); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET posted = posted - ?, overdraft = overdraft + ? WHERE id = ?`,
			covered, r.Amount-covered, r.SourceAccountID); err != nil {
			return nil, err
		}
		// Money returned to an RBA (a payout's return) repays what it owes
		// first, as any credit does (balanceUpdate).
		if _, err := tx.Exec(ctx, `UPDATE accounts SET posted = posted + ? - `+repaid+`, overdraft = overdraft - `+repaid+`
			WHERE id = ?`, r.Amount, r.Amount, r.Amount, r.Amount, r.Amount, r.DestinationAccountID); err != nil {
			return nil, err
		}
		evOrig, evRet := events(&orig, &r)
		evOrig.Changes = banking.TransferChanges(&orig, banking.TxCompleted)
		evOrig.Changes["return_transaction_id"] = banking.Change{To: string(r.ID)}
		evRet.Changes = banking.TransferChanges(&r, "")
		tx.Emit(evOrig)
		tx.Emit(evRet)
		return orig, nil
	}}
}

// TransactionAnywhere reads ledger transaction id of any program: for the
// operator's `ingot transfers settle`, which names a transaction alone.
func (s *Store) TransactionAnywhere(ctx context.Context, id banking.TransactionID) (banking.Transaction, error) {
	t, err := scanTransaction(s.queryRow(ctx, nil, `SELECT `+txCols+` FROM ledger_transactions t WHERE t.id = ?`, id))
	if err == sql.ErrNoRows {
		return t, errTransactionNotFound
	}
	return t, s.translate(err)
}

// PendingTransactions lists up to limit pending transactions of every
// program (pid "") or of program pid, oldest first, created after the
// transaction after (its creation time and id; zero for the start).
func (s *Store) PendingTransactions(ctx context.Context, pid banking.ProgramID, limit int) ([]banking.Transaction, error) {
	defer s.timed("pending_transactions", time.Now())
	q, args := `SELECT `+txCols+` FROM ledger_transactions t WHERE t.status = 'pending'`, []any{}
	if pid != "" {
		q, args = q+` AND t.program_id = ?`, append(args, pid)
	}
	return queryList(ctx, s, q+` ORDER BY t.created_at, t.seq LIMIT ?`, append(args, limit), func(r rowScanner) (banking.Transaction, error) {
		return scanTransaction(r)
	})
}

// Report lists every transaction of program pid created in r, oldest first;
// more than banking.MaxReportItems is 400 (narrow the range).
func (s *Store) Report(ctx context.Context, pid banking.ProgramID, r banking.ReportRange) ([]banking.Transaction, error) {
	defer s.timed("transactions_report", time.Now())
	q := `SELECT ` + txCols + ` FROM ledger_transactions t WHERE t.program_id = ? AND t.created_at >= ? AND t.created_at < ?`
	switch r.Direction {
	case banking.Credit:
		q += ` AND t.source_account_id = ?`
	case banking.Debit:
		q += ` AND t.source_account_id <> ?`
	}
	args := []any{pid, millis(r.From), millis(r.To)}
	if r.Direction != "" {
		args = append(args, banking.ClearingAccountID(pid))
	}
	out, err := queryList(ctx, s, q+` ORDER BY t.created_at, t.seq LIMIT ?`, append(args, banking.MaxReportItems+1),
		func(r rowScanner) (banking.Transaction, error) { return scanTransaction(r) })
	if err == nil && len(out) > banking.MaxReportItems {
		return nil, banking.Invalid("end_date", fmt.Sprintf("the range holds more than %d transactions: narrow it", banking.MaxReportItems))
	}
	return out, err
}

// Summary totals the posted entries (transactions completed or returned)
// of program pid's master RBA created in r: credits and debits, their
// counts.
func (s *Store) Summary(ctx context.Context, pid banking.ProgramID, r banking.ReportRange) (banking.Summary, error) {
	defer s.timed("transaction_summary", time.Now())
	var sum banking.Summary
	err := s.queryRow(ctx, nil, `SELECT
		COALESCE(SUM(CASE WHEN e.amount > 0 THEN e.amount END), 0), COALESCE(SUM(CASE WHEN e.amount < 0 THEN -e.amount END), 0),
		COUNT(CASE WHEN e.amount > 0 THEN 1 END), COUNT(CASE WHEN e.amount < 0 THEN 1 END)
		FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE e.account_id = ? AND e.created_at >= ? AND e.created_at < ? AND t.status IN ('completed', 'returned')`,
		banking.MasterAccountID(pid), millis(r.From), millis(r.To)).
		Scan(&sum.CreditsTotal, &sum.DebitsTotal, &sum.CreditsCount, &sum.DebitsCount)
	switch r.Direction {
	case banking.Credit:
		sum.DebitsTotal, sum.DebitsCount = 0, 0
	case banking.Debit:
		sum.CreditsTotal, sum.CreditsCount = 0, 0
	}
	return sum, s.translate(err)
}

// intentCols is the one column list every payment intent query reads, in
// scanIntent's order.
const intentCols = `id, program_id, transaction_id, linked_account_id, amount, direction, action, category, status,
	entity_type, entity_id, idempotent_key, posting_date, metadata, created_at, updated_at`

func scanIntent(row rowScanner) (banking.PaymentIntent, error) {
	var p banking.PaymentIntent
	var meta string
	var posting, created, updated int64
	if err := row.Scan(&p.ID, &p.ProgramID, &p.TransactionID, &p.LinkedAccount, &p.Amount, &p.Direction, &p.Action,
		&p.Category, &p.Status, &p.EntityType, &p.EntityID, &p.IdempotentKey, &posting, &meta, &created, &updated); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(meta), &p.Metadata); err != nil {
		return p, fmt.Errorf("payment intent %s metadata: %w", p.ID, err)
	}
	if posting != 0 {
		p.PostingDate = fromMillis(posting)
	}
	p.CreatedAt, p.UpdatedAt = fromMillis(created), fromMillis(updated)
	return p, nil
}

// PaymentIntents lists one page of program pid's payment intents matching
// f, newest first, through the shared list and search mechanism.
func (s *Store) PaymentIntents(ctx context.Context, pid banking.ProgramID, f banking.IntentFilter) ([]banking.PaymentIntent, banking.Total, error) {
	defer s.timed("list_payment_intents", time.Now())
	q := listQuery{table: "payment_intents", cols: intentCols, program: pid, search: f.Search, page: f.Page, perPage: f.PerPage}
	add := func(cond string, v any) { q.conds, q.args = append(q.conds, cond), append(q.args, v) }
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.EntityType != "" {
		add("entity_type = ?", f.EntityType)
	}
	if f.Direction != "" {
		add("direction = ?", f.Direction)
	}
	if !f.From.IsZero() {
		add("created_at >= ?", millis(f.From))
	}
	if !f.To.IsZero() {
		add("created_at < ?", millis(f.To))
	}
	return listPage(ctx, s, q, scanIntent)
}
