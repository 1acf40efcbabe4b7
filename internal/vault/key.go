package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeySource says where the master key comes from, in order of precedence.
type KeySource struct {
	// File is --master-key-file: raw 32 bytes or their base64.
	File string
	// Env is the value of INGOT_MASTER_KEY: base64 of 32 bytes.
	Env string
	// SandboxFile, when set, is the key file next to a SQLite database, used
	// (and created when missing, mode 0600) only when File and Env are empty.
	SandboxFile string
}

// ErrNoKey means no master key was configured and no sandbox key is allowed.
var ErrNoKey = errors.New("no master key: set INGOT_MASTER_KEY (base64 of 32 bytes) or --master-key-file")

// Origin says which source a key came from.
type Origin string

// Key origins, in order of precedence.
const (
	FromFile        Origin = "file"
	FromEnv         Origin = "env"
	FromSandboxFile Origin = "sandbox-file"
)

// Load returns the master key and which source it came from.
func Load(src KeySource) (key []byte, from Origin, err error) {
	switch {
	case src.File != "":
		b, err := os.ReadFile(src.File)
		if err != nil {
			return nil, "", fmt.Errorf("master key file: %w", err)
		}
		k, err := decodeKey(b)
		if err != nil {
			return nil, "", fmt.Errorf("master key file %s: %w", src.File, err)
		}
		return k, FromFile, nil
	case src.Env != "":
		k, err := decodeBase64Key([]byte(src.Env))
		if err != nil {
			return nil, "", fmt.Errorf("INGOT_MASTER_KEY: %w", err)
		}
		return k, FromEnv, nil
	case src.SandboxFile != "":
		k, err := sandboxKey(src.SandboxFile)
		if err != nil {
			return nil, "", err
		}
		return k, FromSandboxFile, nil
	}
	return nil, "", ErrNoKey
}

// decodeKey accepts the raw 32 bytes or their standard base64 (surrounding
// white space ignored, so `openssl rand -base64 32 > key` works).
func decodeKey(b []byte) ([]byte, error) {
	if len(b) == KeySize {
		return b, nil
	}
	return decodeBase64Key(b)
}

// decodeBase64Key accepts only the standard base64 of 32 bytes. It is the one
// form of INGOT_MASTER_KEY: an environment value is text, so 32 characters
// (such as the base64 of 24 bytes) must not pass as a raw key.
func decodeBase64Key(b []byte) ([]byte, error) {
	t := bytes.TrimSpace(b)
	k, err := base64.StdEncoding.DecodeString(string(t))
	if err != nil || len(k) != KeySize {
		return nil, fmt.Errorf("must be base64 of %d bytes", KeySize)
	}
	return k, nil
}

// sandboxKey reads the key file, or creates it with a fresh random key. The
// key is written to a temporary file and hard-linked into place, so a process
// starting at the same time sees either no file or a whole one, and the loser
// of a race reads the winner's key.
func sandboxKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		return decodeKey(b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sandbox key: %w", err)
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".ingot-key-*")
	if err != nil {
		return nil, fmt.Errorf("sandbox key: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	if err := errors.Join(werr, f.Chmod(0o600), f.Sync(), f.Close()); err != nil {
		return nil, fmt.Errorf("sandbox key: %w", err)
	}
	if err := os.Link(f.Name(), path); errors.Is(err, fs.ErrExist) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("sandbox key: %w", err)
		}
		return decodeKey(b)
	} else if err != nil {
		return nil, fmt.Errorf("sandbox key: %w", err)
	}
	return k, nil
}
