package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// ownerCols is the one column list every owner query reads, in scanOwner's
// order; ownerArgs writes them.
var ownerCols = []string{"id", "program_id", "business_id", "name", "first_name", "last_name",
	"email", "phone_number", "address", "date_of_birth", "ownership", "ssn_sealed", "ssn_last_4",
	"kyc_status", "kyc_reason", "created_at", "updated_at"}

func scanOwner(row interface{ Scan(...any) error }) (banking.Owner, error) {
	var o banking.Owner
	var created, updated int64
	err := row.Scan(&o.ID, &o.ProgramID, &o.BusinessID, &o.Name, &o.FirstName, &o.LastName,
		&o.Email, &o.PhoneNumber, &o.Address, &o.DateOfBirth, &o.Ownership, &o.SSNSealed,
		&o.SSNLast4, &o.KYCStatus, &o.KYCReason, &created, &updated)
	o.CreatedAt, o.UpdatedAt = fromMillis(created), fromMillis(updated)
	return o, err
}

func ownerArgs(o *banking.Owner) []any {
	var sealed any
	if len(o.SSNSealed) > 0 {
		sealed = o.SSNSealed
	}
	return []any{o.ID, o.ProgramID, o.BusinessID, o.Name, o.FirstName, o.LastName, o.Email,
		o.PhoneNumber, o.Address, o.DateOfBirth, o.Ownership, sealed, o.SSNLast4, o.KYCStatus,
		o.KYCReason, millis(o.CreatedAt), millis(o.UpdatedAt)}
}

// docCols is the one column list every document query reads.
var docCols = []string{"id", "program_id", "business_id", "owner_id", "document_type",
	"file_url", "status", "created_at", "updated_at"}

func scanDocument(row interface{ Scan(...any) error }) (banking.Document, error) {
	var d banking.Document
	var created, updated int64
	err := row.Scan(&d.ID, &d.ProgramID, &d.BusinessID, &d.OwnerID, &d.Type, &d.FileURL,
		&d.Status, &created, &updated)
	d.CreatedAt, d.UpdatedAt = fromMillis(created), fromMillis(updated)
	return d, err
}

func docArgs(d *banking.Document) []any {
	return []any{d.ID, d.ProgramID, d.BusinessID, d.OwnerID, d.Type, d.FileURL, d.Status,
		millis(d.CreatedAt), millis(d.UpdatedAt)}
}

// queryFunc runs a query inside a transaction (Tx.Query) or outside one.
type queryFunc func(ctx context.Context, q string, args ...any) (*sql.Rows, error)

