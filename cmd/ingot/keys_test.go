//go:build unix

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
)

// secretNeedles are the plain-text forms that must never be at rest: each
// SSN with and without dashes, each API key, each HMAC secret (as the hex
// text handed out and as the bytes it encodes).
func secretNeedles(t *testing.T, ssns []string, creds ...credentials) map[string][]byte {
	t.Helper()
	n := map[string][]byte{}
	for _, s := range ssns {
		n["ssn "+s] = []byte(s)
		n["ssn "+strings.ReplaceAll(s, "-", "")] = []byte(strings.ReplaceAll(s, "-", ""))
	}
	for _, c := range creds {
		n["api_key of "+c.Name] = []byte(c.APIKey)
		n["hmac_secret of "+c.Name] = []byte(c.HMACSecret)
		raw, err := hex.DecodeString(c.HMACSecret)
		if err != nil {
			t.Fatalf("hmac_secret %q is not hex: %v", c.HMACSecret, err)
		}
		n["hmac_secret bytes of "+c.Name] = raw
	}
	return n
}

func findNeedles(t *testing.T, where string, hay []byte, needles map[string][]byte) {
	t.Helper()
	for name, nd := range needles {
		if bytes.Contains(hay, nd) {
			t.Errorf("%s holds %s in plain text", where, name)
		}
	}
}

// scanSQLiteFiles reads the database, its WAL and shared-memory files byte
// by byte. It returns which of them existed.
func scanSQLiteFiles(t *testing.T, db string, needles map[string][]byte) []string {
	t.Helper()
	var seen []string
	for _, p := range []string{db, db + "-wal", db + "-shm", db + "-journal"} {
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, filepath.Base(p))
		findNeedles(t, p, b, needles)
	}
	return seen
}

