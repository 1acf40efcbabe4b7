package vault_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/vault"
)

// testKey returns a deterministic 32-byte key distinct for each seed.
func testKey(seed byte) []byte {
	k := make([]byte, vault.KeySize)
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

func newSealer(t *testing.T, seed byte) *vault.Sealer {
	t.Helper()
	s, err := vault.New(testKey(seed))
	if err != nil {
		t.Fatalf("New(key %d) error = %v, want nil", seed, err)
	}
	return s
}

// nonceOf returns the nonce of a sealed value: version | len | keyID | nonce.
func nonceOf(t *testing.T, sealed []byte) []byte {
	t.Helper()
	const nonceSize = 12 // AES-GCM standard nonce
	kl := int(sealed[1])
	return sealed[2+kl : 2+kl+nonceSize]
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := newSealer(t, 1)
	for _, tc := range []struct {
		name    string
		pt, aad []byte
	}{
		{"ssn", []byte("123456789"), []byte("user-1")},
		{"empty plaintext", []byte{}, []byte("user-1")},
		{"nil aad", []byte("secret"), nil},
		{"binary", bytes.Repeat([]byte{0, 0xff, 0x7f}, 1000), []byte{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sealed := s.Seal(tc.pt, tc.aad)
			if len(tc.pt) >= 4 && bytes.Contains(sealed, tc.pt) {
				t.Errorf("Seal output contains the plaintext")
			}
			got, err := s.Open(sealed, tc.aad)
			if err != nil {
				t.Fatalf("Open error = %v, want nil", err)
			}
			if !bytes.Equal(got, tc.pt) {
				t.Errorf("Open = %q, want %q", got, tc.pt)
			}
		})
	}
}

func TestOpenWithAnotherSealerOfTheSameKey(t *testing.T) {
	a, b := newSealer(t, 1), newSealer(t, 1)
	if a.KeyID() != b.KeyID() {
		t.Errorf("KeyID of the same key = %q and %q, want equal", a.KeyID(), b.KeyID())
	}
	got, err := b.Open(a.Seal([]byte("secret"), []byte("aad")), []byte("aad"))
	if err != nil || string(got) != "secret" {
		t.Errorf("Open = %q, %v, want %q, nil", got, err, "secret")
	}
}

func TestOpenWrongAAD(t *testing.T) {
	s := newSealer(t, 1)
	sealed := s.Seal([]byte("123456789"), []byte("user-1"))
	for _, aad := range [][]byte{[]byte("user-2"), []byte("user-1 "), nil, []byte("USER-1")} {
		pt, err := s.Open(sealed, aad)
		if !errors.Is(err, vault.ErrOpen) {
			t.Errorf("Open(aad %q) error = %v, want ErrOpen", aad, err)
		}
		if pt != nil {
			t.Errorf("Open(aad %q) = %q, want nil", aad, pt)
		}
	}
}

func TestOpenTampered(t *testing.T) {
	s := newSealer(t, 1)
	aad := []byte("user-1")
	sealed := s.Seal([]byte("123456789"), aad)
	// Every byte matters: header, key id, nonce, ciphertext and tag.
	for i := range sealed {
		for _, flip := range []byte{0x01, 0x80} {
			bad := bytes.Clone(sealed)
			bad[i] ^= flip
			pt, err := s.Open(bad, aad)
			if !errors.Is(err, vault.ErrOpen) || pt != nil {
				t.Errorf("Open with byte %d ^ %#x = %q, %v, want nil, ErrOpen", i, flip, pt, err)
			}
		}
	}
	for _, n := range []int{0, 1, 2, 10, len(sealed) - 1} {
		if _, err := s.Open(sealed[:n], aad); !errors.Is(err, vault.ErrOpen) {
			t.Errorf("Open(first %d bytes) error = %v, want ErrOpen", n, err)
		}
	}
	if _, err := s.Open(append(bytes.Clone(sealed), 0), aad); !errors.Is(err, vault.ErrOpen) {
		t.Errorf("Open(with a trailing byte) error = %v, want ErrOpen", err)
	}
}

func TestOpenOtherKey(t *testing.T) {
	a, b := newSealer(t, 1), newSealer(t, 2)
	if a.KeyID() == b.KeyID() {
		t.Fatalf("KeyID of two keys = %q, want different", a.KeyID())
	}
	sealed := a.Seal([]byte("123456789"), []byte("user-1"))
	pt, err := b.Open(sealed, []byte("user-1"))
	if !errors.Is(err, vault.ErrOpen) {
		t.Fatalf("Open with another key error = %v, want ErrOpen", err)
	}
	if pt != nil {
		t.Errorf("Open with another key = %q, want nil", pt)
	}
	// The message says which key sealed the value and which key is loaded,
	// so an operator can tell a key mismatch from a corrupt value.
	for _, id := range []string{a.KeyID(), b.KeyID()} {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("error %q does not mention key id %q", err, id)
		}
	}
	if strings.Contains(err.Error(), "123456789") {
		t.Errorf("error %q reveals the plaintext", err)
	}
}

func TestSealNoncesDiffer(t *testing.T) {
	s := newSealer(t, 1)
	pt, aad := []byte("123456789"), []byte("user-1")
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		sealed := s.Seal(pt, aad)
		n := string(nonceOf(t, sealed))
		if seen[n] {
			t.Fatalf("seal %d reused nonce %x", i, n)
		}
		seen[n] = true
	}
	a, b := s.Seal(pt, aad), s.Seal(pt, aad)
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are identical, want different ciphertexts")
	}
	if bytes.Equal(nonceOf(t, a), make([]byte, 12)) {
		t.Error("nonce is all zeros, want random")
	}
}

func TestSealLayout(t *testing.T) {
	s := newSealer(t, 1)
	sealed := s.Seal([]byte("x"), nil)
	if sealed[0] != 1 {
		t.Errorf("version byte = %d, want 1", sealed[0])
	}
	kl := int(sealed[1])
	if got := string(sealed[2 : 2+kl]); got != s.KeyID() {
		t.Errorf("embedded key id = %q, want %q", got, s.KeyID())
	}
	if want := 2 + kl + 12 + 1 + 16; len(sealed) != want {
		t.Errorf("len(sealed) = %d, want %d (header, nonce, 1 byte, tag)", len(sealed), want)
	}
}

func TestNewKeySizes(t *testing.T) {
	for _, n := range []int{0, 1, 16, 24, 31, 33, 64} {
		s, err := vault.New(make([]byte, n))
		if err == nil || s != nil {
			t.Errorf("New(%d-byte key) = %v, %v, want nil, error", n, s, err)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprint(n)) {
			t.Errorf("New(%d-byte key) error = %q, want it to give the size", n, err)
		}
	}
	if _, err := vault.New(make([]byte, 32)); err != nil {
		t.Errorf("New(32-byte key) error = %v, want nil", err)
	}
}

func TestKeyIDDoesNotRevealKey(t *testing.T) {
	key := testKey(7)
	s := newSealer(t, 7)
	if id := s.KeyID(); len(id) == 0 || strings.Contains(fmt.Sprintf("%x", key), id) {
		t.Errorf("KeyID = %q, want a non-empty id that is not part of the key", id)
	}
}

func TestSealerConcurrentUse(t *testing.T) {
	s := newSealer(t, 1)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				pt := []byte(fmt.Sprintf("secret-%d-%d", g, i))
				got, err := s.Open(s.Seal(pt, []byte("aad")), []byte("aad"))
				if err != nil || !bytes.Equal(got, pt) {
					errs <- fmt.Errorf("round trip of %q = %q, %v", pt, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
