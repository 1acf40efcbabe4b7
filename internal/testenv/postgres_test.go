package testenv

import (
	"database/sql"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestPostgresURLGivesFreshDatabases(t *testing.T) {
	a, b := PostgresURL(t), PostgresURL(t)
	if a == b {
		t.Fatalf("two calls returned the same database %s", a)
	}
	db, err := sql.Open("pgx", a)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE probe (x int)`); err != nil {
		t.Fatalf("create table in fresh database: %v", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("tables in fresh database = %d, want 1 (only the probe)", n)
	}
}

func TestWithDatabase(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u@h:1/postgres?sslmode=disable", "postgres://u@h:1/x?sslmode=disable"},
		{"postgres://u@h:1/postgres", "postgres://u@h:1/x"},
		{"postgres://u@h:1", "postgres://u@h:1/x"},
	} {
		if got := withDatabase(c.in, "x"); got != c.want {
			t.Errorf("withDatabase(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