// scanPostgres reads every column of every row of every table, as the
// driver hands it over (text as text, bytea as its raw bytes, numbers as
// their decimal text), and searches it.
func scanPostgres(t *testing.T, dsn string, needles map[string][]byte) (rowsSeen int) {
	t.Helper()
	raw := openRaw(t, dsn)
	var tables []string
	rows, err := raw.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, tbl := range tables {
		rows, err := raw.Query(`SELECT * FROM "` + tbl + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			rowsSeen++
			for i, v := range vals {
				var b []byte
				switch v := v.(type) {
				case nil:
				case []byte:
					b = v
				case string:
					b = []byte(v)
				default:
					b = []byte(fmt.Sprint(v))
				}
				findNeedles(t, fmt.Sprintf("postgres %s.%s", tbl, cols[i]), b, needles)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	// Also the row as PostgreSQL's own text rendering (bytea in hex there,
	// so this catches text columns once more, in their canonical form).
	for _, tbl := range tables {
		rows, err := raw.Query(`SELECT CAST(t AS text) FROM "` + tbl + `" t`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			findNeedles(t, "postgres "+tbl+" as text", []byte(s), needles)
		}
		rows.Close()
	}
	return rowsSeen
}

// TestBlackboxSecretsAtRest runs real traffic (programs, users with SSNs, an
// SSN change, a KYC check, blocks, business owners with SSNs and a KYB
// check, linked bank accounts and a top-up) and then searches everything the
// database keeps: no full SSN, API key, HMAC secret or linked account number
// may appear in plain text, nor in what the server logged.
func TestBlackboxSecretsAtRest(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv("INGOT_MASTER_KEY=" + randomMasterKey(t))
			credsA := createProgram(t, env, "A", "--db", dsn)
			credsB := createProgram(t, env, "B", "--db", dsn)
			ssns := []string{"731-58-2946", "604-19-3387", "518-72-6789", "402-66-1945"}
			srv := startServe(t, env, false, "--sandbox", "--db", dsn)
			a, b := newClient(t, srv, credsA), newClient(t, srv, credsB)
			id0 := a.call("user/create", newUserBody("a0@example.com", ssns[0])).ok(t).user(t)["id"]
			a.call("user/create", newUserBody("a1@example.com", ssns[1])).ok(t)
			id2 := b.call("user/create", newUserBody("b2@example.com", ssns[2])).ok(t).user(t)["id"]
			// An SSN change (the old value is opened to compare) and a KYC
			// check (the provider gets the SSN).
			a.call("user/update", map[string]any{"user_id": id0, "ssn": ssns[3]}).ok(t)
			b.call("user/send-verification-request", map[string]any{"user_id": id2}).ok(t)
			waitKYC(t, b, id2)
			a.call("user/block", map[string]any{"user_id": id0, "reason": "check"}).ok(t)
			// Business owners' SSNs are sealed like users': added, then sent
			// to KYB (the provider gets them in clear).
			ownerSSNs := []string{"611-22-4471", "722-33-5582"}
			bid := b.call("business/create", map[string]any{"user_id": id2, "business_name": "Sealed LLC",
				"ein": "12-3456789", "business_type": "llc", "business_address": "1 Market St", "city": "San Francisco",
				"state": "CA", "zipcode": "94105", "country": "US", "email": "ops@sealed.example",
				"phone_number": "+14155550100"}).ok(t).items(t)[0]["id"]
			for i, ssn := range ownerSSNs {
				b.call("business/add-business-owner", map[string]any{"user_id": id2, "business_id": bid,
					"name": "Owner " + string(rune('A'+i)), "email": "o@sealed.example", "address": "1 Way",
					"phone_number": "+14155550111", "ownership_percent": 50, "date_of_birth": "1970-01-01", "ssn": ssn}).ok(t)
			}
			b.call("business/send-verification-request", map[string]any{"user_id": id2, "business_id": bid}).ok(t)
			for deadline := time.Now().Add(kycTimeout); ; time.Sleep(20 * time.Millisecond) {
				kyb := b.call("business/get", map[string]any{"user_id": id2, "business_id": bid}).ok(t).items(t)[0]["kyb_status"]
				if kyb == "verified" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("kyb_status %v after %v", kyb, kycTimeout)
				}
			}
			ssns = append(ssns, ownerSSNs...)
			// Linked bank accounts' full numbers are sealed like SSNs: a
			// business's, a user's own, the program's; one saved twice; one
			// used for a top-up (the rail reads its last four only).
			numbers := []string{"918273645501", "827364519", "736451928374"}
			linked := b.call("users/bank-accounts/save", map[string]any{"user_id": id2, "business_id": bid, "first_name": "Sealed",
				"last_name": "Owner", "account_number": numbers[0], "routing_number": "021000021", "idempotent_key": "l1"}).ok(t).items(t)[0]["id"]
			b.call("users/bank-accounts/save", map[string]any{"user_id": id2, "business_id": bid, "first_name": "Sealed",
				"last_name": "Owner", "account_number": numbers[0], "routing_number": "021000021", "idempotent_key": "l1-again"}).ok(t)
			b.call("users/bank-accounts/save", map[string]any{"user_id": id2, "first_name": "Sealed", "last_name": "Owner",
				"account_number": numbers[1], "routing_number": "011000015", "idempotent_key": "l2"}).ok(t)
			a.call("program/bank-accounts/save", map[string]any{"first_name": "Program", "last_name": "Treasury",
				"account_number": numbers[2], "routing_number": "021000021", "idempotent_key": "l3"}).ok(t)
			rba := b.call("business/routable-bank-accounts/issue", map[string]any{"user_id": id2, "business_id": bid}).ok(t).items(t)[0]["id"]
			b.call("user/charge-bank-account-fund-business-routable-bank-account", map[string]any{"user_id": id2, "amount": "12.34",
				"account_id": linked, "receiver_business_id": bid, "routable_bank_account_id": rba, "idempotent_key": "top"}).ok(t)

			needles := secretNeedles(t, ssns, credsA, credsB)
			for _, n := range numbers {
				needles["account number "+n] = []byte(n)
			}
			if strings.HasPrefix(dsn, "postgres") {
				if n := scanPostgres(t, dsn, needles); n < 10 {
					t.Fatalf("scanned only %d rows", n)
				}
			} else {
				// While the server runs: the WAL holds the recent writes.
				if seen := scanSQLiteFiles(t, dsn, needles); len(seen) < 2 {
					t.Fatalf("expected the database and its WAL, found %v", seen)
				}
			}
			srv.stop(syscall.SIGTERM)
			if !strings.HasPrefix(dsn, "postgres") {
				scanSQLiteFiles(t, dsn, needles)
			}
			// Nor in what the server logged.
			findNeedles(t, "serve's stdout", []byte(srv.stdout.String()), needles)
			findNeedles(t, "serve's stderr", []byte(srv.stderr.String()), needles)
		})
	}
}

