#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server for the test suite.
#   .ci/postgres.sh start   → prints the owner's URL, then the app's URL (last line), on stdout
#   .ci/postgres.sh stop
# PostgreSQL refuses to run as root, so the server runs as the `postgres` user.
# The roles are the README's deployment roles: `roomlog_owner` owns the databases and the
# schema (migrations; CREATEDB and pg_signal_backend only here, for the tests' scratch databases) and `roomlog`,
# the app's login role, owns nothing, is no superuser and cannot bypass row-level security.
# The tests connect as `roomlog` and run migrations as `roomlog_owner`; never as `postgres`.
set -euo pipefail
PGPORT=${PGPORT:-54329}
PGDATA_DIR=${PGDATA_DIR:-/tmp/roomlog-ci-pg}
find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return; }; done
  return 1
}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-}" in
  start)
    BIN=$(find_bin) || { echo "PostgreSQL server binaries not found" >&2; exit 1; }
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --home /var/lib/postgresql postgres; fi
    if ! as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
      rm -rf "$PGDATA_DIR"; mkdir -p "$PGDATA_DIR"
      [ "$(id -u)" = 0 ] && chown postgres "$PGDATA_DIR"
      as_pg "$BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
      as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w \
        -o "-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200" start >/dev/null
    fi
    psql_pg() { as_pg "$BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qtAc "$1"; }
    psql_pg "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'roomlog_owner') THEN
        CREATE ROLE roomlog_owner LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOBYPASSRLS;
      END IF;
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'roomlog') THEN
        CREATE ROLE roomlog LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
      END IF;
    END \$\$" >/dev/null
    # Tests only: the owner drops its scratch databases WITH (FORCE), ending the app role's connections.
    psql_pg "GRANT pg_signal_backend TO roomlog_owner" >/dev/null
    for db in roomlog_test roomlog_test_migrations; do
      owner=$(psql_pg "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$db'")
      if [ "$owner" != roomlog_owner ]; then  # missing, or left by an older version of this script
        [ -n "$owner" ] && as_pg "$BIN/dropdb" -h 127.0.0.1 -p "$PGPORT" -U postgres --force "$db"
        as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres -O roomlog_owner "$db"
      fi
    done
    echo "postgresql+psycopg://roomlog_owner@127.0.0.1:$PGPORT/roomlog_test"
    echo "postgresql+psycopg://roomlog@127.0.0.1:$PGPORT/roomlog_test"
    ;;
  stop)
    BIN=$(find_bin) || exit 0
    as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
