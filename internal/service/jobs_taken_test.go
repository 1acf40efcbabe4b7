package service

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
)

// TestDelayOrTake: a job due at once is inserted claimed by a process that
// runs jobs, with a lease of Config.JobLease; a delayed one, or any job of a
// process that runs none, is left for a claim, due its delay later.
func TestDelayOrTake(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	due := now.Add(-time.Second) // a program clock behind the real one
	for _, tc := range []struct {
		name      string
		jobs      bool
		delay     time.Duration
		wantTaken bool
		wantRunAt time.Time
	}{
		{"due at once, jobs run here", true, 0, true, due},
		{"delayed", true, 5 * time.Second, false, due.Add(5 * time.Second)},
		{"no jobs run here", false, 0, false, due},
		{"no jobs run here, delayed", false, time.Minute, false, due.Add(time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Service{now: func() time.Time { return now }, jobLease: 30 * time.Second}
			s.takeJobs = tc.jobs
			j := store.NewJob{Kind: jobSettle, RunAt: due}
			s.delayOrTake(&j, tc.delay)
			if got := j.Claimed != nil; got != tc.wantTaken {
				t.Errorf("taken = %v, want %v", got, tc.wantTaken)
			}
			if !j.RunAt.Equal(tc.wantRunAt) {
				t.Errorf("RunAt = %v, want %v", j.RunAt, tc.wantRunAt)
			}
			wantLease := time.Time{}
			if tc.wantTaken {
				wantLease = now.Add(30 * time.Second)
			}
			if !j.Lease.Equal(wantLease) {
				t.Errorf("Lease = %v, want %v", j.Lease, wantLease)
			}
		})
	}
}

