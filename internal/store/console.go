package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Console tokens and sessions (sandbox.md section 3). They belong to no
// program, so they are written with inTx, not through Work: Work is the path
// of a program's changes and their audit events. Every process reads them
// from the database on every request, so a revocation takes effect at once
// in all of them.

// ConsoleToken describes a console token without its secret.
type ConsoleToken struct {
	Name      string
	CreatedAt time.Time
	// LastUsedAt is the last successful sign-in with it (zero: never).
	LastUsedAt time.Time
	// Sessions is how many signed-in sessions it has (expired ones
	// included until they are pruned).
	Sessions int
}

var errTokenNameTaken = banking.Errorf(banking.CodeConflict, "a console token with this name already exists")

// CreateConsoleToken stores a token under name by its hash. A name already
// taken is a conflict.
func (s *Store) CreateConsoleToken(ctx context.Context, name string, hash []byte, now time.Time) error {
	defer s.timed("create_console_token", time.Now())
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.insertToken(ctx, tx, name, hash, now) })
}

func (s *Store) insertToken(ctx context.Context, tx *sql.Tx, name string, hash []byte, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO console_tokens (name, token_hash, created_at) VALUES (?, ?, ?)`),
		name, hash, millis(now))
	if uniqueViolation(err) {
		return errTokenNameTaken
	}
	return err
}

// CreateFirstConsoleToken stores a token only when the database has none
// (the sandbox's bootstrap) and reports whether it did. As with
// CreateFirstProgram, the check and the insert are one transaction
// serialized across processes, so two sandboxes starting on one empty
// database create one token, not two.
func (s *Store) CreateFirstConsoleToken(ctx context.Context, name string, hash []byte, now time.Time) (bool, error) {
	defer s.timed("create_first_console_token", time.Now())
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		created = false
		if s.dialect.engine == Postgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE console_tokens IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM console_tokens`).Scan(&n); err != nil || n > 0 {
			return err
		}
		created = true
		return s.insertToken(ctx, tx, name, hash, now)
	})
	return created, err
}

// ConsoleTokens lists every console token by name, with its session count.
func (s *Store) ConsoleTokens(ctx context.Context) ([]ConsoleToken, error) {
	defer s.timed("console_tokens", time.Now())
	rows, err := s.db.QueryContext(ctx, `SELECT t.name, t.created_at, t.last_used_at,
		(SELECT count(*) FROM console_sessions s WHERE s.token_name = t.name)
		FROM console_tokens t ORDER BY t.name`)
	if err != nil {
		return nil, s.translate(err)
	}
	defer rows.Close()
	out := []ConsoleToken{}
	for rows.Next() {
		var t ConsoleToken
		var created, used int64
		if err := rows.Scan(&t.Name, &created, &used, &t.Sessions); err != nil {
			return nil, s.translate(err)
		}
		t.CreatedAt = fromMillis(created)
		if used != 0 {
			t.LastUsedAt = fromMillis(used)
		}
		out = append(out, t)
	}
	return out, s.translate(rows.Err())
}

// RevokeConsoleToken deletes the token called name and every session signed
// in with it, in one transaction, and reports how many sessions that ended.
// An unknown name is not_found.
func (s *Store) RevokeConsoleToken(ctx context.Context, name string) (int, error) {
	defer s.timed("revoke_console_token", time.Now())
	var ended int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM console_sessions WHERE token_name = ?`), name)
		if err != nil {
			return err
		}
		if ended, err = res.RowsAffected(); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, s.q(`DELETE FROM console_tokens WHERE name = ?`), name)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return banking.Errorf(banking.CodeNotFound, "no console token named %q", name)
		}
		return nil
	})
	return int(ended), err
}

var errNoSession = banking.Errorf(banking.CodeNotFound, "no such console session")

// CreateConsoleSession signs in: it finds the token whose hash is
// tokenHash, stores a session keyed by idHash that ends at expires, notes
// the sign-in on the token, and prunes sessions that ended. It answers the
// token's name; an unknown token is not_found.
func (s *Store) CreateConsoleSession(ctx context.Context, tokenHash, idHash []byte, now, expires time.Time) (string, error) {
	defer s.timed("create_console_session", time.Now())
	var name string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`SELECT name FROM console_tokens WHERE token_hash = ?`), tokenHash).Scan(&name)
		if err == sql.ErrNoRows {
			return banking.Errorf(banking.CodeNotFound, "no console token matches")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM console_sessions WHERE expires_at <= ?`), millis(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO console_sessions (id_hash, token_name, created_at, expires_at)
			VALUES (?, ?, ?, ?)`), idHash, name, millis(now), millis(expires)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE console_tokens SET last_used_at = ? WHERE name = ?`), millis(now), name)
		return err
	})
	return name, err
}

// ConsoleSession is a live session as a request sees it.
type ConsoleSession struct {
	// TokenName is the operator's name.
	TokenName string
	// FlashKind ("ok" or "error") and Flash are the notice an action left
	// for the next page; reading the session takes it ("" when none).
	FlashKind, Flash string
}

// ConsoleSession reads the live session keyed by idHash and takes its flash
// (clears it once read). A session that ended or was revoked is not_found.
func (s *Store) ConsoleSession(ctx context.Context, idHash []byte, now time.Time) (ConsoleSession, error) {
	defer s.timed("console_session", time.Now())
	var cs ConsoleSession
	var expires int64
	err := s.queryRow(ctx, nil, `SELECT token_name, flash_kind, flash, expires_at FROM console_sessions WHERE id_hash = ?`,
		idHash).Scan(&cs.TokenName, &cs.FlashKind, &cs.Flash, &expires)
	if err == sql.ErrNoRows || (err == nil && expires <= millis(now)) {
		return ConsoleSession{}, errNoSession
	}
	if err != nil {
		return cs, s.translate(err)
	}
	if cs.Flash != "" || cs.FlashKind != "" {
		// Taken only if still there: two pages loading at once show it once.
		var n int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE console_sessions SET flash_kind = '', flash = ''
				WHERE id_hash = ? AND flash = ? AND flash_kind = ?`), idHash, cs.Flash, cs.FlashKind)
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		})
		if err != nil {
			return cs, err
		}
		if n == 0 {
			cs.Flash, cs.FlashKind = "", ""
		}
	}
	return cs, nil
}

// SetConsoleFlash leaves a notice for the session's next page.
func (s *Store) SetConsoleFlash(ctx context.Context, idHash []byte, kind, msg string) error {
	defer s.timed("console_flash", time.Now())
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE console_sessions SET flash_kind = ?, flash = ? WHERE id_hash = ?`), kind, msg, idHash)
		return err
	})
}

// DeleteConsoleSession signs a session out; an unknown one is no error.
func (s *Store) DeleteConsoleSession(ctx context.Context, idHash []byte) error {
	defer s.timed("delete_console_session", time.Now())
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM console_sessions WHERE id_hash = ?`), idHash)
		return err
	})
}
