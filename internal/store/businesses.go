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

// businessCols is the one column list every business query reads, in
// scanBusiness's order: the keys, the profile (banking.ProfileColumns), then
// the state.
var businessCols = strings.Join(append(append([]string{"id", "program_id", "user_id"},
	banking.ProfileColumns()...), "meta_data", "status", "kyb_status", "kyb_reason",
	"created_at", "updated_at"), ", ")

// businessWriteCols are the columns businessArgs returns: businessCols and
// the derived search_text.
var businessWriteCols = strings.Split(businessCols+", search_text", ", ")

func scanBusiness(row interface{ Scan(...any) error }) (banking.Business, error) {
	var b banking.Business
	var meta string
	var created, updated int64
	dst := []any{&b.ID, &b.ProgramID, &b.UserID}
	for _, p := range banking.ProfileValues(&b.BusinessProfile) {
		dst = append(dst, p)
	}
	dst = append(dst, &meta, &b.Status, &b.KYBStatus, &b.KYBReason, &created, &updated)
	if err := row.Scan(dst...); err != nil {
		return b, err
	}
	if err := json.Unmarshal([]byte(meta), &b.MetaData); err != nil {
		return b, fmt.Errorf("business %s meta_data: %w", b.ID, err)
	}
	b.CreatedAt, b.UpdatedAt = fromMillis(created), fromMillis(updated)
	return b, nil
}

// businessArgs returns b's columns in businessWriteCols order.
func businessArgs(b *banking.Business) ([]any, error) {
	meta, err := json.Marshal(b.MetaData)
	if err != nil {
		return nil, err
	}
	args := []any{b.ID, b.ProgramID, b.UserID}
	for _, p := range banking.ProfileValues(&b.BusinessProfile) {
		args = append(args, *p)
	}
	return append(args, string(meta), b.Status, b.KYBStatus, b.KYBReason,
		millis(b.CreatedAt), millis(b.UpdatedAt), b.SearchText()), nil
}

var (
	errBusinessNotFound = banking.Errorf(banking.CodeNotFound, "business not found")
	errOwnerNotFound    = banking.Errorf(banking.CodeNotFound, "business owner not found")
	errDuplicateEIN     = banking.Errorf(banking.CodeConflict, "a business with this ein already exists")
)

// CreateBusinessWork is the Work that stores b with its business.created
// event and answers b (a banking.Business). The owning user must be a user
// of the program (404) and active (409 blocked, businesses.md section 7); a
// second business with b's EIN in the program is 409.
func CreateBusinessWork(b banking.Business, ev banking.Event) Work {
	// Locked by EIN as users are by email: two groups inserting the same two
	// EINs in opposite orders would otherwise wait on each other's index
	// entries.
	return Work{Program: b.ProgramID,
		Locks: []string{LockKey("user", string(b.UserID)), LockKey("ein", b.EIN)},
		Run: func(ctx context.Context, tx *Tx) (any, error) {
			u, err := lockUser(ctx, tx, b.ProgramID, b.UserID)
			if err != nil {
				return nil, err
			}
			if u.Status == banking.StatusBlocked {
				return nil, banking.Errorf(banking.CodeBlocked, "user is blocked")
			}
			args, err := businessArgs(&b)
			if err != nil {
				return nil, err
			}
			_, err = tx.Exec(ctx, `INSERT INTO businesses (`+strings.Join(businessWriteCols, ", ")+`)
				VALUES (`+placeholders(len(args))+`)`, args...)
			if uniqueViolation(err) {
				return nil, errDuplicateEIN
			}
			if err != nil {
				return nil, err
			}
			tx.Emit(ev)
			return b, nil
		}}
}

// placeholders returns n comma-separated ? marks.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// Business reads one business of a program owned by user uid. Another
// program's business, or one named with the wrong user, is not found.
func (s *Store) Business(ctx context.Context, pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID) (banking.Business, error) {
	defer s.timed("get_business", time.Now())
	b, err := scanBusiness(s.queryRow(ctx, nil, `SELECT `+businessCols+` FROM businesses
		WHERE program_id = ? AND id = ? AND user_id = ?`, pid, bid, uid))
	if err == sql.ErrNoRows {
		return b, errBusinessNotFound
	}
	return b, s.translate(err)
}

// BusinessUser reads the owning user of business bid of program pid
// (another program's business is not found).
func (s *Store) BusinessUser(ctx context.Context, pid banking.ProgramID, bid banking.BusinessID) (banking.UserID, error) {
	defer s.timed("business_user", time.Now())
	var uid banking.UserID
	err := s.queryRow(ctx, nil, `SELECT user_id FROM businesses WHERE program_id = ? AND id = ?`, pid, bid).Scan(&uid)
	if err == sql.ErrNoRows {
		return "", errBusinessNotFound
	}
	return uid, s.translate(err)
}

