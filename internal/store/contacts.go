package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// CreateContactUserWork is CreateUserWork for a user created as a business's
// contact (businesses.md section 6): the user, its user.created event and
// the contact row commit together. The business must be the program's (404
// otherwise); the Work answers the user (a banking.User).
func CreateContactUserWork(u banking.User, ev banking.Event, c banking.Contact) Work {
	create := CreateUserWork(u, ev)
	return Work{Program: u.ProgramID, Locks: create.Locks,
		Run: func(ctx context.Context, tx *Tx) (any, error) {
			// Businesses are never deleted by the API, so reading it needs no
			// lock: it stays the program's until this work commits.
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM businesses WHERE program_id = ? AND id = ?`, c.ProgramID, c.BusinessID).Scan(&one)
			if err == sql.ErrNoRows {
				return nil, errBusinessNotFound
			}
			if err != nil {
				return nil, err
			}
			v, err := create.Run(ctx, tx)
			if err != nil {
				return nil, err
			}
			_, err = tx.Exec(ctx, `INSERT INTO business_contacts (id, program_id, business_id, user_id, contact_type, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, c.ID, c.ProgramID, c.BusinessID, c.UserID, c.Type, millis(c.CreatedAt))
			if err != nil {
				return nil, err
			}
			return v, nil
		}}
}

// Contacts returns one page of a business's contacts of type t ("" for
// both), newest first, and how many match. The business must be user uid's
// (404 otherwise). Names, email and phone are the contact users' as they
// are now, business_name the business's.
func (s *Store) Contacts(ctx context.Context, pid banking.ProgramID, uid banking.UserID, bid banking.BusinessID, t banking.ContactType, page, perPage int) ([]banking.Contact, int, error) {
	defer s.timed("list_contacts", time.Now())
	if err := s.businessOf(ctx, pid, uid, bid); err != nil {
		return nil, 0, err
	}
	cond, args := `c.business_id = ?`, []any{bid}
	if t != "" {
		cond += ` AND c.contact_type = ?`
		args = append(args, t)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM business_contacts c WHERE `+cond), args...).Scan(&total); err != nil {
		return nil, 0, s.translate(err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT c.id, c.program_id, c.business_id, c.user_id, c.contact_type,
		u.first_name, u.last_name, b.name, u.email, u.phone_number, c.created_at
		FROM business_contacts c JOIN users u ON u.id = c.user_id JOIN businesses b ON b.id = c.business_id
		WHERE `+cond+` ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?`), append(args, perPage, (page-1)*perPage)...)
	if err != nil {
		return nil, 0, s.translate(err)
	}
	defer rows.Close()
	out := []banking.Contact{}
	for rows.Next() {
		var c banking.Contact
		var created int64
		if err := rows.Scan(&c.ID, &c.ProgramID, &c.BusinessID, &c.UserID, &c.Type, &c.FirstName,
			&c.LastName, &c.BusinessName, &c.Email, &c.PhoneNumber, &created); err != nil {
			return nil, 0, s.translate(err)
		}
		c.CreatedAt = fromMillis(created)
		out = append(out, c)
	}
	return out, total, s.translate(rows.Err())
}
