package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Linked external bank accounts (money.md section 2.3). The full account
// number is only ever written sealed; a second save of the same account by
// the same owner finds the first through the blind index and writes
// nothing.

// linkedCols is the one column list every linked account query reads, in
// scanLinked's order (no table alias: listPage reads the table by name).
const linkedCols = `id, program_id, owner_type, owner_id, COALESCE(user_id, ''), COALESCE(business_id, ''),
	first_name, last_name, account_type, routing_number, account_number_last_4, account_number_sealed,
	account_number_index, bank_name, status, address_one, city, state, postal_code, country, created_at, updated_at`

func scanLinked(row rowScanner) (banking.LinkedAccount, error) {
	var a banking.LinkedAccount
	var created, updated int64
	err := row.Scan(&a.ID, &a.ProgramID, &a.OwnerType, &a.OwnerID, &a.UserID, &a.BusinessID, &a.FirstName,
		&a.LastName, &a.Type, &a.Routing, &a.Last4, &a.NumberSealed, &a.NumberIndex, &a.BankName, &a.Status,
		&a.AddressOne, &a.City, &a.State, &a.PostalCode, &a.Country, &created, &updated)
	a.CreatedAt, a.UpdatedAt = fromMillis(created), fromMillis(updated)
	return a, err
}

var errLinkedNotFound = banking.Errorf(banking.CodeNotFound, "linked bank account not found")

// SaveLinkedAccountWork is the Work of saving linked account a (sealed
// number, blind index and owner set), answering the account saved, or the
// owner's existing account with the same routing and account numbers (then
// it writes nothing, event included). The owner must be the program's: a
// user (404 user not found), a business of that user (404 business not
// found), or the program.
func SaveLinkedAccountWork(a banking.LinkedAccount, ev banking.Event) Work {
	pid := a.ProgramID
	return Work{Program: pid, Locks: []string{LockKey("linked", a.OwnerID+":"+a.NumberIndex)},
		Run: func(ctx context.Context, tx *Tx) (any, error) {
			if a.UserID != "" {
				var owner string
				err := tx.QueryRow(ctx, `SELECT id FROM users WHERE program_id = ? AND id = ?`, pid, a.UserID).Scan(&owner)
				if err == sql.ErrNoRows {
					return nil, banking.Errorf(banking.CodeNotFound, "user not found")
				}
				if err != nil {
					return nil, err
				}
			}
			if a.BusinessID != "" {
				var owner string
				err := tx.QueryRow(ctx, `SELECT user_id FROM businesses WHERE program_id = ? AND id = ?`, pid, a.BusinessID).Scan(&owner)
				if err == sql.ErrNoRows || (err == nil && owner != string(a.UserID)) {
					return nil, banking.Errorf(banking.CodeNotFound, "business not found")
				}
				if err != nil {
					return nil, err
				}
			}
			existing, err := scanLinked(tx.QueryRow(ctx, `SELECT `+linkedCols+` FROM linked_accounts
				WHERE program_id = ? AND owner_id = ? AND account_number_index = ?`, pid, a.OwnerID, a.NumberIndex))
			if err == nil {
				return existing, nil
			}
			if err != sql.ErrNoRows {
				return nil, err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO linked_accounts (id, program_id, owner_type, owner_id, user_id,
				business_id, first_name, last_name, account_type, routing_number, account_number_last_4,
				account_number_sealed, account_number_index, bank_name, source_platform, status, address_one, city,
				state, postal_code, country, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'manual', ?, ?, ?, ?, ?, ?, ?, ?)`,
				a.ID, pid, a.OwnerType, a.OwnerID, nullable(a.UserID), nullable(a.BusinessID), a.FirstName, a.LastName,
				a.Type, a.Routing, a.Last4, a.NumberSealed, a.NumberIndex, a.BankName, a.Status, a.AddressOne, a.City,
				a.State, a.PostalCode, a.Country, millis(a.CreatedAt), millis(a.UpdatedAt)); err != nil {
				return nil, err
			}
			tx.Emit(ev)
			return a, nil
		}}
}

// LinkedAccount reads linked account id of program pid.
func (s *Store) LinkedAccount(ctx context.Context, pid banking.ProgramID, id banking.LinkedAccountID) (banking.LinkedAccount, error) {
	defer s.timed("get_linked_account", time.Now())
	a, err := scanLinked(s.queryRow(ctx, nil, `SELECT `+linkedCols+` FROM linked_accounts WHERE program_id = ? AND id = ?`, pid, id))
	if err == sql.ErrNoRows {
		return a, errLinkedNotFound
	}
	return a, s.translate(err)
}

// LinkedAccounts lists one page of the linked accounts of user uid (with
// bid, only those of that business; else the user's own and their
// businesses'), or of the program itself when uid is "", newest first,
// through the shared list mechanism.
func (s *Store) LinkedAccounts(ctx context.Context, pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID, page, perPage int) ([]banking.LinkedAccount, banking.Total, error) {
	defer s.timed("list_linked_accounts", time.Now())
	q := listQuery{table: "linked_accounts", cols: linkedCols, program: pid, page: page, perPage: perPage, selective: true}
	switch {
	case bid != "":
		q.conds, q.args = []string{"business_id = ?"}, []any{bid}
	case uid != "":
		q.conds, q.args = []string{"user_id = ?"}, []any{uid}
	default:
		q.conds = []string{"owner_type = 'program'"}
	}
	return listPage(ctx, s, q, scanLinked)
}
