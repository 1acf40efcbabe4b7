package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
)

// SandboxKey returns the sandbox master key kept in the database, creating it
// on first use. Processes starting together agree on one key: the insert
// does nothing when a key exists, and everyone reads the stored one.
func (s *Store) SandboxKey(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	var stored string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO sandbox_master_key (id, key_base64, created_at)
			VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`), base64.StdEncoding.EncodeToString(fresh), nowMillis()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT key_base64 FROM sandbox_master_key WHERE id = 1`).Scan(&stored)
	})
	if err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(stored)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("sandbox master key in the database is malformed")
	}
	return key, nil
}
