package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestEntityNumbers: migration 0011 numbers existing users and businesses
// in creation order (not insertion order), across both tables, migration
// 0013 existing accounts after them, and every later one gets the next
// number without any Go code assigning it.
func TestEntityNumbers(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := eng.DSN(t)
			db, q := migratedTo(t, dsn, 10)
			q(`INSERT INTO programs (id, name, api_key_hash, hmac_username, hmac_secret, created_at) VALUES ('prog-1', 'p', ?, 'hu', ?, 0)`,
				[]byte("k"), []byte("s"))
			user := func(id string, created int64) {
				q(`INSERT INTO users (id, program_id, first_name, last_name, email, email_norm, phone_number, address_one,
					city, state, country, postal_code, status, kyc_status, search_text, created_at, updated_at)
					VALUES (?, 'prog-1', 'A', 'B', ?, ?, '+14155550123', '1 Main St', 'SF', 'CA', 'US', '94105',
					'active', 'not_started', '', ?, ?)`, id, id+"@x.io", id+"@x.io", created, created)
			}
			business := func(id, uid, ein string, created int64) {
				q(`INSERT INTO businesses (id, program_id, user_id, name, ein, business_type, business_email,
					business_phone_number, address_one, city, state, country, postal_code, status, kyb_status, search_text,
					created_at, updated_at) VALUES (?, 'prog-1', ?, 'Acme', ?, 'llc', 'a@x.io', '+14155550123', '1 Main St',
					'SF', 'CA', 'US', '94105', 'active', 'not_started', '', ?, ?)`, id, uid, ein, created, created)
			}
			// Inserted in another order than created; a business created
			// in the same millisecond as its user comes after it.
			user("user-c", 300)
			user("user-a", 100)
			business("buss-b", "user-a", "12-3456789", 200)
			business("buss-d", "user-c", "12-3456788", 300)
			// Accounts existing before migration 0013 are numbered after
			// every user and business, in creation order.
			q(`INSERT INTO accounts (id, program_id, kind, user_id, account_number, status, created_at, updated_at)
				VALUES ('rbac-2', 'prog-1', 'user', 'user-c', '2000000002', 'active', 350, 350),
				       ('rbac-1', 'prog-1', 'user', 'user-a', '2000000001', 'active', 150, 150)`)
			db.Close()

			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			number := func(table, id string) int64 {
				t.Helper()
				var n int64
				if err := st.DB().QueryRow(rebind(st, `SELECT entity_number FROM `+table+` WHERE id = ?`), id).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			for _, c := range []struct {
				table, id string
				want      int64
			}{{"users", "user-a", 1}, {"businesses", "buss-b", 2}, {"users", "user-c", 3}, {"businesses", "buss-d", 4},
				{"accounts", "rbac-1", 5}, {"accounts", "rbac-2", 6}} {
				if got := number(c.table, c.id); got != c.want {
					t.Errorf("%s %s: number %d, want %d", c.table, c.id, got, c.want)
				}
			}
			// New rows take the next numbers, whichever table: a new
			// program's master and clearing accounts (migration 0013), then
			// users.
			p := mustProgram(t, st, "hu_numbers")
			if got := number("accounts", string(banking.MasterAccountID(p.ID))); got != 7 {
				t.Errorf("new program's master account: number %d, want 7", got)
			}
			if got := number("accounts", string(banking.ClearingAccountID(p.ID))); got != 8 {
				t.Errorf("new program's clearing account: number %d, want 8", got)
			}
			u := mustUser(t, st, p.ID, "new@x.io", t0)
			if got := number("users", string(u.ID)); got != 9 {
				t.Errorf("new user: number %d, want 9", got)
			}
			u2 := mustUser(t, st, p.ID, "new2@x.io", t0)
			if got := number("users", string(u2.ID)); got != 10 {
				t.Errorf("second new user: number %d, want 10", got)
			}
			var last int64
			if err := st.DB().QueryRow(`SELECT last FROM entity_counter`).Scan(&last); err != nil || last != 10 {
				t.Errorf("entity_counter.last = %d, %v; want 10 on both engines", last, err)
			}
		})
	}
}

