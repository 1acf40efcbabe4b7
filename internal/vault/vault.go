// Package vault seals secrets at rest (SSNs, HMAC secrets) with AES-256-GCM
// under a master key, and finds that key from the operator's configuration.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the master key length: AES-256.
const KeySize = 32

// version tags the sealed format so it can evolve without guessing.
const version = 1

// ErrOpen means a sealed value could not be decrypted: wrong key, wrong
// associated data, or a tampered value.
var ErrOpen = errors.New("vault: cannot open sealed value")

// Sealer encrypts and decrypts with one master key. It is safe for
// concurrent use.
type Sealer struct {
	keyID string
	aead  cipher.AEAD
	// indexKey keys BlindIndex; it is derived from the master key, never
	// the key itself.
	indexKey []byte
}

// New returns a Sealer for a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("vault: master key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key)
	ik := hmac.New(sha256.New, key)
	ik.Write([]byte("ingot blind index v1"))
	return &Sealer{keyID: hex.EncodeToString(sum[:4]), aead: aead, indexKey: ik.Sum(nil)}, nil
}

// KeyID names the key without revealing it, so sealed values record which key
// made them and keys can be rotated.
func (s *Sealer) KeyID() string { return s.keyID }

// Seal encrypts plaintext. aad binds the ciphertext to its context (such as the
// owning record's id) so a sealed value copied onto another row does not open.
// Layout: version | len(keyID) | keyID | nonce | ciphertext+tag.
func (s *Sealer) Seal(plaintext, aad []byte) []byte {
	ns := s.aead.NonceSize()
	out := make([]byte, 0, 2+len(s.keyID)+ns+len(plaintext)+s.aead.Overhead())
	out = append(out, version, byte(len(s.keyID)))
	out = append(out, s.keyID...)
	nonce := out[len(out) : len(out)+ns]
	if _, err := rand.Read(nonce); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	out = out[:len(out)+ns]
	return s.aead.Seal(out, nonce, plaintext, aad)
}

// Open decrypts a value made by Seal with the same key and aad.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 2 || sealed[0] != version {
		return nil, ErrOpen
	}
	kl := int(sealed[1])
	ns := s.aead.NonceSize()
	if len(sealed) < 2+kl+ns+s.aead.Overhead() {
		return nil, ErrOpen
	}
	if string(sealed[2:2+kl]) != s.keyID {
		return nil, fmt.Errorf("%w: sealed with key %q, have key %q", ErrOpen, sealed[2:2+kl], s.keyID)
	}
	nonce := sealed[2+kl : 2+kl+ns]
	pt, err := s.aead.Open(nil, nonce, sealed[2+kl+ns:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// BlindIndex is a keyed hash of data for purpose, hex-encoded: equal inputs
// give equal indexes under one master key, so a sealed value can be looked
// up (a linked account saved twice) without storing or comparing its
// plaintext, and without the key nobody can test a guess against it. Its
// key is derived from the master key and purpose (HMAC-SHA256 of the
// purpose), so an index of one kind never matches another's. Indexes change
// with the master key: `ingot keys rotate` recomputes them.
func (s *Sealer) BlindIndex(purpose string, data []byte) string {
	k := hmac.New(sha256.New, s.indexKey)
	k.Write([]byte(purpose))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil))
}
