package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// verifiedUser creates a user of program pid whose KYC is verified, ready
// for accounts.
func verifiedUser(t *testing.T, s *store.Store, pid banking.ProgramID, email string) banking.User {
	t.Helper()
	u := mustUser(t, s, pid, email, t0)
	v, err := s.UpdateUser(context.Background(), pid, u.ID, func(u *banking.User) (*banking.Event, error) {
		u.KYCStatus = banking.KYCVerified
		ev := banking.NewEvent(u, banking.EventKYCVerified, "test", "", banking.Changes{}, t0)
		return &ev, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// issue issues an RBA to user u (bid "") or business bid of u.
func issue(s *store.Store, u banking.User, bid banking.BusinessID) (banking.Account, error) {
	kind := banking.AccountUser
	if bid != "" {
		kind = banking.AccountBusiness
	}
	v, err := s.Do(context.Background(), store.IssueAccountWork(u.ProgramID, u.ID, bid, func(n int64) (banking.Account, banking.Event) {
		a := banking.NewAccount(u.ProgramID, kind, u.ID, bid, n, t0)
		return a, banking.NewAccountEvent(&a, banking.EventAccountIssued, "test", "", banking.IssuedChanges(&a), t0)
	}))
	if err != nil {
		return banking.Account{}, err
	}
	return v.(banking.Account), nil
}

func mustIssue(t *testing.T, s *store.Store, u banking.User, bid banking.BusinessID) banking.Account {
	t.Helper()
	a, err := issue(s, u, bid)
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	return a
}

// movement builds a movement of amount cents, pending with its settlement
// job or completed at once.
func movement(pid banking.ProgramID, src, dst banking.AccountID, amount int64, status banking.TxStatus) store.Movement {
	tr := banking.Transaction{ID: banking.NewID[banking.TransactionID](t0), ProgramID: pid, Amount: amount,
		Status: status, Category: banking.CategoryBookTransfer, Method: banking.MethodBook,
		OriginatorType: banking.EntityProgram, OriginatorID: string(pid), SourceAccountID: src,
		DestinationAccountID: dst, Description: "test", CreatedAt: t0, UpdatedAt: t0}
	typ := banking.EventTransferCreated
	if status == banking.TxCompleted {
		tr.PostingDate, typ = t0, banking.EventTransferCompleted
	}
	m := store.Movement{Tx: tr, Event: banking.NewTransferEvent(&tr, typ, "test", nil, t0)}
	if status == banking.TxPending {
		m.Settle = &store.NewJob{Program: pid, Kind: "transfer.settle", Payload: []byte(tr.ID), RunAt: t0}
	}
	return m
}

// fund puts amount cents into RBA id from outside, completed at once.
func fund(t *testing.T, s *store.Store, pid banking.ProgramID, id banking.AccountID, amount int64) {
	t.Helper()
	m := movement(pid, "", id, amount, banking.TxCompleted)
	m.Tx.Category, m.Tx.Method = banking.CategoryInboundTransfer, banking.MethodWire
	if _, err := s.Do(context.Background(), store.InboundWork(pid, m)); err != nil {
		t.Fatalf("fund %s: %v", id, err)
	}
}

// transfer moves amount cents between two sides, pending.
func transfer(s *store.Store, pid banking.ProgramID, src, dst banking.Side, amount int64) (banking.Transaction, error) {
	v, err := s.Do(context.Background(), store.BookTransferWork(pid, src, dst, movement(pid, src.Account, dst.Account, amount, banking.TxPending)))
	if err != nil {
		return banking.Transaction{}, err
	}
	return v.(banking.Transaction), nil
}

// settle completes (or fails) a pending transaction.
func settle(s *store.Store, tr banking.Transaction, to banking.TxStatus) (any, error) {
	return s.Do(context.Background(), store.SettleWork(tr.ProgramID, tr.ID, tr.SourceAccountID, tr.DestinationAccountID,
		store.Settlement{Status: to, At: t0}, func(x *banking.Transaction) banking.Event {
			typ := banking.EventTransferFailed
			if to == banking.TxCompleted {
				typ = banking.EventTransferCompleted
			}
			return banking.NewTransferEvent(x, typ, "test", nil, t0)
		}))
}

func balanceOf(t *testing.T, s *store.Store, pid banking.ProgramID, id banking.AccountID) banking.Balance {
	t.Helper()
	a, err := s.Account(context.Background(), pid, id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Balance
}

func mustLedger(t *testing.T, s *store.Store) store.LedgerReport {
	t.Helper()
	r, err := s.CheckLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Errorf("ledger: %s", p)
	}
	return r
}

func userSide(a banking.Account) banking.Side {
	return banking.Side{Type: banking.EntityUser, EntityID: string(a.UserID), Account: a.ID}
}

func masterSide(pid banking.ProgramID) banking.Side {
	return banking.Side{Type: banking.EntityProgram, EntityID: string(pid), Account: banking.MasterAccountID(pid)}
}

// TestProgramAccounts: a program is created with its master RBA and its
// clearing account; the clearing account is no RBA; account numbers are
// unique across programs.
func TestProgramAccounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := mustProgram(t, s, "hu_a"), mustProgram(t, s, "hu_b")
		ma, err := s.MasterAccount(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		mb, err := s.MasterAccount(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ma.Kind != banking.AccountMaster || ma.Status != banking.AccountActive || ma.UserID != "" ||
			ma.Number != banking.AccountNumber(1) || mb.Number != banking.AccountNumber(2) {
			t.Errorf("masters %+v and %+v", ma, mb)
		}
		if _, err := s.Account(ctx, a.ID, banking.ClearingAccountID(a.ID)); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("the clearing account read as an RBA: %v", err)
		}
		if _, err := s.Account(ctx, b.ID, ma.ID); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("another program's master account: %v", err)
		}
		u := verifiedUser(t, s, a.ID, "ada@x.io")
		if got := mustIssue(t, s, u, "").Number; got != banking.AccountNumber(3) {
			t.Errorf("the first user account has number %s, want %s", got, banking.AccountNumber(3))
		}
		mustIntact(t, s, 5, 2) // 2 program.created, user.created, user.kyc.verified, account.issued
	})
}

