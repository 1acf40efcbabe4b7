package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
)

// TestWorkAloneGetsItsOwnGroup: a Work that asks to run alone (a sandbox
// reset) is committed in a transaction of its own, so with no savepoint,
// and the works queued before and after it keep their groups, in queue
// order; every work gets its own answer.
func TestWorkAloneGetsItsOwnGroup(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "alone.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var order []string
	txOf := map[string]*sql.Tx{}
	op := func(name string, alone bool) *groupOp {
		return &groupOp{ctx: ctx, done: make(chan opResult, 1), work: Work{Alone: alone,
			Run: func(ctx context.Context, tx *Tx) (any, error) {
				order = append(order, name)
				txOf[name] = tx.tx
				return name, nil
			}}}
	}
	ops := []*groupOp{op("a", false), op("b", false), op("reset", true), op("c", false), op("d", false)}
	s.runGroup(ops)
	for _, o := range ops {
		r := <-o.done
		if r.err != nil {
			t.Fatalf("a work failed: %v", r.err)
		}
	}
	if got, want := order, []string{"a", "b", "reset", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("ran in order %v, want %v", got, want)
	}
	for _, tc := range []struct {
		x, y string
		same bool
	}{{"a", "b", true}, {"c", "d", true}, {"a", "reset", false}, {"reset", "c", false}, {"b", "c", false}} {
		if got := txOf[tc.x] == txOf[tc.y]; got != tc.same {
			t.Errorf("%s and %s in one transaction: %v, want %v", tc.x, tc.y, got, tc.same)
		}
	}
}
