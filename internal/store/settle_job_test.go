package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// TestSettlementOfALostClaim: a settlement that carries its rail job
// (Work.Job) settles exactly once: the work of a claim whose lease passed
// to another claim fails with a conflict and changes nothing (on
// PostgreSQL the job's deletion rides in the settlement's balance
// statement, so its count decides there), and the current claim's work
// settles the movement and deletes the job with it.
func TestSettlementOfALostClaim(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_settle_lost")
		a := mustIssue(t, s, verifiedUser(t, s, p.ID, "lost@x.io"), "")
		tr := pendingInbound(t, s, p.ID, a.ID, 12_34)
		if _, err := s.Do(ctx, store.Work{Program: p.ID, Run: func(_ context.Context, tx *store.Tx) (any, error) {
			tx.Schedule(store.NewJob{Program: p.ID, Kind: "test.rail", RunAt: t0})
			return nil, nil
		}}); err != nil {
			t.Fatal(err)
		}
		claim := func(now time.Time) store.Job {
			t.Helper()
			jobs, err := s.ClaimJobKinds(ctx, []string{"test.rail"}, now, time.Minute, 10)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("claimed %d test.rail jobs at %v (%v), want 1", len(jobs), now, err)
			}
			return jobs[0]
		}
		first := claim(t0)
		second := claim(t0.Add(time.Minute)) // the first lease ran out
		work := func(j store.Job) store.Work {
			w := store.SettleWork(p.ID, tr.ID, tr.SourceAccountID, tr.DestinationAccountID,
				store.Settlement{Status: banking.TxCompleted, At: t0}, func(x *banking.Transaction) banking.Event {
					return banking.NewTransferEvent(x, banking.EventTransferCompleted, "test", nil, t0)
				})
			w.Job = &j
			return w
		}
		before := balanceOf(t, s, p.ID, a.ID)
		if _, err := s.Do(ctx, work(first)); !banking.IsCode(err, banking.CodeConflict) {
			t.Fatalf("settlement of a lost claim: err = %v, want conflict", err)
		}
		if got, err := s.Transaction(ctx, p.ID, tr.ID); err != nil || got.Status != banking.TxPending {
			t.Fatalf("after the lost claim's settlement: status %s (%v), want pending", got.Status, err)
		}
		if got := balanceOf(t, s, p.ID, a.ID); got != before {
			t.Errorf("the lost claim's settlement moved the balance: %+v, want %+v", got, before)
		}
		if n, _ := s.JobCount(ctx, "test.rail"); n != 1 {
			t.Fatalf("%d jobs after the lost claim's settlement, want 1", n)
		}
		if first.Completed() {
			t.Errorf("the lost claim's job reads as completed")
		}
		v, err := s.Do(ctx, work(second))
		if err != nil {
			t.Fatal(err)
		}
		if got := v.(banking.Transaction); got.Status != banking.TxCompleted {
			t.Errorf("settled: status %s, want completed", got.Status)
		}
		if got := balanceOf(t, s, p.ID, a.ID); got.Posted != before.Posted+tr.Amount || got.PendingCredits != before.PendingCredits-tr.Amount {
			t.Errorf("balance after the settlement %+v, want %d more posted and %d fewer pending credits than %+v",
				got, tr.Amount, tr.Amount, before)
		}
		if n, _ := s.JobCount(ctx, "test.rail"); n != 0 {
			t.Errorf("%d jobs after the settlement, want 0", n)
		}
		if !second.Completed() {
			t.Errorf("the settled claim's job does not read as completed")
		}
		mustLedger(t, s)
	})
}

// TestPaymentIntentsLeaveRoomForSettlements: on PostgreSQL payment_intents
// pages keep half their room for the intents' status updates (migration
// 0018), so a group settling a page's intents updates them in place
// (heap-only) instead of indexing every one anew.
func TestPaymentIntentsLeaveRoomForSettlements(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		if s.Engine() != store.Postgres {
			t.Skip("SQLite has no fillfactor")
		}
		var opts []string
		rows, err := s.DB().Query(`SELECT unnest(reloptions) FROM pg_class WHERE relname = 'payment_intents'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var o string
			if err := rows.Scan(&o); err != nil {
				t.Fatal(err)
			}
			opts = append(opts, o)
		}
		if !slices.Contains(opts, "fillfactor=50") {
			t.Errorf("payment_intents reloptions = %v, want fillfactor=50 among them", opts)
		}
	})
}
