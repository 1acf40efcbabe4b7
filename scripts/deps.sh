#!/usr/bin/env bash
# Installs what ingot's tests need on a fresh Debian machine: the PostgreSQL
# server binaries (tests start their own throwaway cluster from them),
# Chromium (the operator console's browser tests drive it headless) and the
# Go modules. Safe to run again: it installs only what is missing.
set -euo pipefail

have_pg() {
  local bindir
  bindir=$(pg_config --bindir 2>/dev/null) || return 1
  [ -x "$bindir/initdb" ] && [ -x "$bindir/postgres" ] &&
    ls /usr/share/postgresql/*/extension/pg_trgm.control >/dev/null 2>&1
}

if ! have_pg; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "deps: installing PostgreSQL server with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql postgresql-contrib >/dev/null
  else
    echo "deps: PostgreSQL server binaries missing and cannot apt-get install them;" >&2
    echo "deps: PostgreSQL tests will be skipped (or fail under CI=true)." >&2
  fi
fi

if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "deps: installing Chromium with apt-get (the console's browser tests)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  else
    echo "deps: Chromium missing and cannot apt-get install it;" >&2
    echo "deps: the console's browser tests will be skipped (or fail under CI=true)." >&2
  fi
fi

go mod download
