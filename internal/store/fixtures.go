package store

import (
	"context"
	"database/sql"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Fixture loading (service.LoadFixtures) composes the Works of every domain
// inside one Work; these are the program-level pieces it needs in that
// transaction.

// CreateProgramIn stores a new program, as CreateProgram does, inside the
// transaction of a running Work.
func (s *Store) CreateProgramIn(ctx context.Context, tx *Tx, p banking.Program, ev banking.Event) error {
	return s.insertProgram(ctx, tx.tx, p, ev)
}

// ProgramForFixture finds the program a fixture names, inside tx: the one
// with HMAC username hmacUsername when it is given (current or retired),
// else the oldest one called name. "" when there is none.
func (s *Store) ProgramForFixture(ctx context.Context, tx *Tx, name, hmacUsername string) (banking.ProgramID, error) {
	var id banking.ProgramID
	var err error
	if hmacUsername != "" {
		err = tx.QueryRow(ctx, `SELECT id FROM programs WHERE hmac_username = ?
			UNION ALL SELECT program_id FROM retired_credentials WHERE hmac_username = ?`, hmacUsername, hmacUsername).Scan(&id)
	} else {
		err = tx.QueryRow(ctx, `SELECT id FROM programs WHERE name = ? ORDER BY created_at, id LIMIT 1`, name).Scan(&id)
	}
	if err == sql.ErrNoRows {
		return "", nil
	}
	return id, err
}