// TestSettlementsTakenWithoutClaims: on SQLite, settlements due at once are
// run by the process that committed their movements, inserted already
// claimed, so the job runner never claims one (a trigger counts every claim
// of a settlement job: an UPDATE that gives it a token); on PostgreSQL the
// runner claims each. Either way every one completes, and a process closing
// waits for those it took.
func TestSettlementsTakenWithoutClaims(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, eng.DSN(t))
			countClaims := []string{`CREATE TABLE settle_claims (id BIGINT)`,
				`CREATE TRIGGER settle_claims AFTER UPDATE OF token ON jobs
					WHEN NEW.kind = 'transfer.settle' AND NEW.token <> ''
					BEGIN INSERT INTO settle_claims VALUES (NEW.id); END`}
			if st.Engine() == store.Postgres {
				countClaims = []string{`CREATE TABLE settle_claims (id BIGINT)`,
					`CREATE FUNCTION settle_claimed() RETURNS trigger LANGUAGE plpgsql AS
						$$ BEGIN INSERT INTO settle_claims VALUES (NEW.id); RETURN NEW; END $$`,
					`CREATE TRIGGER settle_claims AFTER UPDATE OF token ON jobs FOR EACH ROW
						WHEN (NEW.kind = 'transfer.settle' AND NEW.token <> '') EXECUTE FUNCTION settle_claimed()`}
			}
			for _, q := range countClaims {
				if _, err := st.DB().ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			sealer, _ := vault.New(bytes.Repeat([]byte{7}, 32))
			s := New(Config{Store: st, Sealer: sealer})
			closed := false
			t.Cleanup(func() {
				if !closed {
					s.Close()
				}
			})
			creds, err := s.CreateProgram(ctx, "taken")
			if err != nil {
				t.Fatal(err)
			}
			c := Caller{ProgramID: banking.ProgramID(creds.ProgramID)}
			master := banking.MasterAccountID(c.ProgramID)
			const n = 40
			var ids []banking.TransactionID
			for range n {
				tr, err := s.SimulateInbound(ctx, c, string(master), "1.00", "ach", "taken", nil)
				if err != nil {
					t.Fatal(err)
				}
				if tr.Status != banking.TxPending {
					t.Fatalf("inbound ACH answered %s, want pending", tr.Status)
				}
				ids = append(ids, tr.ID)
			}
			taken := st.Engine() == store.SQLite
			if !taken {
				// The runner's claims settle them; Close cuts a claim short.
				waitUntil(t, "every settlement", func() bool {
					n, err := st.JobCount(ctx, jobSettle)
					return err == nil && n == 0
				})
			}
			// Close waits for the settlements this process took.
			s.Close()
			closed = true
			for _, id := range ids {
				tr, err := st.Transaction(ctx, c.ProgramID, id)
				if err != nil {
					t.Fatal(err)
				}
				if tr.Status != banking.TxCompleted {
					t.Errorf("transaction %s is %s after Close, want completed", id, tr.Status)
				}
			}
			if got, err := st.JobCount(ctx, jobSettle); err != nil || got != 0 {
				t.Errorf("%d settlement jobs left, %v; want 0", got, err)
			}
			var claims int
			if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM settle_claims`).Scan(&claims); err != nil {
				t.Fatal(err)
			}
			switch {
			case taken && claims != 0:
				t.Errorf("the runner claimed settlement jobs %d times, want 0: they were taken at insert", claims)
			case !taken && claims < n:
				t.Errorf("the runner claimed settlement jobs %d times, want at least %d: PostgreSQL claims each", claims, n)
			}
		})
	}
}

// TestStartEndsEarlierClaims: a SQLite server that starts makes the
// settlements an earlier process had claimed (it was killed with them
// taken) due at once, instead of waiting out their leases, whatever their
// length (that process's --job-lease, not this one's); a claim of a kind
// that calls out before its Work (a webhook delivery) keeps its lease.
func TestStartEndsEarlierClaims(t *testing.T) {
	eng := testenv.Engines()[0]
	if eng.Name != "sqlite" {
		t.Fatalf("first engine %s, want sqlite", eng.Name)
	}
	ctx := context.Background()
	st := openStore(t, eng.DSN(t))
	sealer, _ := vault.New(bytes.Repeat([]byte{7}, 32))
	c, ids := pendingBeforeCrash(t, st, sealer, 3)
	const lease = time.Hour
	now := time.Now()
	claim := func(q string, args ...any) {
		t.Helper()
		if _, err := st.DB().ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Claimed by the dead process: leases shorter and longer than this
	// process's own.
	claim(`UPDATE jobs SET token = 'dead', run_at = ? WHERE id IN (SELECT id FROM jobs WHERE kind = ? ORDER BY id LIMIT 2)`,
		now.Add(lease/2).UnixMilli(), jobSettle)
	claim(`UPDATE jobs SET token = 'dead', run_at = ? WHERE kind = ? AND token = ''`, now.Add(2*lease).UnixMilli(), jobSettle)
	claim(`INSERT INTO jobs (program_id, kind, payload, run_at, token, attempts, created_at) VALUES (?, ?, '{}', ?, 'dead', 1, ?)`,
		c.ProgramID, store.JobWebhookDelivery, now.Add(lease/2).UnixMilli(), now.UnixMilli())

	s := New(Config{Store: st, Sealer: sealer, JobLease: lease})
	t.Cleanup(s.Close)
	waitUntil(t, "the dead process's settlements", func() bool {
		for _, id := range ids {
			if tr, err := st.Transaction(ctx, c.ProgramID, id); err != nil || tr.Status != banking.TxCompleted {
				return false
			}
		}
		return true
	})
	var hooks int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE token = 'dead' AND kind = ? AND run_at > ?`,
		store.JobWebhookDelivery, time.Now().UnixMilli()).Scan(&hooks); err != nil {
		t.Fatal(err)
	}
	if hooks != 1 {
		t.Errorf("%d webhook delivery claims still leased, want 1 (only settlements are ended)", hooks)
	}
}