// ListBusinesses returns one page of a program's businesses matching f, and
// how many match in all (exact up to banking.ExactTotalUpTo). Search
// follows every list's rule (search.go) over SearchText.
func (s *Store) ListBusinesses(ctx context.Context, pid banking.ProgramID, f banking.BusinessFilter) ([]banking.Business, banking.Total, error) {
	defer s.timed("list_businesses", time.Now())
	q := listQuery{table: "businesses", cols: businessCols, program: pid, search: f.Search,
		ascending: f.Ascending, page: f.Page, perPage: f.PerPage}
	if f.UserID != "" {
		// A user's few businesses, found by the (user_id, created_at, id) index.
		q.conds = append(q.conds, "user_id = ?")
		q.args = append(q.args, f.UserID)
		q.selective = true
	}
	if f.Status != "" {
		q.conds = append(q.conds, "status = ?")
		q.args = append(q.args, f.Status)
	}
	if f.KYBStatus != "" {
		q.conds = append(q.conds, "kyb_status = ?")
		q.args = append(q.args, f.KYBStatus)
	}
	return listPage(ctx, s, q, scanBusiness)
}

// BusinessNeeds says what a BusinessWork reads besides the business itself.
type BusinessNeeds struct {
	// User is the owning user, read (and locked) for rules about it.
	User bool
	// Owners are the business's owners, oldest first.
	Owners bool
	// Documents are every document of the business's owners.
	Documents bool
}

// BusinessMutation changes a business file in place and returns the Work's
// answer and the events that record the change. With no events nothing is
// written. It may schedule jobs in tx.
type BusinessMutation func(tx *Tx, f *banking.BusinessFile) (answer any, events []banking.Event, err error)

// BusinessWork is the Work behind every change of a business, its owners and
// their documents: it reads business bid of user uid under a lock, with what
// needs names, applies fn, and writes whatever fn changed or added (a new
// owner or document is one whose id was not read) with fn's events, which
// are the business's (SubjectID). Another program's business, or one named
// with the wrong user, is 404.
func BusinessWork(pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID, needs BusinessNeeds, fn BusinessMutation) Work {
	locks := []string{LockKey("business", string(bid))}
	if needs.User {
		locks = append(locks, LockKey("user", string(uid)))
	}
	return Work{Program: pid, Locks: locks, Run: func(ctx context.Context, tx *Tx) (any, error) {
		f, err := loadFile(ctx, tx, pid, uid, bid, needs)
		if err != nil {
			return nil, err
		}
		before, err := snapshot(&f)
		if err != nil {
			return nil, err
		}
		answer, evs, err := fn(tx, &f)
		if err != nil || len(evs) == 0 {
			return answer, err
		}
		if err := before.persist(ctx, tx, &f); err != nil {
			return nil, err
		}
		for _, ev := range evs {
			tx.Emit(ev)
		}
		return answer, nil
	}}
}

// loadFile reads a business (locked) and what needs names inside tx.
func loadFile(ctx context.Context, tx *Tx, pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID, needs BusinessNeeds) (banking.BusinessFile, error) {
	var f banking.BusinessFile
	var n sql.NullInt64
	b, err := scanBusiness(numberedRow{tx.QueryRow(ctx, `SELECT `+businessCols+`, entity_number FROM businesses
		WHERE program_id = ? AND id = ? AND user_id = ?`+tx.ForUpdate(), pid, bid, uid), &n})
	if err == sql.ErrNoRows {
		return f, errBusinessNotFound
	}
	if err != nil {
		return f, err
	}
	tx.noteNumber("businesses", string(b.ID), n.Int64)
	f.Business = b
	if needs.User {
		if f.User, err = lockUser(ctx, tx, pid, uid); err != nil {
			return f, err
		}
	}
	if needs.Owners {
		if f.Owners, err = queryOwners(ctx, tx.Query, `WHERE business_id = ? ORDER BY seq`, bid); err != nil {
			return f, err
		}
	}
	if needs.Documents {
		if f.Documents, err = queryDocuments(ctx, tx.Query, `WHERE business_id = ? ORDER BY seq`, bid); err != nil {
			return f, err
		}
	}
	return f, nil
}

// BusinessFile reads a business of user uid with its owners, outside any
// transaction (a KYB check asks its provider about it before deciding in a
// BusinessWork).
func (s *Store) BusinessFile(ctx context.Context, pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID) (banking.BusinessFile, error) {
	defer s.timed("get_business_file", time.Now())
	var f banking.BusinessFile
	b, err := s.Business(ctx, pid, uid, bid)
	if err != nil {
		return f, err
	}
	f.Business = b
	f.Owners, err = queryOwners(ctx, s.query, `WHERE business_id = ? ORDER BY seq`, bid)
	return f, s.translate(err)
}

// query is Query outside a transaction, in queryOwners' shape.
func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, s.q(q), args...)
}
