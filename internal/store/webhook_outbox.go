package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/webhook"
)

// WebhookEvent is one row of the outbox: a webhook event, the exact body
// every attempt sends, and the state of its delivery.
type WebhookEvent struct {
	ID         string // inn_whe_…
	ProgramID  banking.ProgramID
	Type       string
	ResourceID string
	// AuditEventID is the audit event the webhook event derives from, ""
	// for one derived from a notice (store.Tx.Notify).
	AuditEventID string
	// Payload is the exact body every attempt sends, whatever the row
	// keeps.
	Payload []byte
	// Stored, when set, is all of Payload the row keeps (the writer's
	// webhook.Event.Stored): the rest is the row's type, id, resource and
	// time, and reads put the body back together with webhook.Render. Nil
	// keeps Payload whole.
	Stored []byte
	// Status is DeliveryPending, DeliveryDelivered or DeliveryFailed.
	Status         string
	Attempts       int
	LastStatusCode int
	LastError      string
	NextAttemptAt  time.Time // zero unless pending
	DeliveredAt    time.Time // zero until delivered
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// WebhookJob is a delivery job's payload: the events it delivers. A first
// delivery's job names every pending event of one program that one group
// committed (EventIDs, or EventID when there is one); a retry or a
// redelivery names its one event.
type WebhookJob struct {
	EventID  string   `json:"event_id,omitempty"`
	EventIDs []string `json:"event_ids,omitempty"`
	// Redeliver: one more delivery asked for (webhook/redeliver), made
	// even if the event was delivered meanwhile; a first delivery's job
	// whose event was delivered by another has nothing to do.
	Redeliver bool `json:"redeliver,omitempty"`
}

// Events are the ids of the events the job delivers.
func (p WebhookJob) Events() []string {
	if len(p.EventIDs) > 0 {
		return p.EventIDs
	}
	return []string{p.EventID}
}

// Several reports whether the job names several events: an attempt of one
// of them that fails is retried by a job of its own
// (WebhookOutcomesWork), as the others' outcomes still settle this one.
func (p WebhookJob) Several() bool { return len(p.EventIDs) > 0 }

// outboxRows is how many webhook events one INSERT carries (12 parameters
// each). On PostgreSQL a group's inserts become WITH clauses of the
// statement that inserts its jobs (Tx.withJobs), all of them in one
// statement up to maxStatementArgs parameters, each alone beyond.
const outboxRows = 500

// jobEvents caps the events one delivery job names (a group's pending
// events of one program beyond it take more jobs).
const jobEvents = 256

// Handoff decides, for the delivery job of the pending events evs[i], i
// in idx, of InsertWebhookEvents, whether it is born claimed by this
// process (NewJob.Claimed): it returns the func that takes the job after
// the commit, and the lease's end; nil leaves the job to be claimed as any
// other.
type Handoff func(idx []int) (take func(Job), lease time.Time)

// InsertWebhookEvents writes webhook events in the transaction of the change
// they report and schedules their delivery, due at once: the transactional
// outbox of webhooks.md section 4. The pending events of one program get
// one delivery job between them (up to jobEvents): a job row per event
// cost the group's one writer as much as the event's own row. handoff (may
// be nil) lets this process's deliveries start them without claiming them.
//
// On SQLite a handed-over first delivery writes no job row at all: the
// event row is marked handed, and the job the handoff takes is one of no
// row (Job.Handed). Its three B-trees (the jobs table and its two indexes)
// were half of what emitting an event cost SQLite's one writer. Should this
// process stop before it records the attempts, RecoverHandedDeliveries
// gives those events job rows at its next start (docs/decisions.md,
// "SQLite hands first deliveries over without a job row").
func (t *Tx) InsertWebhookEvents(ctx context.Context, evs []WebhookEvent, handoff Handoff) error {
	type delivery struct {
		pid   banking.ProgramID
		idx   []int
		take  func(Job)
		lease time.Time
	}
	var deliveries []delivery
	handed := make([]bool, len(evs))
	// The pending events by program, in order.
	var pids []banking.ProgramID
	byProgram := map[banking.ProgramID][]int{}
	for i := range evs {
		if evs[i].Status != DeliveryPending {
			continue
		}
		pid := evs[i].ProgramID
		if _, ok := byProgram[pid]; !ok {
			pids = append(pids, pid)
		}
		byProgram[pid] = append(byProgram[pid], i)
	}
	for _, pid := range pids {
		all := byProgram[pid]
		for len(all) > 0 {
			d := delivery{pid: pid, idx: all[:min(len(all), jobEvents)]}
			all = all[len(d.idx):]
			if handoff != nil {
				d.take, d.lease = handoff(d.idx)
			}
			if d.take != nil && t.s.HandsOverWithoutJobs() {
				for _, i := range d.idx {
					handed[i] = true
				}
			}
			deliveries = append(deliveries, d)
		}
	}
	start := 0
	for _, size := range t.s.rowChunks(len(evs), outboxRows) {
		chunk := evs[start : start+size]
		args := make([]any, 0, 12*len(chunk))
		for i := range chunk {
			e := &chunk[i]
			var next any
			if e.Status == DeliveryPending {
				next = millis(e.CreatedAt)
			}
			payload := e.Payload
			if e.Stored != nil {
				payload = e.Stored
			}
			args = append(args, e.ID, e.ProgramID, e.Type, e.ResourceID, e.AuditEventID, string(payload),
				e.Status, e.LastError, next, millis(e.CreatedAt), millis(e.CreatedAt), flag(handed[start+i]))
		}
		start += size
		q := `INSERT INTO webhook_events (id, program_id, type, resource_id, audit_event_id,
			payload, status, last_error, next_attempt_at, created_at, updated_at, handed) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(chunk)), ", ")
		if t.s.dialect.engine == Postgres {
			// Written with the group's jobs, in one round trip (Tx.withJobs).
			t.withJobs = append(t.withJobs, stmt{q, args})
			continue
		}
		if _, err := t.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	for _, d := range deliveries {
		ids := make([]string, len(d.idx))
		runAt := evs[d.idx[0]].CreatedAt
		for k, i := range d.idx {
			ids[k] = evs[i].ID
			if evs[i].CreatedAt.Before(runAt) {
				runAt = evs[i].CreatedAt
			}
		}
		payload := webhookJobsPayload(ids)
		if handed[d.idx[0]] {
			j := Job{Program: d.pid, Kind: JobWebhookDelivery, Payload: payload, Attempts: 1,
				Created: fromMillis(millis(runAt)), settled: new(atomic.Bool), handed: true}
			take := d.take
			t.afterCommit = append(t.afterCommit, func() { take(j) })
			continue
		}
		t.Schedule(NewJob{Program: d.pid, Kind: JobWebhookDelivery, Payload: payload, RunAt: runAt,
			Claimed: d.take, Lease: d.lease})
	}
	return nil
}

// flag is b as a 0/1 column value (both engines' INTEGER).
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// webhookJobPayload is WebhookJob's JSON for one event, built without
// reflection: event ids are letters, digits and underscores.
func webhookJobPayload(eventID string, redeliver bool) []byte {
	if redeliver {
		return []byte(`{"event_id":"` + eventID + `","redeliver":true}`)
	}
	return []byte(`{"event_id":"` + eventID + `"}`)
}

// webhookJobsPayload is WebhookJob's JSON for the first delivery of ids.
func webhookJobsPayload(ids []string) []byte {
	if len(ids) == 1 {
		return webhookJobPayload(ids[0], false)
	}
	b := make([]byte, 0, 16+len(ids)*(len(ids[0])+3))
	b = append(b, `{"event_ids":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, id...)
		b = append(b, '"')
	}
	return append(b, "]}"...)
}

// WebhookAttempt is what one delivery attempt needs: the event and the
// program's endpoint as they are now.
type WebhookAttempt struct {
	Event WebhookEvent
	// HasEndpoint is false when the program has no endpoint (deleted).
	HasEndpoint bool
	Endpoint    WebhookEndpoint
}

// WebhookAttempts reads the events of a batch of claimed delivery jobs
// with their programs' endpoints, by event id, in one query per outboxRows
// events. An event that does not exist (or is another program's) is
// absent.
func (s *Store) WebhookAttempts(ctx context.Context, jobs []Job) (map[string]WebhookAttempt, error) {
	defer s.timed("webhook_attempts", time.Now())
	out := make(map[string]WebhookAttempt, len(jobs))
	var ids []any
	for _, j := range jobs {
		p, err := ParseWebhookJob(j.Payload)
		if err != nil {
			continue
		}
		for _, id := range p.Events() {
			ids = append(ids, id)
		}
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), outboxRows)]
		ids = ids[len(chunk):]
		if err := s.readAttempts(ctx, chunk, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readAttempts reads the events ids with their endpoints into out.
func (s *Store) readAttempts(ctx context.Context, ids []any, out map[string]WebhookAttempt) error {
	in, args := inList(ids)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT e.id, e.program_id, e.type, e.resource_id, e.payload, e.status, e.attempts, e.created_at,
			w.url, w.status, w.version, w.failing_since
		FROM webhook_events e LEFT JOIN webhook_endpoints w ON w.program_id = e.program_id
		WHERE e.id IN (`+in+`)`), args...)
	if err != nil {
		return s.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a WebhookAttempt
		var created int64
		var payload string
		var url, status sql.NullString
		var version, failing sql.NullInt64
		if err := rows.Scan(&a.Event.ID, &a.Event.ProgramID, &a.Event.Type, &a.Event.ResourceID, &payload, &a.Event.Status,
			&a.Event.Attempts, &created, &url, &status, &version, &failing); err != nil {
			return s.translate(err)
		}
		a.Event.CreatedAt = fromMillis(created)
		a.Event.Payload = a.Event.body(payload)
		if url.Valid {
			a.HasEndpoint = true
			a.Endpoint = WebhookEndpoint{ProgramID: a.Event.ProgramID, URL: url.String, Status: status.String, Version: version.Int64}
			if failing.Int64 != 0 {
				a.Endpoint.FailingSince = fromMillis(failing.Int64)
			}
		}
		out[a.Event.ID] = a
	}
	return s.translate(rows.Err())
}

var errNoWebhookEvent = banking.Errorf(banking.CodeNotFound, "webhook event not found")

// RedeliverWork makes one more delivery of a program's event due at now,
// whatever its status (webhooks.md section 5): the event is pending again,
// its attempts keep counting, and a new job delivers it. The redelivery is
// recorded as a webhook.redelivered audit event of actor (the program, or
// the console's operator) about the webhook event, in the same
// transaction. It answers the event as it then is (a WebhookEvent).
func RedeliverWork(pid banking.ProgramID, eventID string, now time.Time, actor string) Work {
	return Work{Program: pid, Locks: []string{LockKey("webhook_event", eventID)}, Run: func(ctx context.Context, tx *Tx) (any, error) {
		var from string
		err := tx.QueryRow(ctx, `SELECT status FROM webhook_events WHERE program_id = ? AND id = ?`+tx.ForUpdate(),
			pid, eventID).Scan(&from)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNoWebhookEvent
		}
		if err != nil {
			return nil, err
		}
		// handed = 0: the redelivery's job row delivers it now; a start
		// must not give it a second (RecoverHandedDeliveries).
		if _, err := tx.Exec(ctx, `UPDATE webhook_events SET status = ?, next_attempt_at = ?, updated_at = ?, handed = 0
			WHERE program_id = ? AND id = ?`, DeliveryPending, millis(now), millis(now), pid, eventID); err != nil {
			return nil, err
		}
		tx.Schedule(NewJob{Program: pid, Kind: JobWebhookDelivery, Payload: webhookJobPayload(eventID, true), RunAt: now})
		tx.Emit(banking.Event{ID: banking.NewEventID(now), ProgramID: pid, SubjectID: eventID,
			Type: banking.EventWebhookRedelivered, Actor: actor,
			Changes: banking.Changes{"status": {From: from, To: DeliveryPending}}, CreatedAt: now})
		return scanWebhookEvent(tx.QueryRow(ctx, `SELECT `+webhookEventCols+` FROM webhook_events
			WHERE program_id = ? AND id = ?`, pid, eventID))
	}}
}

const webhookEventCols = `id, program_id, type, resource_id, audit_event_id, payload, status, attempts,
	last_status_code, last_error, next_attempt_at, delivered_at, created_at, updated_at`

func scanWebhookEvent(row interface{ Scan(...any) error }) (WebhookEvent, error) {
	var e WebhookEvent
	var payload string
	var next, delivered sql.NullInt64
	var created, updated int64
	err := row.Scan(&e.ID, &e.ProgramID, &e.Type, &e.ResourceID, &e.AuditEventID, &payload, &e.Status, &e.Attempts,
		&e.LastStatusCode, &e.LastError, &next, &delivered, &created, &updated)
	if err != nil {
		return e, err
	}
	e.CreatedAt = fromMillis(created)
	e.Payload = e.body(payload)
	if next.Valid {
		e.NextAttemptAt = fromMillis(next.Int64)
	}
	if delivered.Valid {
		e.DeliveredAt = fromMillis(delivered.Int64)
	}
	e.UpdatedAt = fromMillis(updated)
	return e, nil
}

// body is the exact body of e, whose row keeps payload: a Stored part put
// back together with the row's type, id, resource and time, or a whole
// body, as the outbox kept every event before it kept Stored parts.
func (e *WebhookEvent) body(payload string) []byte {
	if p := []byte(payload); !webhook.IsStored(p) {
		return p
	}
	return webhook.Render(webhook.Type(e.Type), e.ID, []byte(payload), e.ResourceID, e.CreatedAt)
}

// WebhookFilter selects a page of a program's webhook events, newest first.
type WebhookFilter struct {
	EventID    string
	Type       string
	ResourceID string
	Status     string
	Page       int
	PerPage    int
}

// WebhookEvents lists a program's webhook events matching f, newest first,
// and how many match in all.
func (s *Store) WebhookEvents(ctx context.Context, pid banking.ProgramID, f WebhookFilter) ([]WebhookEvent, int, error) {
	defer s.timed("webhook_events", time.Now())
	where := []string{"program_id = ?"}
	args := []any{pid}
	for _, c := range []struct{ col, v string }{{"id", f.EventID}, {"type", f.Type}, {"status", f.Status}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if f.ResourceID != "" {
		q, qargs := s.resourceEvents(pid, f.ResourceID)
		where = append(where, `seq IN (`+q+`)`)
		args = append(args, qargs...)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM webhook_events WHERE `+cond), args...).Scan(&total); err != nil {
		return nil, 0, s.translate(err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+webhookEventCols+` FROM webhook_events WHERE `+cond+
		` ORDER BY seq DESC LIMIT ? OFFSET ?`), append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, s.translate(err)
	}
	defer rows.Close()
	out := []WebhookEvent{}
	for rows.Next() {
		e, err := scanWebhookEvent(rows)
		if err != nil {
			return nil, 0, s.translate(err)
		}
		out = append(out, e)
	}
	return out, total, s.translate(rows.Err())
}

