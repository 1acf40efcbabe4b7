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
	ID           string // inn_whe_…
	ProgramID    banking.ProgramID
	Type         string
	ResourceID   string
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

// InsertWebhookEvents writes webhook events in the transaction of the change
// they report and schedules a delivery job, due at once, for each pending
// one: the transactional outbox of webhooks.md section 4.
func (t *Tx) InsertWebhookEvents(ctx context.Context, evs []WebhookEvent) error {
	for start := 0; start < len(evs); start += outboxRows {
		chunk := evs[start:min(start+outboxRows, len(evs))]
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
		if evs[i].Status == DeliveryPending {
			t.Schedule(NewJob{Program: evs[i].ProgramID, Kind: JobWebhookDelivery,
				Payload: webhookJobPayload(evs[i].ID, false), RunAt: evs[i].CreatedAt})
		}
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

// WebhookAttempt is what one delivery attempt needs, read in one query: the
// event and the program's endpoint as they are now.
type WebhookAttempt struct {
	Event WebhookEvent
	// HasEndpoint is false when the program has no endpoint (deleted).
	HasEndpoint bool
	Endpoint    WebhookEndpoint
}

// WebhookAttempt reads an event of a program and its program's endpoint.
func (s *Store) WebhookAttempt(ctx context.Context, pid banking.ProgramID, eventID string) (WebhookAttempt, error) {
	defer s.timed("webhook_attempt", time.Now())
	var a WebhookAttempt
	var created int64
	var payload string
	var url, status sql.NullString
	var version, failing sql.NullInt64
	err := s.queryRow(ctx, nil, `SELECT e.type, e.payload, e.status, e.attempts, e.created_at,
			w.url, w.status, w.version, w.failing_since
		FROM webhook_events e LEFT JOIN webhook_endpoints w ON w.program_id = e.program_id
		WHERE e.program_id = ? AND e.id = ?`, pid, eventID).Scan(&a.Event.Type, &payload, &a.Event.Status,
		&a.Event.Attempts, &created, &url, &status, &version, &failing)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errNoWebhookEvent
	}
	if err != nil {
		return a, s.translate(err)
	}
	a.Event.ID, a.Event.ProgramID, a.Event.Payload, a.Event.CreatedAt = eventID, pid, []byte(payload), fromMillis(created)
	if url.Valid {
		a.HasEndpoint = true
		a.Endpoint = WebhookEndpoint{ProgramID: pid, URL: url.String, Status: status.String, Version: version.Int64}
		if failing.Int64 != 0 {
			a.Endpoint.FailingSince = fromMillis(failing.Int64)
		}
	}
	return a, nil
}

var errNoWebhookEvent = banking.Errorf(banking.CodeNotFound, "webhook event not found")

// WebhookOutcome is how one delivery attempt ended, or why none was made.
type WebhookOutcome struct {
	ProgramID banking.ProgramID
	EventID   string
	At        time.Time
	// NoAttempt: nothing was sent (no endpoint, or a disabled one); the
	// delivery fails with Error.
	NoAttempt bool
	// Delivered: the endpoint answered 2xx.
	Delivered  bool
	StatusCode int    // 0 when there was no answer
	Error      string // "" when delivered
	// Next is when to try again after a failure; zero ends the delivery as
	// failed.
	Next time.Time
	// Gone: the endpoint answered 410 Gone and is disabled at once.
	Gone bool
	// DisableAfter disables an endpoint whose attempts have all failed for
	// this long (webhooks.md section 4: 3 days).
	DisableAfter time.Duration
}

// WebhookOutcomeWork records an attempt's outcome and settles its job in one
// transaction: delivered or failed completes the job; a failure with Next
// makes it due again then. The endpoint's failure record moves with it: a
// success clears it; a failure starts it, and disables the endpoint after
// DisableAfter (or at once on 410), failing its pending deliveries. If
// another process took the job over meanwhile, nothing is recorded (a
// conflict): that process records its own attempt.
//
// The endpoint row is written before the event's, the order every write of
// both takes (failPending), so two transactions never wait for each other
// in a cycle.
func WebhookOutcomeWork(o WebhookOutcome, j *Job) Work {
	return Work{Program: o.ProgramID, Run: func(ctx context.Context, tx *Tx) (any, error) {
		now := millis(o.At)
		final := o.NoAttempt || o.Delivered || o.Next.IsZero()
		if o.Delivered {
			if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET failing_since = 0
				WHERE program_id = ? AND failing_since <> 0`, o.ProgramID); err != nil {
				return nil, err
			}
			if _, err := tx.Exec(ctx, `UPDATE webhook_events SET status = ?, attempts = attempts + 1,
				last_status_code = ?, last_error = '', next_attempt_at = NULL, delivered_at = ?, updated_at = ?
				WHERE program_id = ? AND id = ?`, DeliveryDelivered, o.StatusCode, now, now, o.ProgramID, o.EventID); err != nil {
				return nil, err
			}
			return nil, settleJob(ctx, tx, j, true, time.Time{}, "")
		}
		why := o.Error
		if !o.NoAttempt {
			enabled, disabled, err := noteFailure(ctx, tx, o)
			if err != nil {
				return nil, err
			}
			if !enabled {
				final = true
			}
			if disabled != "" {
				why += "; the webhook endpoint is now disabled: " + disabled
			}
		}
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM webhook_events WHERE program_id = ? AND id = ?`,
			o.ProgramID, o.EventID).Scan(&status); err != nil {
			return nil, err
		}
		attempted := 1
		if o.NoAttempt {
			attempted = 0
		}
		switch {
		case status == DeliveryDelivered:
			// Another attempt (a redelivery) got through meanwhile: this
			// failure changes nothing but the count.
			_, err := tx.Exec(ctx, `UPDATE webhook_events SET attempts = attempts + ?, updated_at = ?
				WHERE program_id = ? AND id = ?`, attempted, now, o.ProgramID, o.EventID)
			if err != nil {
				return nil, err
			}
			final = true
		case final:
			_, err := tx.Exec(ctx, `UPDATE webhook_events SET status = ?, attempts = attempts + ?,
				last_status_code = ?, last_error = ?, next_attempt_at = NULL, updated_at = ?
				WHERE program_id = ? AND id = ?`, DeliveryFailed, attempted, o.StatusCode, truncate(why, 500), now,
				o.ProgramID, o.EventID)
			if err != nil {
				return nil, err
			}
		default:
			_, err := tx.Exec(ctx, `UPDATE webhook_events SET status = ?, attempts = attempts + 1,
				last_status_code = ?, last_error = ?, next_attempt_at = ?, updated_at = ?
				WHERE program_id = ? AND id = ?`, DeliveryPending, o.StatusCode, truncate(why, 500), millis(o.Next), now,
				o.ProgramID, o.EventID)
			if err != nil {
				return nil, err
			}
		}
		return nil, settleJob(ctx, tx, j, final, o.Next, why)
	}}
}

// noteFailure records a failed attempt on the endpoint and disables it when
// the failures have lasted DisableAfter, or at once when it answered 410;
// it reports whether the endpoint is still enabled, and why this failure
// disabled it ("" when it did not).
func noteFailure(ctx context.Context, tx *Tx, o WebhookOutcome) (bool, string, error) {
	now := millis(o.At)
	var since int64
	err := tx.QueryRow(ctx, `UPDATE webhook_endpoints
		SET failing_since = CASE WHEN failing_since = 0 THEN ? ELSE failing_since END
		WHERE program_id = ? AND status = ? RETURNING failing_since`, now, o.ProgramID, EndpointEnabled).Scan(&since)
	if errors.Is(err, sql.ErrNoRows) {
		return false, "", nil // deleted or disabled meanwhile
	}
	if err != nil {
		return false, "", err
	}
	reason := ""
	switch {
	case o.Gone:
		reason = "the endpoint answered 410 Gone"
	case o.DisableAfter > 0 && o.At.Sub(fromMillis(since)) >= o.DisableAfter:
		reason = "every attempt failed for " + o.DisableAfter.String() + " since " + fromMillis(since).Format(time.RFC3339)
	default:
		return true, "", nil
	}
	if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET status = ?, disabled_reason = ?, version = version + 1,
		updated_at = ? WHERE program_id = ?`, EndpointDisabled, reason, now, o.ProgramID); err != nil {
		return false, "", err
	}
	return false, reason, failPending(ctx, tx.s, tx.tx, o.ProgramID, "the webhook endpoint was disabled: "+reason, o.At)
}

// settleJob completes j, or makes it due again at next, in tx.
func settleJob(ctx context.Context, tx *Tx, j *Job, done bool, next time.Time, why string) error {
	if done {
		return tx.s.finishJob(ctx, tx.tx, j)
	}
	return tx.RetryJob(ctx, j, next, why)
}

// RedeliverWork makes one more delivery of a program's event due at now,
// whatever its status (webhooks.md section 5): the event is pending again,
// its attempts keep counting, and a new job delivers it. It answers the
// event as it then is (a WebhookEvent).
func RedeliverWork(pid banking.ProgramID, eventID string, now time.Time) Work {
	return Work{Program: pid, Run: func(ctx context.Context, tx *Tx) (any, error) {
		res, err := tx.Exec(ctx, `UPDATE webhook_events SET status = ?, next_attempt_at = ?, updated_at = ?
			WHERE program_id = ? AND id = ?`, DeliveryPending, millis(now), millis(now), pid, eventID)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n != 1 {
			return nil, errNoWebhookEvent
		}
		tx.Schedule(NewJob{Program: pid, Kind: JobWebhookDelivery, Payload: webhookJobPayload(eventID, true), RunAt: now})
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
	for _, c := range []struct{ col, v string }{{"id", f.EventID}, {"type", f.Type}, {"resource_id", f.ResourceID}, {"status", f.Status}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
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