// TestMigrationGivesProgramsMasterAccounts: programs created before
// migration 0009 get their master RBA (numbered in creation order, as
// banking.AccountNumber computes) and clearing account from it, and new
// numbers continue after theirs.
func TestMigrationGivesProgramsMasterAccounts(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := eng.DSN(t)
			e, src, err := store.ParseDSN(dsn)
			if err != nil {
				t.Fatal(err)
			}
			driver := map[store.Engine]string{store.SQLite: "sqlite", store.Postgres: "pgx"}[e]
			db, err := sql.Open(driver, src)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ms, err := store.Migrations(e)
			if err != nil {
				t.Fatal(err)
			}
			q := func(s string) string {
				if e == store.Postgres {
					for i := 1; ; i++ {
						n := len(s)
						s = replaceFirst(s, "?", fmt.Sprintf("$%d", i))
						if len(s) == n {
							return s
						}
					}
				}
				return s
			}
			if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			for _, m := range ms[:8] {
				if _, err := db.Exec(m.SQL); err != nil {
					t.Fatalf("%s: %v", m.Name, err)
				}
				if _, err := db.Exec(q(`INSERT INTO schema_migrations VALUES (?, ?, 0)`), m.Version, m.Name); err != nil {
					t.Fatal(err)
				}
			}
			ids := []string{"prog-00000000-0000-7000-8000-000000000002", "prog-00000000-0000-7000-8000-000000000001"}
			for i, id := range ids {
				if _, err := db.Exec(q(`INSERT INTO programs (id, name, api_key_hash, hmac_username, hmac_secret, created_at)
					VALUES (?, ?, ?, ?, ?, ?)`), id, id, []byte(id), "hu_"+id, []byte("x"), int64(1000+i)); err != nil {
					t.Fatal(err)
				}
			}
			s, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for i, id := range ids {
				pid := banking.ProgramID(id)
				m, err := s.MasterAccount(ctx, pid)
				if err != nil {
					t.Fatal(err)
				}
				if m.ID != banking.MasterAccountID(pid) || m.Number != banking.AccountNumber(int64(i+1)) || m.Status != banking.AccountActive {
					t.Errorf("program %s: master %+v, want number %s", id, m, banking.AccountNumber(int64(i+1)))
				}
			}
			p := mustProgram(t, s, "hu_new")
			if m, _ := s.MasterAccount(ctx, p.ID); m.Number != banking.AccountNumber(3) {
				t.Errorf("a program created after the migration got %s, want %s", m.Number, banking.AccountNumber(3))
			}
			r := mustLedger(t, s)
			if r.Accounts != 6 {
				t.Errorf("%d ledger accounts, want a master and a clearing account for each of 3 programs", r.Accounts)
			}
		})
	}
}

