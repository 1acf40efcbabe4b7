package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Recording delivery attempts: each attempt's outcome and its job's next
// step commit together, and a batch of attempts commits in one Work.

// WebhookOutcome is how one delivery attempt ended, or why none was made.
type WebhookOutcome struct {
	ProgramID banking.ProgramID
	EventID   string
	At        time.Time
	// NoAttempt: nothing was sent (no endpoint, or a disabled one); the
	// delivery fails with Error.
	NoAttempt bool
	// Delivered: the endpoint answered 2xx.
	Delivered bool
	// WasFailing: the endpoint had failing attempts before this delivered
	// one, whose record it clears.
	WasFailing bool
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
	// Skipped: no attempt was needed (the event was delivered by another
	// job meanwhile, or is gone): nothing is recorded about the event, only
	// its job's settling.
	Skipped bool
	// KeepJob: the job names other events (WebhookJob.Several) whose
	// outcomes are still to come, so this one leaves it in place; the last
	// outcome of its events settles it.
	KeepJob bool
}

// WebhookOutcomesWork records the outcomes of a batch of attempts and
// settles their jobs (outs[i] is jobs[i]'s) in one transaction. A job that
// names one event: delivered or failed completes it; a failure with Next
// makes it due again then. A job that names several (a first delivery):
// a failure with Next schedules a job of the event's own, due then, which
// counts on from the event's attempts; the job itself is deleted with the
// last of its events' outcomes (KeepJob false). The endpoint's failure
// record moves with them: a success clears it; a failure starts it, and
// disables the endpoint after DisableAfter (or at once on 410), failing
// its pending deliveries. An outcome whose job another process took over
// meanwhile (its lease ran out) is not recorded: that process records its
// own attempt. The Work answers, as a []bool, which outcomes were
// recorded.
//
// Deliveries, the bulk of any batch, cost three statements for the whole
// batch: read their jobs' claims, mark their events delivered, delete the
// jobs they settle.
func WebhookOutcomesWork(outs []WebhookOutcome, jobs []*Job) Work {
	var pid banking.ProgramID
	if len(outs) > 0 {
		pid = outs[0].ProgramID
	}
	return Work{Program: pid, Run: func(ctx context.Context, tx *Tx) (any, error) {
		recorded := make([]bool, len(outs))
		if len(outs) == 0 {
			return recorded, nil
		}
		all := make([]int, len(outs))
		for i := range all {
			all[i] = i
		}
		held, err := claimsHeld(ctx, tx, jobs, all)
		if err != nil {
			return nil, err
		}
		var delivered []int
		var settle []any // ids of the jobs to delete
		settled := map[int64]bool{}
		for i := range outs {
			if !held[i] {
				continue
			}
			recorded[i] = true
			switch {
			case outs[i].Skipped:
			case outs[i].Delivered:
				delivered = append(delivered, i)
			default:
				own, err := recordFailure(ctx, tx, outs[i], jobs[i])
				if err != nil {
					return nil, err
				}
				if own {
					continue // the job was completed or made due again
				}
			}
			if !outs[i].KeepJob && !jobs[i].handed && !settled[jobs[i].ID] {
				settled[jobs[i].ID] = true
				settle = append(settle, jobs[i].ID)
			}
		}
		if err := recordDelivered(ctx, tx, outs, delivered); err != nil {
			return nil, err
		}
		if len(settle) > 0 {
			in, args := inList(settle)
			if _, err := tx.Exec(ctx, `DELETE FROM jobs WHERE id IN (`+in+`)`, args...); err != nil {
				return nil, err
			}
			for i := range outs {
				if settled[jobs[i].ID] && recorded[i] && jobs[i].settled != nil {
					jobs[i].settled.Store(true)
				}
			}
		}
		return recorded, nil
	}}
}

