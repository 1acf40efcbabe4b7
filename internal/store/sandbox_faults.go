package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Fault is an injected fault (sandbox/faults/set, sandbox.md section 1):
// calls of Path ("*" for any) of its program answer Status with Code and
// Message, with probability Probability, Remaining more times (-1:
// unlimited), after LatencyMS. Status 0 is latency only: the call runs,
// answering after LatencyMS.
type Fault struct {
	Path        string
	Status      int
	Code        string
	Message     string
	Probability float64
	Remaining   int64
	LatencyMS   int
	CreatedAt   time.Time
}

// SetFault stores f as program pid's fault of f.Path, replacing any.
func (s *Store) SetFault(ctx context.Context, pid banking.ProgramID, f Fault) error {
	var remaining any
	if f.Remaining >= 0 {
		remaining = f.Remaining
	}
	_, err := s.Do(ctx, Work{Program: pid, Run: func(ctx context.Context, tx *Tx) (any, error) {
		_, err := tx.Exec(ctx, `INSERT INTO sandbox_faults
			(program_id, path, status, code, message, probability, remaining, latency_ms, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (program_id, path) DO UPDATE SET status = excluded.status, code = excluded.code,
				message = excluded.message, probability = excluded.probability, remaining = excluded.remaining,
				latency_ms = excluded.latency_ms, created_at = excluded.created_at`,
			pid, f.Path, f.Status, f.Code, f.Message, f.Probability, remaining, f.LatencyMS, millis(f.CreatedAt))
		return nil, err
	}})
	return err
}

// ClearFaults deletes every fault of program pid.
func (s *Store) ClearFaults(ctx context.Context, pid banking.ProgramID) error {
	_, err := s.Do(ctx, Work{Program: pid, Run: func(ctx context.Context, tx *Tx) (any, error) {
		_, err := tx.Exec(ctx, `DELETE FROM sandbox_faults WHERE program_id = ?`, pid)
		return nil, err
	}})
	return err
}

// Faults returns program pid's faults by path. A fault whose count ran out
// is listed with Remaining 0 until cleared or replaced.
func (s *Store) Faults(ctx context.Context, pid banking.ProgramID) ([]Fault, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT path, status, code, message, probability, remaining, latency_ms, created_at
		FROM sandbox_faults WHERE program_id = ? ORDER BY path`), pid)
	if err != nil {
		return nil, s.translate(err)
	}
	defer rows.Close()
	var out []Fault
	for rows.Next() {
		var f Fault
		var remaining sql.NullInt64
		var created int64
		if err := rows.Scan(&f.Path, &f.Status, &f.Code, &f.Message, &f.Probability, &remaining, &f.LatencyMS, &created); err != nil {
			return nil, err
		}
		f.Remaining = -1
		if remaining.Valid {
			f.Remaining = remaining.Int64
		}
		f.CreatedAt = fromMillis(created)
		out = append(out, f)
	}
	return out, rows.Err()
}

// TakeFault spends one of the counted fault's remaining calls and reports
// whether there was one left. The decrement is one statement, so however
// many calls (in however many processes) race for the last ones, exactly
// the count of them are faulted.
func (s *Store) TakeFault(ctx context.Context, pid banking.ProgramID, path string) (bool, error) {
	v, err := s.Do(ctx, Work{Program: pid, Run: func(ctx context.Context, tx *Tx) (any, error) {
		res, err := tx.Exec(ctx, `UPDATE sandbox_faults SET remaining = remaining - 1
			WHERE program_id = ? AND path = ? AND remaining > 0`, pid, path)
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		return n == 1, err
	}})
	ok, _ := v.(bool)
	return ok, err
}