// WebhookQueue reports how many deliveries wait for an attempt, counted
// as the events their jobs name, and when the oldest job was created (zero
// when none), across programs: the metrics' queue depth and oldest pending
// age. The count is high while a first delivery's job is held: it names
// its events until the last outcome deletes it, those delivered already
// included, and an event whose first attempt failed is counted by its own
// job too until then. Counting pending webhook_events instead would be
// exact, but no index has their status (one would cost every event's
// write), so it would read the whole log.
func (s *Store) WebhookQueue(ctx context.Context) (int, time.Time, error) {
	var n sql.NullInt64
	var oldest sql.NullInt64
	// Only payloads webhookJobsPayload wrote as a list are read as JSON.
	events := `json_array_length(payload, '$.event_ids')`
	if s.dialect.engine == Postgres {
		events = `json_array_length(payload::json -> 'event_ids')`
	}
	err := s.db.QueryRowContext(ctx, s.q(`SELECT sum(CASE WHEN payload LIKE '{"event_ids":[%' THEN `+events+` ELSE 1 END),
		min(created_at) FROM jobs WHERE kind = ?`), JobWebhookDelivery).Scan(&n, &oldest)
	if err != nil || !oldest.Valid {
		return int(n.Int64), time.Time{}, s.translate(err)
	}
	return int(n.Int64), fromMillis(oldest.Int64), nil
}

// ParseWebhookJob reads a delivery job's payload.
func ParseWebhookJob(payload []byte) (WebhookJob, error) {
	var p WebhookJob
	if err := json.Unmarshal(payload, &p); err != nil || (p.EventID == "") == (len(p.EventIDs) == 0) ||
		slices.Contains(p.EventIDs, "") {
		return p, banking.Errorf(banking.CodeInvalid, "webhook job payload %q", payload)
	}
	return p, nil
}
