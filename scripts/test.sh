#!/usr/bin/env bash
# Runs every test with -race (make test, after deps and check), printing each
# package's result as it finishes, with gotestsum (pinned; "go run" fetches
# it from the module proxy once, so CI needs nothing else installed). Without
# the proxy and no cached copy it falls back to plain "go test", which prints
# the same results in package order. Extra arguments go to "go test". A package
# may take 20 min (internal/httpapi needs over 10 under -race on a loaded
# 2-core machine; go test's default timeout is 10 min).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
gotestsum=gotest.tools/gotestsum@v1.13.0

echo "test: compiling every package with -race and running its tests; a cold run compiles for" \
  "several minutes before the first package reports, then one line per package"
if "$GO" run "$gotestsum" --version >/dev/null 2>&1; then
  exec "$GO" run "$gotestsum" --format pkgname-and-test-fails -- -race -count=1 -timeout 20m "$@" ./...
fi
echo "test: $gotestsum unavailable (offline?); running go test directly" >&2
exec "$GO" test -race -count=1 -timeout 20m "$@" ./...
