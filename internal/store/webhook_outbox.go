package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
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
	Payload      []byte
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

// WebhookJob is a delivery job's payload.
type WebhookJob struct {
	EventID string `json:"event_id"`
	// Redeliver: one more delivery asked for (webhook/redeliver), made
	// even if the event was delivered meanwhile; a first delivery's job
	// whose event was delivered by another has nothing to do.
	Redeliver bool `json:"redeliver,omitempty"`
}

// outboxRows is how many webhook events one INSERT carries (11 parameters
// each, far below both engines' limits).
const outboxRows = 500

// Handoff decides, for the pending event evs[i] of InsertWebhookEvents,
// whether its delivery job is born claimed by this process
// (NewJob.Claimed): it returns the func that takes the job after the
// commit, and the lease's end; nil leaves the job to be claimed as any
// other.
type Handoff func(i int) (take func(Job), lease time.Time)

// InsertWebhookEvents writes webhook events in the transaction of the change
// they report and schedules a delivery job, due at once, for each pending
// one: the transactional outbox of webhooks.md section 4. handoff (may be
// nil) lets this process's deliveries start them without claiming them.
func (t *Tx) InsertWebhookEvents(ctx context.Context, evs []WebhookEvent, handoff Handoff) error {
	start := 0
	for _, size := range t.s.rowChunks(len(evs), outboxRows) {
		chunk := evs[start : start+size]
		start += size
		args := make([]any, 0, 11*len(chunk))
		for i := range chunk {
			e := &chunk[i]
			var next any
			if e.Status == DeliveryPending {
				next = millis(e.CreatedAt)
			}
			args = append(args, e.ID, e.ProgramID, e.Type, e.ResourceID, e.AuditEventID, string(e.Payload),
				e.Status, e.LastError, next, millis(e.CreatedAt), millis(e.CreatedAt))
		}
		if _, err := t.Exec(ctx, `INSERT INTO webhook_events (id, program_id, type, resource_id, audit_event_id,
			payload, status, last_error, next_attempt_at, created_at, updated_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(chunk)), ", "), args...); err != nil {
			return err
		}
	}
	for i := range evs {
		if evs[i].Status != DeliveryPending {
			continue
		}
		j := NewJob{Program: evs[i].ProgramID, Kind: JobWebhookDelivery,
			Payload: webhookJobPayload(evs[i].ID, false), RunAt: evs[i].CreatedAt}
		if handoff != nil {
			j.Claimed, j.Lease = handoff(i)
		}
		t.Schedule(j)
	}
	return nil
}

// webhookJobPayload is WebhookJob's JSON, built without reflection: event
// ids are letters, digits and underscores.
func webhookJobPayload(eventID string, redeliver bool) []byte {
	if redeliver {
		return []byte(`{"event_id":"` + eventID + `","redeliver":true}`)
	}
	return []byte(`{"event_id":"` + eventID + `"}`)
}

// WebhookAttempt is what one delivery attempt needs: the event and the
// program's endpoint as they are now.
type WebhookAttempt struct {
	Event WebhookEvent
	// HasEndpoint is false when the program has no endpoint (deleted).
	HasEndpoint bool
	Endpoint    WebhookEndpoint
}

// WebhookAttempts reads, in one query, the events of a batch of claimed
// delivery jobs with their programs' endpoints, by event id. An event that
// does not exist (or is another program's) is absent.
func (s *Store) WebhookAttempts(ctx context.Context, jobs []Job) (map[string]WebhookAttempt, error) {
	defer s.timed("webhook_attempts", time.Now())
	out := make(map[string]WebhookAttempt, len(jobs))
	if len(jobs) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(jobs))
	for _, j := range jobs {
		p, err := ParseWebhookJob(j.Payload)
		if err != nil {
			continue
		}
		args = append(args, p.EventID)
	}
	if len(args) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT e.id, e.program_id, e.type, e.payload, e.status, e.attempts, e.created_at,
			w.url, w.status, w.version, w.failing_since
		FROM webhook_events e LEFT JOIN webhook_endpoints w ON w.program_id = e.program_id
		WHERE e.id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")+`)`), args...)
	if err != nil {
		return nil, s.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a WebhookAttempt
		var created int64
		var payload string
		var url, status sql.NullString
		var version, failing sql.NullInt64
		if err := rows.Scan(&a.Event.ID, &a.Event.ProgramID, &a.Event.Type, &payload, &a.Event.Status, &a.Event.Attempts,
			&created, &url, &status, &version, &failing); err != nil {
			return nil, s.translate(err)
		}
		a.Event.Payload, a.Event.CreatedAt = []byte(payload), fromMillis(created)
		if url.Valid {
			a.HasEndpoint = true
			a.Endpoint = WebhookEndpoint{ProgramID: a.Event.ProgramID, URL: url.String, Status: status.String, Version: version.Int64}
			if failing.Int64 != 0 {
				a.Endpoint.FailingSince = fromMillis(failing.Int64)
			}
		}
		out[a.Event.ID] = a
	}
	return out, s.translate(rows.Err())
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
		if _, err := tx.Exec(ctx, `UPDATE webhook_events SET status = ?, next_attempt_at = ?, updated_at = ?
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
	e.Payload = []byte(payload)
	if next.Valid {
		e.NextAttemptAt = fromMillis(next.Int64)
	}
	if delivered.Valid {
		e.DeliveredAt = fromMillis(delivered.Int64)
	}
	e.CreatedAt, e.UpdatedAt = fromMillis(created), fromMillis(updated)
	return e, nil
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
		// Through the audit trail's index of subjects (an event's resource
		// is its audit event's subject), and the few events derived from a
		// notice, which have no audit event ('').
		where = append(where, `seq IN (SELECT seq FROM webhook_events WHERE audit_event_id IN
			(SELECT id FROM events WHERE program_id = ? AND subject_id = ?)
			UNION ALL SELECT seq FROM webhook_events WHERE audit_event_id = '' AND resource_id = ?)`)
		args = append(args, pid, f.ResourceID, f.ResourceID)
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

// WebhookQueue reports how many deliveries wait for an attempt (their jobs)
// and when the oldest of them was created (zero when none), across
// programs: the metrics' queue depth and oldest pending age.
func (s *Store) WebhookQueue(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*), min(created_at) FROM jobs WHERE kind = ?`),
		JobWebhookDelivery).Scan(&n, &oldest)
	if err != nil || !oldest.Valid {
		return n, time.Time{}, s.translate(err)
	}
	return n, fromMillis(oldest.Int64), nil
}

// ParseWebhookJob reads a delivery job's payload.
func ParseWebhookJob(payload []byte) (WebhookJob, error) {
	var p WebhookJob
	if err := json.Unmarshal(payload, &p); err != nil || p.EventID == "" {
		return p, banking.Errorf(banking.CodeInvalid, "webhook job payload %q", payload)
	}
	return p, nil
}
