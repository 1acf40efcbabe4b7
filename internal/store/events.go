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

// eventCols is the column list of an inserted event, in chainEvents' order.
const eventCols = `id, program_id, subject_id, type, actor, reason, changes, created_at, prev_hash, hash`

const eventRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertEvents writes audit events inside the caller's transaction, with one
// multi-row INSERT: an event exists exactly when its change does. Each is
// chained onto its program's previous event (see audit.go); the rows get seq
// in VALUES order, which is the order chainEvents linked them in.
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, evs []banking.Event) error {
	args, heads, err := s.chainEvents(ctx, tx, evs)
	if err != nil {
		return err
	}
	q := `INSERT INTO events (` + eventCols + `) VALUES ` +
		strings.TrimSuffix(strings.Repeat(eventRow+", ", len(evs)), ", ")
	if s.dialect.engine == Postgres && len(heads) == 1 {
		// One round trip fewer while the program's chain head is locked
		// (it stays locked to the commit, and every event-writing group of
		// the program waits for it): the insert and the head's update are
		// one statement.
		for pid, h := range heads {
			_, err := s.exec(ctx, tx, `WITH ins AS (`+q+`) UPDATE audit_heads SET n = ?, last_hash = ? WHERE program_id = ?`,
				append(args, h.n, h.lastHash, pid)...)
			return err
		}
	}
	if _, err := s.exec(ctx, tx, q, args...); err != nil {
		return err
	}
	return s.saveHeads(ctx, tx, heads)
}

// Events lists the audit trail of one subject in a program, newest first, with
// the total count.
func (s *Store) Events(ctx context.Context, pid banking.ProgramID, subject string, page, perPage int) ([]banking.Event, int, error) {
	defer s.timed("events", time.Now())
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM events WHERE program_id = ? AND subject_id = ?`),
		pid, subject).Scan(&total); err != nil {
		return nil, 0, s.translate(err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, program_id, subject_id, type, actor, reason, changes, created_at
		FROM events WHERE program_id = ? AND subject_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?`),
		pid, subject, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, s.translate(err)
	}
	defer rows.Close()
	evs := []banking.Event{}
	for rows.Next() {
		var ev banking.Event
		var changes []byte
		var created int64
		if err := rows.Scan(&ev.ID, &ev.ProgramID, &ev.SubjectID, &ev.Type, &ev.Actor, &ev.Reason, &changes, &created); err != nil {
			return nil, 0, s.translate(err)
		}
		if err := json.Unmarshal(changes, &ev.Changes); err != nil {
			return nil, 0, banking.Internal(fmt.Errorf("event %s changes: %w", ev.ID, err))
		}
		ev.CreatedAt = fromMillis(created)
		evs = append(evs, ev)
	}
	return evs, total, s.translate(rows.Err())
}
