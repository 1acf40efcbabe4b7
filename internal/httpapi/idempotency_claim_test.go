package httpapi_test

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Calls whose Work claims their idempotency key (mutationInWork): a fresh
// key costs no reservation of its own, and every answer is the same as
// under a reservation made first.

// storeOps is how many times the store ran op, read from /metrics.
func (e *env) storeOps(t *testing.T, op string) int {
	t.Helper()
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	prefix := `ingot_store_query_duration_seconds_count{op="` + op + `"} `
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("%s: %v", sc.Text(), err)
			}
			return n
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return 0
}

// transferFixture is a funded program master account and a verified user's
// account to move money between.
func transferFixture(t *testing.T, c *apiClient, funds string) (prog, user side) {
	t.Helper()
	mid, pid := c.master(t)
	uid := c.verifiedUser(t, "claim@example.com")
	uacct := c.issueUser(t, uid)["id"].(string)
	c.inbound(t, mid, funds)
	return side{"program", pid, mid}, side{"user", uid, uacct}
}

// keyedTransfers counts the ledger transactions made under key.
func keyedTransfers(t *testing.T, e *env, key string) int {
	t.Helper()
	var n int
	if err := e.store.DB().QueryRow(rebindFor(e, `SELECT count(*) FROM ledger_transactions WHERE idempotent_key = ?`), key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestClaimedKeyCostsNoReservation: a transfer or a block under a fresh key
// reserves nothing before its Work (the Work inserts the key with its
// answer); a replay, which its Work finds taken, reserves and answers the
// first answer byte for byte, writing nothing.
func TestClaimedKeyCostsNoReservation(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		prog, user := transferFixture(t, c, "100.00")
		uid := c.newUser(t, "blocked@example.com")
		for _, tc := range []struct {
			name, path string
			body       map[string]any
		}{
			{"transfer", transferPath, transferBody(prog, user, "1.00", "claim-transfer")},
			{"block", "user/block", keyed(map[string]any{"user_id": uid}, "claim-block")},
			{"unblock", "user/unblock", keyed(map[string]any{"user_id": uid}, "claim-unblock")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				reserves := e.storeOps(t, "idempotency_reserve")
				first := c.call(tc.path, tc.body).want(t, http.StatusOK, "")
				wantExecuted(t, first)
				if got := e.storeOps(t, "idempotency_reserve"); got != reserves {
					t.Errorf("reservations = %d after a fresh key, want %d: the key was reserved before the Work", got, reserves)
				}
				key := tc.body["idempotent_key"].(string)
				rec, err := e.store.Idempotency(t.Context(), banking.ProgramID(c.creds.ProgramID), key)
				if err != nil || rec.Status != http.StatusOK || !bytes.Equal(rec.Body, first.Body) {
					t.Fatalf("stored key = %d %s, %v; want the answer %s", rec.Status, rec.Body, err, first.Body)
				}
				e.waitJobs(t)
				before := e.ledgerRows(t)
				wantReplayOf(t, c.call(tc.path, tc.body), first)
				if after := e.ledgerRows(t); after != before {
					t.Errorf("the replay wrote rows: %+v, want %+v", after, before)
				}
			})
		}
		if n := keyedTransfers(t, e, "claim-transfer"); n != 1 {
			t.Errorf("transactions under the key = %d, want 1", n)
		}
		e.wantLedger(t)
	})
}

// TestClaimedKeyMismatch: a key claimed by one call and reused with another
// body or endpoint, either kind of call, gets 422 and writes nothing.
func TestClaimedKeyMismatch(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		prog, user := transferFixture(t, c, "100.00")
		uid := c.newUser(t, "mm@example.com")
		c.call(transferPath, transferBody(prog, user, "1.00", "mm-transfer")).want(t, http.StatusOK, "")
		c.call("user/update", keyed(map[string]any{"user_id": uid, "city": "Oakland"}, "mm-update")).want(t, http.StatusOK, "")
		e.waitJobs(t)
		for _, tc := range []struct {
			name, path string
			body       map[string]any
		}{
			{"other amount", transferPath, transferBody(prog, user, "2.00", "mm-transfer")},
			{"claimed by a transfer, reused by a block", "user/block", keyed(map[string]any{"user_id": uid}, "mm-transfer")},
			{"claimed by a transfer, reused by an update", "user/update", keyed(map[string]any{"user_id": uid, "city": "X"}, "mm-transfer")},
			{"reserved by an update, reused by a transfer", transferPath, transferBody(prog, user, "1.00", "mm-update")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.ledgerRows(t)
				r := c.call(tc.path, tc.body).wantError(t, http.StatusUnprocessableEntity, "idempotency_mismatch", "")
				wantExecuted(t, r)
				if after := e.ledgerRows(t); after != before {
					t.Errorf("a mismatch wrote rows: %+v, want %+v", after, before)
				}
			})
		}
		if n := keyedTransfers(t, e, "mm-transfer"); n != 1 {
			t.Errorf("transactions under the key = %d, want 1", n)
		}
	})
}

