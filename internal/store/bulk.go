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

// TopUpTarget is a business ready to be topped up (money.md section 4.2):
// its user, the business, its account and a linked account of it, with the
// linked account's last four digits (what the sandbox rail decides by).
type TopUpTarget struct {
	UserID     banking.UserID
	BusinessID banking.BusinessID
	Account    banking.AccountID
	Linked     banking.LinkedAccountID
	Last4      string
}

// TopUpTargets lists up to limit of program pid's businesses that a top-up
// may fund, oldest linked account first: an active business, verified, of
// an active verified user, with an active business account and an active
// linked account of the business (one target per pair). It is the seeding
// of `ingot bench --op settle-backlog`, which tops them up in bulk.
func (s *Store) TopUpTargets(ctx context.Context, pid banking.ProgramID, limit int) ([]TopUpTarget, error) {
	return queryList(ctx, s, `SELECT l.user_id, l.business_id, a.id, l.id, l.account_number_last_4
		FROM linked_accounts l
		JOIN businesses b ON b.id = l.business_id
		JOIN users u ON u.id = b.user_id
		JOIN accounts a ON a.business_id = b.id
		WHERE l.program_id = ? AND l.status = 'active' AND l.owner_type = 'business'
			AND b.status = 'active' AND b.kyb_status = 'verified' AND u.status = 'active' AND u.kyc_status = 'verified'
			AND a.kind = 'business' AND a.status = 'active'
		ORDER BY l.seq, a.id LIMIT ?`, []any{pid, limit}, func(r rowScanner) (TopUpTarget, error) {
		var t TopUpTarget
		err := r.Scan(&t.UserID, &t.BusinessID, &t.Account, &t.Linked, &t.Last4)
		return t, err
	})
}
