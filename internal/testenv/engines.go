package testenv

import (
	"path/filepath"
	"testing"
)

// Engine is a database engine under test: a name for subtests and a fresh,
// empty database of that engine for each call.
type Engine struct {
	Name string
	DSN  func(t testing.TB) string
}

// Engines lists every engine ingot supports, so a test that loops over it
// proves a behaviour on all of them. SQLite gives a file in t.TempDir();
// PostgreSQL a fresh database (see PostgresURL for when it skips).
func Engines() []Engine {
	return []Engine{
		{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "ingot.db") }},
		{"postgres", PostgresURL},
	}
}