func replaceFirst(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

// TestIssueGate: only a verified, active entity gets an account, at most
// five open ones; a business's account needs its KYB and an active owner.
func TestIssueGate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_gate")
		fresh := mustUser(t, s, p.ID, "new@x.io", t0)
		if _, err := issue(s, fresh, ""); !banking.IsCode(err, banking.CodeNotVerified) {
			t.Errorf("unverified user: %v", err)
		}
		u := verifiedUser(t, s, p.ID, "ada@x.io")
		var first banking.Account
		for i := range banking.MaxOpenAccounts {
			a := mustIssue(t, s, u, "")
			if i == 0 {
				first = a
			}
		}
		if _, err := issue(s, u, ""); !banking.IsCode(err, banking.CodeConflict) {
			t.Errorf("sixth account: %v", err)
		}
		if _, err := s.Do(ctx, store.AccountWork(p.ID, first.ID, func(a *banking.Account) (banking.Event, error) {
			ch, err := a.Close(t0)
			return banking.NewAccountEvent(a, banking.EventAccountClosed, "test", "", ch, t0), err
		})); err != nil {
			t.Fatal(err)
		}
		mustIssue(t, s, u, "") // a closed account does not count
		b := mustBusiness(t, s, u, "12-3456789", t0)
		if _, err := issue(s, u, b.ID); !banking.IsCode(err, banking.CodeNotVerified) {
			t.Errorf("business before KYB: %v", err)
		}
		other := verifiedUser(t, s, p.ID, "other@x.io")
		if _, err := issue(s, other, b.ID); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("a business named with another user: %v", err)
		}
		if _, err := s.UpdateUser(ctx, p.ID, u.ID, block); err != nil {
			t.Fatal(err)
		}
		if _, err := issue(s, u, ""); !banking.IsCode(err, banking.CodeBlocked) {
			t.Errorf("blocked user: %v", err)
		}
		if _, err := issue(s, u, b.ID); !banking.IsCode(err, banking.CodeBlocked) {
			t.Errorf("business of a blocked user: %v", err)
		}
	})
}

// TestBookTransferLifecycle: a transfer is pending (the source's available
// balance drops, the destination's pending balance rises), then completes
// or fails exactly once; every state keeps the ledger's invariants.
func TestBookTransferLifecycle(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		p := mustProgram(t, s, "hu_life")
		u := verifiedUser(t, s, p.ID, "ada@x.io")
		a := mustIssue(t, s, u, "")
		master := banking.MasterAccountID(p.ID)
		fund(t, s, p.ID, master, 100_00)
		tr, err := transfer(s, p.ID, masterSide(p.ID), userSide(a), 30_00)
		if err != nil {
			t.Fatal(err)
		}
		if got := balanceOf(t, s, p.ID, master); got.Available() != 70_00 || got.Posted != 100_00 {
			t.Errorf("master while pending: %+v", got)
		}
		if got := balanceOf(t, s, p.ID, a.ID); got.Available() != 0 || got.Pending() != 30_00 {
			t.Errorf("user while pending: %+v", got)
		}
		mustLedger(t, s)
		if _, err := transfer(s, p.ID, masterSide(p.ID), userSide(a), 70_01); !banking.IsCode(err, banking.CodeInsufficientFunds) {
			t.Errorf("spending pending money again: %v", err)
		}
		if v, err := settle(s, tr, banking.TxCompleted); err != nil || v.(banking.Transaction).Status != banking.TxCompleted {
			t.Fatalf("settle: %v %v", v, err)
		}
		if v, err := settle(s, tr, banking.TxFailed); err != nil || v != nil {
			t.Errorf("settling a completed transaction again: %v %v, want nothing done", v, err)
		}
		if got := balanceOf(t, s, p.ID, a.ID); got != (banking.Balance{Posted: 30_00}) {
			t.Errorf("user after settlement: %+v", got)
		}
		back, err := transfer(s, p.ID, userSide(a), masterSide(p.ID), 10_00)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := settle(s, back, banking.TxFailed); err != nil {
			t.Fatal(err)
		}
		if got := balanceOf(t, s, p.ID, a.ID); got != (banking.Balance{Posted: 30_00}) {
			t.Errorf("user after a failed transfer: %+v, want the funds released", got)
		}
		got, err := s.Transaction(context.Background(), p.ID, back.ID)
		if err != nil || got.Status != banking.TxFailed || !got.PostingDate.IsZero() {
			t.Errorf("failed transaction: %+v %v", got, err)
		}
		r := mustLedger(t, s)
		if r.Transactions != 3 || r.Entries != 6 {
			t.Errorf("ledger holds %d transactions and %d entries, want 3 and 6", r.Transactions, r.Entries)
		}
	})
}

