package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Webhooks (webhooks.md): a program's endpoint and signing secrets, and the
// outbox of webhook events with the state of their delivery. The service
// derives webhook events from each group's audit events (SetEventHook) and
// inserts them here in the group's transaction; deliveries are durable jobs.

// Endpoint statuses.
const (
	EndpointEnabled  = "enabled"
	EndpointDisabled = "disabled"
)

// Delivery statuses of a webhook event (webhooks.md section 5).
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookEndpoint is a program's webhook endpoint.
type WebhookEndpoint struct {
	ProgramID banking.ProgramID
	URL       string
	// Events are the subscribed event types; empty means all.
	Events         []string
	Status         string
	DisabledReason string
	// FailingSince is when the first of an unbroken run of failed attempts
	// was made; zero while the last attempt succeeded.
	FailingSince time.Time
	// Version grows with every change of the row.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// WebhookSecret is one sealed signing secret of a program.
type WebhookSecret struct {
	ID        string
	Sealed    []byte
	CreatedAt time.Time
	// ExpiresAt is when a rotated secret stops signing; zero for the
	// current one.
	ExpiresAt time.Time
}

var errNoEndpoint = banking.Errorf(banking.CodeNotFound, "the program has no webhook endpoint")

const endpointCols = `program_id, url, events, status, disabled_reason, failing_since, version, created_at, updated_at`

func scanEndpoint(row interface{ Scan(...any) error }) (WebhookEndpoint, error) {
	var ep WebhookEndpoint
	var events string
	var failing, created, updated int64
	err := row.Scan(&ep.ProgramID, &ep.URL, &events, &ep.Status, &ep.DisabledReason, &failing, &ep.Version, &created, &updated)
	ep.Events = splitEvents(events)
	if failing != 0 {
		ep.FailingSince = fromMillis(failing)
	}
	ep.CreatedAt, ep.UpdatedAt = fromMillis(created), fromMillis(updated)
	return ep, err
}

func splitEvents(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// SetWebhookEndpoint creates or replaces the program's endpoint, enabled,
// with a clean failure record. secret becomes the program's signing secret
// when it has none (a first set, or after DeleteWebhookEndpoint); an
// existing secret is kept, so a receiver keeps verifying across a change of
// URL. It reports whether secret was stored.
func (s *Store) SetWebhookEndpoint(ctx context.Context, ep WebhookEndpoint, secret WebhookSecret) (WebhookEndpoint, bool, error) {
	defer s.timed("set_webhook_endpoint", time.Now())
	var stored bool
	var out WebhookEndpoint
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := millis(ep.UpdatedAt)
		_, err := s.exec(ctx, tx, `INSERT INTO webhook_endpoints (`+endpointCols+`)
			VALUES (?, ?, ?, ?, '', 0, 1, ?, ?)
			ON CONFLICT (program_id) DO UPDATE SET url = excluded.url, events = excluded.events,
				status = excluded.status, disabled_reason = '', failing_since = 0,
				version = webhook_endpoints.version + 1, updated_at = excluded.updated_at`,
			ep.ProgramID, ep.URL, strings.Join(ep.Events, ","), EndpointEnabled, now, now)
		if err != nil {
			return err
		}
		var n int
		if err := s.queryRow(ctx, tx, `SELECT count(*) FROM webhook_secrets WHERE program_id = ? AND expires_at IS NULL`,
			ep.ProgramID).Scan(&n); err != nil {
			return err
		}
		stored = n == 0
		if stored {
			if err := s.insertSecret(ctx, tx, ep.ProgramID, secret); err != nil {
				return err
			}
		}
		out, err = scanEndpoint(s.queryRow(ctx, tx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE program_id = ?`, ep.ProgramID))
		return err
	})
	if err != nil {
		return WebhookEndpoint{}, false, s.translate(err)
	}
	return out, stored, nil
}

func (s *Store) insertSecret(ctx context.Context, tx *sql.Tx, pid banking.ProgramID, sec WebhookSecret) error {
	_, err := s.exec(ctx, tx, `INSERT INTO webhook_secrets (id, program_id, secret_sealed, created_at, expires_at)
		VALUES (?, ?, ?, ?, NULL)`, sec.ID, pid, sec.Sealed, millis(sec.CreatedAt))
	return err
}

// WebhookEndpoint reads the program's endpoint and its secrets that still
// sign at now (the current one first), or not_found.
func (s *Store) WebhookEndpoint(ctx context.Context, pid banking.ProgramID, now time.Time) (WebhookEndpoint, []WebhookSecret, error) {
	defer s.timed("webhook_endpoint", time.Now())
	ep, err := scanEndpoint(s.queryRow(ctx, nil, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE program_id = ?`, pid))
	if errors.Is(err, sql.ErrNoRows) {
		return ep, nil, errNoEndpoint
	}
	if err != nil {
		return ep, nil, s.translate(err)
	}
	secrets, err := s.webhookSecrets(ctx, pid, now)
	return ep, secrets, err
}

func (s *Store) webhookSecrets(ctx context.Context, pid banking.ProgramID, now time.Time) ([]WebhookSecret, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, secret_sealed, created_at, expires_at FROM webhook_secrets
		WHERE program_id = ? AND (expires_at IS NULL OR expires_at > ?)
		ORDER BY expires_at IS NOT NULL, created_at DESC, id`), pid, millis(now))
	if err != nil {
		return nil, s.translate(err)
	}
	defer rows.Close()
	var out []WebhookSecret
	for rows.Next() {
		var sec WebhookSecret
		var created int64
		var expires sql.NullInt64
		if err := rows.Scan(&sec.ID, &sec.Sealed, &created, &expires); err != nil {
			return nil, s.translate(err)
		}
		sec.CreatedAt = fromMillis(created)
		if expires.Valid {
			sec.ExpiresAt = fromMillis(expires.Int64)
		}
		out = append(out, sec)
	}
	return out, s.translate(rows.Err())
}

// RotateWebhookSecret makes secret the program's current signing secret;
// the one it replaces keeps signing until now+overlap, and secrets whose
// overlap has ended are deleted. not_found without an endpoint.
func (s *Store) RotateWebhookSecret(ctx context.Context, pid banking.ProgramID, secret WebhookSecret, overlap time.Duration) error {
	defer s.timed("rotate_webhook_secret", time.Now())
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := millis(secret.CreatedAt)
		res, err := s.exec(ctx, tx, `UPDATE webhook_endpoints SET version = version + 1, updated_at = ? WHERE program_id = ?`, now, pid)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return errNoEndpoint
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM webhook_secrets WHERE program_id = ? AND expires_at <= ?`, pid, now); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE webhook_secrets SET expires_at = ? WHERE program_id = ? AND expires_at IS NULL`,
			millis(secret.CreatedAt.Add(overlap)), pid); err != nil {
			return err
		}
		return s.insertSecret(ctx, tx, pid, secret)
	})
}

// DeleteWebhookEndpoint removes the program's endpoint and its secrets; its
// pending deliveries fail ("the webhook endpoint was deleted") and their
// waiting jobs go. Events already recorded stay in the log. not_found
// without an endpoint.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, pid banking.ProgramID, now time.Time) error {
	defer s.timed("delete_webhook_endpoint", time.Now())
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `DELETE FROM webhook_endpoints WHERE program_id = ?`, pid)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return errNoEndpoint
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM webhook_secrets WHERE program_id = ?`, pid); err != nil {
			return err
		}
		return failPending(ctx, s, tx, pid, "the webhook endpoint was deleted", now)
	})
}

