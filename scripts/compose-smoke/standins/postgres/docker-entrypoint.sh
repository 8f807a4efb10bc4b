#!/usr/bin/env bash
# Entrypoint of the `postgres:17` stand-in (see Dockerfile). It keeps the part of the official image's
# documented contract a compose file relies on, written from that documentation:
#   - POSTGRES_PASSWORD (required), POSTGRES_USER (default postgres), POSTGRES_DB (default the user),
#     POSTGRES_HOST_AUTH_METHOD (default scram-sha-256), POSTGRES_INITDB_ARGS, PGDATA;
#   - an empty PGDATA gets a cluster, then /docker-entrypoint-initdb.d/*.sql, *.sql.gz and *.sh run in
#     sorted order against a server on the Unix socket only; a PGDATA holding a cluster just starts;
#   - the server runs as postgres, as PID 1, with any extra arguments (`-c fsync=off`).
# Not implemented: the *_FILE variants, POSTGRES_INITDB_WALDIR, running under an arbitrary --user
# with no passwd entry.
set -Eeuo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

# `docker run <image> -c fsync=off` means `postgres -c fsync=off`.
if [ "$#" -eq 0 ] || [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

# Anything but the server (bash, psql, ...) runs as given; so do `postgres --version` and friends,
# which must not initialise a cluster first.
if [ "$1" != 'postgres' ]; then
  exec "$@"
fi
for arg in "${@:2}"; do
  case "$arg" in
    -V | --version | -'?' | --help | --describe-config | -C) exec "$@" ;;
  esac
done

if [ "$(id -u)" = '0' ]; then
  # A fresh named volume or bind mount may be root-owned; initdb and the server insist on owning
  # PGDATA and on nobody else reading it.
  mkdir -p "$PGDATA"
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chmod 0700 "$PGDATA"
  # The socket directory, in case a volume or tmpfs was mounted over it.
  mkdir -p /var/run/postgresql
  chown postgres:postgres /var/run/postgresql
  chmod 3777 /var/run/postgresql
  # Start again as postgres. setpriv execs in place (no parent left behind), so the server ends up
  # PID 1 and receives docker stop's SIGINT itself.
  export HOME=/var/lib/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

# psql against the temporary server: over the socket (trusted, so no password), as the superuser,
# stopping at the first error so that a broken init script stops the container instead of starting a
# half-made database. (The cluster stays: remove the volume to retry.) PGHOST would send it elsewhere.
init_psql() {
  env -u PGHOST -u PGHOSTADDR \
    psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "$@"
}

run_init_files() {
  local file
  # Glob order is sorted; nullglob: an empty folder is no file named '*'.
  shopt -s nullglob
  for file in /docker-entrypoint-initdb.d/*; do
    case "$file" in
      *.sh)
        if [ -x "$file" ]; then
          echo "$0: running $file"
          "$file"
        else
          # Sourced, so a script can set variables for the ones after it. Scripts written for the
          # official image do not expect `set -u`.
          echo "$0: sourcing $file"
          set +u
          . "$file"
          set -u
        fi
        ;;
      *.sql)
        echo "$0: running $file"
        init_psql --dbname "$POSTGRES_DB" --file "$file"
        ;;
      *.sql.gz)
        echo "$0: running $file"
        gunzip --stdout "$file" | init_psql --dbname "$POSTGRES_DB"
        ;;
      *) echo "$0: ignoring $file" ;;
    esac
  done
  shopt -u nullglob
}

init_cluster() {
  # Exported: init scripts (*.sh) read them, as with the official image.
  export POSTGRES_USER="${POSTGRES_USER:-postgres}"
  export POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
  export POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-}"
  local host_auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$host_auth" != 'trust' ]; then
    echo >&2 "$0: error: the database is uninitialized and POSTGRES_PASSWORD is not set."
    echo >&2 "  Set it (or POSTGRES_HOST_AUTH_METHOD=trust, to allow every connection without one)."
    exit 1
  fi

  # No --auth: initdb's default trusts the local socket (and loopback TCP, inside the container
  # only), which is what the official image leaves too. Split on whitespace: no quoting inside.
  local -a initdb_args
  read -r -a initdb_args <<<"${POSTGRES_INITDB_ARGS:-}"
  if [ -n "$POSTGRES_PASSWORD" ]; then
    # initdb takes the password only from a file (or a prompt): a pipe leaves no copy on disk.
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") "${initdb_args[@]}"
  else
    initdb --username="$POSTGRES_USER" "${initdb_args[@]}"
  fi

  # The socket where Debian's psql and pg_isready look (and the official image's server puts it),
  # not this build's compiled-in /tmp: `pg_isready` with no -h is the usual compose healthcheck.
  printf "\n# docker-entrypoint.sh: where Debian's client tools look\nunix_socket_directories = '%s'\n" \
    /var/run/postgresql >>"$PGDATA/postgresql.conf"

  # Everyone else (other containers, the host through a published port) comes in over TCP: password.
  printf '\n# docker-entrypoint.sh: TCP connections from anywhere\nhost all all all %s\n' "$host_auth" \
    >>"$PGDATA/pg_hba.conf"

  # Init scripts run against a server on the socket only: nothing on the network (a migrator waiting
  # for the port, a TCP healthcheck) may see the database before it is complete. Given the same
  # arguments as the real server, so that `-c` settings apply during init too.
  local -a temp_server_args=("${@:2}" -c 'listen_addresses=' -p "${PGPORT:-5432}")
  # pg_ctl hands --options to a shell: quote each argument for it.
  pg_ctl --pgdata="$PGDATA" --wait --options="$(printf '%q ' "${temp_server_args[@]}")" start

  # CREATE DATABASE has no IF NOT EXISTS; POSTGRES_DB=postgres (or a template) exists already.
  init_psql --dbname postgres --set db="$POSTGRES_DB" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
SQL
  run_init_files

  pg_ctl --pgdata="$PGDATA" --wait --mode=fast stop
  echo "$0: PostgreSQL init process complete; ready for start up."
}

if [ -s "$PGDATA/PG_VERSION" ]; then
  echo "$0: PGDATA ($PGDATA) holds a cluster already: skipping initialization."
else
  init_cluster "$@"
fi

# The real server, on every address (postgresql.conf: listen_addresses = '*') and port 5432.
exec "$@"