// TestWebhookOutcomeOfALostLease: an attempt whose job another claim took
// over (its lease ran out) records nothing; the claim that holds the job
// records its own outcome, once.
func TestWebhookOutcomeOfALostLease(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_lease")
		ev := store.WebhookEvent{ID: "inn_whe_0000000000000000000001", ProgramID: p.ID, Type: "user.blocked",
			ResourceID: "user-x", AuditEventID: "event-x", Payload: []byte(`{}`), Status: store.DeliveryPending, CreatedAt: t0}
		if _, err := s.Do(ctx, store.Work{Program: p.ID, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
			return nil, tx.InsertWebhookEvents(ctx, []store.WebhookEvent{ev}, nil)
		}}); err != nil {
			t.Fatal(err)
		}
		first := mustClaim(t, s, t0, 1)[0]
		// The first claim's lease (a minute) ends; another claims it.
		second := mustClaim(t, s, t0.Add(2*time.Minute), 1)[0]
		delivered := store.WebhookOutcome{ProgramID: p.ID, EventID: ev.ID, At: t0.Add(2 * time.Minute), Delivered: true, StatusCode: 200}
		v, err := s.Do(ctx, store.WebhookOutcomesWork([]store.WebhookOutcome{delivered, delivered}, []*store.Job{&first, &second}))
		if err != nil {
			t.Fatal(err)
		}
		if got := v.([]bool); got[0] || !got[1] {
			t.Errorf("recorded %v, want only the second claim's outcome", got)
		}
		evs, _, err := s.WebhookEvents(ctx, p.ID, store.WebhookFilter{EventID: ev.ID, Page: 1, PerPage: 10})
		if err != nil || len(evs) != 1 || evs[0].Status != store.DeliveryDelivered || evs[0].Attempts != 1 {
			t.Fatalf("event %+v, %v; want delivered with one attempt", evs, err)
		}
		if n, _ := s.JobCount(ctx, store.JobWebhookDelivery); n != 0 {
			t.Errorf("%d delivery jobs left, want 0", n)
		}
		// A failure of the lost claim changes nothing either.
		failed := store.WebhookOutcome{ProgramID: p.ID, EventID: ev.ID, At: t0.Add(3 * time.Minute), StatusCode: 500,
			Error: "HTTP 500", Next: t0.Add(4 * time.Minute)}
		v, err = s.Do(ctx, store.WebhookOutcomesWork([]store.WebhookOutcome{failed}, []*store.Job{&first}))
		if err != nil || v.([]bool)[0] {
			t.Errorf("lost claim's failure: recorded %v, %v; want not recorded", v, err)
		}
	})
}

