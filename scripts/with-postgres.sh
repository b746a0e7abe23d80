#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL: a fresh cluster in a temporary directory, listening
# on a free loopback port only, trust authentication, stopped and deleted when the command ends.
# It exports SPOKE_TEST_POSTGRES (the URL) and SPOKE_TEST_REQUIRE_POSTGRES=1, so the hub's
# PostgreSQL tests run for real and fail rather than skip. It installs nothing: the postgresql
# package comes from scripts/setup-debian.sh.
#
#   scripts/with-postgres.sh go test -race ./sync/hub/...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  [ -x "$d/initdb" ] && { bindir=$d; break; }
done
if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1; then
  bindir=$(dirname "$(command -v initdb)")
fi
[ -n "$bindir" ] || { echo "with-postgres: no PostgreSQL server binaries (initdb); run scripts/setup-debian.sh" >&2; exit 1; }

tmp=$(mktemp -d /tmp/spoke-pg.XXXXXX)
# PostgreSQL refuses to run as root: as root, run the server as the postgres user.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "with-postgres: running as root needs the postgres user (package postgresql)" >&2; exit 1; }
  chown postgres: "$tmp"
  as_pg=(runuser -u postgres --)
fi

stop() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap stop EXIT

"${as_pg[@]}" "$bindir/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --no-sync >"$tmp/initdb.log" 2>&1 \
  || { cat "$tmp/initdb.log" >&2; exit 1; }

# A free port: try a few random ones in the dynamic range until the server starts.
started=""
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 30000))
  if "${as_pg[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 30 \
       -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$tmp -c max_connections=200" \
       start >/dev/null 2>&1; then
    started=1
    break
  fi
done
[ -n "$started" ] || { echo "with-postgres: the server did not start:" >&2; cat "$tmp/server.log" >&2; exit 1; }

export SPOKE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
export SPOKE_TEST_REQUIRE_POSTGRES=1
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
"$@"
