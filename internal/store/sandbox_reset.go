package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"

	"github.com/ingot-dev/ingot/internal/banking"
)

// sandbox/reset (sandbox.md section 1). Which tables hold a program's data
// is read from the schema, not listed here: every table with a program_id
// column is emptied of the program's rows, children before the tables
// they reference, so a table a later migration adds is reset without
// anyone remembering to. Only the tables of ResetKeeps keep their rows;
// a table whose rows belong to a program without a program_id column of
// its own would escape, which TestResetEveryTable guards against by
// dumping every table of the schema.

// ResetKeeps are the tables with a program_id column whose rows a reset
// keeps: the credentials (current ones are the programs row itself) and
// the webhook endpoint with its signing secrets.
var ResetKeeps = []string{"retired_credentials", "webhook_endpoints", "webhook_secrets"}

// resetOnly narrows the rows a reset deletes from a table. An idempotency
// reservation still in progress (status 0) belongs to a call running now,
// possibly the reset itself; it completes (or expires) on its own.
var resetOnly = map[string]string{"idempotency_keys": "status <> 0"}

// resetPlan is the schema's program tables in a safe deletion order.
type resetPlan struct {
	once   sync.Once
	tables []string
	err    error
}

// ProgramTables returns every table with a program_id column, ordered so
// that a table comes before every table it references by a foreign key
// (deleting in that order never breaks a reference).
func (s *Store) ProgramTables(ctx context.Context) ([]string, error) {
	p := &s.resetPlan
	p.once.Do(func() { p.tables, p.err = s.programTables(ctx) })
	return p.tables, p.err
}

func (s *Store) programTables(ctx context.Context) ([]string, error) {
	var tablesQ, refsQ string
	if s.dialect.engine == Postgres {
		tablesQ = `SELECT table_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name = 'program_id' ORDER BY table_name`
		refsQ = `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
			WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`
	} else {
		tablesQ = `SELECT m.name FROM sqlite_master m WHERE m.type = 'table'
			AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) i WHERE i.name = 'program_id') ORDER BY m.name`
		refsQ = `SELECT m.name, f."table" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`
	}
	tables, err := s.strings(ctx, tablesQ)
	if err != nil {
		return nil, fmt.Errorf("program tables: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, refsQ)
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	defer rows.Close()
	refs := map[string][]string{} // table → tables it references
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			return nil, err
		}
		if from != to {
			refs[from] = append(refs[from], to)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Depth-first: a table is placed after every table that references it.
	referencedBy := map[string][]string{}
	for from, tos := range refs {
		for _, to := range tos {
			referencedBy[to] = append(referencedBy[to], from)
		}
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 placed
	var visit func(t string) error
	visit = func(t string) error {
		switch state[t] {
		case 1:
			return fmt.Errorf("foreign keys form a cycle through %s", t)
		case 2:
			return nil
		}
		state[t] = 1
		kids := slices.Clone(referencedBy[t])
		slices.Sort(kids)
		for _, k := range kids {
			if err := visit(k); err != nil {
				return err
			}
		}
		state[t] = 2
		if slices.Contains(tables, t) {
			order = append(order, t)
		}
		return nil
	}
	for _, t := range tables {
		if err := visit(t); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// strings runs a query of one text column.
func (s *Store) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ResetWork is the Work of sandbox/reset: in one transaction it deletes
// every row of program pid from every program table but ResetKeeps (its
// users, businesses, accounts, ledger, audit events and chain head, webhook
// events, jobs, idempotency keys, faults and clock offset), then
// recreates the master RBA (same id and number, zero balance) and the
// clearing account, and starts a new audit chain with ev (program.reset).
// What earlier works of the same group deferred for the program (events,
// jobs, counts) is dropped with the rest (Tx.keep). It answers struct{}{}.
func (s *Store) ResetWork(pid banking.ProgramID, ev banking.Event) Work {
	// Alone: a savepoint would keep every page the deletes change.
	return Work{Program: pid, Locks: []string{LockKey("program", string(pid))}, Alone: true,
		Run: func(ctx context.Context, tx *Tx) (any, error) {
			tables, err := s.ProgramTables(ctx)
			if err != nil {
				return nil, err
			}
			var number sql.NullString
			err = tx.QueryRow(ctx, `SELECT account_number FROM accounts WHERE program_id = ? AND kind = 'master'`, pid).Scan(&number)
			if err != nil && err != sql.ErrNoRows {
				return nil, err
			}
			for _, t := range tables {
				if slices.Contains(ResetKeeps, t) {
					continue
				}
				q := `DELETE FROM ` + t + ` WHERE program_id = ?`
				if extra, ok := resetOnly[t]; ok {
					q += ` AND ` + extra
				}
				if _, err := tx.Exec(ctx, q, pid); err != nil {
					return nil, fmt.Errorf("reset %s: %w", t, err)
				}
			}
			p := banking.Program{ID: pid, CreatedAt: ev.CreatedAt}
			if number.Valid {
				if err := s.recreateProgramAccounts(ctx, tx.tx, p, number.String); err != nil {
					return nil, err
				}
			} else if _, err := s.insertProgramAccounts(ctx, tx.tx, p); err != nil {
				return nil, err
			}
			tx.resets = append(tx.resets, pid)
			tx.Emit(ev)
			return struct{}{}, nil
		}}
}

// recreateProgramAccounts writes a reset program's master RBA under its old
// number and its clearing account, both empty.
func (s *Store) recreateProgramAccounts(ctx context.Context, tx *sql.Tx, p banking.Program, number string) error {
	for _, a := range []banking.Account{
		{ID: banking.MasterAccountID(p.ID), ProgramID: p.ID, Kind: banking.AccountMaster, Number: number,
			Status: banking.AccountActive, CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt},
		{ID: banking.ClearingAccountID(p.ID), ProgramID: p.ID, Kind: banking.AccountClearing,
			Status: banking.AccountActive, CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt},
	} {
		if err := s.insertAccount(ctx, tx, &a); err != nil {
			return err
		}
	}
	return nil
}

// dropProgram forgets what the group's works so far deferred for program
// pid, whose data a later work of the group deleted.
func (g *Tx) dropProgram(pid banking.ProgramID) {
	g.events = slices.DeleteFunc(g.events, func(e banking.Event) bool { return e.ProgramID == pid })
	g.notices = slices.DeleteFunc(g.notices, func(e banking.Event) bool { return e.ProgramID == pid })
	g.jobs = slices.DeleteFunc(g.jobs, func(j NewJob) bool { return j.Program == pid })
	delete(g.clearing, banking.ClearingAccountID(pid))
	for k := range g.counts {
		if k.pid == pid {
			delete(g.counts, k)
		}
	}
}