// TestStartEndsItsOwnClaims: a server that starts under the name its
// previous run had (Config.Claimant: host and address) makes the jobs that
// run claimed due at once, on both engines, and claims under that name
// itself (so the next start finds its claims); another server's claim
// keeps its lease on PostgreSQL, where several serve one database (on
// SQLite, which one process serves, every settlement claim ends:
// TestStartEndsEarlierClaims).
func TestStartEndsItsOwnClaims(t *testing.T) {
	const me, other = "host|127.0.0.1:8081", "host|127.0.0.1:8082"
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, eng.DSN(t))
			exec := func(q string) {
				t.Helper()
				if _, err := st.DB().ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			// Every claim token written to a settlement job, kept.
			exec(`CREATE TABLE seen_tokens (token TEXT)`)
			if st.Engine() == store.Postgres {
				exec(`CREATE FUNCTION seen_token() RETURNS trigger LANGUAGE plpgsql AS
					$$ BEGIN INSERT INTO seen_tokens VALUES (NEW.token); RETURN NEW; END $$`)
				exec(`CREATE TRIGGER seen_tokens AFTER INSERT OR UPDATE OF token ON jobs FOR EACH ROW
					WHEN (NEW.kind = 'transfer.settle' AND NEW.token <> '') EXECUTE FUNCTION seen_token()`)
			} else {
				exec(`CREATE TRIGGER seen_tokens_insert AFTER INSERT ON jobs WHEN NEW.kind = 'transfer.settle' AND NEW.token <> ''
					BEGIN INSERT INTO seen_tokens VALUES (NEW.token); END`)
				exec(`CREATE TRIGGER seen_tokens_update AFTER UPDATE OF token ON jobs WHEN NEW.kind = 'transfer.settle' AND NEW.token <> ''
					BEGIN INSERT INTO seen_tokens VALUES (NEW.token); END`)
			}
			sealer, _ := vault.New(bytes.Repeat([]byte{7}, 32))
			c, ids := pendingBeforeCrash(t, st, sealer, 2)
			master := banking.MasterAccountID(c.ProgramID)
			// The first claimed by this server's previous run, the second by
			// another server; both leased for an hour.
			lease := time.Now().Add(time.Hour).UnixMilli()
			for _, owner := range []string{me, other} {
				exec(fmt.Sprintf(`UPDATE jobs SET token = '%s/0123', run_at = %d
					WHERE id = (SELECT min(id) FROM jobs WHERE kind = 'transfer.settle' AND token = '')`, owner, lease))
			}
			s := New(Config{Store: st, Sealer: sealer, JobLease: time.Hour, Claimant: me})
			t.Cleanup(s.Close)
			status := func(id banking.TransactionID) banking.TxStatus {
				t.Helper()
				tr, err := st.Transaction(ctx, c.ProgramID, id)
				if err != nil {
					t.Fatal(err)
				}
				return tr.Status
			}
			waitUntil(t, "the previous run's settlement", func() bool { return status(ids[0]) == banking.TxCompleted })
			if st.Engine() == store.SQLite {
				waitUntil(t, "the other server's settlement (SQLite)", func() bool { return status(ids[1]) == banking.TxCompleted })
			} else if got := status(ids[1]); got != banking.TxPending {
				t.Errorf("the other server's claimed settlement is %s, want pending (its lease holds)", got)
			}
			// This run claims under its name: the settlement of a movement
			// made now is taken (SQLite) or claimed (PostgreSQL) with it.
			tr, err := s.SimulateInbound(ctx, c, string(master), "1.00", "ach", "after the start", nil)
			if err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "the new settlement", func() bool { return status(tr.ID) == banking.TxCompleted })
			var mine int
			if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM seen_tokens WHERE token LIKE 'host|127.0.0.1:8081/%' AND token <> 'host|127.0.0.1:8081/0123'`).Scan(&mine); err != nil {
				t.Fatal(err)
			}
			if mine == 0 {
				t.Errorf("no settlement claimed under %q after the start", me)
			}
		})
	}
}

// pendingBeforeCrash is what an earlier process left in st: a program whose
// master account has n pending inbound ACH transfers, their settlement jobs
// unclaimed (that process ran no jobs; tests then claim them as a dead
// process would have).
func pendingBeforeCrash(t *testing.T, st *store.Store, sealer *vault.Sealer, n int) (Caller, []banking.TransactionID) {
	t.Helper()
	ctx := context.Background()
	earlier := New(Config{Store: st, Sealer: sealer, NoJobs: true})
	defer earlier.Close()
	creds, err := earlier.CreateProgram(ctx, "before the crash")
	if err != nil {
		t.Fatal(err)
	}
	c := Caller{ProgramID: banking.ProgramID(creds.ProgramID)}
	var ids []banking.TransactionID
	for range n {
		tr, err := earlier.SimulateInbound(ctx, c, string(banking.MasterAccountID(c.ProgramID)), "1.00", "ach", "before the crash", nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tr.ID)
	}
	return c, ids
}

// openStore opens the database dsn for a test and closes it after.
func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
