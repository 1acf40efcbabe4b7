package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/ingot-dev/ingot/internal/banking"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/vault"
)

// keysRotate is "ingot keys rotate": it re-encrypts every sealed value (SSNs,
// HMAC secrets) from the current master key to a new one in one database
// transaction. A value already sealed under the new key is left as it is, so
// running the command again after an interruption is safe.
//
// The current key is found as "program create" finds it: --master-key-file,
// else INGOT_MASTER_KEY, else the sandbox key (the file next to a SQLite
// database, or the row in a PostgreSQL one). A sandbox key is replaced by the
// new one: on PostgreSQL in the same transaction; next to a SQLite file,
// atomically (temporary file, fsync, rename) right after the commit.
func (e cliEnv) keysRotate(args []string) error {
	fs := e.newFlagSet("keys rotate", `usage: ingot keys rotate [--db DSN] [--master-key-file PATH] --new-key-file PATH

Re-encrypt every sealed value (SSNs, HMAC secrets) from the current master key to
a new one, in one transaction. Stop the servers first and restart them with the
new key.
`)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = keySandboxUsage
	newKeyFile := fs.String("new-key-file", e.getenv("INGOT_NEW_MASTER_KEY_FILE"),
		"file holding the new master key, 32 bytes raw or base64 (env INGOT_NEW_MASTER_KEY_FILE; or INGOT_NEW_MASTER_KEY, base64)")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("keys rotate: unexpected argument %q", fs.Arg(0))}
	}
	newEnv := e.getenv("INGOT_NEW_MASTER_KEY")
	if *newKeyFile == "" && newEnv == "" {
		return usageError{"keys rotate: --new-key-file (or INGOT_NEW_MASTER_KEY) is required"}
	}
	newKey, _, err := vault.Load(vault.KeySource{File: *newKeyFile, Env: newEnv})
	if err != nil {
		return fmt.Errorf("keys rotate: new key: %w", err)
	}
	newSealer, err := vault.New(newKey)
	if err != nil {
		return fmt.Errorf("keys rotate: new key: %w", err)
	}

	if err := existingDB(f.db); err != nil {
		return fmt.Errorf("keys rotate: %w", err)
	}
	st, err := e.openStore(f, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	oldKey, sandboxFile, sandboxDB, err := e.currentKey(f, st)
	if err != nil {
		return fmt.Errorf("keys rotate: %w", err)
	}
	oldSealer, err := vault.New(oldKey)
	if err != nil {
		return fmt.Errorf("keys rotate: %w", err)
	}
	if oldSealer.KeyID() == newSealer.KeyID() {
		return fmt.Errorf("keys rotate: the new key is the current key (%s)", oldSealer.KeyID())
	}

	var newSandboxRow []byte
	if sandboxDB {
		newSandboxRow = newKey
	}
	n, err := st.Reseal(e.ctx, func(v store.SealedValue) ([]byte, error) {
		if sealedKeyID(v.Sealed) == newSealer.KeyID() {
			// Already rotated (an earlier run): it must open with the new key.
			if _, err := newSealer.Open(v.Sealed, v.AAD); err != nil {
				return nil, err
			}
			return nil, nil
		}
		pt, err := oldSealer.Open(v.Sealed, v.AAD)
		if err != nil {
			return nil, err
		}
		out := newSealer.Seal(pt, v.AAD)
		clear(pt)
		return out, nil
	}, newSandboxRow)
	if err != nil {
		return fmt.Errorf("keys rotate: nothing changed: %w", err)
	}
	fmt.Fprintf(e.stdout, "re-sealed %d values from key %s to key %s (%d already under the new key)\n",
		n.Resealed, oldSealer.KeyID(), newSealer.KeyID(), n.Skipped)
	// Linked accounts' blind indexes derive from the key: recompute them
	// (from the numbers sealed under the new key). Running the command
	// again after an interruption finishes this too.
	if _, err := st.Reindex(e.ctx, func(v store.SealedValue, routing string) (string, error) {
		pt, err := newSealer.Open(v.Sealed, v.AAD)
		if err != nil {
			return "", err
		}
		defer clear(pt)
		return newSealer.BlindIndex(banking.LinkedIndexPurpose, banking.LinkedIndexInput(routing, string(pt))), nil
	}); err != nil {
		return fmt.Errorf("keys rotate: the values are re-sealed but the linked accounts' indexes were not updated "+
			"(run the same command again to finish): %w", err)
	}
	switch {
	case sandboxFile != "":
		if err := replaceKeyFile(sandboxFile, newKey); err != nil {
			// Values already under the new key are skipped, so running the
			// same command again only writes the file.
			return fmt.Errorf("keys rotate: the database now uses key %s but the sandbox key file %s was not updated "+
				"(run the same command again to finish): %w", newSealer.KeyID(), sandboxFile, err)
		}
		fmt.Fprintf(e.stdout, "sandbox key file %s now holds the new key\n", sandboxFile)
	case sandboxDB:
		fmt.Fprintln(e.stdout, "the sandbox key in the database is now the new key")
	default:
		fmt.Fprintln(e.stdout, "start ingot with the new key (INGOT_MASTER_KEY or --master-key-file); the old one no longer opens these values")
	}
	return nil
}

// currentKey finds the master key in use, without ever creating a sandbox
// key: --master-key-file, INGOT_MASTER_KEY, the sandbox key file next to a
// SQLite database (sandboxFile is its path), or the sandbox row of a
// PostgreSQL one (sandboxDB).
func (e cliEnv) currentKey(f dbFlags, st *store.Store) (key []byte, sandboxFile string, sandboxDB bool, err error) {
	env := e.getenv("INGOT_MASTER_KEY")
	if f.masterKeyFile != "" || env != "" {
		key, _, err = vault.Load(vault.KeySource{File: f.masterKeyFile, Env: env})
		return key, "", false, err
	}
	if st.Path() != "" {
		p := st.Path() + ".key"
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return nil, "", false, vault.ErrNoKey
		}
		key, _, err = vault.Load(vault.KeySource{SandboxFile: p})
		if err == nil {
			fmt.Fprintf(e.stderr, "ingot: no master key set; rotating the sandbox key file %s\n", p)
		}
		return key, p, false, err
	}
	key, err = st.StoredSandboxKey(e.ctx)
	if err == nil && key == nil {
		err = vault.ErrNoKey
	}
	if err == nil {
		fmt.Fprintln(e.stderr, "ingot: no master key set; rotating the sandbox key kept in the database")
	}
	return key, "", err == nil, err
}

// sealedKeyID reads the key id from a sealed value's header (layout in
// internal/vault: version | len(keyID) | keyID | nonce | ciphertext).
func sealedKeyID(sealed []byte) string {
	if len(sealed) < 2 || len(sealed) < 2+int(sealed[1]) {
		return ""
	}
	return string(sealed[2 : 2+int(sealed[1])])
}

// replaceKeyFile atomically replaces a key file (mode 0600) with key: a
// reader sees the old file or the whole new one, never a partial one.
func replaceKeyFile(path string, key []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".ingot-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err := errors.Join(werr, f.Chmod(0o600), f.Sync(), f.Close()); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
