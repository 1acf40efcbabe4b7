package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// entryPhases is every entry with its phase, which is its transaction's
// status: pending, posted (completed, returned) or voided (failed, blocked).
const entryPhases = `SELECT e.seq, e.program_id, e.account_id, e.amount,
	CASE t.status WHEN 'pending' THEN 'pending' WHEN 'completed' THEN 'posted' WHEN 'returned' THEN 'posted'
	ELSE 'voided' END AS phase
	FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id`

// LedgerReport is what CheckLedger found: the figures it checked and every
// broken invariant, in words.
type LedgerReport struct {
	Accounts     int
	Transactions int
	Entries      int
	// Problems is empty when every invariant of money.md section 3 holds.
	Problems []string
}

// CheckLedger checks the invariants of money.md section 3 over the whole
// database, in one read transaction (one snapshot on PostgreSQL): every
// account's balance columns equal the sums of its entries (posted: posted
// entries; pending debits and credits: pending ones); no RBA's available
// balance is negative; every transaction has two entries summing to zero,
// its credit its amount; and for each program the posted entries sum to
// zero, as do the pending; and no account owes an overdraft while it has
// money available (every credit repays it first). An entry's phase is its
// transaction's status (entryPhases).
func (s *Store) CheckLedger(ctx context.Context) (LedgerReport, error) {
	defer s.timed("check_ledger", time.Now())
	var r LedgerReport
	// Read only: a deferred transaction on SQLite (a WAL snapshot that
	// blocks no writer), one snapshot for every statement on PostgreSQL.
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect.engine == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return r, s.translate(err)
	}
	defer tx.Rollback()
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }

	rows, err := tx.QueryContext(ctx, `SELECT a.id, a.kind, a.posted - a.overdraft, a.pending_debits, a.pending_credits,
		COALESCE(SUM(CASE WHEN e.phase = 'posted' THEN e.amount END), 0),
		COALESCE(SUM(CASE WHEN e.phase = 'pending' AND e.amount < 0 THEN -e.amount END), 0),
		COALESCE(SUM(CASE WHEN e.phase = 'pending' AND e.amount > 0 THEN e.amount END), 0), a.overdraft
		FROM accounts a LEFT JOIN (`+entryPhases+`) e ON e.account_id = a.id
		GROUP BY a.id, a.kind, a.posted, a.overdraft, a.pending_debits, a.pending_credits`)
	if err != nil {
		return r, s.translate(err)
	}
	for rows.Next() {
		var id string
		var kind banking.AccountKind
		var b, sum banking.Balance
		var overdraft int64
		if err := rows.Scan(&id, &kind, &b.Posted, &b.PendingDebits, &b.PendingCredits,
			&sum.Posted, &sum.PendingDebits, &sum.PendingCredits, &overdraft); err != nil {
			rows.Close()
			return r, s.translate(err)
		}
		r.Accounts++
		// b.Posted is posted minus the overdraft: what the entries sum to.
		if b != sum {
			problem("account %s: balance columns %+v, entries sum to %+v", id, b, sum)
		}
		b.Posted = b.Posted + overdraft
		if kind != banking.AccountClearing && b.Available() < 0 {
			problem("account %s: available balance %s is negative", id, banking.FormatAmount(b.Available()))
		}
		// Every credit repays the overdraft first: an account never owes
		// while it has money available.
		if overdraft < 0 || overdraft > 0 && b.Available() > 0 {
			problem("account %s: owes %s while %s is available", id, banking.FormatAmount(overdraft),
				banking.FormatAmount(b.Available()))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, s.translate(err)
	}

	rows, err = tx.QueryContext(ctx, `SELECT t.id, t.status, t.amount, count(e.seq), COALESCE(SUM(e.amount), 0),
		COALESCE(MAX(e.amount), 0)
		FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id
		GROUP BY t.id, t.status, t.amount`)
	if err != nil {
		return r, s.translate(err)
	}
	for rows.Next() {
		var id string
		var status banking.TxStatus
		var amount, sum, maxEntry int64
		var n int
		if err := rows.Scan(&id, &status, &amount, &n, &sum, &maxEntry); err != nil {
			rows.Close()
			return r, s.translate(err)
		}
		r.Transactions++
		r.Entries += n
		if n != 2 || sum != 0 || maxEntry != amount {
			problem("transaction %s (%s, %s): %d entries summing to %d, the credit %d",
				id, status, banking.FormatAmount(amount), n, sum, maxEntry)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, s.translate(err)
	}

	rows, err = tx.QueryContext(ctx, `SELECT program_id, phase, SUM(amount) FROM (`+entryPhases+`) e
		WHERE phase <> 'voided' GROUP BY program_id, phase`)
	if err != nil {
		return r, s.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid, status string
		var sum int64
		if err := rows.Scan(&pid, &status, &sum); err != nil {
			return r, s.translate(err)
		}
		if sum != 0 {
			problem("program %s: %s entries sum to %d, not 0", pid, status, sum)
		}
	}
	return r, s.translate(rows.Err())
}
