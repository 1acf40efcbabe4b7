package store

import (
	"context"
	"database/sql"
	"hash/fnv"
	"slices"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Work is one mutation of any domain: the unit every write of the API goes
// through (docs/architecture.md). The committer runs it inside a transaction
// it may share with other Work (group.go), in a savepoint of its own, so a
// Work that fails leaves nothing behind however much it wrote before failing.
//
// A Work must be safe to run more than once: a transient conflict (SQLite
// busy, a PostgreSQL deadlock) runs its whole group again.
type Work struct {
	// Program is the tenant the work belongs to.
	Program banking.ProgramID
	// Locks names everything the work reads in order to change it, as lock
	// keys of any kind built with LockKey ("user", id), ("email", address),
	// ("account", id). On PostgreSQL the committer takes every key of a group
	// before any of its work runs, in one global order, so two groups (in
	// one process or several) never wait for each other in a cycle, however
	// many keys of whatever kinds each work names. SQLite has one writer at
	// a time and needs no locks.
	Locks []string
	// Run does the work in tx and returns its answer: the value the service
	// hands back to its caller, and the value Idem renders.
	Run func(ctx context.Context, tx *Tx) (any, error)
	// Idem, when set, stores Run's answer under its idempotency key in the
	// same savepoint: the answer is stored exactly when the change is.
	Idem *IdemFinish
	// Job, when set, is the durable job this work carries out; it is marked
	// done in the same savepoint, so the job's effect happens exactly once
	// even when its lease was lost to another process meanwhile (then the
	// work fails with a conflict and changes nothing).
	Job *Job
	// Alone runs the work in a group of its own, so with no savepoint: for
	// a work that changes very many rows (a sandbox reset), whose savepoint
	// would keep the original of every page it changes, in memory on SQLite
	// (temp_store=MEMORY; docs/decisions.md).
	Alone bool
}

// LockKey builds a lock key for Work.Locks: the kind, then the value. Keys
// of different kinds never collide.
func LockKey(kind, value string) string { return kind + ":" + value }

// Tx is the transaction a Work runs in. Besides queries it collects what the
// work defers to the end of its group: audit events (chained together, see
// audit.go), user count changes and new jobs. Those are kept only when the
// work succeeds.
type Tx struct {
	s       *Store
	tx      *sql.Tx
	events  []banking.Event
	notices []banking.Event
	counts  map[countKey]int
	jobs    []NewJob
	// retried are the kinds of jobs RetryJob made due again.
	retried []string
	// afterCommit run once the group's transaction has committed
	// (insertJobs' hand-overs).
	afterCommit []func()
	// clearing are the deltas of clearing accounts the work's settlements
	// deferred to the group's flush (clearing.go).
	clearing map[banking.AccountID]delta
	// resets are the programs whose data the work deleted (ResetWork): what
	// the group's earlier works deferred for them is dropped with it.
	resets []banking.ProgramID
	// numbers are entity numbers (webhooks.md section 2) the work read with
	// the rows it locked (noteNumber), for the event hook.
	numbers map[entityRef]int64
	// withJobs are inserts PostgreSQL runs in the statement that inserts
	// the group's jobs (insertJobs), as WITH clauses: the outbox rows of
	// InsertWebhookEvents, which are always written with a delivery job,
	// cost no round trip of their own.
	withJobs []stmt
	// endpoints are the webhook endpoints of the programs in endpointsOf,
	// read with the group's locks (takeLocks); nil when not read, or when
	// a work of the group wrote webhook_endpoints since (wroteEndpoints:
	// a delivery's outcome disabled one), so the hook reads them again.
	endpoints   []WebhookEndpoint
	endpointsOf []banking.ProgramID
	// wroteEndpoints: the work changed webhook_endpoints rows.
	wroteEndpoints bool
	// job is the job the work carries (Work.Job), which runWork deletes
	// after Run unless Run already did in a statement of its own (jobDone:
	// a settlement on PostgreSQL, foldJob).
	job     *Job
	jobDone bool
}

// entityRef names a numbered entity: its table (users, businesses,
// accounts) and id.
type entityRef struct{ table, id string }

// noteNumber records the entity number of a row the work read anyway (the
// user it locks, a movement's accounts and their holders): the event hook
// then maps the group's events without reading the numbers again, which
// on SQLite cost a statement per entity inside the one writer. Numbers
// never change, so one noted by any work of the group is right for all.
func (t *Tx) noteNumber(table, id string, n int64) {
	if id == "" || n == 0 {
		return
	}
	if t.numbers == nil {
		t.numbers = map[entityRef]int64{}
	}
	t.numbers[entityRef{table, id}] = n
}

// EntityNumber reports the number of entity id of table (users,
// businesses, accounts) when a work of the group read it with its row;
// false means it must be read.
func (t *Tx) EntityNumber(table, id string) (int64, bool) {
	n, ok := t.numbers[entityRef{table, id}]
	return n, ok
}

// numberedRow scans a row's columns followed by one more, the entity
// number a query reads along with them.
type numberedRow struct {
	row interface{ Scan(...any) error }
	n   *sql.NullInt64
}

func (r numberedRow) Scan(dest ...any) error { return r.row.Scan(append(dest, r.n)...) }

// Exec runs a statement written with ? placeholders.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.s.exec(ctx, t.tx, query, args...)
}

