#!/usr/bin/env bash
# Lints internal/httpapi/openapi.yaml with Redocly CLI's recommended rules
# (make test runs it). Redocly CLI is a Node.js tool: it is installed once,
# pinned, with npm into the user's cache directory. Without Node.js 20 or
# later, or when npm cannot install it (offline), the lint is skipped with a
# notice rather than failing the build; a lint problem always fails it.
# The one acknowledged exception is in .redocly.lint-ignore.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.77.0
dir="${XDG_CACHE_HOME:-$HOME/.cache}/ingot/redocly-cli-$version"
bin="$dir/node_modules/.bin/redocly"

skip() {
  echo "lint-openapi: $*; skipping the OpenAPI lint" >&2
  exit 0
}

if [ "${INGOT_SKIP_OPENAPI_LINT:-}" = 1 ]; then
  skip "INGOT_SKIP_OPENAPI_LINT=1"
fi
if [ ! -x "$bin" ]; then
  command -v node >/dev/null && command -v npm >/dev/null || skip "node or npm not found (install Node.js 20+ to run it)"
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || skip "Node.js $major is too old for @redocly/cli $version (want 20+)"
  echo "lint-openapi: installing @redocly/cli@$version into $dir (once)"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "@redocly/cli@$version" >"$dir/install.log" 2>&1 ||
    skip "npm could not install @redocly/cli@$version (see $dir/install.log)"
fi
# The CLI boxes a notice about Node.js versions; the box and blank lines go.
rc=0
out=$("$bin" lint --format=stylish internal/httpapi/openapi.yaml 2>&1) || rc=$?
printf '%s\n' "$out" | grep -v -e '[║╔╚]' -e '^[[:space:]]*$' || true
exit "$rc"
