package httpapi_test

import (
	"testing"

	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestMain stops the private PostgreSQL cluster after the suite.
func TestMain(m *testing.M) { testenv.Main(m) }
