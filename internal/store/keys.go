package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// SealedValue is one secret sealed at rest, with the associated data it was
// sealed under.
type SealedValue struct {
	// Kind is "ssn" (users.ssn_sealed), "owner_ssn"
	// (business_owners.ssn_sealed), "hmac_secret" (programs.hmac_secret)
	// or "webhook_secret" (webhook_secrets.secret_sealed).
	Kind string
	// Owner is the row's id: a user, business owner, program or webhook
	// secret id.
	Owner  string
	AAD    []byte
	Sealed []byte
}

// ResealCount says what Reseal did.
type ResealCount struct {
	Resealed int // values replaced
	Skipped  int // values the callback left as they were
}

// Reseal re-encrypts every sealed value in one transaction: the callback
// returns a value's replacement, or nil to leave it unchanged (a value
// already under the new key). If the callback fails for any value, nothing is
// written. The associated data follows internal/service: "ssn:"+user id for
// a user's SSN, "ssn:"+owner id for a business owner's, the HMAC username
// for an HMAC secret, "webhook-secret:"+id for a webhook signing secret.
//
// When newSandboxKey is not nil, the sandbox key row (PostgreSQL sandboxes)
// is replaced in the same transaction, so key and data change together.
//
// Concurrent writers are held off until the commit (PostgreSQL: table locks;
// SQLite: the write lock of BEGIN IMMEDIATE); a server still running with the
// old key would afterwards write values the new key cannot open, so servers
// should be stopped while rotating.
func (s *Store) Reseal(ctx context.Context, reseal func(v SealedValue) ([]byte, error), newSandboxKey []byte) (ResealCount, error) {
	defer s.timed("reseal", time.Now())
	var count ResealCount
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		count = ResealCount{}
		if s.dialect.engine == Postgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE programs, users, business_owners, webhook_secrets IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		var vals []SealedValue
		rows, err := tx.QueryContext(ctx, `SELECT id, hmac_username, hmac_secret FROM programs ORDER BY id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, username string
			var sealed []byte
			if err := rows.Scan(&id, &username, &sealed); err != nil {
				rows.Close()
				return err
			}
			vals = append(vals, SealedValue{Kind: "hmac_secret", Owner: id, AAD: []byte(username), Sealed: sealed})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, t := range []struct{ kind, table, col, aad string }{{"ssn", "users", "ssn_sealed", "ssn:"},
			{"owner_ssn", "business_owners", "ssn_sealed", "ssn:"},
			{"webhook_secret", "webhook_secrets", "secret_sealed", "webhook-secret:"}} {
			rows, err = tx.QueryContext(ctx, `SELECT id, `+t.col+` FROM `+t.table+` WHERE `+t.col+` IS NOT NULL ORDER BY id`)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				var sealed []byte
				if err := rows.Scan(&id, &sealed); err != nil {
					rows.Close()
					return err
				}
				vals = append(vals, SealedValue{Kind: t.kind, Owner: id, AAD: []byte(t.aad + id), Sealed: sealed})
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		for _, v := range vals {
			out, err := reseal(v)
			if err != nil {
				return fmt.Errorf("%s of %s: %w", v.Kind, v.Owner, err)
			}
			if out == nil {
				count.Skipped++
				continue
			}
			q := `UPDATE users SET ssn_sealed = ? WHERE id = ?`
			switch v.Kind {
			case "owner_ssn":
				q = `UPDATE business_owners SET ssn_sealed = ? WHERE id = ?`
			case "hmac_secret":
				q = `UPDATE programs SET hmac_secret = ? WHERE id = ?`
			case "webhook_secret":
				q = `UPDATE webhook_secrets SET secret_sealed = ? WHERE id = ?`
			}
			if _, err := tx.ExecContext(ctx, s.q(q), out, v.Owner); err != nil {
				return err
			}
			count.Resealed++
		}
		if newSandboxKey != nil {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE sandbox_master_key SET key_base64 = ?, created_at = ? WHERE id = 1`),
				base64.StdEncoding.EncodeToString(newSandboxKey), nowMillis())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errors.New("no sandbox key row to replace")
			}
		}
		return nil
	})
	return count, err
}

// StoredSandboxKey returns the sandbox key kept in the database (PostgreSQL
// sandboxes), or nil when there is none. Unlike SandboxKey it never creates
// one.
func (s *Store) StoredSandboxKey(ctx context.Context) ([]byte, error) {
	var stored string
	err := s.db.QueryRowContext(ctx, `SELECT key_base64 FROM sandbox_master_key WHERE id = 1`).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.translate(err)
	}
	key, err := base64.StdEncoding.DecodeString(stored)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("sandbox master key in the database is malformed")
	}
	return key, nil
}