// TestBookTransferRefusals: the ownership rules (404) and the checks of
// money.md section 4 (409), none of which writes anything.
func TestBookTransferRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_ref")
		other := mustProgram(t, s, "hu_other")
		u := verifiedUser(t, s, p.ID, "ada@x.io")
		v := verifiedUser(t, s, p.ID, "bob@x.io")
		a, b := mustIssue(t, s, u, ""), mustIssue(t, s, v, "")
		fund(t, s, p.ID, a.ID, 50_00)
		before := mustLedger(t, s)
		for _, c := range []struct {
			name     string
			pid      banking.ProgramID
			src, dst banking.Side
			want     banking.Code
		}{
			{"account of another user", p.ID, banking.Side{Type: banking.EntityUser, EntityID: string(v.ID), Account: a.ID}, userSide(b), banking.CodeNotFound},
			{"user account named as a business's", p.ID, userSide(a), banking.Side{Type: banking.EntityBusiness, EntityID: string(v.ID), Account: b.ID}, banking.CodeNotFound},
			{"master account named as a user's", p.ID, userSide(a), banking.Side{Type: banking.EntityUser, EntityID: string(u.ID), Account: banking.MasterAccountID(p.ID)}, banking.CodeNotFound},
			{"another program", other.ID, userSide(a), userSide(b), banking.CodeNotFound},
			{"clearing account", p.ID, userSide(a), banking.Side{Type: banking.EntityProgram, EntityID: string(p.ID), Account: banking.ClearingAccountID(p.ID)}, banking.CodeNotFound},
			{"too much", p.ID, userSide(a), userSide(b), banking.CodeInsufficientFunds},
		} {
			amount := int64(10_00)
			if c.want == banking.CodeInsufficientFunds {
				amount = 50_01
			}
			if _, err := transfer(s, c.pid, c.src, c.dst, amount); !banking.IsCode(err, c.want) {
				t.Errorf("%s: %v, want %s", c.name, err, c.want)
			}
		}
		if _, err := s.UpdateUser(ctx, p.ID, v.ID, block); err != nil {
			t.Fatal(err)
		}
		if _, err := transfer(s, p.ID, userSide(a), userSide(b), 1); !banking.IsCode(err, banking.CodeBlocked) {
			t.Errorf("to a blocked user: %v", err)
		}
		if after := mustLedger(t, s); after.Transactions != before.Transactions {
			t.Errorf("refused transfers wrote %d transactions", after.Transactions-before.Transactions)
		}
		// The second guard: the database itself refuses a negative
		// available balance of an RBA.
		_, err := s.DB().Exec(rebind(s, `UPDATE accounts SET pending_debits = posted + 1 WHERE id = ?`), a.ID)
		if err == nil {
			t.Errorf("the accounts table accepted a negative available balance")
		}
	})
}