// TestResealWebhookSecrets: keys rotate re-seals webhook signing secrets,
// bound to their row.
func TestResealWebhookSecrets(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_whsec")
		if _, _, err := s.SetWebhookEndpoint(ctx, store.WebhookEndpoint{ProgramID: p.ID, URL: "https://93.184.216.34/",
			CreatedAt: t0, UpdatedAt: t0}, store.WebhookSecret{ID: "whs_1", Sealed: []byte("old"), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		if _, err := s.Reseal(ctx, func(v store.SealedValue) ([]byte, error) {
			seen[v.Kind+" "+v.Owner] = string(v.AAD)
			if v.Kind != "webhook_secret" {
				return nil, nil
			}
			return []byte("new"), nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		if seen["webhook_secret whs_1"] != "webhook-secret:whs_1" {
			t.Errorf("resealed %v, want the webhook secret with aad webhook-secret:whs_1", seen)
		}
		_, secrets, err := s.WebhookEndpoint(ctx, p.ID, t0)
		if err != nil || len(secrets) != 1 || string(secrets[0].Sealed) != "new" {
			t.Errorf("secrets %+v, %v; want the re-sealed one", secrets, err)
		}
	})
}

// TestWebhookEndpointRows: set keeps the secret, rotation keeps the old
// one signing until its overlap ends, delete fails pending deliveries and
// drops their waiting jobs.
func TestWebhookEndpointRows(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_ep")
		set := func(url string, id string) (store.WebhookEndpoint, bool) {
			t.Helper()
			ep, stored, err := s.SetWebhookEndpoint(ctx, store.WebhookEndpoint{ProgramID: p.ID, URL: url, Events: []string{"user.blocked"},
				CreatedAt: t0, UpdatedAt: t0}, store.WebhookSecret{ID: id, Sealed: []byte(id), CreatedAt: t0})
			if err != nil {
				t.Fatal(err)
			}
			return ep, stored
		}
		ep, stored := set("https://93.184.216.34/a", "whs_a")
		if !stored || ep.Version != 1 || ep.Status != store.EndpointEnabled || len(ep.Events) != 1 {
			t.Errorf("first set: %+v, stored %v", ep, stored)
		}
		if ep, stored = set("https://93.184.216.34/b", "whs_b"); stored || ep.Version != 2 || ep.URL != "https://93.184.216.34/b" {
			t.Errorf("second set: %+v, stored %v; want the secret kept", ep, stored)
		}
		if err := s.RotateWebhookSecret(ctx, p.ID, store.WebhookSecret{ID: "whs_c", Sealed: []byte("whs_c"), CreatedAt: t0}, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			at   time.Time
			want []string
		}{{t0.Add(time.Hour), []string{"whs_c", "whs_a"}}, {t0.Add(25 * time.Hour), []string{"whs_c"}}} {
			_, secrets, err := s.WebhookEndpoint(ctx, p.ID, c.at)
			var got []string
			for _, sec := range secrets {
				got = append(got, sec.ID)
			}
			if err != nil || strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("secrets at %v: %v, %v; want %v", c.at, got, err, c.want)
			}
		}
		ev := store.WebhookEvent{ID: "inn_whe_0000000000000000000002", ProgramID: p.ID, Type: "user.blocked",
			ResourceID: "user-x", AuditEventID: "event-x", Payload: []byte(`{}`), Status: store.DeliveryPending, CreatedAt: t0}
		if _, err := s.Do(ctx, store.Work{Program: p.ID, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
			return nil, tx.InsertWebhookEvents(ctx, []store.WebhookEvent{ev}, nil)
		}}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteWebhookEndpoint(ctx, p.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteWebhookEndpoint(ctx, p.ID, t0); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("second delete: %v, want not_found", err)
		}
		evs, _, _ := s.WebhookEvents(ctx, p.ID, store.WebhookFilter{Page: 1, PerPage: 10})
		if len(evs) != 1 || evs[0].Status != store.DeliveryFailed || !strings.Contains(evs[0].LastError, "deleted") {
			t.Errorf("after delete: %+v, want the pending delivery failed", evs)
		}
		if n, _ := s.JobCount(ctx, store.JobWebhookDelivery); n != 0 {
			t.Errorf("%d delivery jobs left, want 0", n)
		}
	})
}

// migratedTo opens dsn's database raw, with the migrations before version
// applied and recorded as Migrate records them, and returns it with an
// exec that fails the test (placeholders "?" on both engines): the schema
// a migration test writes its old rows into.
func migratedTo(t *testing.T, dsn string, version int) (*sql.DB, func(query string, args ...any)) {
	t.Helper()
	engine, src, err := store.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(map[store.Engine]string{store.SQLite: "sqlite", store.Postgres: "pgx"}[engine], src)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := store.Migrations(engine)
	if err != nil {
		t.Fatal(err)
	}
	q := func(query string, args ...any) {
		t.Helper()
		if engine == store.Postgres {
			for i := 1; strings.Contains(query, "?"); i++ {
				query = strings.Replace(query, "?", "$"+string(rune('0'+i)), 1)
			}
		}
		if _, err := db.Exec(query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	q(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
	for _, m := range ms {
		if m.Version >= version {
			break
		}
		q(m.SQL)
		q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)`, m.Version, m.Name)
	}
	return db, q
}
