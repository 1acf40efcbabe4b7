package vault_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/vault"
)

// writeFile writes b to a new file in a test directory and returns its path.
func writeFile(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func b64(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

func TestLoadPrecedence(t *testing.T) {
	fileKey, envKey, sandboxKey := testKey(1), testKey(2), testKey(3)
	file := writeFile(t, fileKey)
	sandbox := writeFile(t, []byte(b64(sandboxKey)+"\n"))
	for _, tc := range []struct {
		name     string
		src      vault.KeySource
		wantKey  []byte
		wantFrom vault.Origin
	}{
		{"all three", vault.KeySource{File: file, Env: b64(envKey), SandboxFile: sandbox}, fileKey, vault.FromFile},
		{"file and env", vault.KeySource{File: file, Env: b64(envKey)}, fileKey, vault.FromFile},
		{"file only", vault.KeySource{File: file}, fileKey, vault.FromFile},
		{"env and sandbox", vault.KeySource{Env: b64(envKey), SandboxFile: sandbox}, envKey, vault.FromEnv},
		{"env only", vault.KeySource{Env: b64(envKey)}, envKey, vault.FromEnv},
		{"sandbox only", vault.KeySource{SandboxFile: sandbox}, sandboxKey, vault.FromSandboxFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, from, err := vault.Load(tc.src)
			if err != nil {
				t.Fatalf("Load error = %v, want nil", err)
			}
			if !bytes.Equal(key, tc.wantKey) || from != tc.wantFrom {
				t.Errorf("Load = %x, %q, want %x, %q", key, from, tc.wantKey, tc.wantFrom)
			}
		})
	}
}

func TestLoadNoKey(t *testing.T) {
	key, from, err := vault.Load(vault.KeySource{})
	if !errors.Is(err, vault.ErrNoKey) || key != nil || from != "" {
		t.Errorf("Load(empty) = %x, %q, %v, want nil, \"\", ErrNoKey", key, from, err)
	}
	// The message tells the operator what to set.
	for _, hint := range []string{"INGOT_MASTER_KEY", "--master-key-file"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("ErrNoKey = %q, want it to mention %s", err, hint)
		}
	}
}

func TestLoadFileFormats(t *testing.T) {
	key := testKey(9)
	for _, tc := range []struct {
		name    string
		content []byte
		ok      bool
	}{
		{"raw 32 bytes", key, true},
		{"base64", []byte(b64(key)), true},
		{"base64 and newline", []byte(b64(key) + "\n"), true},
		{"base64 in white space", []byte("  " + b64(key) + "\r\n\n"), true},
		{"raw 31 bytes", key[:31], false},
		{"raw 33 bytes", append(bytes.Clone(key), 'x'), false},
		{"bad base64", []byte("not base64 at all!!"), false},
		{"base64 with a wrong character", []byte(strings.Replace(b64(key), b64(key)[:1], "*", 1)), false},
		{"base64 of 16 bytes", []byte(b64(key[:16])), false},
		{"base64 of 33 bytes", []byte(b64(append(bytes.Clone(key), 0))), false},
		{"url base64", []byte(base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))), false},
		{"empty", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, from, err := vault.Load(vault.KeySource{File: writeFile(t, tc.content), Env: b64(testKey(2))})
			if !tc.ok {
				if err == nil {
					t.Fatalf("Load(file %q) = %x, %q, want an error (and no fallback to env)", tc.content, got, from)
				}
				if strings.Contains(err.Error(), b64(key)) {
					t.Errorf("error %q reveals the key", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load error = %v, want nil", err)
			}
			if !bytes.Equal(got, key) || from != vault.FromFile {
				t.Errorf("Load = %x, %q, want %x, %q", got, from, key, vault.FromFile)
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "absent.key")
	_, _, err := vault.Load(vault.KeySource{File: p, Env: b64(testKey(2))})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing file) error = %v, want one wrapping fs.ErrNotExist", err)
	}
}

