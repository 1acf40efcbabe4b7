package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/ingot-dev/ingot/internal/banking"
)

// A program's clearing account stands for the outside world in the ledger
// (money.md section 3): every external movement of the program moves it,
// and nothing checks its balance, which may go negative. Settlements do not
// write it one by one: each adds its delta to its group's (deferClearing),
// and the group writes each clearing account once, when it flushes.
//
// make bench's backlog step (100,000 pending top-ups settled after a
// restart, issue 13) measured why: on PostgreSQL every settlement of a
// program locked its clearing account (key and row) until its group
// committed, so one group ran at a time, and each group updated the same
// row once per settlement, every update walking the row's versions the
// group had written so far (docs/decisions.md has the figures).
//
// The sum is exact because a clearing account's balance moves by plain
// addition: it never owes an overdraft (ReturnWork takes a return's whole
// amount from it), so no repayment depends on the order of its deltas; the
// update refuses one that does. The group's works never read the clearing
// account's balance columns, so none sees it lag behind the group's earlier
// settlements; the commit holds the sum, with the entries it is in step
// with.

// deferClearing adds d, a settlement's delta of clearing account id, to
// the work's deferred deltas; they join the group's when the work
// succeeds (keep).
func (t *Tx) deferClearing(id banking.AccountID, d delta) {
	if t.clearing == nil {
		t.clearing = map[banking.AccountID]delta{}
	}
	c := t.clearing[id]
	c.posted += d.posted
	c.pendingDebits += d.pendingDebits
	c.pendingCredits += d.pendingCredits
	t.clearing[id] = c
}

// keepClearing moves a successful work's deferred deltas into the
// group's.
func (g *Tx) keepClearing(w *Tx) {
	for id, d := range w.clearing {
		g.deferClearing(id, d)
	}
}

// writeClearing writes the group's deferred clearing deltas, one update
// per account in id order, noting each account's entity number for the
// event hook. It runs first in the flush: in the lock order (group.go) a
// clearing account's row comes after the works' rows, which a work that
// moves it itself (a movement's creation, a return) locks it with, and
// before user_counts and the chain heads.
func (s *Store) writeClearing(ctx context.Context, g *Tx) error {
	ids := make([]banking.AccountID, 0, len(g.clearing))
	for id := range g.clearing {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		d := g.clearing[id]
		var n sql.NullInt64
		err := g.QueryRow(ctx, `UPDATE accounts SET posted = posted + CAST(? AS BIGINT),
			pending_debits = pending_debits + CAST(? AS BIGINT), pending_credits = pending_credits + CAST(? AS BIGINT)
			WHERE id = ? AND kind = 'clearing' AND overdraft = 0 RETURNING entity_number`,
			d.posted, d.pendingDebits, d.pendingCredits, id).Scan(&n)
		if err != nil {
			return fmt.Errorf("clearing account %s (a clearing account without overdraft): %w", id, err)
		}
		g.noteNumber("accounts", string(id), n.Int64)
	}
	return nil
}
