package store

import (
	"context"
	"database/sql"
	"maps"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// CreateProgram stores a new program together with its program.created event,
// its master RBA and clearing account, in one transaction.
func (s *Store) CreateProgram(ctx context.Context, p banking.Program, ev banking.Event) error {
	defer s.timed("create_program", time.Now())
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.insertProgram(ctx, tx, p, ev) })
}

// CreateFirstProgram stores p only when the database has no program at all,
// and reports whether it did. The check and the insert are one transaction,
// serialized across processes (SQLite: the IMMEDIATE write lock; PostgreSQL:
// a table lock that conflicts with itself), so two sandboxes starting on one
// empty database bootstrap one program, not two.
func (s *Store) CreateFirstProgram(ctx context.Context, p banking.Program, ev banking.Event) (bool, error) {
	defer s.timed("create_first_program", time.Now())
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		created = false
		if s.dialect.engine == Postgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE programs IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM programs`).Scan(&n); err != nil || n > 0 {
			return err
		}
		created = true
		return s.insertProgram(ctx, tx, p, ev)
	})
	return created, err
}

func (s *Store) insertProgram(ctx context.Context, tx *sql.Tx, p banking.Program, ev banking.Event) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO programs
		(id, name, api_key_hash, hmac_username, hmac_secret, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		p.ID, p.Name, p.APIKeyHash, p.HMACUsername, p.HMACSecretSealed, millis(p.CreatedAt))
	if uniqueViolation(err) {
		return banking.Errorf(banking.CodeConflict, "a program with these credentials already exists")
	}
	if err != nil {
		return err
	}
	// Every program has its master RBA and clearing account from its first
	// moment (money.md section 2.2); program.created records the master
	// account, which has no account.issued event of its own.
	master, err := s.insertProgramAccounts(ctx, tx, p)
	if err != nil {
		return err
	}
	ch := banking.Changes{}
	maps.Copy(ch, ev.Changes)
	ch["master_account_id"] = banking.Change{From: "", To: string(master.ID)}
	ch["master_account_number"] = banking.Change{From: "", To: master.Number}
	ev.Changes = ch
	return s.insertEvents(ctx, tx, []banking.Event{ev})
}

const programCols = `id, name, api_key_hash, hmac_username, hmac_secret, created_at`

func scanProgram(row interface{ Scan(...any) error }) (banking.Program, error) {
	var p banking.Program
	var created int64
	err := row.Scan(&p.ID, &p.Name, &p.APIKeyHash, &p.HMACUsername, &p.HMACSecretSealed, &created)
	p.CreatedAt = fromMillis(created)
	return p, err
}

// ProgramByHMACUsername finds the program that owns a signing credential.
func (s *Store) ProgramByHMACUsername(ctx context.Context, username string) (banking.Program, error) {
	defer s.timed("program_by_hmac_username", time.Now())
	p, err := scanProgram(s.db.QueryRowContext(ctx,
		s.q(`SELECT `+programCols+` FROM programs WHERE hmac_username = ?`), username))
	if err == sql.ErrNoRows {
		return p, banking.Errorf(banking.CodeNotFound, "program not found")
	}
	return p, s.translate(err)
}

// Programs lists every program, oldest first, each with its retired
// credentials.
func (s *Store) Programs(ctx context.Context) ([]banking.Program, error) {
	defer s.timed("programs", time.Now())
	rows, err := s.db.QueryContext(ctx, `SELECT `+programCols+` FROM programs ORDER BY created_at, id`)
	if err != nil {
		return nil, s.translate(err)
	}
	defer rows.Close()
	var ps []banking.Program
	for rows.Next() {
		p, err := scanProgram(rows)
		if err != nil {
			return nil, s.translate(err)
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.translate(err)
	}
	retired, err := s.retired(ctx, "")
	if err != nil {
		return nil, err
	}
	for i := range ps {
		ps[i].Retired = retired[ps[i].ID]
	}
	return ps, nil
}

// UserCounts returns how many users each program has (programs without
// users are absent), from the per-program counts kept with every write.
func (s *Store) UserCounts(ctx context.Context) (map[banking.ProgramID]int, error) {
	defer s.timed("user_counts", time.Now())
	rows, err := s.db.QueryContext(ctx, `SELECT program_id, CAST(sum(n) AS BIGINT) FROM user_counts GROUP BY program_id`)
	if err != nil {
		return nil, s.translate(err)
	}
	defer rows.Close()
	out := map[banking.ProgramID]int{}
	for rows.Next() {
		var id banking.ProgramID
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, s.translate(err)
		}
		out[id] = n
	}
	return out, s.translate(rows.Err())
}