func TestLoadEnv(t *testing.T) {
	key := testKey(4)
	for _, tc := range []struct {
		name string
		env  string
		ok   bool
	}{
		{"base64", b64(key), true},
		{"base64 in white space", " " + b64(key) + "\n", true},
		{"bad base64", "%%%not-base64%%%", false},
		{"base64 of 31 bytes", b64(key[:31]), false},
		{"base64 of 64 bytes", b64(append(bytes.Clone(key), key...)), false},
		// Base64 of 24 bytes is 32 characters long. INGOT_MASTER_KEY is
		// base64 of 32 bytes: it must not be taken as 32 raw bytes.
		{"base64 of 24 bytes", b64(key[:24]), false},
		{"32 characters of text", strings.Repeat("k", 32), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, from, err := vault.Load(vault.KeySource{Env: tc.env, SandboxFile: filepath.Join(t.TempDir(), "sb.key")})
			if !tc.ok {
				if err == nil {
					t.Fatalf("Load(env %q) = %x, %q, want an error (and no fallback to the sandbox file)", tc.env, got, from)
				}
				if !strings.Contains(err.Error(), "INGOT_MASTER_KEY") {
					t.Errorf("error %q does not name INGOT_MASTER_KEY", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load error = %v, want nil", err)
			}
			if !bytes.Equal(got, key) || from != vault.FromEnv {
				t.Errorf("Load = %x, %q, want %x, %q", got, from, key, vault.FromEnv)
			}
		})
	}
}

func TestLoadSandboxCreatesAndReuses(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ingot.db.key")
	k1, from, err := vault.Load(vault.KeySource{SandboxFile: p})
	if err != nil || from != vault.FromSandboxFile {
		t.Fatalf("first Load = %q, %v, want %q, nil", from, err, vault.FromSandboxFile)
	}
	if len(k1) != vault.KeySize || bytes.Equal(k1, make([]byte, vault.KeySize)) {
		t.Fatalf("sandbox key = %x, want %d random bytes", k1, vault.KeySize)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatalf("sandbox key file: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("sandbox key file mode = %o, want 600", perm)
	}
	content, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if onDisk, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(content))); err != nil || !bytes.Equal(onDisk, k1) {
		t.Errorf("sandbox key file holds %q, want base64 of the returned key", content)
	}
	k2, from, err := vault.Load(vault.KeySource{SandboxFile: p})
	if err != nil || from != vault.FromSandboxFile || !bytes.Equal(k1, k2) {
		t.Errorf("second Load = %x, %q, %v, want the first key %x from the same file", k2, from, err, k1)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only the key file (no temporary files left)", names)
	}
	// Another sandbox file is another key.
	k3, _, err := vault.Load(vault.KeySource{SandboxFile: filepath.Join(dir, "other.db.key")})
	if err != nil || bytes.Equal(k3, k1) {
		t.Errorf("Load(other sandbox file) = %x, %v, want a new key", k3, err)
	}
}

func TestLoadSandboxExistingFile(t *testing.T) {
	key := testKey(5)
	for name, content := range map[string][]byte{"base64": []byte(b64(key) + "\n"), "raw": key} {
		p := writeFile(t, content)
		got, _, err := vault.Load(vault.KeySource{SandboxFile: p})
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("Load(%s sandbox file) = %x, %v, want %x", name, got, err, key)
		}
	}
	// A corrupt key file is an error, never silently replaced: that would
	// make every sealed value unreadable.
	p := writeFile(t, []byte("corrupt"))
	if _, _, err := vault.Load(vault.KeySource{SandboxFile: p}); err == nil {
		t.Error("Load(corrupt sandbox file) error = nil, want an error")
	}
	if b, _ := os.ReadFile(p); string(b) != "corrupt" {
		t.Errorf("corrupt sandbox file now holds %q, want it left alone", b)
	}
}

func TestLoadSandboxUnwritableDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no", "such", "dir", "ingot.db.key")
	if _, _, err := vault.Load(vault.KeySource{SandboxFile: p}); err == nil {
		t.Error("Load(sandbox file in a missing directory) error = nil, want an error")
	}
}

func TestLoadSandboxConcurrent(t *testing.T) {
	// Processes starting together must agree on one key: a loser of the
	// race that kept its own key would seal values nobody else can open.
	for round := 0; round < 20; round++ {
		p := filepath.Join(t.TempDir(), "ingot.db.key")
		const n = 8
		keys := make([][]byte, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				keys[i], _, errs[i] = vault.Load(vault.KeySource{SandboxFile: p})
			}()
		}
		close(start)
		wg.Wait()
		onDisk, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(onDisk)))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Fatalf("round %d: Load %d error = %v, want nil", round, i, errs[i])
			}
			if !bytes.Equal(keys[i], want) {
				t.Fatalf("round %d: Load %d = %x, want the key on disk %x", round, i, keys[i], want)
			}
		}
	}
}
