package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// bulkRows is how many users one multi-row INSERT carries: 26 parameters a
// row stays well under both engines' parameter limits.
const bulkRows = 500

// BulkCreateUsers stores many new users of one program, each with its
// user.created event (events[i] belongs to users[i]), in one transaction:
// the fast path for seeding benchmarks and imports. It applies the same
// uniqueness rules as CreateUser; on any failure nothing is written.
func (s *Store) BulkCreateUsers(ctx context.Context, users []banking.User, events []banking.Event) error {
	defer s.timed("bulk_create_users", time.Now())
	if len(users) != len(events) {
		return banking.Internal(fmt.Errorf("bulk create: %d users but %d events", len(users), len(events)))
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Counts before chain heads, the order every group takes them in
		// (flush), so a bulk load and a group cannot deadlock.
		counts := map[countKey]int{}
		for _, u := range users {
			counts[countKey{u.ProgramID, u.Status, u.KYCStatus}]++
		}
		if err := s.addCounts(ctx, tx, counts); err != nil {
			return err
		}
		for start := 0; start < len(users); start += bulkRows {
			end := min(start+bulkRows, len(users))
			if err := s.bulkInsertUsers(ctx, tx, users[start:end]); err != nil {
				return err
			}
			if err := s.insertEvents(ctx, tx, events[start:end]); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) bulkInsertUsers(ctx context.Context, tx *sql.Tx, users []banking.User) error {
	var args []any
	for i := range users {
		a, err := userArgs(&users[i])
		if err != nil {
			return err
		}
		args = append(args, a...)
	}
	width := len(args) / len(users)
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	q := `INSERT INTO users (` + userCols + `, email_norm, search_text) VALUES ` +
		strings.TrimSuffix(strings.Repeat(row+", ", len(users)), ", ")
	_, err := tx.ExecContext(ctx, s.q(q), args...)
	if uniqueViolation(err) {
		return errDuplicateEmail
	}
	return err
}
