package console

import (
	"testing"

	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestMain stops the PostgreSQL cluster the tests and benchmarks started.
func TestMain(m *testing.M) { testenv.Main(m) }
