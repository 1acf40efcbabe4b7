package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/webhook"
)

// TestEventIDPrefixSQL: the SQL expression of an id's first 16 characters
// is webhook.NewEventID's for every time, negative ones included (they
// count as 0), so the alphabet and prefix the store copies are the same.
func TestEventIDPrefixSQL(t *testing.T) {
	s, err := store.Open(context.Background(), t.TempDir()+"/p.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := `SELECT ` + store.EventIDPrefixSQL("t.ms") + ` FROM (SELECT ? AS ms) t`
	for _, ms := range []int64{-5, 0, 1, 61, 62, 3843, 3844, 1_700_000_000_000, 1_796_000_000_123,
		time.Now().UnixMilli(), 62*62*62*62*62*62*62*62 - 1} {
		var got string
		if err := s.DB().QueryRow(q, ms).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := webhook.NewEventID(time.UnixMilli(ms))[:16]; got != want {
			t.Errorf("prefix of %d: SQL %q, want %q", ms, got, want)
		}
	}
}

// TestWebhookEventIndexesOnSQLite: on SQLite an event with a time-ordered
// id adds no entry to an index of audit event ids, and a job none to an
// index of run_at alone (docs/decisions.md, "What emitting costs"); the
// resource filter reaches every row through an index: the unique index
// of ids, the partial index of the rows whose id is not their time's, and
// the index of notices.
func TestWebhookEventIndexesOnSQLite(t *testing.T) {
	s, err := store.Open(context.Background(), t.TempDir()+"/i.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.DB().Query(`SELECT name, COALESCE(sql, '') FROM sqlite_master
		WHERE type = 'index' AND tbl_name IN ('webhook_events', 'jobs')`)
	if err != nil {
		t.Fatal(err)
	}
	indexes := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		indexes[name] = def
	}
	rows.Close()
	if _, ok := indexes["jobs_due"]; ok {
		t.Error("jobs has an index of run_at alone (jobs_due); every claim goes through jobs_kind_due")
	}
	if def := indexes["webhook_events_audit"]; !strings.Contains(def, "WHERE") {
		t.Errorf("webhook_events_audit = %q, want a partial index (only ids not of their time)", def)
	}
	q, args := store.ResourceEvents(s, "prog-x", "user-x")
	plan, err := s.DB().Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	var steps []string
	for plan.Next() {
		var id, parent, unused int
		var detail string
		if err := plan.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	all := strings.Join(steps, "\n")
	for _, want := range []string{"USING INDEX sqlite_autoindex_webhook_events_1 (id>? AND id<?)",
		"USING INDEX webhook_events_audit (audit_event_id=?)", "INDEX webhook_events_notice (program_id=? AND resource_id=?)"} {
		if !strings.Contains(all, want) {
			t.Errorf("plan of the resource filter lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "SCAN") {
		t.Errorf("the resource filter scans a table:\n%s", all)
	}
}

// TestResourceEventsAcrossMigration17: events written before migration
// 0017, with random ids (before ids were time-ordered) and time-ordered
// ones, and notices' events, are all found by their resource after it (and,
// on PostgreSQL, after 0019, which copies the random ones into
// webhook_events_random), on both engines, and nothing else is.
func TestResourceEventsAcrossMigration17(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := eng.DSN(t)
			db, q := migratedTo(t, dsn, 17)
			q(`INSERT INTO programs (id, name, api_key_hash, hmac_username, hmac_secret, created_at) VALUES ('prog-1', 'p', ?, 'hu', ?, 0)`,
				[]byte("k"), []byte("s"))
			audit := func(id, subject string, at int64) {
				q(`INSERT INTO events (id, program_id, subject_id, type, actor, changes, created_at)
					VALUES (?, 'prog-1', ?, 'user.blocked', 'program', '{}', ?)`, id, subject, at)
			}
			hook := func(id, auditID, resource string, at int64) {
				q(`INSERT INTO webhook_events (id, program_id, type, resource_id, audit_event_id, payload, status,
					created_at, updated_at) VALUES (?, 'prog-1', 'user.blocked', ?, ?, '{}', 'delivered', ?, ?)`,
					id, resource, auditID, at, at)
			}
			t1 := int64(1_796_000_000_000)
			audit("ev-1", "user-1", t1)
			audit("ev-2", "user-1", t1+1)
			audit("ev-3", "user-2", t1+1)
			audit("ev-4", "user-2", t1+2)
			// Random ids (as first written), then time-ordered ones; one
			// audit event with two webhook events; a notice's.
			hook("inn_whe_zzzzzzzzzzzzzzzzzzzzz1", "ev-1", "user-1", t1)
			hook("inn_whe_0000000000000000000001", "ev-3", "user-2", t1+1)
			hook(webhook.NewEventID(time.UnixMilli(t1+1)), "ev-2", "user-1", t1+1)
			hook(webhook.NewEventID(time.UnixMilli(t1+1)), "ev-2", "user-1", t1+1)
			hook(webhook.NewEventID(time.UnixMilli(t1+2)), "ev-4", "user-2", t1+2)
			hook(webhook.NewEventID(time.UnixMilli(t1+3)), "", "user-1", t1+3)
			hook(webhook.NewEventID(time.UnixMilli(t1+3)), "", "user-3", t1+3)
			db.Close()

			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for _, c := range []struct {
				resource string
				want     int
			}{{"user-1", 4}, {"user-2", 2}, {"user-3", 1}, {"user-4", 0}} {
				evs, total, err := st.WebhookEvents(ctx, "prog-1", store.WebhookFilter{ResourceID: c.resource, Page: 1, PerPage: 10})
				if err != nil {
					t.Fatal(err)
				}
				if total != c.want || len(evs) != c.want {
					t.Errorf("%s: %d events (total %d), want %d", c.resource, len(evs), total, c.want)
				}
				for _, e := range evs {
					if e.ResourceID != c.resource {
						t.Errorf("%s: got %s's event %s", c.resource, e.ResourceID, e.ID)
					}
				}
				if !slices.IsSortedFunc(evs, func(a, b store.WebhookEvent) int { return b.CreatedAt.Compare(a.CreatedAt) }) {
					t.Errorf("%s: events not newest first", c.resource)
				}
			}
		})
	}
}

// TestWebhookEventIndexesOnPostgres: since migration 0019 an event enters
// two B-trees on PostgreSQL besides its table (its primary key
// (program_id, seq) and the unique index of ids; a notice's, the index of
// notices too), and the resource filter still reaches every row through an
// index: the ids of an audit event's millisecond (the id column collates
// as C), the rows copied into webhook_events_random, and the index of
// notices.
func TestWebhookEventIndexesOnPostgres(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, testenv.PostgresURL(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.DB().Query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'webhook_events'`)
	if err != nil {
		t.Fatal(err)
	}
	var full []string // indexes every event enters
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(def, " WHERE ") {
			full = append(full, strings.TrimPrefix(def[strings.Index(def, " USING "):], " USING btree "))
		}
	}
	rows.Close()
	slices.Sort(full)
	if want := []string{"(id)", "(program_id, seq)"}; !slices.Equal(full, want) {
		t.Errorf("indexes every webhook event enters: %q, want %q", full, want)
	}
	// PostgreSQL's expression is NewEventID's prefix for every time.
	for _, ms := range []int64{-5, 0, 61, 62, 3844, 1_796_000_000_123, time.Now().UnixMilli(), 62*62*62*62*62*62*62*62 - 1} {
		var got string
		if err := s.DB().QueryRow(`SELECT `+store.PrefixSQL("t.ms", store.Postgres)+` FROM (SELECT $1::bigint AS ms) t`,
			ms).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := webhook.NewEventID(time.UnixMilli(ms))[:16]; got != want {
			t.Errorf("prefix of %d: SQL %q, want %q", ms, got, want)
		}
	}
	// The plan, with sequential scans made as costly as PostgreSQL allows
	// (the test's tables are tiny): every branch through an index.
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	q, args := store.ResourceEvents(s, "prog-1", "user-1")
	for i := 1; strings.Contains(q, "?"); i++ {
		q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
	}
	plan, err := conn.QueryContext(ctx, `EXPLAIN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for plan.Next() {
		var line string
		if err := plan.Scan(&line); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, line)
	}
	plan.Close()
	all := strings.Join(steps, "\n")
	for _, want := range []string{"webhook_events_id_key", "webhook_events_random_audit", "webhook_events_notice"} {
		if !strings.Contains(all, want) {
			t.Errorf("plan of the resource filter lacks %s:\n%s", want, all)
		}
	}
	if strings.Contains(all, "Seq Scan on webhook_events") {
		t.Errorf("the resource filter scans webhook_events:\n%s", all)
	}
}
