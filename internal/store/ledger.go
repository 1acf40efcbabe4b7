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

// The ledger's writes (money.md section 3). Every movement is one Work whose
// Locks name both accounts' balances (LockKey("account", id)): on PostgreSQL
// the committer takes them in one global order before the work runs, so
// transfers in opposite directions never deadlock, and every write of a
// balance (a movement, a settlement, a freeze or close) holds the lock of
// the account it changes, but a settlement's write of a clearing account,
// which its group makes once for all its settlements (clearing.go). The
// work reads both accounts (FOR UPDATE, under those locks), checks, and
// writes the transaction, its entries, both balances, its job and its
// event in one transaction.

// partyCols reads an account with its holder's state: the user whose
// account it is (or who owns the business whose account it is) and the
// business; then the three rows' entity numbers, for the event hook
// (Tx.noteNumber).
const partyCols = accountCols + `, COALESCE(u.status, ''), COALESCE(u.kyc_status, ''),
	COALESCE(b.status, ''), COALESCE(b.kyb_status, ''),
	a.entity_number, COALESCE(u.entity_number, 0), COALESCE(b.entity_number, 0)`

// readParties reads the ledger accounts ids of program pid with their
// holders, locked for update, in tx. Missing ones are absent from the map.
func readParties(ctx context.Context, tx *Tx, pid banking.ProgramID, ids ...banking.AccountID) (map[banking.AccountID]*banking.Party, error) {
	lock := ""
	if tx.ForUpdate() != "" {
		lock = " FOR UPDATE OF a" // the joined rows are read, not locked
	}
	args := []any{pid}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := tx.Query(ctx, `SELECT `+partyCols+` FROM accounts a
		LEFT JOIN users u ON u.id = a.user_id LEFT JOIN businesses b ON b.id = a.business_id
		WHERE a.program_id = ? AND a.id IN (`+placeholders(len(ids))+`)`+lock, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[banking.AccountID]*banking.Party{}
	for rows.Next() {
		p := &banking.Party{}
		h := &p.Holder
		var account sql.NullInt64
		var user, business int64
		a, err := scanAccount(rows, &h.UserStatus, &h.KYCStatus, &h.BusinessStatus, &h.KYBStatus, &account, &user, &business)
		if err != nil {
			return nil, err
		}
		tx.noteNumber("accounts", string(a.ID), account.Int64)
		tx.noteNumber("users", string(a.UserID), user)
		tx.noteNumber("businesses", string(a.BusinessID), business)
		p.Account, h.Kind = a, a.Kind
		out[a.ID] = p
	}
	return out, rows.Err()
}

// Movement is a movement to record: the transaction (id, amount, category,
// method, originator, accounts and texts set; status pending or completed)
// and, for a pending one, the job that settles it.
type Movement struct {
	Tx banking.Transaction
	// Settle is the settlement job scheduled with a pending movement.
	Settle *NewJob
	// Event is the transfer.created (pending) or transfer.completed event;
	// its changes are filled in from the transaction as recorded.
	Event banking.Event
}

// BookTransferWork is the Work of a book transfer (money.md section 4.1)
// from side src to side dst, answering the pending transaction (a
// banking.Transaction). It runs steps 2 to 6 of section 4 under both
// accounts' locks: 404 unless each account is the program's and owned by
// its side's entity, then banking.CheckMovement. m.Tx's accounts are src's
// and dst's.
func BookTransferWork(pid banking.ProgramID, src, dst banking.Side, m Movement) Work {
	return Work{Program: pid, Locks: accountLocks(src.Account, dst.Account), Run: func(ctx context.Context, tx *Tx) (any, error) {
		parties, err := readParties(ctx, tx, pid, src.Account, dst.Account)
		if err != nil {
			return nil, err
		}
		from, to := parties[src.Account], parties[dst.Account]
		switch {
		case from == nil || !from.Owns(src):
			return nil, banking.Errorf(banking.CodeNotFound, "source account not found")
		case to == nil || !to.Owns(dst):
			return nil, banking.Errorf(banking.CodeNotFound, "destination account not found")
		}
		if err := banking.CheckMovement(from, to, m.Tx.Amount); err != nil {
			return nil, err
		}
		t := m.Tx
		t.SourceEntityType, t.SourceEntityID = src.Type, src.EntityID
		t.DestinationEntityType, t.DestinationEntityID = dst.Type, dst.EntityID
		return record(ctx, tx, t, m)
	}}
}

// InboundWork is the Work of money entering RBA id from outside (the
// sandbox's simulated inbound transfer, sandbox.md section 1): a movement
// from the program's clearing account, answering the transaction (pending
// with its settlement job, or completed at once). The account must be an
// RBA of the program (404) whose holder is not blocked (409 blocked: a
// blocked user, a business they own or a blocked business is no destination
// of money movement, businesses.md section 7) and that is not closed (409
// account_not_active). m.Tx's destination is the RBA.
func InboundWork(pid banking.ProgramID, m Movement) Work {
	clearing, id := banking.ClearingAccountID(pid), m.Tx.DestinationAccountID
	return Work{Program: pid, Locks: accountLocks(clearing, id), Run: func(ctx context.Context, tx *Tx) (any, error) {
		parties, err := readParties(ctx, tx, pid, clearing, id)
		if err != nil {
			return nil, err
		}
		to := parties[id]
		if to == nil || !to.Account.IsRBA() {
			return nil, errAccountNotFound
		}
		if parties[clearing] == nil {
			return nil, fmt.Errorf("program %s has no clearing account", pid)
		}
		if err := banking.CheckMovement(nil, to, m.Tx.Amount); err != nil {
			return nil, err
		}
		t := m.Tx
		t.SourceAccountID = clearing
		t.DestinationEntityType, t.DestinationEntityID = banking.EntityOf(&to.Account)
		return record(ctx, tx, t, m)
	}}
}

// accountLocks are the lock keys of a movement's accounts.
func accountLocks(ids ...banking.AccountID) []string {
	locks := make([]string, len(ids))
	for i, id := range ids {
		locks[i] = LockKey("account", string(id))
	}
	return locks
}

// record writes transaction t with its two entries, moves both balances,
// schedules its settlement and emits its event, all in tx. While t is
// pending its entries are (the source's pending debits and the
// destination's pending credits rise); a completed t's are posted at once.
func record(ctx context.Context, tx *Tx, t banking.Transaction, m Movement) (any, error) {
	meta, err := json.Marshal(t.Metadata)
	if err != nil {
		return nil, err
	}
	if t.Metadata == nil {
		meta = []byte("{}")
	}
	var posting int64
	if !t.PostingDate.IsZero() {
		posting = millis(t.PostingDate)
	}
	insertTx := stmt{`INSERT INTO ledger_transactions (id, program_id, amount, status, category, method,
		originator_type, originator_id, source_account_id, destination_account_id, source_entity_type,
		source_entity_id, destination_entity_type, destination_entity_id, description, reference, metadata,
		idempotent_key, failure_reason, posting_date, reversed_transaction_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, []any{
		t.ID, t.ProgramID, t.Amount, t.Status, t.Category, t.Method, t.OriginatorType, t.OriginatorID,
		t.SourceAccountID, t.DestinationAccountID, t.SourceEntityType, t.SourceEntityID, t.DestinationEntityType,
		t.DestinationEntityID, t.Description, t.Reference, string(meta), t.IdempotentKey, t.FailureReason, posting,
		t.ReversedTransactionID, millis(t.CreatedAt), millis(t.UpdatedAt)}}
	insertEntries := stmt{`INSERT INTO ledger_entries (program_id, transaction_id, account_id, amount, created_at)
		VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)`, []any{
		t.ProgramID, t.ID, t.SourceAccountID, -t.Amount, millis(t.CreatedAt),
		t.ProgramID, t.ID, t.DestinationAccountID, t.Amount, millis(t.CreatedAt)}}
	src, dst := delta{pendingDebits: t.Amount}, delta{pendingCredits: t.Amount}
	if t.Status == banking.TxCompleted {
		src, dst = delta{posted: -t.Amount}, delta{posted: t.Amount}
	}
	balances := balanceUpdate(t.SourceAccountID, src, t.DestinationAccountID, dst)
	if err := execChain(ctx, tx, balances, insertTx, insertEntries); err != nil {
		return nil, err
	}
	if t.Status == banking.TxPending && m.Settle != nil {
		tx.Schedule(*m.Settle)
	}
	ev := m.Event
	ev.Changes = banking.TransferChanges(&t, "")
	tx.Emit(ev)
	return t, nil
}

// txColsBare is txCols without the table alias, for RETURNING.
var txColsBare = strings.ReplaceAll(txCols, "t.", "")

// delta is how one account's balance columns move, in cents.
type delta struct{ posted, pendingDebits, pendingCredits int64 }

// stmt is a statement with its arguments.
type stmt struct {
	q    string
	args []any
}

// freed is how much a delta raises the account's available balance
// (posted minus pending debits): a posted credit, or reserved funds
// released; 0 when it lowers it or leaves it.
func (d delta) freed() int64 { return max(0, d.posted-d.pendingDebits) }

// repaid is the SQL of what an account repays of its overdraft out of
// money it has just been freed, freed cents (the parameter, given twice):
// all of it, up to what it owes. An account that owes has nothing
// available (a return takes what is available first, and every credit
// repays first), so what it repays never exceeds its available balance.
const repaid = `CASE WHEN overdraft < CAST(? AS BIGINT) THEN overdraft ELSE CAST(? AS BIGINT) END`

// balanceUpdate moves two accounts' balance columns by their deltas in one
// statement (the casts tell PostgreSQL the parameters' type, which CASE
// leaves open). Money a delta frees repays the account's overdraft first
// (docs/decisions.md): posted and overdraft drop together, so the entries
// still sum to posted - overdraft. The accounts are locked by the work's
// keys; the table's CHECK refuses a negative available balance of an RBA as
// a second guard. SET expressions read the row as it was before the update
// on both engines, so repaid sees the overdraft before this repayment.
func balanceUpdate(a banking.AccountID, da delta, b banking.AccountID, db delta) stmt {
	fa, fb := da.freed(), db.freed()
	repay := `CASE WHEN id = ? THEN ` + repaid + ` ELSE ` + repaid + ` END`
	return stmt{`UPDATE accounts SET
		posted = posted + CASE WHEN id = ? THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END - ` + repay + `,
		overdraft = overdraft - ` + repay + `,
		pending_debits = pending_debits + CASE WHEN id = ? THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END,
		pending_credits = pending_credits + CASE WHEN id = ? THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END
		WHERE id IN (?, ?)`,
		[]any{a, da.posted, db.posted, a, fa, fa, fb, fb, a, fa, fa, fb, fb,
			a, da.pendingDebits, db.pendingDebits, a, da.pendingCredits, db.pendingCredits, a, b}}
}

// withClauses is last preceded by before as data-modifying WITH clauses
// (PostgreSQL): one statement, one round trip, that runs them all. The
// clauses' parameters come first.
func withClauses(before []stmt, last stmt) stmt {
	if len(before) == 0 {
		return last
	}
	var q strings.Builder
	var args []any
	for i, b := range before {
		if i == 0 {
			q.WriteString("WITH ")
		} else {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "w%d AS (%s)", i, b.q)
		args = append(args, b.args...)
	}
	q.WriteString(" " + last.q)
	return stmt{q.String(), append(args, last.args...)}
}

// moveBalances applies two accounts' deltas (balanceUpdate).
func moveBalances(ctx context.Context, tx *Tx, a banking.AccountID, da delta, b banking.AccountID, db delta) error {
	return execChain(ctx, tx, balanceUpdate(a, da, b, db))
}

// execChain runs the inserts before, then update, which must change
// exactly two rows (both accounts of a movement). PostgreSQL runs them as
// one statement, the inserts as data-modifying WITH clauses (foreign keys
// are checked at its end), which saves a round trip per insert; SQLite,
// in process, runs them one by one.
func execChain(ctx context.Context, tx *Tx, update stmt, before ...stmt) error {
	update, err := chain(ctx, tx, update, before...)
	if err != nil {
		return err
	}
	res, err := tx.Exec(ctx, update.q, update.args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 2 {
		return fmt.Errorf("move balances: %d rows (%v)", n, err)
	}
	return nil
}

// chain readies last to run after the inserts or updates before: on
// PostgreSQL it answers one statement, before as data-modifying WITH
// clauses of last (they see none of each other's changes, so they must
// touch other rows); on SQLite it runs before and answers last.
func chain(ctx context.Context, tx *Tx, last stmt, before ...stmt) (stmt, error) {
	if tx.s.dialect.engine == Postgres {
		return withClauses(before, last), nil
	}
	for _, b := range before {
		if _, err := tx.Exec(ctx, b.q, b.args...); err != nil {
			return stmt{}, err
		}
	}
	return last, nil
}

// Settlement is a decision about a pending transaction: completed at At
// (its posting date), or failed or blocked with a reason.
type Settlement struct {
	Status        banking.TxStatus
	FailureReason string
	At            time.Time
	// Then, when set, is a job scheduled with a completion (the sandbox
	// rail's later return).
	Then *NewJob
}

// SettleWork is the Work that decides pending transaction id of program
// pid, whose accounts are src and dst: completed (the money leaves the
// source's posted balance and becomes available at the destination) or
// failed or blocked (the funds are released), with the event event builds
// from the transaction as decided (transfer.completed or transfer.failed).
// A transaction no longer pending, or unknown, is left alone (nil answer):
// it was decided already, so a job that runs twice decides once. Otherwise
// it answers the transaction as decided. The decision and the read are one
// statement (UPDATE ... RETURNING); on PostgreSQL the intent, the balances
// and the carried job's deletion join it (settleInOne).
//
// When one side is the program's clearing account (an external movement, an
// inbound transfer), the work neither names nor writes it: its delta joins
// the group's, written once when the group flushes (Tx.deferClearing). So
// the settlements of one program no longer wait for each other on the
// clearing account, whose balance nothing checks (docs/decisions.md).
func SettleWork(pid banking.ProgramID, id banking.TransactionID, src, dst banking.AccountID, d Settlement,
	event func(t *banking.Transaction) banking.Event) Work {
	clearing := banking.ClearingAccountID(pid)
	locks := accountLocks(src, dst)
	switch clearing {
	case src:
		locks = accountLocks(dst)
	case dst:
		locks = accountLocks(src)
	}
	return Work{Program: pid, Locks: locks, Run: func(ctx context.Context, tx *Tx) (any, error) {
		// Posting them moves the money out of the pending columns into
		// posted; voiding them releases it. The entries' phase follows the
		// transaction's status.
		ds, dd := delta{posted: -1, pendingDebits: -1}, delta{posted: 1, pendingCredits: -1}
		var posting int64
		switch d.Status {
		case banking.TxCompleted:
			posting = millis(d.At)
		case banking.TxFailed, banking.TxBlocked:
			ds, dd = delta{pendingDebits: -1}, delta{pendingCredits: -1}
		default:
			return nil, fmt.Errorf("settle %s: cannot become %s", id, d.Status)
		}
		if tx.s.dialect.engine == Postgres {
			// One statement (settle_pg.go).
			t, found, err := settleInOne(ctx, tx, pid, id, src, dst, clearing, d, posting, ds, dd)
			if err != nil || !found {
				return nil, err
			}
			if t.SourceAccountID != src || t.DestinationAccountID != dst {
				return nil, fmt.Errorf("transaction %s moves %s to %s, not %s to %s", id, t.SourceAccountID, t.DestinationAccountID, src, dst)
			}
			switch clearing {
			case src:
				tx.deferClearing(src, ds.times(t.Amount))
			case dst:
				tx.deferClearing(dst, dd.times(t.Amount))
			}
			return settled(tx, t, d, event), nil
		}
		t, err := scanTransaction(tx.QueryRow(ctx, `UPDATE ledger_transactions SET status = ?, failure_reason = ?,
			posting_date = ?, updated_at = ? WHERE program_id = ? AND id = ? AND status = 'pending'
			RETURNING `+txColsBare, d.Status, d.FailureReason, posting, millis(d.At), pid, id))
		if err == sql.ErrNoRows {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if t.SourceAccountID != src || t.DestinationAccountID != dst {
			return nil, fmt.Errorf("transaction %s moves %s to %s, not %s to %s", id, t.SourceAccountID, t.DestinationAccountID, src, dst)
		}
		// The payment intent follows in the balances' statement.
		var intent []stmt
		if u, ok := intentUpdate(&t); ok {
			intent = append(intent, u)
		}
		ds, dd = ds.times(t.Amount), dd.times(t.Amount)
		switch clearing {
		case src:
			err = settleBalances(ctx, tx, accountUpdate(dst, dd), 1, intent...)
			tx.deferClearing(src, ds)
		case dst:
			err = settleBalances(ctx, tx, accountUpdate(src, ds), 1, intent...)
			tx.deferClearing(dst, dd)
		default:
			err = settleBalances(ctx, tx, balanceUpdate(src, ds, dst, dd), 2, intent...)
		}
		if err != nil {
			return nil, err
		}
		return settled(tx, t, d, event), nil
	}}
}

// settled records what follows settlement d of t in its work: the job it
// schedules on completion (the rail's next step) and its event.
func settled(tx *Tx, t banking.Transaction, d Settlement, event func(t *banking.Transaction) banking.Event) banking.Transaction {
	if d.Then != nil && d.Status == banking.TxCompleted {
		tx.Schedule(*d.Then)
	}
	ev := event(&t)
	ev.Changes = banking.TransferChanges(&t, banking.TxPending)
	tx.Emit(ev)
	return t
}

// accountUpdate is balanceUpdate for one account: it moves account id's
// balance columns by d, money d frees repaying its overdraft first.
func accountUpdate(id banking.AccountID, d delta) stmt {
	f := d.freed()
	return stmt{`UPDATE accounts SET posted = posted + CAST(? AS BIGINT) - ` + repaid + `,
		overdraft = overdraft - ` + repaid + `,
		pending_debits = pending_debits + CAST(? AS BIGINT), pending_credits = pending_credits + CAST(? AS BIGINT)
		WHERE id = ?`, []any{d.posted, f, f, f, f, d.pendingDebits, d.pendingCredits, id}}
}

// settleBalances runs u, the balance update of a settlement, which must
// change want rows (balanceUpdate's two, accountUpdate's one), after the
// statements before (chain): a settlement reads no account otherwise, so
// the update answers the accounts' entity numbers and their holders'
// (RETURNING), and the event hook maps the settlement's events without
// reading them (Tx.noteNumber). (SQLite's; PostgreSQL settles in one
// statement, settleInOne.)
func settleBalances(ctx context.Context, tx *Tx, u stmt, want int, before ...stmt) error {
	u.q += ` RETURNING id, COALESCE(user_id, ''), COALESCE(business_id, ''), entity_number,
		(SELECT entity_number FROM users WHERE users.id = accounts.user_id),
		(SELECT entity_number FROM businesses WHERE businesses.id = accounts.business_id)`
	u, err := chain(ctx, tx, u, before...)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, u.q, u.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, user, business string
		var account, userN, businessN sql.NullInt64
		if err := rows.Scan(&id, &user, &business, &account, &userN, &businessN); err != nil {
			return err
		}
		tx.noteNumber("accounts", id, account.Int64)
		tx.noteNumber("users", user, userN.Int64)
		tx.noteNumber("businesses", business, businessN.Int64)
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("move balances: %d rows, want %d", n, want)
	}
	return nil
}

// times scales a delta of units to amount cents.
func (d delta) times(amount int64) delta {
	return delta{posted: d.posted * amount, pendingDebits: d.pendingDebits * amount, pendingCredits: d.pendingCredits * amount}
}
