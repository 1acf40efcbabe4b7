//go:build unix

package main

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
)

// linkedRow is a linked account as stored: its sealed number and its blind
// index.
type linkedRow struct {
	routing      string
	sealed       []byte
	index, last4 string
}

// linkedRows reads every linked account's stored number, by id.
func linkedRows(t *testing.T, dsn string) map[string]linkedRow {
	t.Helper()
	rows, err := openRaw(t, dsn).Query(`SELECT id, routing_number, account_number_sealed, account_number_index,
		account_number_last_4 FROM linked_accounts`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]linkedRow{}
	for rows.Next() {
		var id string
		var r linkedRow
		if err := rows.Scan(&id, &r.routing, &r.sealed, &r.index, &r.last4); err != nil {
			t.Fatal(err)
		}
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitAvailable waits until the available balance of business bid of user
// uid is want (the sandbox rail settles in the background).
func waitAvailable(t *testing.T, c *client, uid, bid any, want string) {
	t.Helper()
	deadline := time.Now().Add(kycTimeout)
	for {
		d := c.call("balance/user", map[string]any{"user_id": uid, "business_id": bid}).ok(t).data(t)
		if d["available_balance"] == want && d["pending_balance"] == "0.00" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("balance %v/%v after %v, want %s available and nothing pending", d["available_balance"],
				d["pending_balance"], kycTimeout, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBlackboxKeysRotateLinkedAccounts: "ingot keys rotate" with linked bank
// accounts present (a business's, a user's own, the program's) re-seals
// their numbers under the new key and recomputes their blind indexes; a
// server with the new key then finds each when it is saved again (the same
// id answers), tops up from and pays out to them, and no number is at rest
// in plain text before or after.
func TestBlackboxKeysRotateLinkedAccounts(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			k := newKeyRotation(t, dsn, "L")
			oldB64, newB64, oldEnv, newEnv, creds, srv, c := k.oldB64, k.newB64, k.oldEnv, k.newEnv, k.creds, k.srv, k.c
			uid := c.call("user/create", newUserBody("linked@example.com", "518-72-6789")).ok(t).user(t)["id"]
			c.call("user/send-verification-request", map[string]any{"user_id": uid}).ok(t)
			if st := waitKYC(t, c, uid); st != "verified" {
				t.Fatalf("kyc = %s", st)
			}
			b := &bank{t: t}
			bid := b.verifiedBusiness(c, uid.(string), "12-3456789")
			rba := c.call("business/routable-bank-accounts/issue", map[string]any{"user_id": uid, "business_id": bid}).ok(t).items(t)[0]["id"]

			// The business's, the user's own, the program's.
			numbers := []string{"918273645501", "827364519", "736451928374"}
			saves := []map[string]any{
				{"user_id": uid, "business_id": bid, "first_name": "Grace", "last_name": "Hopper",
					"account_number": numbers[0], "routing_number": "021000021"},
				{"user_id": uid, "first_name": "Grace", "last_name": "Hopper", "account_number": numbers[1],
					"routing_number": "011000015"},
				{"first_name": "Program", "last_name": "Treasury", "account_number": numbers[2], "routing_number": "021000021"},
			}
			save := func(i int, key string) string {
				t.Helper()
				body := map[string]any{"idempotent_key": key}
				for k, v := range saves[i] {
					body[k] = v
				}
				path := "users/bank-accounts/save"
				if i == 2 {
					path = "program/bank-accounts/save"
				}
				return c.call(path, body).ok(t).items(t)[0]["id"].(string)
			}
			ids := []string{save(0, "l0"), save(1, "l1"), save(2, "l2")}
			c.call("user/charge-bank-account-fund-business-routable-bank-account", map[string]any{"user_id": uid,
				"amount": "25.00", "account_id": ids[0], "receiver_business_id": bid, "routable_bank_account_id": rba,
				"idempotent_key": "top-before"}).ok(t)
			waitAvailable(t, c, uid, bid, "25.00")
			srv.stop(syscall.SIGTERM)
			before := linkedRows(t, dsn)
			if len(before) != 3 {
				t.Fatalf("%d linked accounts stored, want 3", len(before))
			}

			// The program's secret, the user's SSN, the owner's SSN and the
			// three numbers.
			newFile := writeKeyFile(t, newB64)
			r := runCLI(t, oldEnv, "keys", "rotate", "--db", dsn, "--new-key-file", newFile)
			if r.code != 0 || !strings.Contains(r.stdout, "re-sealed 6 values") {
				t.Fatalf("keys rotate: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}

			oldS, _ := vault.New(decodeKeyB64(t, oldB64))
			newS, _ := vault.New(decodeKeyB64(t, newB64))
			after := linkedRows(t, dsn)
			for i, id := range ids {
				was, now := before[id], after[id]
				aad := banking.LinkedAccountAAD(banking.LinkedAccountID(id))
				if bytes.Equal(was.sealed, now.sealed) {
					t.Errorf("linked account %s: its number was not re-sealed", id)
				}
				if _, err := oldS.Open(now.sealed, aad); err == nil {
					t.Errorf("linked account %s: the old key still opens its number", id)
				}
				pt, err := newS.Open(now.sealed, aad)
				if err != nil || string(pt) != numbers[i] {
					t.Errorf("linked account %s: the new key opens %q, %v; want %s", id, pt, err, numbers[i])
				}
				wantIndex := newS.BlindIndex(banking.LinkedIndexPurpose, banking.LinkedIndexInput(now.routing, numbers[i]))
				if now.index != wantIndex || now.index == was.index {
					t.Errorf("linked account %s: index %s (before %s), want %s under the new key", id, now.index, was.index, wantIndex)
				}
				if now.last4 != numbers[i][len(numbers[i])-4:] {
					t.Errorf("linked account %s: last 4 %s", id, now.last4)
				}
			}

			srv = startServe(t, newEnv, false, "--sandbox", "--db", dsn)
			c = newClient(t, srv, creds)
			// Saving each again answers the existing account: the blind
			// index under the new key finds it.
			for i, id := range ids {
				if got := save(i, "again-"+id); got != id {
					t.Errorf("saving %s again answered %s, want the existing %s", numbers[i][len(numbers[i])-4:], got, id)
				}
			}
			if n := len(c.call("users/bank-accounts/get-all", map[string]any{"user_id": uid}).ok(t).items(t)); n != 2 {
				t.Errorf("the user has %d linked accounts, want 2", n)
			}
			// Money still moves to and from them.
			c.call("user/charge-bank-account-fund-business-routable-bank-account", map[string]any{"user_id": uid,
				"amount": "10.00", "account_id": ids[0], "receiver_business_id": bid, "routable_bank_account_id": rba,
				"idempotent_key": "top-after"}).ok(t)
			waitAvailable(t, c, uid, bid, "35.00")
			for i, to := range ids[:2] {
				c.call("payout/business/routable-bank-account-to-linked-bank-account", map[string]any{"user_id": uid,
					"business_id": bid, "amount": "5.00", "source_account_id": rba, "destination_account_id": to,
					"idempotent_key": "pay-" + to}).ok(t)
				waitAvailable(t, c, uid, bid, []string{"30.00", "25.00"}[i])
			}

			needles := map[string][]byte{}
			for _, n := range numbers {
				needles["account number "+n] = []byte(n)
			}
			if strings.HasPrefix(dsn, "postgres") {
				if n := scanPostgres(t, dsn, needles); n < 10 {
					t.Fatalf("scanned only %d rows", n)
				}
			} else if seen := scanSQLiteFiles(t, dsn, needles); len(seen) < 2 {
				t.Fatalf("expected the database and its WAL, found %v", seen)
			}
			srv.stop(syscall.SIGTERM)
			if !strings.HasPrefix(dsn, "postgres") {
				scanSQLiteFiles(t, dsn, needles)
			}
			findNeedles(t, "keys rotate's output", []byte(r.stdout+r.stderr), needles)
			findNeedles(t, "serve's stdout", []byte(srv.stdout.String()), needles)
			findNeedles(t, "serve's stderr", []byte(srv.stderr.String()), needles)
		})
	}
}