// QueryRow runs a one-row query written with ? placeholders.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.s.queryRow(ctx, t.tx, query, args...)
}

// Query runs a query written with ? placeholders, prepared when it is
// cached (see cachedStmt).
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.s.txQuery(ctx, t.tx, query, args...)
}

// RoundTrips reports whether each statement costs a round trip to a
// server (PostgreSQL), so that reading many rows in one query beats many
// prepared one-row queries; on SQLite the prepared one-row queries are
// cheaper than parsing a query whose IN list changes length.
func (t *Tx) RoundTrips() bool { return t.s.dialect.engine == Postgres }

// ForUpdate is the engine's row-lock suffix for a SELECT of a row about to
// change ("" on SQLite, whose write transactions hold the database).
func (t *Tx) ForUpdate() string { return t.s.dialect.forUpdate }

// Emit records an audit event of the change; it is written, chained, with
// the group's other events, in the same transaction.
func (t *Tx) Emit(ev banking.Event) { t.events = append(t.events, ev) }

// Notify records a notice: an event that changed nothing, so it is not
// written to the audit trail, but that the event hook sees with the group's
// events (a KYC check left for manual review becomes the user.kyc.pending
// webhook). Kept only when the work succeeds, like Emit's.
func (t *Tx) Notify(ev banking.Event) { t.notices = append(t.notices, ev) }

// Schedule records a job to run once the transaction commits (jobs.go). It
// is inserted in the same transaction as the change that causes it.
func (t *Tx) Schedule(j NewJob) { t.jobs = append(t.jobs, j) }

// countUser moves a program's user counts by delta for one (status, KYC
// status) pair.
func (t *Tx) countUser(pid banking.ProgramID, st banking.Status, ks banking.KYCStatus, delta int) {
	if t.counts == nil {
		t.counts = map[countKey]int{}
	}
	t.counts[countKey{pid, st, ks}] += delta
}

// keep moves what a successful work deferred into the group's buffers.
func (g *Tx) keep(w *Tx) {
	for _, pid := range w.resets {
		g.dropProgram(pid)
	}
	g.keepClearing(w)
	g.events = append(g.events, w.events...)
	g.notices = append(g.notices, w.notices...)
	g.jobs = append(g.jobs, w.jobs...)
	g.retried = append(g.retried, w.retried...)
	g.withJobs = append(g.withJobs, w.withJobs...)
	g.afterCommit = append(g.afterCommit, w.afterCommit...)
	if w.wroteEndpoints {
		g.endpoints, g.endpointsOf = nil, nil
	}
	for k, n := range w.numbers {
		g.noteNumber(k.table, k.id, n)
	}
	for k, d := range w.counts {
		if g.counts == nil {
			g.counts = map[countKey]int{}
		}
		g.counts[k] += d
	}
}

