//go:build race && unix

package main

// Under -race the binary under test is built with -race too: it reuses the
// instrumented packages the test build already compiled (no cold rebuild of
// the SQLite driver) and checks the real process for data races as well.
func init() { buildFlags = append(buildFlags, "-race") }
