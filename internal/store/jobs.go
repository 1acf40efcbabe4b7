package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Durable jobs. Work that must happen later (a KYC decision, a settlement,
// a webhook attempt) is a row of the jobs table, inserted by Tx.Schedule in
// the same transaction as the change that causes it, so there is no change
// without its job and no job without its change.
//
// A job is due when run_at <= now. Claiming a job moves its run_at to the end
// of a lease and gives it a fresh token: a process that dies while running
// it (SIGKILL) leaves a run_at that comes due again when the lease ends, and
// any process then claims it anew. Completing or retrying a job names its
// token, so a process whose lease ran out cannot touch a job another process
// has taken over; work that carries its job (Work.Job) commits its effect
// and the job's completion together, so the effect happens exactly once.
// PostgreSQL claims with FOR UPDATE SKIP LOCKED, so several processes claim
// different jobs; SQLite claims inside its one write transaction. Nothing is
// found by scanning every row: claims walk the run_at index from its start.
// (docs/decisions.md: River was measured first.)

// NewJob is a job to schedule.
type NewJob struct {
	Program banking.ProgramID
	// Kind selects the handler ("kyc.check", ...).
	Kind string
	// Payload is the handler's input, usually JSON; never a secret.
	Payload []byte
	// RunAt is when the job is due, in the program's time (its sandbox
	// clock; the real time in production).
	RunAt time.Time
	// Claimed, when set, inserts the job already claimed by this process,
	// with a lease until Lease, and hands it to Claimed once the
	// transaction commits: a runner of this process can start it at once,
	// with no claim of its own. If nothing runs it (the process dies), the
	// lease ends and any process claims it as any other job.
	Claimed func(Job)
	Lease   time.Time
	// Attempts are the attempts the job's work had before this job (a
	// webhook event's retry after its first delivery's job): a claim
	// counts on from them. Created is when that work began, the job's
	// Created once claimed; zero means RunAt.
	Attempts int
	Created  time.Time
}

// Job is a claimed job.
type Job struct {
	ID       int64
	Program  banking.ProgramID
	Kind     string
	Payload  []byte
	Attempts int // including this one
	Created  time.Time
	token    string
	// settled is set when a Work (Work.Job, Tx.RetryJob) completed or
	// rescheduled the job in its transaction; CompleteJob then has nothing
	// left to do. Shared by every copy of the claimed Job.
	settled *atomic.Bool
	// handed: a first webhook delivery handed over on SQLite without a
	// row (Tx.InsertWebhookEvents); nothing can take it from this process.
	handed bool
}

// Handed reports whether j is a first webhook delivery this process holds
// without a job row (SQLite, Tx.InsertWebhookEvents): it has no lease to
// keep and no row to settle; an attempt of it that cannot be recorded is
// given a job row (HandedToJobsWork), and one never made is found at the
// next start (RecoverHandedDeliveries).
func (j Job) Handed() bool { return j.handed }

// Events are the ids of the events a webhook delivery job names (none when
// its payload is malformed).
func (j Job) Events() []string {
	p, err := ParseWebhookJob(j.Payload)
	if err != nil {
		return nil
	}
	return p.Events()
}

// HandedPart is handed job j narrowed to its events ids (a subset of the
// events its payload names): the part of it a delivery pool holds apart.
func (j Job) HandedPart(ids []string) Job {
	j.Payload = webhookJobsPayload(ids)
	j.settled = new(atomic.Bool)
	return j
}

// Completed reports whether a Work carrying j (Work.Job) has completed it
// in a transaction that committed: the runner then need not delete it.
func (j Job) Completed() bool { return j.settled != nil && j.settled.Load() }

// errJobLost is the outcome of a work whose job was taken over by another
// process after its lease ran out: the other process does the work.
var errJobLost = banking.Errorf(banking.CodeConflict, "the job was taken over by another process")

// JobsScheduled is signalled after a commit that scheduled jobs in this
// process, so the runner need not wait for its next poll.
func (s *Store) JobsScheduled() <-chan struct{} { return s.jobsScheduled }

// WatchJobs returns a channel of its own, signalled after a commit in this
// process that scheduled a job of one of kinds: the wake-up of a runner
// with a pool of its own (webhook deliveries), which must neither take the
// general runner's wake-ups nor be woken by every other kind's.
func (s *Store) WatchJobs(kinds ...string) <-chan struct{} {
	w := watcher{c: make(chan struct{}, 1), kinds: kinds}
	s.watchMu.Lock()
	s.watchers = append(s.watchers, w)
	s.watchMu.Unlock()
	return w.c
}

// watcher is one WatchJobs channel and the kinds it is told of.
type watcher struct {
	c     chan struct{}
	kinds []string
}

func (s *Store) notifyJobs(kinds []string) {
	wake := func(c chan struct{}) {
		select {
		case c <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
	wake(s.jobsScheduled)
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for _, w := range s.watchers {
		for _, k := range kinds {
			if slices.Contains(w.kinds, k) {
				wake(w.c)
				break
			}
		}
	}
}

// insertJobs writes the group's jobs inside its transaction; those born
// claimed (NewJob.Claimed) are handed over after the commit. The group's
// withJobs inserts (PostgreSQL) run in the first statement, unless that
// would take more than maxStatementArgs parameters: then each runs alone.
func (s *Store) insertJobs(ctx context.Context, g *Tx) error {
	with := g.withJobs
	g.withJobs = nil
	folded := 7 * min(len(g.jobs), jobRows) // the first chunk's parameters
	for _, w := range with {
		folded += len(w.args)
	}
	if len(g.jobs) == 0 || folded > maxStatementArgs {
		// Alone, each within the limit (a group of thousands of events).
		for _, w := range with {
			if _, err := s.exec(ctx, g.tx, w.q, w.args...); err != nil {
				return err
			}
		}
		with = nil
		if len(g.jobs) == 0 {
			return nil
		}
	}
	start := 0
	for _, size := range s.rowChunks(len(g.jobs), jobRows) {
		if err := s.insertJobRows(ctx, g, g.jobs[start:start+size], with); err != nil {
			return err
		}
		with = nil
		start += size
	}
	return nil
}

// Statement sizes: jobRows jobs (7 parameters each) per INSERT, and at
// most maxStatementArgs parameters in a statement that folds the group's
// withJobs into it (PostgreSQL's protocol takes 65,535; the outbox rows
// alone are 12 each, so about 5,000 events of one group fit).
const (
	jobRows          = 500
	maxStatementArgs = 60000
)

func (s *Store) insertJobRows(ctx context.Context, g *Tx, jobs []NewJob, with []stmt) error {
	args := make([]any, 0, 8*len(jobs))
	claimed := map[string]int{} // token → index in jobs
	var values strings.Builder
	for i, j := range jobs {
		payload := j.Payload
		if payload == nil {
			payload = []byte{}
		}
		if i > 0 {
			values.WriteString(", ")
		}
		created := j.Created
		if created.IsZero() {
			created = j.RunAt
		}
		if j.Claimed != nil {
			// A lease is real time.
			token := s.claimToken()
			claimed[token] = i
			values.WriteString(`(?, ?, ?, ?, ?, ?, ?)`)
			args = append(args, j.Program, j.Kind, string(payload), millis(j.Lease), token, j.Attempts+1, millis(created))
			continue
		}
		// RunAt is in the program's time (sandbox_clock.go).
		values.WriteString(`(?, ?, ?, ` + programRunAt + `, '', ?, ?)`)
		args = append(args, j.Program, j.Kind, string(payload), millis(j.RunAt), j.Program, j.Attempts, millis(created))
	}
	ins := withClauses(with, stmt{`INSERT INTO jobs (program_id, kind, payload, run_at, token, attempts, created_at) VALUES ` +
		values.String(), args})
	q, args := ins.q, ins.args
	if len(claimed) == 0 {
		_, err := s.exec(ctx, g.tx, q, args...)
		return err
	}
	rows, err := s.txQuery(ctx, g.tx, q+` RETURNING id, token`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var token string
		if err := rows.Scan(&id, &token); err != nil {
			return err
		}
		i, ok := claimed[token]
		if !ok {
			continue
		}
		nj := jobs[i]
		created := nj.Created
		if created.IsZero() {
			created = nj.RunAt
		}
		j := Job{ID: id, Program: nj.Program, Kind: nj.Kind, Payload: nj.Payload, Attempts: nj.Attempts + 1,
			Created: fromMillis(millis(created)), token: token, settled: new(atomic.Bool)}
		g.afterCommit = append(g.afterCommit, func() { nj.Claimed(j) })
	}
	return rows.Err()
}

// ClaimJobs leases up to limit due jobs until now+lease and returns them,
// earliest due first.
func (s *Store) ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Job, error) {
	return s.ClaimJobKinds(ctx, nil, now, lease, limit)
}

// ClaimJobKinds is ClaimJobs for the jobs of the given kinds only (nil: of
// any kind). Runners with pools of their own (webhook deliveries) claim
// their kinds, the general runner the others, each through the (kind,
// run_at) index, never walking past the other pool's due jobs.
func (s *Store) ClaimJobKinds(ctx context.Context, kinds []string, now time.Time, lease time.Duration, limit int) ([]Job, error) {
	defer s.timed("claim_jobs", time.Now())
	token := s.claimToken()
	skip := ""
	if s.dialect.engine == Postgres {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	where, args := `run_at <= ?`, []any{millis(now.Add(lease)), token, millis(now)}
	if kinds != nil {
		where = `kind IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ") + `) AND ` + where
		args = args[:2]
		for _, k := range kinds {
			args = append(args, k)
		}
		args = append(args, millis(now))
	}
	args = append(args, limit)
	// A Work of the group committer: the claim shares its commit with the
	// group's other work (on SQLite, a claim of its own paid an fsync for
	// every batch of settlements). SKIP LOCKED never waits, so the claim
	// needs no lock key of its own.
	v, err := s.Do(ctx, Work{Run: func(ctx context.Context, tx *Tx) (any, error) {
		var jobs []Job
		// On PostgreSQL the chosen ids are a MATERIALIZED CTE: a LIMIT ...
		// SKIP LOCKED subquery under "id IN" may be run again by the
		// executor and claim more than limit rows (seen: the webhook pool
		// got more jobs than free workers and deadlocked).
		q := `UPDATE jobs SET run_at = ?, token = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM jobs WHERE ` + where + ` ORDER BY run_at LIMIT ?` + skip + `)
			RETURNING id, program_id, kind, payload, attempts, created_at`
		if s.dialect.engine == Postgres {
			q = `WITH chosen AS MATERIALIZED (SELECT id FROM jobs WHERE ` + where + ` ORDER BY run_at LIMIT ?` + skip + `)
			UPDATE jobs SET run_at = ?, token = ?, attempts = attempts + 1 FROM chosen WHERE jobs.id = chosen.id
			RETURNING jobs.id, jobs.program_id, jobs.kind, jobs.payload, jobs.attempts, jobs.created_at`
			// The CTE's parameters come first.
			args = append(append([]any{}, args[2:]...), args[0], args[1])
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			j := Job{token: token, settled: new(atomic.Bool)}
			var payload string
			var created int64
			if err := rows.Scan(&j.ID, &j.Program, &j.Kind, &payload, &j.Attempts, &created); err != nil {
				return nil, err
			}
			j.Payload, j.Created = []byte(payload), fromMillis(created)
			jobs = append(jobs, j)
		}
		return jobs, rows.Err()
	}})
	jobs, _ := v.([]Job)
	return jobs, err
}

// ExtendLease moves the end of j's lease to until (real time) while this
// claim still holds it (its token unchanged), and reports whether it did:
// a runner whose queued work outlasts the lease (a delivery job of many
// events to a slow endpoint) keeps the job rather than leaving it to wait
// for the lease's end. A Work of the group committer, like a claim.
func (s *Store) ExtendLease(ctx context.Context, j Job, until time.Time) (bool, error) {
	v, err := s.Do(ctx, Work{Run: func(ctx context.Context, tx *Tx) (any, error) {
		res, err := tx.Exec(ctx, `UPDATE jobs SET run_at = ? WHERE id = ? AND token = ?`, millis(until), j.ID, j.token)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		return n == 1, err
	}})
	held, _ := v.(bool)
	return held, err
}

// CompleteJob deletes a finished job, unless another process has claimed it
// since (then it is that process's). Completing a job twice is harmless.
func (s *Store) CompleteJob(ctx context.Context, j Job) error {
	if j.settled != nil && j.settled.Load() {
		return nil // its Work deleted it already
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `DELETE FROM jobs WHERE id = ? AND token = ?`, j.ID, j.token)
		return err
	})
}

// finishJob completes j inside a work's transaction, failing the work when
// the job is no longer this claim's.
func (s *Store) finishJob(ctx context.Context, tx *sql.Tx, j *Job) error {
	res, err := s.exec(ctx, tx, `DELETE FROM jobs WHERE id = ? AND token = ?`, j.ID, j.token)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return errJobLost
	}
	if j.settled != nil {
		j.settled.Store(true)
	}
	return nil
}

// RetryJob makes the job a work carries due again at runAt (in its
// program's time, sandbox_clock.go), in the work's
// transaction, recording why (a webhook attempt that failed records its
// outcome and its next attempt together). It fails the work with a
// conflict when the job is no longer this claim's, like Work.Job; a work
// that calls it must not also set Work.Job.
func (t *Tx) RetryJob(ctx context.Context, j *Job, runAt time.Time, cause string) error {
	res, err := t.Exec(ctx, `UPDATE jobs SET run_at = `+programRunAt+`, token = '', last_error = ? WHERE id = ? AND token = ?`,
		millis(runAt), j.Program, truncate(cause, 500), j.ID, j.token)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return errJobLost
	}
	if j.settled != nil {
		j.settled.Store(true)
	}
	t.retried = append(t.retried, j.Kind)
	return nil
}

// RetryJob makes a failed job due again at runAt (in its program's time),
// recording why it failed,
// unless another process has claimed it since.
func (s *Store) RetryJob(ctx context.Context, j Job, runAt time.Time, cause string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `UPDATE jobs SET run_at = `+programRunAt+`, token = '', last_error = ? WHERE id = ? AND token = ?`,
			millis(runAt), j.Program, truncate(cause, 500), j.ID, j.token)
		return err
	})
}

// NextJobDue reports when the earliest job of kinds (of any kind when none
// are named) is due, claimed ones included (their lease end), and false
// when there is none.
func (s *Store) NextJobDue(ctx context.Context, kinds ...string) (time.Time, bool, error) {
	q, args := `SELECT min(run_at) FROM jobs`, []any{}
	if len(kinds) > 0 {
		// One index probe per kind.
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = `SELECT min(run_at) AS m FROM jobs WHERE kind = ?`
			args = append(args, k)
		}
		q = `SELECT min(m) FROM (` + strings.Join(parts, ` UNION ALL `) + `) due`
	}
	var at sql.NullInt64
	err := s.queryRow(ctx, nil, q, args...).Scan(&at) // runners ask often: prepared
	if err != nil || !at.Valid {
		return time.Time{}, false, s.translate(err)
	}
	return fromMillis(at.Int64), true, nil
}

// PullJobsIn makes every unclaimed job of kind due no later than by, and
// reports how many it moved. It walks only the jobs due after by (the index
// on kind and run_at), so when nothing is later than by it touches nothing.
func (s *Store) PullJobsIn(ctx context.Context, kind string, by time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE jobs SET run_at = ? WHERE kind = ? AND run_at > ? AND token = ''`),
			millis(by), kind, millis(by))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// JobCount reports how many jobs of kind exist ("" for all), for tests,
// metrics and the console.
func (s *Store) JobCount(ctx context.Context, kind string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM jobs WHERE kind = ? OR ? = ''`), kind, kind).Scan(&n)
	return n, s.translate(err)
}

// truncate cuts s to at most n bytes on a UTF-8 boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
