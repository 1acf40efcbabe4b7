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
	// (business_owners.ssn_sealed), "hmac_secret" (programs.hmac_secret),
	// "retired_hmac_secret" (retired_credentials.hmac_secret),
	// "webhook_secret" (webhook_secrets.secret_sealed) or "bank_account"
	// (linked_accounts.account_number_sealed).
	Kind string
	// Owner is the row's id: a user, business owner, program or webhook
	// secret id, or a retired credential's HMAC username.
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
// for an HMAC secret (current or retired), "webhook-secret:"+id for a
// webhook signing secret.
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
			if _, err := tx.ExecContext(ctx, `LOCK TABLE programs, users, business_owners, retired_credentials, webhook_secrets, linked_accounts IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		var vals []SealedValue
		for _, src := range sealedSources {
			rows, err := tx.QueryContext(ctx, src.query)
			if err != nil {
				return err
			}
			for rows.Next() {
				v := SealedValue{Kind: src.kind}
				var aad string
				if err := rows.Scan(&v.Owner, &aad, &v.Sealed); err != nil {
					rows.Close()
					return err
				}
				v.AAD = []byte(aad)
				vals = append(vals, v)
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
			if _, err := tx.ExecContext(ctx, s.q(sealedUpdate[v.Kind]), out, v.Owner); err != nil {
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

// sealedSources lists every sealed value at rest: each query answers the
// owner, the associated data the value was sealed under, and the value.
var sealedSources = []struct{ kind, query string }{
	{"hmac_secret", `SELECT id, hmac_username, hmac_secret FROM programs ORDER BY id`},
	{"retired_hmac_secret", `SELECT hmac_username, hmac_username, hmac_secret FROM retired_credentials ORDER BY hmac_username`},
	{"ssn", `SELECT id, 'ssn:' || id, ssn_sealed FROM users WHERE ssn_sealed IS NOT NULL ORDER BY id`},
	{"owner_ssn", `SELECT id, 'ssn:' || id, ssn_sealed FROM business_owners WHERE ssn_sealed IS NOT NULL ORDER BY id`},
	{"webhook_secret", `SELECT id, 'webhook-secret:' || id, secret_sealed FROM webhook_secrets WHERE secret_sealed IS NOT NULL ORDER BY id`},
	{"bank_account", `SELECT id, 'bank-account:' || id, account_number_sealed FROM linked_accounts ORDER BY id`},
}

// sealedUpdate writes a resealed value back, by kind.
var sealedUpdate = map[string]string{
	"hmac_secret":         `UPDATE programs SET hmac_secret = ? WHERE id = ?`,
	"retired_hmac_secret": `UPDATE retired_credentials SET hmac_secret = ? WHERE hmac_username = ?`,
	"ssn":                 `UPDATE users SET ssn_sealed = ? WHERE id = ?`,
	"owner_ssn":           `UPDATE business_owners SET ssn_sealed = ? WHERE id = ?`,
	"webhook_secret":      `UPDATE webhook_secrets SET secret_sealed = ? WHERE id = ?`,
	"bank_account":        `UPDATE linked_accounts SET account_number_sealed = ? WHERE id = ?`,
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

// Reindex recomputes every linked account's blind index
// (account_number_index) after a key rotation, in one transaction: index
// answers a value's new index from its sealed number (under the new key)
// and its routing number.
// It answers how many changed; running it again changes nothing.
func (s *Store) Reindex(ctx context.Context, index func(v SealedValue, routing string) (string, error)) (int, error) {
	defer s.timed("reindex", time.Now())
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT id, account_number_sealed, account_number_index, routing_number FROM linked_accounts ORDER BY id`)
		if err != nil {
			return err
		}
		type row struct {
			v            SealedValue
			old, routing string
		}
		var all []row
		for rows.Next() {
			r := row{v: SealedValue{Kind: "bank_account"}}
			if err := rows.Scan(&r.v.Owner, &r.v.Sealed, &r.old, &r.routing); err != nil {
				rows.Close()
				return err
			}
			r.v.AAD = []byte("bank-account:" + r.v.Owner)
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range all {
			idx, err := index(r.v, r.routing)
			if err != nil {
				return fmt.Errorf("bank account %s: %w", r.v.Owner, err)
			}
			if idx == r.old {
				continue
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE linked_accounts SET account_number_index = ? WHERE id = ?`), idx, r.v.Owner); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
