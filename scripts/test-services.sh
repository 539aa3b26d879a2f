#!/usr/bin/env bash
# Installs (Debian packages) and starts what the full test suite needs — PostgreSQL and
# Redis on loopback only, and Chromium for the browser tests — and prints the environment
# that points the tests at them:
#   eval "$(scripts/test-services.sh)"
# Run by `npm test` and .ci/run; safe to run again (running services are reused). Where it
# cannot install (no apt-get, or neither root nor sudo) it says so and prints nothing: the
# tests that need those services are then reported as not run — except under CI=true,
# where that is an error.
set -euo pipefail

PG_PORT=${PARLEY_PG_PORT:-54329}
PG_USER=parley
PG_PASSWORD=parley
REDIS_PORT=${PARLEY_REDIS_PORT:-63790}

log() { echo "test-services: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_packages=()
command -v pg_ctlcluster >/dev/null 2>&1 || need_packages+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_packages+=(redis-server)
[ -x /usr/bin/chromium ] || need_packages+=(chromium)
can_install() { command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; }
if [ "${#need_packages[@]}" -gt 0 ] && ! can_install; then
  log "cannot install ${need_packages[*]} here (needs Debian's apt-get as root or with sudo):"
  log "the PostgreSQL, Redis and browser tests will be reported as not run"
  [ -n "${CI:-}" ] && exit 1
  exit 0
fi
if [ "${#need_packages[@]}" -gt 0 ]; then
  log "installing ${need_packages[*]} from Debian packages"
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_packages[@]}" >&2
fi

# PostgreSQL: a dedicated cluster on its own port, listening on localhost only (Debian's default).
PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $2}' | grep -qx parley; then
  log "creating PostgreSQL $PG_VERSION cluster 'parley' on 127.0.0.1:$PG_PORT"
  as_root pg_createcluster "$PG_VERSION" parley -p "$PG_PORT" \
    -o fsync=off -o synchronous_commit=off \
    -o full_page_writes=off -o max_connections=300 >&2
fi
PG_PORT=$(pg_lsclusters -h | awk '$2=="parley"{print $3}')
if ! pg_lsclusters -h | awk '$2=="parley"{print $4}' | grep -qx online; then
  as_root pg_ctlcluster "$PG_VERSION" parley start >&2
fi
as_root runuser -u postgres -- psql -q -p "$PG_PORT" -v ON_ERROR_STOP=1 >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
-- Every message rewrites its conversation's row and its members' rows: vacuumed every
-- second, as README ("PostgreSQL") recommends for Parley, instead of every minute.
ALTER SYSTEM SET autovacuum_naptime = '1s';
\o /dev/null
SELECT pg_reload_conf();
SQL
log "PostgreSQL ready on 127.0.0.1:$PG_PORT"

echo "export PARLEY_TEST_POSTGRES_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"

# Redis: a private, memory-only server (no RDB or AOF files) on its own port. Debian's
# packaged service (port 6379) is left alone; ours is started directly and reused if it answers.
if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -qx PONG; then
  log "Redis already answering on 127.0.0.1:$REDIS_PORT"
else
  log "starting redis-server on 127.0.0.1:$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir /tmp --logfile /tmp/parley-test-redis.log >&2
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -qx PONG && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -qx PONG \
    || { log "redis-server did not answer on 127.0.0.1:$REDIS_PORT (see /tmp/parley-test-redis.log)"; exit 1; }
fi
log "Redis ready on 127.0.0.1:$REDIS_PORT"

echo "export PARLEY_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