// waitKYC waits for the sandbox provider's decision on a user.
func waitKYC(t *testing.T, c *client, id any) string {
	t.Helper()
	deadline := time.Now().Add(kycTimeout)
	for {
		st, _ := c.call("user/get", map[string]any{"user_id": id}).ok(t).user(t)["kyc_status"].(string)
		if st != "pending" {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("kyc_status still pending after %v", kycTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeKeyFile(t *testing.T, b64 string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "new.key")
	if err := os.WriteFile(p, []byte(b64+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeKeyB64(t *testing.T, s string) []byte {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sealedSSNs reads every user's sealed SSN.
func sealedSSNs(t *testing.T, dsn string) map[string][]byte {
	t.Helper()
	rows, err := openRaw(t, dsn).Query(`SELECT id, ssn_sealed FROM users WHERE ssn_sealed IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var id string
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			t.Fatal(err)
		}
		out[id] = b
	}
	return out
}

// TestBlackboxKeysRotate: after "ingot keys rotate", a server started with
// the new key serves the old users (their HMAC secret verifies signatures,
// their SSNs open for KYC and updates), the old key no longer opens any
// value, and running the rotation again changes nothing.
func TestBlackboxKeysRotate(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			k := newKeyRotation(t, dsn, "P")
			oldB64, newB64, oldEnv, newEnv, creds, srv, c := k.oldB64, k.newB64, k.oldEnv, k.newEnv, k.creds, k.srv, k.c
			id1 := c.call("user/create", newUserBody("one@example.com", "111-22-3333")).ok(t).user(t)["id"]
			id2 := c.call("user/create", newUserBody("two@example.com", "123-45-6789")).ok(t).user(t)["id"]
			srv.stop(syscall.SIGTERM)

			// A wrong current key changes nothing.
			newFile := writeKeyFile(t, newB64)
			r := runCLI(t, childEnv("INGOT_MASTER_KEY="+randomMasterKey(t)), "keys", "rotate", "--db", dsn, "--new-key-file", newFile)
			if r.code != 1 || !strings.Contains(r.stderr, "nothing changed") {
				t.Fatalf("rotate with a wrong key: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}

			r = runCLI(t, oldEnv, "keys", "rotate", "--db", dsn, "--new-key-file", newFile)
			if r.code != 0 || !strings.Contains(r.stdout, "re-sealed 3 values") {
				t.Fatalf("keys rotate: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			// Again (as after an interruption): everything is already done.
			r = runCLI(t, oldEnv, "keys", "rotate", "--db", dsn, "--new-key-file", newFile)
			if r.code != 0 || !strings.Contains(r.stdout, "re-sealed 0 values") || !strings.Contains(r.stdout, "3 already") {
				t.Fatalf("second keys rotate: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}

			// The old key opens nothing; the new one opens every SSN.
			oldS, _ := vault.New(decodeKeyB64(t, oldB64))
			newS, _ := vault.New(decodeKeyB64(t, newB64))
			sealed := sealedSSNs(t, dsn)
			if len(sealed) != 2 {
				t.Fatalf("sealed SSNs = %d, want 2", len(sealed))
			}
			for id, b := range sealed {
				if _, err := oldS.Open(b, []byte("ssn:"+id)); err == nil {
					t.Errorf("the old key still opens the SSN of %s", id)
				}
				if _, err := newS.Open(b, []byte("ssn:"+id)); err != nil {
					t.Errorf("the new key does not open the SSN of %s: %v", id, err)
				}
			}
			r = runCLI(t, oldEnv, "serve", "--db", dsn, "--addr", "127.0.0.1:"+freePort(t))
			if r.code == 0 || !strings.Contains(r.stderr, "cannot open program") {
				t.Fatalf("serve with the old key: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}

			// The new key serves the old users.
			srv = startServe(t, newEnv, false, "--sandbox", "--db", dsn)
			c = newClient(t, srv, creds)
			if u := c.call("user/get", map[string]any{"user_id": id1}).ok(t).user(t); u["ssn_last_4"] != "3333" {
				t.Fatalf("user/get after rotation = %v", u)
			}
			// Re-sending the current SSN opens it to compare: not a change.
			c.call("user/update", map[string]any{"user_id": id1, "ssn": "111-22-3333"}).ok(t)
			// KYC opens the SSN for the provider (ending 6789: verified).
			c.call("user/send-verification-request", map[string]any{"user_id": id2}).ok(t)
			if st := waitKYC(t, c, id2); st != "verified" {
				t.Fatalf("kyc after rotation = %s, want verified", st)
			}
			srv.stop(syscall.SIGTERM)
		})
	}
}

// TestBlackboxKeysRotateSandbox: with no key configured, rotation replaces
// the sandbox key (the file next to a SQLite database, or the row in a
// PostgreSQL one) and "serve --sandbox" goes on working with it.
func TestBlackboxKeysRotateSandbox(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv()
			creds := createProgram(t, env, "S", "--db", dsn)
			srv := startServe(t, env, false, "--sandbox", "--db", dsn)
			c := newClient(t, srv, creds)
			id := c.call("user/create", newUserBody("s@example.com", "222-33-4444")).ok(t).user(t)["id"]
			srv.stop(syscall.SIGTERM)

			newB64 := randomMasterKey(t)
			r := runCLI(t, childEnv("INGOT_NEW_MASTER_KEY="+newB64), "keys", "rotate", "--db", dsn)
			if r.code != 0 || !strings.Contains(r.stdout, "re-sealed 2 values") || !strings.Contains(r.stderr, "sandbox key") {
				t.Fatalf("keys rotate: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			var stored string
			if strings.HasPrefix(dsn, "postgres") {
				if err := openRaw(t, dsn).QueryRow(`SELECT key_base64 FROM sandbox_master_key`).Scan(&stored); err != nil {
					t.Fatal(err)
				}
			} else {
				checkKeyFile(t, dsn)
				b, err := os.ReadFile(dsn + ".key")
				if err != nil {
					t.Fatal(err)
				}
				stored = string(b)
			}
			if !bytes.Equal(decodeKeyB64(t, stored), decodeKeyB64(t, newB64)) {
				t.Fatalf("the sandbox key was not replaced by the new key")
			}
			srv = startServe(t, env, false, "--sandbox", "--db", dsn)
			c = newClient(t, srv, creds)
			c.call("user/update", map[string]any{"user_id": id, "ssn": "222-33-4444"}).ok(t)
			if resp := c.call("user/get", map[string]any{"user_id": id}); resp.status != http.StatusOK {
				t.Fatalf("user/get after rotation: %s", resp.body)
			}
			srv.stop(syscall.SIGTERM)
		})
	}
}

// TestBlackboxKeysAndAuditUsage covers the new commands' usage errors and
// refusals.
func TestBlackboxKeysAndAuditUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "u.db")
	env := childEnv()
	keyB64 := randomMasterKey(t)
	// keys rotate refuses a path with no database (docs/cli.md): make one.
	if r := runCLI(t, env, "migrate", "--db", db); r.code != 0 {
		t.Fatalf("migrate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		out  []string // substrings of stdout+stderr
	}{
		{"audit alone", env, []string{"audit"}, 2, []string{"ingot audit verify"}},
		{"audit other verb", env, []string{"audit", "fix"}, 2, []string{"ingot audit verify"}},
		{"audit verify extra argument", env, []string{"audit", "verify", "--db", db, "now"}, 2, []string{`unexpected argument "now"`}},
		{"audit verify --help", env, []string{"audit", "verify", "--help"}, 0, []string{"-db"}},
		{"keys alone", env, []string{"keys"}, 2, []string{"ingot keys rotate"}},
		{"keys rotate without a new key", env, []string{"keys", "rotate", "--db", db}, 2, []string{"--new-key-file"}},
		{"keys rotate --help", env, []string{"keys", "rotate", "--help"}, 0, []string{"-new-key-file", "-master-key-file", "-db"}},
		{"keys rotate bad new key", childEnv("INGOT_NEW_MASTER_KEY=short"), []string{"keys", "rotate", "--db", db}, 1, []string{"INGOT_MASTER_KEY"}},
		{"keys rotate with no current key", childEnv("INGOT_NEW_MASTER_KEY=" + keyB64), []string{"keys", "rotate", "--db", db}, 1, []string{"no master key"}},
		{"keys rotate to the same key", childEnv("INGOT_NEW_MASTER_KEY="+keyB64, "INGOT_MASTER_KEY="+keyB64), []string{"keys", "rotate", "--db", db}, 1, []string{"the new key is the current key"}},
		{"help lists them", env, []string{"help"}, 0, []string{"ingot audit verify", "ingot keys rotate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.env, tc.args...)
			all := r.stdout + r.stderr
			if r.code != tc.code {
				t.Fatalf("ingot %v: exit %d, want %d\n%s", tc.args, r.code, tc.code, all)
			}
			for _, s := range tc.out {
				if !strings.Contains(all, s) {
					t.Errorf("ingot %v output lacks %q:\n%s", tc.args, s, all)
				}
			}
		})
	}
	if fileExists(db + ".key") {
		t.Errorf("keys rotate created a sandbox key file")
	}
}

// keyRotation is the start of a key rotation test: two master keys, a
// program created and a sandbox server serving it under the old one.
type keyRotation struct {
	oldB64, newB64 string
	oldEnv, newEnv []string
	creds          credentials
	srv            *server
	c              *client
}

// newKeyRotation creates program name in dsn under a fresh old key and
// starts a sandbox server on it with a client of the program.
func newKeyRotation(t *testing.T, dsn, name string) keyRotation {
	t.Helper()
	k := keyRotation{oldB64: randomMasterKey(t), newB64: randomMasterKey(t)}
	k.oldEnv, k.newEnv = childEnv("INGOT_MASTER_KEY="+k.oldB64), childEnv("INGOT_MASTER_KEY="+k.newB64)
	k.creds = createProgram(t, k.oldEnv, name, "--db", dsn)
	k.srv = startServe(t, k.oldEnv, false, "--sandbox", "--db", dsn)
	k.c = newClient(t, k.srv, k.creds)
	return k
}