// claimsHeld returns which of jobs[i], i in idx, are still held by their
// claim (their token unchanged), by i, locking them. A handed job (no row)
// is held: nothing can take it from this process.
func claimsHeld(ctx context.Context, tx *Tx, jobs []*Job, idx []int) (map[int]bool, error) {
	held := map[int]bool{}
	var args []any
	for _, i := range idx {
		if jobs[i].handed {
			held[i] = true
			continue
		}
		args = append(args, jobs[i].ID)
	}
	if len(args) == 0 {
		return held, nil
	}
	in, args := inList(args)
	rows, err := tx.Query(ctx, `SELECT id, token FROM jobs WHERE id IN (`+in+`)`+tx.ForUpdate(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tokens := map[int64]string{}
	for rows.Next() {
		var id int64
		var token string
		if err := rows.Scan(&id, &token); err != nil {
			return nil, err
		}
		tokens[id] = token
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, i := range idx {
		if jobs[i].handed {
			continue
		}
		if t, ok := tokens[jobs[i].ID]; ok && t == jobs[i].token {
			held[i] = true
		}
	}
	return held, nil
}

// recordDelivered records the delivered outcomes outs[i], i in idx, whose
// claims are held.
func recordDelivered(ctx context.Context, tx *Tx, outs []WebhookOutcome, idx []int) error {
	if len(idx) == 0 {
		return nil
	}
	byCode := map[int][]any{}
	var clear []any
	last := time.Time{}
	for _, i := range idx {
		byCode[outs[i].StatusCode] = append(byCode[outs[i].StatusCode], outs[i].EventID)
		if outs[i].WasFailing {
			clear = append(clear, outs[i].ProgramID)
		}
		if outs[i].At.After(last) {
			last = outs[i].At
		}
	}
	if len(clear) > 0 {
		in, args := inList(clear)
		if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET failing_since = 0
			WHERE program_id IN (`+in+`) AND failing_since <> 0`, args...); err != nil {
			return err
		}
		tx.wroteEndpoints = true
	}
	// delivered_at is the batch's last answer: within milliseconds of each
	// delivery's own.
	for code, ids := range byCode {
		in, args := inList(ids)
		if _, err := tx.Exec(ctx, `UPDATE webhook_events SET status = ?, attempts = attempts + 1, last_status_code = ?,
			last_error = '', next_attempt_at = NULL, delivered_at = ?, updated_at = ?
			WHERE id IN (`+in+`)`, append([]any{DeliveryDelivered, code, millis(last), millis(last)}, args...)...); err != nil {
			return err
		}
	}
	return nil
}

// recordFailure records a failed attempt (or one not made) of a job whose
// claim is held. A job that names one event is completed or made due again
// here (own true); for one that names several, a failure to try again gets
// a job of the event's own, and the caller settles the job.
func recordFailure(ctx context.Context, tx *Tx, o WebhookOutcome, j *Job) (own bool, err error) {
	p, _ := ParseWebhookJob(j.Payload) // a malformed one is settled as a job of one event
	now := millis(o.At)
	final := o.NoAttempt || o.Next.IsZero()
	why := o.Error
	if !o.NoAttempt {
		enabled, disabled, err := noteFailure(ctx, tx, o)
		if err != nil {
			return false, err
		}
		if !enabled {
			final = true
		}
		if disabled != "" {
			why += "; the webhook endpoint is now disabled: " + disabled
		}
	}
	var status string
	var before int // the event's attempts before this one
	err = tx.QueryRow(ctx, `SELECT status, attempts FROM webhook_events WHERE program_id = ? AND id = ?`,
		o.ProgramID, o.EventID).Scan(&status, &before)
	if errors.Is(err, sql.ErrNoRows) {
		// Gone meanwhile (a sandbox reset deleted it): nothing to record
		// or retry. A claimed job's row went with it (its outcome is then
		// not held), but a handed job has no row to tell: failing here
		// would fail the whole batch, and every other attempt in it would
		// be made again.
		return false, nil
	}
	if err != nil {
		return false, err
	}
	attempted := 1
	if o.NoAttempt {
		attempted = 0
	}
	switch {
	case status == DeliveryDelivered:
		// Another attempt (a redelivery) got through meanwhile: this
		// failure changes nothing but the count.
		_, err = tx.Exec(ctx, `UPDATE webhook_events SET attempts = attempts + ?, updated_at = ?
			WHERE program_id = ? AND id = ?`, attempted, now, o.ProgramID, o.EventID)
		final = true
	case final:
		_, err = tx.Exec(ctx, `UPDATE webhook_events SET status = ?, attempts = attempts + ?,
			last_status_code = ?, last_error = ?, next_attempt_at = NULL, updated_at = ?
			WHERE program_id = ? AND id = ?`, DeliveryFailed, attempted, o.StatusCode, truncate(why, 500), now,
			o.ProgramID, o.EventID)
	default:
		_, err = tx.Exec(ctx, `UPDATE webhook_events SET status = ?, attempts = attempts + 1,
			last_status_code = ?, last_error = ?, next_attempt_at = ?, updated_at = ?
			WHERE program_id = ? AND id = ?`, DeliveryPending, o.StatusCode, truncate(why, 500), millis(o.Next), now,
			o.ProgramID, o.EventID)
	}
	if err != nil {
		return false, err
	}
	// A handed job has no row to complete or make due again: like a
	// shared one, it leaves a retry to a job of the event's own.
	several := p.Several() || j.handed
	switch {
	case several && !final:
		// The event's own job counts on from the event's attempts, this
		// one included, not from the shared job's: every claim of that
		// job counts, also those (after a lost lease) that attempted
		// other events of it.
		tx.Schedule(NewJob{Program: o.ProgramID, Kind: JobWebhookDelivery, Payload: webhookJobPayload(o.EventID, false),
			RunAt: o.Next, Attempts: before + 1, Created: j.Created})
		return false, nil
	case several:
		return false, nil
	case final:
		return true, tx.s.finishJob(ctx, tx.tx, j)
	}
	return true, tx.RetryJob(ctx, j, o.Next, why)
}

// noteFailure records a failed attempt on the endpoint and disables it when
// the failures have lasted DisableAfter, or at once when it answered 410;
// it reports whether the endpoint is still enabled, and why this failure
// disabled it ("" when it did not).
func noteFailure(ctx context.Context, tx *Tx, o WebhookOutcome) (bool, string, error) {
	now := millis(o.At)
	var since int64
	tx.wroteEndpoints = true // the group's hook reads the endpoints again
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
