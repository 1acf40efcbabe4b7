package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// userCols is the one column list every user query reads, in scanUser's order.
const userCols = `id, program_id, first_name, middle_name, last_name, email, phone_number,
	date_of_birth, address_one, address_two, city, state, country, postal_code, ssn_sealed,
	ssn_last_4, username, terms_accepted, meta_data, status, kyc_status, kyc_reason,
	created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (banking.User, error) {
	var u banking.User
	var meta string
	var created, updated int64
	err := row.Scan(&u.ID, &u.ProgramID, &u.FirstName, &u.MiddleName, &u.LastName, &u.Email,
		&u.PhoneNumber, &u.DateOfBirth, &u.AddressOne, &u.AddressTwo, &u.City, &u.State,
		&u.Country, &u.PostalCode, &u.SSNSealed, &u.SSNLast4, &u.Username, &u.TermsAccepted,
		&meta, &u.Status, &u.KYCStatus, &u.KYCReason, &created, &updated)
	if err != nil {
		return u, err
	}
	if err := json.Unmarshal([]byte(meta), &u.MetaData); err != nil {
		return u, fmt.Errorf("user %s meta_data: %w", u.ID, err)
	}
	u.CreatedAt, u.UpdatedAt = fromMillis(created), fromMillis(updated)
	return u, nil
}

// userArgs returns the stored columns of u in userCols order, plus the derived
// email_norm and search_text.
func userArgs(u *banking.User) ([]any, error) {
	meta, err := json.Marshal(u.MetaData)
	if err != nil {
		return nil, err
	}
	var sealed any
	if len(u.SSNSealed) > 0 {
		sealed = u.SSNSealed
	}
	return []any{u.ID, u.ProgramID, u.FirstName, u.MiddleName, u.LastName, u.Email,
		u.PhoneNumber, u.DateOfBirth, u.AddressOne, u.AddressTwo, u.City, u.State, u.Country,
		u.PostalCode, sealed, u.SSNLast4, u.Username, u.TermsAccepted, string(meta), u.Status,
		u.KYCStatus, u.KYCReason, millis(u.CreatedAt), millis(u.UpdatedAt),
		banking.NormalizeEmail(u.Email), u.SearchText()}, nil
}

// userUpdateCols are the columns userArgs returns after id and program_id,
// which key the row and never change.
var userUpdateCols = func() []string {
	cols := strings.Split(strings.Join(strings.Fields(userCols), " "), ", ")
	return append(cols[2:], "email_norm", "search_text")
}()

// changedSet returns "col = ?, ..." and its arguments for the columns whose
// value differs between two userArgs results. Writing only those matters on
// SQLite, which rewrites the entries of every index whose columns an UPDATE
// names, changed or not: a block named all 24 columns and dirtied every
// index of users, each page one more WAL frame to write and sync.
func changedSet(before, after []any) (string, []any) {
	return changedColumns(userUpdateCols, before[2:], after[2:])
}

// sameValue compares two userArgs values; []byte (the sealed SSN) is not
// comparable with ==.
func sameValue(a, b any) bool {
	ab, aok := a.([]byte)
	bb, bok := b.([]byte)
	if aok || bok {
		return aok == bok && bytes.Equal(ab, bb)
	}
	return a == b
}

var errDuplicateEmail = banking.Errorf(banking.CodeConflict, "a user with this email already exists")

// CreateUser stores a new user and its user.created event in one transaction.
// A duplicate email in the program is a conflict. With fin (at most one), the
// idempotency key's answer is stored in the same transaction.
func (s *Store) CreateUser(ctx context.Context, u banking.User, ev banking.Event, fin ...*IdemFinish) error {
	defer s.timed("create_user", time.Now())
	w := CreateUserWork(u, ev)
	w.Idem = firstFinish(fin)
	_, err := s.Do(ctx, w)
	return err
}

// CreateUserWork is the Work that inserts u with its user.created event and
// answers u (a banking.User). Other domains extend it (a user created as a
// business contact, businesses.md section 6) by running it inside their own.
func CreateUserWork(u banking.User, ev banking.Event) Work {
	// Locked by email: two groups inserting the same two emails in opposite
	// orders would otherwise wait on each other's uncommitted index entries.
	return Work{Program: u.ProgramID, Locks: []string{LockKey("email", banking.NormalizeEmail(u.Email))},
		Run: func(ctx context.Context, tx *Tx) (any, error) {
			args, err := userArgs(&u)
			if err != nil {
				return nil, err
			}
			_, err = tx.Exec(ctx, `INSERT INTO users (`+userCols+`, email_norm, search_text)
				VALUES (`+strings.Repeat("?, ", len(args)-1)+`?)`, args...)
			if uniqueViolation(err) {
				return nil, errDuplicateEmail
			}
			if err != nil {
				return nil, err
			}
			tx.countUser(u.ProgramID, u.Status, u.KYCStatus, 1)
			tx.Emit(ev)
			return u, nil
		}}
}

// firstFinish is the one idempotency completion a variadic fin may carry.
func firstFinish(fin []*IdemFinish) *IdemFinish {
	for _, f := range fin {
		if f != nil {
			return f
		}
	}
	return nil
}

var errUserNotFound = banking.Errorf(banking.CodeNotFound, "user not found")

// User reads one user of a program. Another program's user is not found.
func (s *Store) User(ctx context.Context, pid banking.ProgramID, id banking.UserID) (banking.User, error) {
	defer s.timed("get_user", time.Now())
	u, err := scanUser(s.queryRow(ctx, nil, `SELECT `+userCols+` FROM users WHERE program_id = ? AND id = ?`, pid, id))
	if err == sql.ErrNoRows {
		return u, errUserNotFound
	}
	return u, s.translate(err)
}

// Mutation changes a user in place and returns the event that records it, or
// nil when nothing changed (then nothing is written).
type Mutation func(u *banking.User) (*banking.Event, error)

// TxMutation is a Mutation that may also schedule jobs or write rows of its
// own in the user's transaction (a KYC submission schedules its check).
type TxMutation func(tx *Tx, u *banking.User) (*banking.Event, error)

// UpdateUser reads a user under a write lock, applies fn, and writes the user
// and fn's event in one transaction. Concurrent mutations of one user, from
// any process, run one after another, so every transition sees the state the
// previous one left. With fin (at most one), the idempotency key's answer is
// stored in the same transaction, also when nothing changed.
func (s *Store) UpdateUser(ctx context.Context, pid banking.ProgramID, id banking.UserID, fn Mutation, fin ...*IdemFinish) (banking.User, error) {
	defer s.timed("update_user", time.Now())
	w := UpdateUserWork(pid, id, func(_ *Tx, u *banking.User) (*banking.Event, error) { return fn(u) })
	w.Idem = firstFinish(fin)
	v, err := s.Do(ctx, w)
	if err != nil {
		return banking.User{}, err
	}
	return v.(banking.User), nil
}

// UpdateUserWork is the Work behind UpdateUser; it answers the user as it is
// after fn (a banking.User).
func UpdateUserWork(pid banking.ProgramID, id banking.UserID, fn TxMutation) Work {
	return Work{Program: pid, Locks: []string{LockKey("user", string(id))},
		Run: func(ctx context.Context, tx *Tx) (any, error) {
			u, err := lockUser(ctx, tx, pid, id)
			if err != nil {
				return nil, err
			}
			status, kycStatus := u.Status, u.KYCStatus
			before, err := userArgs(&u)
			if err != nil {
				return nil, err
			}
			ev, err := fn(tx, &u)
			if err != nil || ev == nil {
				return u, err
			}
			args, err := userArgs(&u)
			if err != nil {
				return nil, err
			}
			if set, setArgs := changedSet(before, args); set != "" {
				res, err := tx.Exec(ctx, `UPDATE users SET `+set+` WHERE program_id = ? AND id = ?`,
					append(setArgs, pid, id)...)
				if uniqueViolation(err) {
					return nil, errDuplicateEmail
				}
				if err != nil {
					return nil, err
				}
				if n, err := res.RowsAffected(); err != nil || n != 1 {
					return nil, fmt.Errorf("update user %s: %d rows affected (%v)", id, n, err)
				}
			}
			if status != u.Status || kycStatus != u.KYCStatus {
				tx.countUser(pid, status, kycStatus, -1)
				tx.countUser(pid, u.Status, u.KYCStatus, 1)
			}
			tx.Emit(*ev)
			return u, nil
		}}
}

// lockUser reads a user of a program for update inside tx.
// Its entity number comes with it, for the event hook (Tx.noteNumber).
func lockUser(ctx context.Context, tx *Tx, pid banking.ProgramID, id banking.UserID) (banking.User, error) {
	var n sql.NullInt64
	u, err := scanUser(numberedRow{tx.QueryRow(ctx, `SELECT `+userCols+`, entity_number FROM users
		WHERE program_id = ? AND id = ?`+tx.ForUpdate(), pid, id), &n})
	if err == sql.ErrNoRows {
		return u, errUserNotFound
	}
	if err == nil {
		tx.noteNumber("users", string(u.ID), n.Int64)
	}
	return u, err
}

// ListUsers returns one page of a program's users matching f, and how many
// match in all (exact up to banking.ExactTotalUpTo with a search or an
// email; without them from the maintained counters, always exact).
func (s *Store) ListUsers(ctx context.Context, pid banking.ProgramID, f banking.UserFilter) ([]banking.User, banking.Total, error) {
	defer s.timed("list_users", time.Now())
	q := listQuery{table: "users", cols: userCols, program: pid, search: f.Search,
		ascending: f.Ascending, page: f.Page, perPage: f.PerPage}
	if f.Email != "" {
		// One user at most, found by the (program_id, email_norm) index.
		q.conds = append(q.conds, "email_norm = ?")
		q.args = append(q.args, banking.NormalizeEmail(f.Email))
		q.selective = true
	}
	if f.Status != "" {
		q.conds = append(q.conds, "status = ?")
		q.args = append(q.args, f.Status)
	}
	if f.KYCStatus != "" {
		q.conds = append(q.conds, "kyc_status = ?")
		q.args = append(q.args, f.KYCStatus)
	}
	if f.Email == "" {
		q.counted = func(ctx context.Context) (int, error) { return s.countUsers(ctx, pid, f) }
	}
	return listPage(ctx, s, q, scanUser)
}

// countUsers sums the maintained counters of a program's users with f's
// status and KYC status (a handful of rows) instead of counting the users.
func (s *Store) countUsers(ctx context.Context, pid banking.ProgramID, f banking.UserFilter) (int, error) {
	q := `SELECT COALESCE(SUM(n), 0) FROM user_counts WHERE program_id = ?`
	args := []any{pid}
	if f.Status != "" {
		q += " AND status = ?"
		args = append(args, f.Status)
	}
	if f.KYCStatus != "" {
		q += " AND kyc_status = ?"
		args = append(args, f.KYCStatus)
	}
	var total int
	err := s.queryRow(ctx, nil, q, args...).Scan(&total)
	return total, s.translate(err)
}

// countKey names one user_counts pair of a program.
type countKey struct {
	pid banking.ProgramID
	st  banking.Status
	ks  banking.KYCStatus
}

// addCounts moves a program's user counts inside the caller's transaction.
// All rows of one transaction use one slot and are updated in one canonical
// order: two status changes touching the same two rows in opposite orders
// would otherwise deadlock on PostgreSQL (found by make bench: toggles
// waited out deadlock_timeout, p99 1 s).
func (s *Store) addCounts(ctx context.Context, tx *sql.Tx, deltas map[countKey]int) error {
	u, ok := s.countsUpsert(deltas)
	if !ok {
		return nil
	}
	_, err := s.exec(ctx, tx, u.q, u.args...)
	return err
}

// countsUpsert is addCounts' statement, false when no count moves.
func (s *Store) countsUpsert(deltas map[countKey]int) (stmt, bool) {
	keys := make([]countKey, 0, len(deltas))
	for k := range deltas {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b countKey) int {
		return cmp.Or(cmp.Compare(a.pid, b.pid), cmp.Compare(a.st, b.st), cmp.Compare(a.ks, b.ks))
	})
	slot := s.dialect.countSlot()
	// One multi-row upsert; both engines apply its rows in VALUES order, so
	// the canonical order is also the lock order.
	var rows []string
	var args []any
	for _, k := range keys {
		if deltas[k] == 0 {
			continue // e.g. one block and one unblock in the same group
		}
		rows = append(rows, "(?, ?, ?, ?, ?)")
		args = append(args, k.pid, k.st, k.ks, slot, deltas[k])
	}
	if len(rows) == 0 {
		return stmt{}, false
	}
	return stmt{`INSERT INTO user_counts (program_id, status, kyc_status, slot, n)
		VALUES ` + strings.Join(rows, ", ") + ` ON CONFLICT (program_id, status, kyc_status, slot)
		DO UPDATE SET n = user_counts.n + excluded.n`, args}, true
}