// TestOppositeTransfersAcrossProcesses: transfers in both directions among
// a few accounts, at once through two stores on one database (two
// processes), some overdrawing on purpose: no deadlock, no lost update, the
// total unchanged and the ledger exact.
func TestOppositeTransfersAcrossProcesses(t *testing.T) {
	forEachEngineDSN(t, func(t *testing.T, dsn string, s1 *store.Store) {
		s2 := openStore(t, dsn)
		p := mustProgram(t, s1, "hu_opp")
		const n = 4
		var sides []banking.Side
		for i := range n {
			u := verifiedUser(t, s1, p.ID, fmt.Sprintf("u%d@x.io", i))
			a := mustIssue(t, s1, u, "")
			fund(t, s1, p.ID, a.ID, 100_00)
			sides = append(sides, userSide(a))
		}
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				s := []*store.Store{s1, s2}[w%2]
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for range 40 {
					i := rng.IntN(n)
					j := (i + 1 + rng.IntN(n-1)) % n
					tr, err := transfer(s, p.ID, sides[i], sides[j], int64(1+rng.IntN(60_00)))
					switch {
					case banking.IsCode(err, banking.CodeInsufficientFunds):
						refused.Add(1)
					case err != nil:
						t.Errorf("transfer: %v", err)
					default:
						ok.Add(1)
						if _, err := settle(s, tr, banking.TxCompleted); err != nil {
							t.Errorf("settle: %v", err)
						}
					}
				}
			})
		}
		wg.Wait()
		if d := store.Deadlocks(s1) + store.Deadlocks(s2); d != 0 {
			t.Errorf("%d deadlock victims, want 0", d)
		}
		var total int64
		for _, sd := range sides {
			b := balanceOf(t, s1, p.ID, sd.Account)
			if b.PendingDebits != 0 || b.PendingCredits != 0 {
				t.Errorf("%s still has pending money: %+v", sd.Account, b)
			}
			total += b.Posted
		}
		if total != n*100_00 {
			t.Errorf("total %s, want %s", banking.FormatAmount(total), banking.FormatAmount(n*100_00))
		}
		if ok.Load() == 0 || refused.Load() == 0 {
			t.Errorf("%d transfers done and %d refused: the test wants both", ok.Load(), refused.Load())
		}
		r := mustLedger(t, s1)
		if want := int(n + ok.Load()); r.Transactions != want {
			t.Errorf("%d transactions, want %d", r.Transactions, want)
		}
	})
}

// TestStatements: lists from an account's point of view, filters, and a
// transaction found by its reference or key only by its own user.
func TestStatements(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_st")
		u := verifiedUser(t, s, p.ID, "ada@x.io")
		v := verifiedUser(t, s, p.ID, "bob@x.io")
		a1, a2, b := mustIssue(t, s, u, ""), mustIssue(t, s, u, ""), mustIssue(t, s, v, "")
		fund(t, s, p.ID, a1.ID, 100_00)
		own, err := transfer(s, p.ID, userSide(a1), userSide(a2), 10_00)
		if err != nil {
			t.Fatal(err)
		}
		m := movement(p.ID, a1.ID, b.ID, 5_00, banking.TxPending)
		m.Tx.Reference, m.Tx.IdempotentKey = "inv-7", "key-7"
		if _, err := s.Do(ctx, store.BookTransferWork(p.ID, userSide(a1), userSide(b), m)); err != nil {
			t.Fatal(err)
		}
		all, total, err := s.Statements(ctx, p.ID, store.StatementScope{User: u.ID}, banking.TxFilter{Page: 1, PerPage: 10})
		if err != nil || total != 4 || len(all) != 4 {
			t.Fatalf("user's statements: %d of %d, %v", len(all), total, err)
		}
		if all[0].ID != m.Tx.ID || all[0].Direction != banking.Debit {
			t.Errorf("newest first: %s %s", all[0].ID, all[0].Direction)
		}
		credits, total, _ := s.Statements(ctx, p.ID, store.StatementScope{User: u.ID}, banking.TxFilter{Direction: banking.Credit, Page: 1, PerPage: 10})
		if total != 2 || credits[0].ID != own.ID {
			t.Errorf("credits: %d %v", total, credits)
		}
		_, total, _ = s.Statements(ctx, p.ID, store.StatementScope{Account: b.ID}, banking.TxFilter{Page: 1, PerPage: 10})
		if total != 1 {
			t.Errorf("bob's account has %d statements, want 1", total)
		}
		_, total, _ = s.Statements(ctx, p.ID, store.StatementScope{User: u.ID},
			banking.TxFilter{From: t0.Add(time.Millisecond), Page: 1, PerPage: 10})
		if total != 0 {
			t.Errorf("after t0: %d, want 0", total)
		}
		for _, g := range []string{"inv-7", "key-7", string(m.Tx.ID), banking.UUIDOf(m.Tx.ID)} {
			st, err := s.UserTransaction(ctx, p.ID, v.ID, g, "")
			if err != nil || st.ID != m.Tx.ID || st.Direction != banking.Credit {
				t.Errorf("bob finds %s: %+v %v", g, st.ID, err)
			}
		}
		if st, err := s.UserTransaction(ctx, p.ID, u.ID, string(own.ID), banking.Credit); err != nil || st.Direction != banking.Credit {
			t.Errorf("ada's own transfer as a credit: %v %v", st.Direction, err)
		}
		w := verifiedUser(t, s, p.ID, "eve@x.io")
		if _, err := s.UserTransaction(ctx, p.ID, w.ID, "inv-7", ""); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("another user finds it: %v", err)
		}
	})
}