// failPending fails every pending delivery of a program and drops their
// jobs that wait; a job being attempted right now finds its delivery
// failed when it records its outcome, and leaves it so.
func failPending(ctx context.Context, s *Store, tx *sql.Tx, pid banking.ProgramID, why string, now time.Time) error {
	if _, err := s.exec(ctx, tx, `UPDATE webhook_events SET status = ?, last_error = ?, next_attempt_at = NULL, updated_at = ?
		WHERE program_id = ? AND status = ?`, DeliveryFailed, why, millis(now), pid, DeliveryPending); err != nil {
		return err
	}
	_, err := s.exec(ctx, tx, `DELETE FROM jobs WHERE program_id = ? AND kind = ? AND token = ''`, pid, JobWebhookDelivery)
	return err
}

// JobWebhookDelivery is the job kind of a webhook delivery: its payload
// names the event (WebhookJob).
const JobWebhookDelivery = "webhook.deliver"

// WebhookEndpoints reads, inside a group's transaction, the endpoints of the
// given programs that exist: what the event hook needs to know who receives
// which events. It reads the committed rows (READ COMMITTED), so an
// endpoint set by another process (the CLI) counts from the groups that
// read after its commit. On PostgreSQL a group that takes locks read them
// already, with its locks, in its first statement (readEndpointsWith), and
// that read is used unless it was stale: read again when the statement
// waited for a lock, or when a work of the group wrote webhook_endpoints
// (a delivery's outcome disabled the endpoint, Tx.wroteEndpoints). Like a
// read at the flush, it is not ordered with a change of the endpoint that
// commits between the read and the group's commit (docs/decisions.md).
func (t *Tx) WebhookEndpoints(ctx context.Context, pids []banking.ProgramID) ([]WebhookEndpoint, error) {
	if t.endpointsOf != nil && !slices.ContainsFunc(pids, func(p banking.ProgramID) bool {
		return !slices.Contains(t.endpointsOf, p)
	}) {
		var out []WebhookEndpoint
		for _, ep := range t.endpoints {
			if slices.Contains(pids, ep.ProgramID) {
				out = append(out, ep)
			}
		}
		return out, nil
	}
	switch len(pids) {
	case 0:
		return nil, nil
	case 1:
		// The usual group: one program, one prepared statement.
		ep, err := scanEndpoint(t.QueryRow(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE program_id = ?`, pids[0]))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []WebhookEndpoint{ep}, nil
	}
	args := make([]any, len(pids))
	for i, p := range pids {
		args[i] = p
	}
	in, args := inList(args)
	rows, err := t.Query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE program_id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WebhookEndpoint
	for rows.Next() {
		ep, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ep)
	}
	return out, rows.Err()
}

// lockEndpointsQuery takes a group's PostgreSQL advisory locks ($1, a
// bigint[] in ascending order: unnest yields them in array order, and each
// row's lock is taken as the row is produced) and reads the webhook
// endpoints of the programs $2 (a text[]). The locks are an aggregate the
// outer join needs in full, so every lock is taken whether or not any
// endpoint exists, and the one row without an endpoint is of zero values.
// One text with array parameters: prepared once per connection (pgx
// prepares every new text of a Query), whatever the group's locks and
// programs.
//
// The rows are of the statement's snapshot, taken before it waited for
// any lock: the last column tells whether it took longer than lockWaited
// (the locks' aggregate is complete before any row is produced), and then
// the endpoints are read again at the flush (an endpoint set, deleted or
// disabled by a transaction that committed during the wait counts).
const lockEndpointsQuery = `SELECT COALESCE(e.program_id, ''), COALESCE(e.url, ''), COALESCE(e.events, ''),
	COALESCE(e.status, ''), COALESCE(e.disabled_reason, ''), COALESCE(e.failing_since, 0), COALESCE(e.version, 0),
	COALESCE(e.created_at, 0), COALESCE(e.updated_at, 0),
	clock_timestamp() - statement_timestamp() > interval '` + lockWaited + `'
	FROM (SELECT count(pg_advisory_xact_lock(k)) AS n FROM unnest(?::bigint[]) AS k) l
	LEFT JOIN webhook_endpoints e ON e.program_id = ANY(?::text[])`

// lockWaited is how long the locks-and-endpoints statement may take
// before it counts as having waited for a lock: taking a few uncontended
// advisory locks and reading an endpoint by key takes tens of
// microseconds, a wait for another group's locks at least that group's
// commit. A statement slowed down otherwise costs only a read more.
const lockWaited = "1 millisecond"

// waitedRow scans an endpoint row of lockEndpointsQuery and its last
// column.
type waitedRow struct {
	rows   *sql.Rows
	waited *bool
}

func (r waitedRow) Scan(dest ...any) error { return r.rows.Scan(append(dest, r.waited)...) }

// readEndpointsWith takes a group's PostgreSQL advisory locks, ids in
// ascending order, and reads the webhook endpoints of pids in the same
// statement (lockEndpointsQuery), into t, unless it waited for a lock.
func (t *Tx) readEndpointsWith(ctx context.Context, ids []int64, pids []banking.ProgramID) error {
	names := make([]string, len(pids))
	for i, p := range pids {
		names[i] = string(p)
	}
	rows, err := t.Query(ctx, lockEndpointsQuery, ids, names)
	if err != nil {
		return err
	}
	defer rows.Close()
	eps := []WebhookEndpoint{}
	waited := false
	for rows.Next() {
		ep, err := scanEndpoint(waitedRow{rows, &waited})
		if err != nil {
			return err
		}
		if ep.ProgramID == "" {
			continue // no endpoint: the one row of zero values
		}
		eps = append(eps, ep)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if !waited {
		t.endpoints, t.endpointsOf = eps, pids
	}
	return nil
}