// queryRows reads every row a query of one table returns.
func queryRows[T any](ctx context.Context, query queryFunc, q string, scan func(interface{ Scan(...any) error }) (T, error), args ...any) ([]T, error) {
	rows, err := query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func queryOwners(ctx context.Context, query queryFunc, tail string, args ...any) ([]banking.Owner, error) {
	return queryRows(ctx, query, `SELECT `+strings.Join(ownerCols, ", ")+` FROM business_owners `+tail, scanOwner, args...)
}

func queryDocuments(ctx context.Context, query queryFunc, tail string, args ...any) ([]banking.Document, error) {
	return queryRows(ctx, query, `SELECT `+strings.Join(docCols, ", ")+` FROM business_documents `+tail, scanDocument, args...)
}

// fileSnapshot is a business file's stored columns as read, so that only
// what a mutation changed is written back.
type fileSnapshot struct {
	business []any
	owners   map[banking.OwnerID][]any
	docs     map[banking.DocumentID][]any
}

func snapshot(f *banking.BusinessFile) (fileSnapshot, error) {
	b, err := businessArgs(&f.Business)
	if err != nil {
		return fileSnapshot{}, err
	}
	s := fileSnapshot{business: b, owners: map[banking.OwnerID][]any{}, docs: map[banking.DocumentID][]any{}}
	for i := range f.Owners {
		s.owners[f.Owners[i].ID] = ownerArgs(&f.Owners[i])
	}
	for i := range f.Documents {
		s.docs[f.Documents[i].ID] = docArgs(&f.Documents[i])
	}
	return s, nil
}

// persist writes what changed in f since the snapshot: the business's
// changed columns, each changed owner or document, and the new ones.
func (s fileSnapshot) persist(ctx context.Context, tx *Tx, f *banking.BusinessFile) error {
	after, err := businessArgs(&f.Business)
	if err != nil {
		return err
	}
	// id and program_id key the row and never change.
	err = updateChanged(ctx, tx, "businesses", businessWriteCols[2:], s.business[2:], after[2:], f.Business.ProgramID, f.Business.ID)
	if uniqueViolation(err) {
		return errDuplicateEIN
	}
	if err != nil {
		return err
	}
	for i := range f.Owners {
		o := &f.Owners[i]
		if err := writeRow(ctx, tx, "business_owners", ownerCols, s.owners[o.ID], ownerArgs(o), o.ProgramID, o.ID); err != nil {
			return err
		}
	}
	for i := range f.Documents {
		d := &f.Documents[i]
		if err := writeRow(ctx, tx, "business_documents", docCols, s.docs[d.ID], docArgs(d), d.ProgramID, d.ID); err != nil {
			return err
		}
	}
	return nil
}

// writeRow inserts a row that was not read (before is nil) or updates the
// columns of one that changed; cols start with id and program_id.
func writeRow(ctx context.Context, tx *Tx, table string, cols []string, before, after []any, pid banking.ProgramID, id any) error {
	if before == nil {
		_, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES (`+placeholders(len(cols))+`)`, after...)
		return err
	}
	return updateChanged(ctx, tx, table, cols[2:], before[2:], after[2:], pid, id)
}

// updateChanged updates the columns whose values differ between before and
// after (in cols order) of one row of a program, if any.
func updateChanged(ctx context.Context, tx *Tx, table string, cols []string, before, after []any, pid banking.ProgramID, id any) error {
	set, args := changedColumns(cols, before, after)
	if set == "" {
		return nil
	}
	res, err := tx.Exec(ctx, `UPDATE `+table+` SET `+set+` WHERE program_id = ? AND id = ?`, append(args, pid, id)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("update %s %v: %d rows affected (%v)", table, id, n, err)
	}
	return nil
}

// changedColumns returns "col = ?, ..." and its arguments for the columns
// whose value differs between before and after (in cols order): an UPDATE
// naming only those leaves the other indexes alone (see changedSet).
func changedColumns(cols []string, before, after []any) (string, []any) {
	var set []string
	var args []any
	for i, col := range cols {
		if sameValue(before[i], after[i]) {
			continue
		}
		set = append(set, col+" = ?")
		args = append(args, after[i])
	}
	return strings.Join(set, ", "), args
}

// businessOf checks that business bid of user uid is the program's, for the
// reads that list what belongs to it.
func (s *Store) businessOf(ctx context.Context, pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID) error {
	var one int
	err := s.queryRow(ctx, nil, `SELECT 1 FROM businesses WHERE program_id = ? AND id = ? AND user_id = ?`, pid, bid, uid).Scan(&one)
	if err == sql.ErrNoRows {
		return errBusinessNotFound
	}
	return s.translate(err)
}

// Owners returns one page of a business's owners, oldest first, and how
// many it has. The business must be user uid's (404 otherwise).
func (s *Store) Owners(ctx context.Context, pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID, page, perPage int) ([]banking.Owner, int, error) {
	defer s.timed("list_owners", time.Now())
	if err := s.businessOf(ctx, pid, uid, bid); err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.queryRow(ctx, nil, `SELECT count(*) FROM business_owners WHERE business_id = ?`, bid).Scan(&total); err != nil {
		return nil, 0, s.translate(err)
	}
	owners, err := queryOwners(ctx, s.query, `WHERE business_id = ? ORDER BY seq LIMIT ? OFFSET ?`, bid, perPage, (page-1)*perPage)
	return owners, total, s.translate(err)
}

// Documents returns one page of an owner's documents, oldest first, and how
// many it has. The business must be user uid's and the owner the business's
// (404 otherwise).
func (s *Store) Documents(ctx context.Context, pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID, oid banking.OwnerID, page, perPage int) ([]banking.Document, int, error) {
	defer s.timed("list_documents", time.Now())
	if err := s.businessOf(ctx, pid, uid, bid); err != nil {
		return nil, 0, err
	}
	var one int
	err := s.queryRow(ctx, nil, `SELECT 1 FROM business_owners WHERE business_id = ? AND id = ?`, bid, oid).Scan(&one)
	if err == sql.ErrNoRows {
		return nil, 0, errOwnerNotFound
	}
	if err != nil {
		return nil, 0, s.translate(err)
	}
	var total int
	if err := s.queryRow(ctx, nil, `SELECT count(*) FROM business_documents WHERE owner_id = ?`, oid).Scan(&total); err != nil {
		return nil, 0, s.translate(err)
	}
	docs, err := queryDocuments(ctx, s.query, `WHERE owner_id = ? ORDER BY seq LIMIT ? OFFSET ?`, oid, perPage, (page-1)*perPage)
	return docs, total, s.translate(err)
}
