package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// accountCols is the one column list every account query reads, in
// scanAccount's order (table alias a).
const accountCols = `a.id, a.program_id, a.kind, COALESCE(a.user_id, ''), COALESCE(a.business_id, ''),
	COALESCE(a.account_number, ''), a.status, a.posted, a.pending_debits, a.pending_credits, a.overdraft, a.created_at, a.updated_at`

func scanAccount(row interface{ Scan(...any) error }, extra ...any) (banking.Account, error) {
	var a banking.Account
	var created, updated int64
	dst := append([]any{&a.ID, &a.ProgramID, &a.Kind, &a.UserID, &a.BusinessID, &a.Number, &a.Status,
		&a.Balance.Posted, &a.Balance.PendingDebits, &a.Balance.PendingCredits, &a.Balance.Overdraft, &created, &updated}, extra...)
	if err := row.Scan(dst...); err != nil {
		return a, err
	}
	a.CreatedAt, a.UpdatedAt = fromMillis(created), fromMillis(updated)
	return a, nil
}

var errAccountNotFound = banking.Errorf(banking.CodeNotFound, "account not found")

// nullable stores "" as NULL (user_id and business_id reference their
// tables).
func nullable[T ~string](v T) any {
	if v == "" {
		return nil
	}
	return string(v)
}

