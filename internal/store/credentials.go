package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Rotation is one replacement of a program's credentials (api-v4.md section
// 8, "ingot program rotate-credentials").
type Rotation struct {
	Program banking.ProgramID
	// APIKeyHash, HMACUsername and HMACSecretSealed are the new credentials
	// as stored: the key's SHA-256, the username, the sealed secret.
	APIKeyHash       []byte
	HMACUsername     string
	HMACSecretSealed []byte
	// At is when the rotation happens; GraceEnd when the replaced
	// credentials stop authenticating (At itself for no grace at all).
	At, GraceEnd time.Time
	// EventID identifies the program.credentials_rotated event.
	EventID banking.EventID
}

// eventTime is how a time is written into an event's changes: as the API
// writes timestamps (apitype.TimeFormat), UTC with milliseconds.
const eventTime = "2006-01-02T15:04:05.000Z"

// RotateCredentialsWork is the Work that makes r's credentials the
// program's, keeps the ones they replace as a retired credential until
// r.GraceEnd, and records a program.credentials_rotated event naming both
// HMAC usernames (never a key or secret). It answers the program as it now
// is (a banking.Program) with Retired holding just the credential this
// rotation retired. An unknown program is not_found.
func RotateCredentialsWork(r Rotation) Work {
	return Work{Program: r.Program, Locks: []string{LockKey("program", string(r.Program))},
		Run: func(ctx context.Context, tx *Tx) (any, error) {
			p, err := scanProgram(tx.QueryRow(ctx, `SELECT `+programCols+` FROM programs WHERE id = ?`+tx.ForUpdate(), r.Program))
			if errors.Is(err, sql.ErrNoRows) {
				return nil, banking.Errorf(banking.CodeNotFound, "program %s not found", r.Program)
			}
			if err != nil {
				return nil, err
			}
			// The current credentials are unique in programs; a new username
			// must not shadow a retired one either (lookups try programs
			// first). With 64 random bits this is a formality.
			var taken int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM retired_credentials WHERE hmac_username = ?`,
				r.HMACUsername).Scan(&taken); err != nil {
				return nil, err
			}
			if taken > 0 {
				return nil, banking.Errorf(banking.CodeConflict, "HMAC username %s was used before", r.HMACUsername)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO retired_credentials
				(hmac_username, program_id, api_key_hash, hmac_secret, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
				p.HMACUsername, p.ID, p.APIKeyHash, p.HMACSecretSealed, millis(r.At), millis(r.GraceEnd)); err != nil {
				return nil, err
			}
			_, err = tx.Exec(ctx, `UPDATE programs SET api_key_hash = ?, hmac_username = ?, hmac_secret = ? WHERE id = ?`,
				r.APIKeyHash, r.HMACUsername, r.HMACSecretSealed, p.ID)
			if uniqueViolation(err) {
				return nil, banking.Errorf(banking.CodeConflict, "a program with these credentials already exists")
			}
			if err != nil {
				return nil, err
			}
			tx.Emit(banking.Event{ID: r.EventID, ProgramID: p.ID, SubjectID: string(p.ID),
				Type: banking.EventCredentialsRotated, Actor: "operator",
				Changes: banking.Changes{
					"hmac_username":        {From: p.HMACUsername, To: r.HMACUsername},
					"previous_valid_until": {From: "", To: r.GraceEnd.UTC().Format(eventTime)},
				},
				CreatedAt: r.At})
			p.Retired = []banking.RetiredCredential{{APIKeyHash: p.APIKeyHash, HMACUsername: p.HMACUsername,
				HMACSecretSealed: p.HMACSecretSealed, RetiredAt: r.At, ExpiresAt: r.GraceEnd}}
			p.APIKeyHash, p.HMACUsername, p.HMACSecretSealed = r.APIKeyHash, r.HMACUsername, r.HMACSecretSealed
			return p, nil
		}}
}

// RotateCredentials runs RotateCredentialsWork.
func (s *Store) RotateCredentials(ctx context.Context, r Rotation) (banking.Program, error) {
	defer s.timed("rotate_credentials", time.Now())
	v, err := s.Do(ctx, RotateCredentialsWork(r))
	if err != nil {
		return banking.Program{}, err
	}
	return v.(banking.Program), nil
}

// ProgramByCredential finds the program an HMAC username signs for, current
// or retired (expired or not: the caller decides with Live), with all its
// retired credentials.
func (s *Store) ProgramByCredential(ctx context.Context, username string) (banking.Program, error) {
	defer s.timed("program_by_credential", time.Now())
	p, err := scanProgram(s.db.QueryRowContext(ctx,
		s.q(`SELECT `+programCols+` FROM programs WHERE hmac_username = ?`), username))
	if errors.Is(err, sql.ErrNoRows) {
		p, err = scanProgram(s.db.QueryRowContext(ctx, s.q(`SELECT p.id, p.name, p.api_key_hash, p.hmac_username, p.hmac_secret, p.created_at
			FROM retired_credentials r JOIN programs p ON p.id = r.program_id WHERE r.hmac_username = ?`), username))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return p, banking.Errorf(banking.CodeNotFound, "program not found")
	}
	if err != nil {
		return p, s.translate(err)
	}
	retired, err := s.retired(ctx, p.ID)
	p.Retired = retired[p.ID]
	return p, err
}

// retired lists retired credentials, oldest first, by program: one
// program's, or every program's when pid is "".
func (s *Store) retired(ctx context.Context, pid banking.ProgramID) (map[banking.ProgramID][]banking.RetiredCredential, error) {
	q := `SELECT program_id, hmac_username, api_key_hash, hmac_secret, retired_at, expires_at FROM retired_credentials`
	var args []any
	if pid != "" {
		q += ` WHERE program_id = ?`
		args = append(args, pid)
	}
	rows, err := s.db.QueryContext(ctx, s.q(q+` ORDER BY retired_at, hmac_username`), args...)
	if err != nil {
		return nil, s.translate(err)
	}
	defer rows.Close()
	out := map[banking.ProgramID][]banking.RetiredCredential{}
	for rows.Next() {
		var id banking.ProgramID
		var r banking.RetiredCredential
		var at, until int64
		if err := rows.Scan(&id, &r.HMACUsername, &r.APIKeyHash, &r.HMACSecretSealed, &at, &until); err != nil {
			return nil, s.translate(err)
		}
		r.RetiredAt, r.ExpiresAt = fromMillis(at), fromMillis(until)
		out[id] = append(out[id], r)
	}
	return out, s.translate(rows.Err())
}
