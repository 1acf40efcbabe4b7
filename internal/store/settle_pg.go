package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ingot-dev/ingot/internal/banking"
)

// A settlement on PostgreSQL is one statement. Each statement of a work
// costs a round trip, and PostgreSQL's and the server's CPU per statement
// (parse, bind, the protocol's messages): make bench's backlog step
// (100,000 pending top-ups settled after a restart, issue 13) is bound by
// that CPU on a 2-CPU machine, and a settlement was four statements (its
// savepoint, the transaction's update, the intent's and balances' update,
// the job's deletion). Now it is two: the savepoint and this one, which
// decides the transaction, moves its payment intent (if it has one), its
// accounts' balances by its amount (read in the same statement) and
// deletes the job the work carries (Work.Job) when it settles, and answers
// the transaction with its accounts' entity numbers (docs/decisions.md).
// SQLite, in process, runs the same steps as separate statements
// (SettleWork).

// settleInOne decides pending transaction id of program pid to d.Status
// (posting: its posting date in ms, 0 unless completed) and moves its
// accounts by the unit deltas ds (source) and dd (destination) times its
// amount; a clearing side (clearing, when it is src or dst) is not
// written but deferred to the group (deferClearing). found is false when
// the transaction is no longer pending, or unknown: then nothing changed,
// and the job is left to runWork.
func settleInOne(ctx context.Context, tx *Tx, pid banking.ProgramID, id banking.TransactionID, src, dst,
	clearing banking.AccountID, d Settlement, posting int64, ds, dd delta) (t banking.Transaction, found bool, err error) {
	var ids []banking.AccountID
	var deltas []delta
	if src != clearing {
		ids, deltas = append(ids, src), append(deltas, ds)
	}
	if dst != clearing {
		ids, deltas = append(ids, dst), append(deltas, dd)
	}
	q := `WITH t AS (UPDATE ledger_transactions SET status = ?, failure_reason = ?, posting_date = ?, updated_at = ?
			WHERE program_id = ? AND id = ? AND status = 'pending' RETURNING ` + txColsBare + `),
		i AS (UPDATE payment_intents SET status = ?, posting_date = ?, updated_at = ?
			WHERE transaction_id IN (SELECT id FROM t))`
	args := []any{d.Status, d.FailureReason, posting, millis(d.At), pid, id, d.Status, posting, millis(d.At)}
	j := tx.job
	if tx.jobDone {
		j = nil
	}
	if j != nil {
		// Only with the decision: a transaction decided already leaves the
		// job to runWork's own deletion.
		q += `, j AS (DELETE FROM jobs WHERE id = ? AND token = ? AND EXISTS (SELECT 1 FROM t) RETURNING id)`
		args = append(args, j.ID, j.token)
	}
	a := scaledBalances(ids, deltas)
	q += `, a AS (` + a.q + ` RETURNING accounts.id, COALESCE(accounts.user_id, ''), COALESCE(accounts.business_id, ''),
			accounts.entity_number,
			(SELECT entity_number FROM users WHERE users.id = accounts.user_id),
			(SELECT entity_number FROM businesses WHERE businesses.id = accounts.business_id))
		SELECT ` + txCols + `, a.*, `
	args = append(args, a.args...)
	if j != nil {
		q += `(SELECT count(*) FROM j)`
	} else {
		q += `0`
	}
	q += ` FROM t LEFT JOIN a ON true`
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return t, false, err
	}
	defer rows.Close()
	n := 0
	var deleted int64
	for rows.Next() {
		var acct sql.NullString
		var user, business sql.NullString
		var account, userN, businessN sql.NullInt64
		if t, err = scanTransaction(rows, &acct, &user, &business, &account, &userN, &businessN, &deleted); err != nil {
			return t, false, err
		}
		found = true
		if !acct.Valid {
			continue // no account row: n falls short
		}
		tx.noteNumber("accounts", acct.String, account.Int64)
		tx.noteNumber("users", user.String, userN.Int64)
		tx.noteNumber("businesses", business.String, businessN.Int64)
		n++
	}
	if err := rows.Err(); err != nil {
		return t, false, err
	}
	if !found {
		return t, false, nil
	}
	if n != len(ids) {
		return t, false, fmt.Errorf("move balances: %d rows, want %d", n, len(ids))
	}
	if j != nil {
		if deleted != 1 {
			return t, false, errJobLost // another process claimed it: the savepoint undoes the settlement
		}
		tx.jobDone = true
		if j.settled != nil {
			j.settled.Store(true)
		}
	}
	return t, true, nil
}

// scaledBalances is balanceUpdate for the accounts ids (one or both of a
// movement's) with unit deltas, times the amount of the transaction t the
// statement decides (a WITH clause): the same columns, the same repayment
// of an overdraft first (repaid), computed from t.amount in the statement.
func scaledBalances(ids []banking.AccountID, deltas []delta) stmt {
	col := func(f func(delta) int64) (string, []any) {
		var b strings.Builder
		var args []any
		b.WriteString("(CASE accounts.id")
		for i, id := range ids {
			b.WriteString(" WHEN ? THEN CAST(? AS BIGINT)")
			args = append(args, id, f(deltas[i]))
		}
		b.WriteString(" END * t.amount)")
		return b.String(), args
	}
	posted, pa := col(func(d delta) int64 { return d.posted })
	freed, fa := col(delta.freed)
	pd, pda := col(func(d delta) int64 { return d.pendingDebits })
	pc, pca := col(func(d delta) int64 { return d.pendingCredits })
	repay := `CASE WHEN overdraft < ` + freed + ` THEN overdraft ELSE ` + freed + ` END`
	var args []any
	args = append(args, pa...)
	for range 4 {
		args = append(args, fa...)
	}
	args = append(args, pda...)
	args = append(args, pca...)
	in := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	for _, id := range ids {
		args = append(args, id)
	}
	return stmt{`UPDATE accounts SET posted = posted + ` + posted + ` - ` + repay + `,
		overdraft = overdraft - ` + repay + `,
		pending_debits = pending_debits + ` + pd + `, pending_credits = pending_credits + ` + pc + `
		FROM t WHERE accounts.id IN (` + in + `)`, args}
}