// insertAccount writes a new account in tx.
func (s *Store) insertAccount(ctx context.Context, tx *sql.Tx, a *banking.Account) error {
	var number any
	if a.Number != "" {
		number = a.Number
	}
	_, err := s.exec(ctx, tx, `INSERT INTO accounts (id, program_id, kind, user_id, business_id, account_number,
		status, posted, pending_debits, pending_credits, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.ProgramID, a.Kind, nullable(a.UserID), nullable(a.BusinessID), number, a.Status,
		a.Balance.Posted, a.Balance.PendingDebits, a.Balance.PendingCredits, millis(a.CreatedAt), millis(a.UpdatedAt))
	return err
}

// issueNumber takes the installation's next account number count (n of
// banking.AccountNumber). The counter row is locked until tx ends, so two
// transactions never take the same n, and n never goes back.
func (s *Store) issueNumber(ctx context.Context, tx *sql.Tx) (int64, error) {
	var n int64
	if err := s.queryRow(ctx, tx, `UPDATE account_numbers SET issued = issued + 1 WHERE id = 1 RETURNING issued`).Scan(&n); err != nil {
		return 0, fmt.Errorf("issue an account number: %w", err)
	}
	if n > banking.MaxAccountNumbers {
		return 0, fmt.Errorf("the installation has issued all %d account numbers", banking.MaxAccountNumbers)
	}
	return n, nil
}

// insertProgramAccounts creates a new program's master RBA (with the next
// account number) and clearing account in its creation transaction, and
// returns the master account.
func (s *Store) insertProgramAccounts(ctx context.Context, tx *sql.Tx, p banking.Program) (banking.Account, error) {
	n, err := s.issueNumber(ctx, tx)
	if err != nil {
		return banking.Account{}, err
	}
	master := banking.Account{ID: banking.MasterAccountID(p.ID), ProgramID: p.ID, Kind: banking.AccountMaster,
		Number: banking.AccountNumber(n), Status: banking.AccountActive, CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt}
	clearing := banking.Account{ID: banking.ClearingAccountID(p.ID), ProgramID: p.ID, Kind: banking.AccountClearing,
		Status: banking.AccountActive, CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt}
	for _, a := range []*banking.Account{&master, &clearing} {
		if err := s.insertAccount(ctx, tx, a); err != nil {
			return banking.Account{}, err
		}
	}
	return master, nil
}

// IssueAccountWork is the Work that issues an RBA to user uid (bid "") or
// to business bid of user uid, and answers it (a banking.Account). The user
// (and business) must be the program's, the business the user's (404);
// then the gate of money.md section 2.1 (banking.Holder.CheckIssue): 409
// blocked, not_verified, or conflict for a sixth open account. build makes
// the account and its event from the account number count it is given.
// Locked by the entity, so two issues to one entity count each other.
func IssueAccountWork(pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID,
	build func(n int64) (banking.Account, banking.Event)) Work {
	lock := LockKey("user", string(uid))
	if bid != "" {
		lock = LockKey("business", string(bid))
	}
	return Work{Program: pid, Locks: []string{lock}, Run: func(ctx context.Context, tx *Tx) (any, error) {
		h, err := readHolder(ctx, tx, pid, uid, bid)
		if err != nil {
			return nil, err
		}
		var open int
		q := `SELECT count(*) FROM accounts WHERE user_id = ? AND kind = 'user' AND status <> 'closed'`
		arg := string(uid)
		if bid != "" {
			q, arg = `SELECT count(*) FROM accounts WHERE business_id = ? AND status <> 'closed'`, string(bid)
		}
		if err := tx.QueryRow(ctx, q, arg).Scan(&open); err != nil {
			return nil, err
		}
		if err := h.CheckIssue(open); err != nil {
			return nil, err
		}
		n, err := tx.s.issueNumber(ctx, tx.tx)
		if err != nil {
			return nil, err
		}
		a, ev := build(n)
		if err := tx.s.insertAccount(ctx, tx.tx, &a); err != nil {
			return nil, err
		}
		tx.Emit(ev)
		return a, nil
	}}
}

// readHolder reads the state of user uid and, when bid is set, business bid
// owned by uid, in tx: 404 when either is not the program's or the business
// is not uid's.
func readHolder(ctx context.Context, tx *Tx, pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID) (banking.Holder, error) {
	h := banking.Holder{Kind: banking.AccountUser}
	err := tx.QueryRow(ctx, `SELECT status, kyc_status FROM users WHERE program_id = ? AND id = ?`, pid, uid).
		Scan(&h.UserStatus, &h.KYCStatus)
	if err == sql.ErrNoRows {
		if bid != "" {
			return h, errBusinessNotFound
		}
		return h, errUserNotFound
	}
	if err != nil || bid == "" {
		return h, err
	}
	h.Kind = banking.AccountBusiness
	err = tx.QueryRow(ctx, `SELECT status, kyb_status FROM businesses WHERE program_id = ? AND id = ? AND user_id = ?`,
		pid, bid, uid).Scan(&h.BusinessStatus, &h.KYBStatus)
	if err == sql.ErrNoRows {
		return h, errBusinessNotFound
	}
	return h, err
}

// AccountMutation changes an account in place and returns the event that
// records it.
type AccountMutation func(a *banking.Account) (banking.Event, error)

// AccountWork is the Work behind every change of an RBA's status: it reads
// RBA id of program pid under the account's lock (the one every balance
// change holds, so a close sees the balance no movement is changing), applies
// fn, and writes the status with fn's event. It answers the account.
func AccountWork(pid banking.ProgramID, id banking.AccountID, fn AccountMutation) Work {
	return Work{Program: pid, Locks: []string{LockKey("account", string(id))}, Run: func(ctx context.Context, tx *Tx) (any, error) {
		a, err := scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts a
			WHERE a.program_id = ? AND a.id = ? AND a.kind <> 'clearing'`+tx.ForUpdate(), pid, id))
		if err == sql.ErrNoRows {
			return nil, errAccountNotFound
		}
		if err != nil {
			return nil, err
		}
		ev, err := fn(&a)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET status = ?, updated_at = ? WHERE id = ?`,
			a.Status, millis(a.UpdatedAt), a.ID); err != nil {
			return nil, err
		}
		tx.Emit(ev)
		return a, nil
	}}
}

// Account reads RBA id of program pid: another program's account, or an
// internal one, is not found.
func (s *Store) Account(ctx context.Context, pid banking.ProgramID, id banking.AccountID) (banking.Account, error) {
	defer s.timed("get_account", time.Now())
	a, err := scanAccount(s.queryRow(ctx, nil, `SELECT `+accountCols+` FROM accounts a
		WHERE a.program_id = ? AND a.id = ? AND a.kind <> 'clearing'`, pid, id))
	if err == sql.ErrNoRows {
		return a, errAccountNotFound
	}
	return a, s.translate(err)
}

// MasterAccount reads program pid's master RBA.
func (s *Store) MasterAccount(ctx context.Context, pid banking.ProgramID) (banking.Account, error) {
	return s.Account(ctx, pid, banking.MasterAccountID(pid))
}

// ListAccounts returns one page of a program's RBAs matching f, newest
// first, and how many match in all.
func (s *Store) ListAccounts(ctx context.Context, pid banking.ProgramID, f banking.AccountFilter) ([]banking.Account, int, error) {
	defer s.timed("list_accounts", time.Now())
	where := []string{"a.program_id = ?", "a.kind <> 'clearing'"}
	args := []any{pid}
	if f.UserID != "" {
		where = append(where, "a.user_id = ?")
		args = append(args, f.UserID)
	}
	if f.BusinessID != "" {
		where = append(where, "a.business_id = ?")
		args = append(args, f.BusinessID)
	}
	if f.Status != "" {
		where = append(where, "a.status = ?")
		args = append(args, f.Status)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM accounts a WHERE `+cond), args...).Scan(&total); err != nil {
		return nil, 0, s.translate(err)
	}
	out := []banking.Account{}
	if total == 0 {
		return out, 0, nil
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+accountCols+` FROM accounts a WHERE `+cond+
		` ORDER BY a.created_at DESC, a.id DESC LIMIT ? OFFSET ?`), append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, s.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, 0, s.translate(err)
		}
		out = append(out, a)
	}
	return out, total, s.translate(rows.Err())
}

// OpenAccounts returns the RBAs of user uid's own (bid "") or of business
// bid that are not closed, oldest first.
func (s *Store) OpenAccounts(ctx context.Context, pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID) ([]banking.Account, error) {
	defer s.timed("open_accounts", time.Now())
	q := `SELECT ` + accountCols + ` FROM accounts a WHERE a.program_id = ? AND a.user_id = ? AND a.kind = 'user'`
	args := []any{pid, uid}
	if bid != "" {
		q = `SELECT ` + accountCols + ` FROM accounts a WHERE a.program_id = ? AND a.business_id = ? AND a.user_id = ?`
		args = []any{pid, bid, uid}
	}
	rows, err := s.db.QueryContext(ctx, s.q(q+` AND a.status <> 'closed' ORDER BY a.created_at, a.id`), args...)
	if err != nil {
		return nil, s.translate(err)
	}
	defer rows.Close()
	var out []banking.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, s.translate(err)
		}
		out = append(out, a)
	}
	return out, s.translate(rows.Err())
}