// flush writes what the group's works deferred: the clearing accounts'
// balances (clearing.go), what the event hook derives from the group's
// events (webhooks), the net count changes, the new jobs (the hook's
// included), then the chained events. On PostgreSQL the count
// changes and the hook's outbox rows are written by the statement that
// inserts the jobs, when there are jobs (Tx.withJobs). Events go last because
// chaining them locks each program's chain head until the commit: the
// shorter that hold, the sooner another group (another lane or process) of
// the same program can chain its own.
func (s *Store) flush(ctx context.Context, g *Tx) error {
	if err := s.writeClearing(ctx, g); err != nil {
		return err
	}
	if h := s.eventHook.Load(); h != nil && len(g.events)+len(g.notices) > 0 {
		if err := (*h)(ctx, g, g.events, g.notices); err != nil {
			return err
		}
	}
	if u, ok := s.countsUpsert(g.counts); ok && s.dialect.engine == Postgres && len(g.jobs) > 0 {
		// In the jobs' statement: no round trip of its own. Its rows are
		// the only ones of user_counts that statement locks, in their
		// canonical order as ever, before the chain heads.
		g.withJobs = append([]stmt{u}, g.withJobs...)
	} else if err := s.addCounts(ctx, g.tx, g.counts); err != nil {
		return err
	}
	if err := s.insertJobs(ctx, g); err != nil {
		return err
	}
	if len(g.events) == 0 {
		return nil
	}
	return s.insertEvents(ctx, g.tx, g.events)
}

// EventHook derives more rows from a group's audit events and notices
// (Tx.Notify), in the group's transaction, before they are written: it may
// query and write through tx and schedule jobs (tx.Schedule), which are
// inserted with the group's own. Its failure fails the group's final
// writes, so every work then runs alone (group.go): no change commits
// without what the hook derives from it. Both lists are in the order the
// works recorded them; the hook must not change them.
type EventHook func(ctx context.Context, tx *Tx, events, notices []banking.Event) error

// SetEventHook installs the one event hook (webhooks, internal/service);
// nil removes it. Set it before the store runs any Work.
func (s *Store) SetEventHook(h EventHook) {
	if h == nil {
		s.eventHook.Store(nil)
		return
	}
	s.eventHook.Store(&h)
}

// wakeKinds are the kinds of the jobs the group scheduled or retried: once
// it commits, their runners are woken (a retry may be due sooner than the
// runner's next look).
func (g *Tx) wakeKinds() []string {
	kinds := slices.Clone(g.retried)
	for _, j := range g.jobs {
		// A job born claimed is handed to its runner, not found by it.
		if j.Claimed == nil && !slices.Contains(kinds, j.Kind) {
			kinds = append(kinds, j.Kind)
		}
	}
	return kinds
}

// Do runs w and returns its answer. The committer may run w with other work
// in one transaction (group.go); w's outcome is its own either way.
func (s *Store) Do(ctx context.Context, w Work) (any, error) {
	op := &groupOp{ctx: ctx, work: w, done: make(chan opResult, 1)}
	r := s.enqueue(op)
	return r.value, r.err
}

// lockIDs maps a group's lock keys to PostgreSQL advisory lock ids, sorted
// and without duplicates: the one global order every group takes them in.
// Two keys sharing an id (a 64-bit hash collision) only serialize two works
// that did not need it.
func lockIDs(ops []*groupOp) []int64 {
	var ids []int64
	for _, op := range ops {
		keys := op.work.Locks
		if op.work.Idem != nil {
			// The key's row changes with the work (finishIdem): it is
			// ordered with the rest.
			keys = append(keys[:len(keys):len(keys)], idemLock(op.work.Idem.Ref.Key))
		}
		for _, k := range keys {
			h := fnv.New64a()
			h.Write([]byte(op.work.Program))
			h.Write([]byte{0})
			h.Write([]byte(k))
			ids = append(ids, int64(h.Sum64()))
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// takeLocks takes the group's advisory locks in one statement, in
// ascending order, held until the transaction ends. When an event hook is
// installed, the same statement reads the webhook endpoints of the group's
// programs into g (Tx.WebhookEndpoints), so the hook's read costs no round
// trip of its own. Both statements are one fixed text each, the ids an
// array parameter: prepared once per connection, not once per group.
func (s *Store) takeLocks(ctx context.Context, g *Tx, ops []*groupOp) error {
	if s.dialect.engine != Postgres {
		return nil
	}
	ids := lockIDs(ops)
	if len(ids) == 0 {
		return nil
	}
	if s.eventHook.Load() == nil {
		// unnest yields the ids in array order, and each row's lock is
		// taken as the row is produced.
		_, err := g.Exec(ctx, `SELECT pg_advisory_xact_lock(k) FROM unnest(?::bigint[]) AS k`, ids)
		return err
	}
	var pids []banking.ProgramID
	for _, op := range ops {
		if !slices.Contains(pids, op.work.Program) {
			pids = append(pids, op.work.Program)
		}
	}
	return g.readEndpointsWith(ctx, ids, pids)
}