// TestClaimedKeyConcurrentDuplicates: concurrent transfers under one key,
// half of them with another amount, make exactly one transfer; every
// request of the winning body answers the one answer (or in flight), every
// other one idempotency_mismatch (or in flight).
func TestClaimedKeyConcurrentDuplicates(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		prog, user := transferFixture(t, c, "100.00")
		bodies := []map[string]any{transferBody(prog, user, "1.00", "dup"), transferBody(prog, user, "2.00", "dup")}
		answers := atOnce(t, 16, func(i int) (response, error) { return c.try(transferPath, bodies[i%2]) })
		winner, executed := -1, 0
		okBody := map[int][]byte{}
		for i, r := range answers {
			if r.Status != http.StatusOK {
				continue
			}
			if r.Header.Get(replayedHeader) == "" {
				executed++
			}
			if winner == -1 {
				winner = i % 2
			}
			if i%2 != winner {
				t.Errorf("both bodies answered 200: %s", r.Body)
			}
			if b, ok := okBody[i%2]; ok && !bytes.Equal(b, r.Body) {
				t.Errorf("answers differ:\n%s\n%s", b, r.Body)
			}
			okBody[i%2] = r.Body
		}
		if executed != 1 || winner == -1 {
			t.Fatalf("executed = %d, want 1", executed)
		}
		for i, r := range answers {
			switch {
			case r.Status == http.StatusOK:
			case r.Status == http.StatusConflict:
				wantInFlight(t, r)
			case r.Status == http.StatusUnprocessableEntity && i%2 != winner:
				r.wantError(t, http.StatusUnprocessableEntity, "idempotency_mismatch", "")
			default:
				t.Errorf("request %d (body %d, winner %d): %d %s", i, i%2, winner, r.Status, r.Body)
			}
		}
		if got := keyedTransfers(t, e, "dup"); got != 1 {
			t.Errorf("transactions under the key = %d, want 1", got)
		}
		// Once settled, every retry of the winner replays the one answer.
		wantReplayOf(t, c.call(transferPath, bodies[winner]), answers[firstOK(answers, winner)])
		e.waitJobs(t)
		e.wantLedger(t)
	})
}

// firstOK is the index of the first 200 answer to body b (requests
// alternate the two bodies).
func firstOK(answers []response, b int) int {
	for i, r := range answers {
		if i%2 == b && r.Status == http.StatusOK {
			return i
		}
	}
	return -1
}

// TestClaimedKeyWorkFailure: when the Work of a claiming call fails inside
// the database (a trigger refuses the transaction's insert), the call
// answers 500, leaves no key behind (reserved or not) and writes nothing;
// the same request under the same key then executes.
func TestClaimedKeyWorkFailure(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		prog, user := transferFixture(t, c, "100.00")
		e.waitJobs(t)
		db := e.store.DB()
		create := []string{`CREATE TRIGGER claim_boom BEFORE INSERT ON ledger_transactions BEGIN SELECT RAISE(ABORT, 'boom'); END`}
		drop := []string{`DROP TRIGGER claim_boom`}
		if e.store.Engine() == store.Postgres {
			create = []string{`CREATE FUNCTION claim_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$`,
				`CREATE TRIGGER claim_boom BEFORE INSERT ON ledger_transactions FOR EACH ROW EXECUTE FUNCTION claim_boom()`}
			drop = []string{`DROP TRIGGER claim_boom ON ledger_transactions`, `DROP FUNCTION claim_boom()`}
		}
		exec := func(stmts []string) {
			t.Helper()
			for _, q := range stmts {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
		}
		exec(create)
		body := transferBody(prog, user, "3.00", "boom")
		before := e.ledgerRows(t)
		c.call(transferPath, body).wantError(t, http.StatusInternalServerError, "internal", "")
		if _, err := e.store.Idempotency(t.Context(), banking.ProgramID(c.creds.ProgramID), "boom"); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("key after a failed Work: %v, want not found", err)
		}
		if after := e.ledgerRows(t); after != before {
			t.Errorf("a failed Work wrote rows: %+v, want %+v", after, before)
		}
		exec(drop)
		ok := c.call(transferPath, body).want(t, http.StatusOK, "")
		wantExecuted(t, ok)
		wantReplayOf(t, c.call(transferPath, body), ok)
		if n := keyedTransfers(t, e, "boom"); n != 1 {
			t.Errorf("transactions under the key = %d, want 1", n)
		}
		e.waitJobs(t)
		e.wantLedger(t)
	})
}
