#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for tests.
#
#   bash scripts/pg-throwaway.sh start [DIR]   -> prints postgres://putright@127.0.0.1:PORT/postgres
#   bash scripts/pg-throwaway.sh stop  [DIR]   -> stops the cluster and removes DIR
#
# start: initialises a cluster in a new temporary directory (or in DIR, which
# must be absent or empty), as an unprivileged user when run as root, listening
# only on 127.0.0.1 on the first free port from 54329 upwards (override the
# starting point with PUTRIGHT_PG_PORT), with its socket directory and log
# inside DIR. The only line written to stdout is the connection URL; everything
# else goes to stderr. The directory is recorded in .tmp/pg-throwaway.state
# (relative to the repository) so that `stop` without DIR can find it.
#
# stop: stops the cluster (pg_ctl -m fast) and removes the directory. Without
# DIR it stops the most recently started cluster listed in the state file.
# Stopping something that is already gone is not an error.
#
# Layout of DIR:
#   DIR/.putright-pg-throwaway   marker (stop refuses to delete dirs without it)
#   DIR/data                     PGDATA
#   DIR/socket                   unix_socket_directories
#   DIR/postgres.log             server log
#   DIR/port                     the port the server listens on
set -euo pipefail

# stdout is reserved for the URL; everything else goes to stderr.
exec 3>&1 1>&2

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
STATE_DIR="$REPO_ROOT/.tmp"
STATE_FILE="$STATE_DIR/pg-throwaway.state"
MARKER=".putright-pg-throwaway"
PG_MAJOR=15
FIRST_PORT="${PUTRIGHT_PG_PORT:-54329}"
MAX_PORT_TRIES=200

log() { printf 'pg-throwaway: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  cat >&2 <<EOF
usage: bash scripts/pg-throwaway.sh start [DIR]
       bash scripts/pg-throwaway.sh stop  [DIR]
EOF
  exit 2
}

# --- locating PostgreSQL 15 ------------------------------------------------

find_bindir() {
  local candidates=("/usr/lib/postgresql/$PG_MAJOR/bin")
  if command -v pg_config >/dev/null 2>&1; then
    candidates+=("$(pg_config --bindir 2>/dev/null || true)")
  fi
  local p
  for p in initdb pg_ctl postgres; do
    if command -v "$p" >/dev/null 2>&1; then
      candidates+=("$(dirname "$(readlink -f "$(command -v "$p")")")")
    fi
  done
  local d
  for d in "${candidates[@]}"; do
    [ -n "$d" ] || continue
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      local v
      v="$("$d/postgres" --version 2>/dev/null || true)"
      if [[ "$v" =~ \(PostgreSQL\)\ $PG_MAJOR(\.|[^0-9]|$) ]]; then
        printf '%s\n' "$d"
        return 0
      fi
    fi
  done
  return 1
}

# pg_isready: prefer the one next to the server, else whatever is on PATH.
pg_isready_bin() {
  if [ -x "$BINDIR/pg_isready" ]; then
    printf '%s\n' "$BINDIR/pg_isready"
  elif command -v pg_isready >/dev/null 2>&1; then
    command -v pg_isready
  else
    return 1
  fi
}

# --- running things as the unprivileged owner ------------------------------

# Decide which user owns and runs the cluster. initdb/postgres refuse root.
pick_run_user() {
  if [ "$(id -u)" -ne 0 ]; then
    id -un
    return 0
  fi
  if [ -n "${PUTRIGHT_PG_USER:-}" ]; then
    id -u "$PUTRIGHT_PG_USER" >/dev/null 2>&1 || die "PUTRIGHT_PG_USER=$PUTRIGHT_PG_USER does not exist"
    printf '%s\n' "$PUTRIGHT_PG_USER"
    return 0
  fi
  if id -u postgres >/dev/null 2>&1; then
    printf 'postgres\n'
    return 0
  fi
  if ! id -u putright-pg >/dev/null 2>&1; then
    log "creating system user putright-pg"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin putright-pg \
      || die "could not create user putright-pg"
  fi
  printf 'putright-pg\n'
}

# as_user USER CMD... : run CMD as USER (directly if we already are USER),
# from a directory USER can enter so that nothing complains about the cwd.
as_user() {
  local user="$1"; shift
  # fd 3 (our real stdout) is closed for the child: a postmaster inheriting it
  # would keep `url=$(pg-throwaway.sh start)` waiting for EOF forever.
  if [ "$(id -un)" = "$user" ]; then
    (cd / && exec "$@") 3>&-
  elif command -v runuser >/dev/null 2>&1; then
    (cd / && exec runuser -u "$user" -- "$@") 3>&-
  elif command -v setpriv >/dev/null 2>&1; then
    (cd / && exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "$@") 3>&-
  else
    die "need runuser or setpriv to run commands as $user"
  fi
}

# --- state file -------------------------------------------------------------

state_add() {
  mkdir -p "$STATE_DIR"
  printf '%s\n' "$1" >>"$STATE_FILE"
}

state_remove() {
  [ -f "$STATE_FILE" ] || return 0
  local tmp
  tmp="$(mktemp "$STATE_DIR/.pg-throwaway.state.XXXXXX")"
  grep -vxF -- "$1" "$STATE_FILE" >"$tmp" || true
  if [ -s "$tmp" ]; then
    mv -f "$tmp" "$STATE_FILE"
  else
    rm -f "$tmp" "$STATE_FILE"
  fi
}

state_last() {
  [ -f "$STATE_FILE" ] || return 1
  local last
  last="$(grep -v '^[[:space:]]*$' "$STATE_FILE" | tail -n 1 || true)"
  [ -n "$last" ] || return 1
  printf '%s\n' "$last"
}

# --- ports ------------------------------------------------------------------

# True if something accepts TCP connections on 127.0.0.1:PORT or PostgreSQL
# answers there in any way.
port_in_use() {
  local port="$1" rc=0
  "$ISREADY" -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1 || rc=$?
  # 2 = no response; anything else means some server is there.
  if [ "$rc" -ne 2 ]; then
    return 0
  fi
  if (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    return 0
  fi
  return 1
}

# --- start -------------------------------------------------------------------

CLEANUP_DIR=""
CLEANUP_CREATED=0
cleanup_failed_start() {
  local dir="$CLEANUP_DIR" created="$CLEANUP_CREATED"
  [ -n "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_user "$RUN_USER" "$BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/postgres.log" ]; then
    log "last lines of $dir/postgres.log:"
    tail -n 30 "$dir/postgres.log" >&2 || true
  fi
  if [ "$created" = 1 ]; then
    rm -rf -- "$dir"
  else
    # DIR was given (and empty); leave it empty again.
    find "$dir" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} + 2>/dev/null || true
  fi
  state_remove "$dir"
}

cmd_start() {
  local dir="${1:-}" created=0

  BINDIR="$(find_bindir)" || die "PostgreSQL $PG_MAJOR server binaries (initdb, pg_ctl, postgres) not found; install postgresql-$PG_MAJOR"
  ISREADY="$(pg_isready_bin)" || die "pg_isready not found; install postgresql-client-$PG_MAJOR"
  RUN_USER="$(pick_run_user)"
  log "using $("$BINDIR/postgres" --version) from $BINDIR, running as $RUN_USER"

  if [ -z "$dir" ]; then
    local base="${TMPDIR:-/tmp}"
    dir="$(mktemp -d "$base/putright-pg.XXXXXXXX")"
    dir="$(cd "$dir" && pwd -P)"
    created=1
  else
    if [ -e "$dir" ]; then
      [ -d "$dir" ] || die "$dir exists and is not a directory"
      if [ -n "$(ls -A "$dir")" ]; then
        die "$dir is not empty; give a new or empty directory"
      fi
    else
      mkdir -p "$dir"
      created=1
    fi
    dir="$(cd "$dir" && pwd -P)"
  fi

  # From here on, a failure removes what we made.
  CLEANUP_DIR="$dir"
  CLEANUP_CREATED="$created"
  trap cleanup_failed_start EXIT

  : >"$dir/$MARKER"
  mkdir -p "$dir/socket"
  chmod 700 "$dir"
  chown -R "$RUN_USER:" "$dir" 2>/dev/null || [ "$(id -u)" -ne 0 ] || die "could not chown $dir to $RUN_USER"
  state_add "$dir"

  if ! as_user "$RUN_USER" test -w "$dir"; then
    die "$RUN_USER cannot write to $dir (is a parent directory closed to it?); use a directory under /tmp"
  fi
  # Unix socket paths are limited to 107 bytes.
  if [ "$(printf '%s' "$dir/socket/.s.PGSQL.65535" | wc -c)" -gt 107 ]; then
    die "path $dir is too long for a unix socket directory; use a shorter one"
  fi

  local locale=C
  if locale -a 2>/dev/null | grep -qixE 'c\.utf-?8'; then
    locale=C.UTF-8
  else
    log "locale C.UTF-8 is not available; falling back to C"
  fi

  log "initialising cluster in $dir/data (locale $locale)"
  if ! as_user "$RUN_USER" "$BINDIR/initdb" -D "$dir/data" -A trust -U putright \
      --encoding=UTF8 --locale="$locale" --no-instructions >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2 || true
    die "initdb failed"
  fi

  local port="$FIRST_PORT" tries=0 started=0
  while [ "$tries" -lt "$MAX_PORT_TRIES" ]; do
    tries=$((tries + 1))
    if port_in_use "$port"; then
      port=$((port + 1))
      continue
    fi
    # (Re)write the settings that depend on the port. postgresql.auto.conf is
    # read last, so these win over postgresql.conf.
    as_user "$RUN_USER" tee "$dir/data/postgresql.auto.conf" >/dev/null <<EOF
# Written by scripts/pg-throwaway.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
max_connections = 200
fsync = on
logging_collector = off
EOF
    log "starting on 127.0.0.1:$port"
    if as_user "$RUN_USER" "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 120 start >&2; then
      started=1
      break
    fi
    # Lost a race for the port? Try the next one; otherwise give up.
    if grep -qE 'could not bind|Address already in use|could not create any TCP/IP sockets|lock file .* already exists' "$dir/postgres.log" 2>/dev/null; then
      log "port $port was taken meanwhile; trying the next one"
      as_user "$RUN_USER" "$BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
      port=$((port + 1))
      continue
    fi
    die "pg_ctl start failed"
  done
  [ "$started" = 1 ] || die "no free port found from $FIRST_PORT in $MAX_PORT_TRIES tries"

  # pg_ctl -w already waited; make sure TCP on 127.0.0.1 answers too.
  local waited=0
  until "$ISREADY" -q -h 127.0.0.1 -p "$port" -U putright -d postgres -t 2 >/dev/null 2>&1; do
    waited=$((waited + 1))
    [ "$waited" -lt 60 ] || die "server did not become ready on 127.0.0.1:$port"
    sleep 1
  done

  printf '%s\n' "$port" >"$dir/port"
  trap - EXIT
  log "ready: data and log in $dir (stop with: bash scripts/pg-throwaway.sh stop $dir)"
  printf 'postgres://putright@127.0.0.1:%s/postgres\n' "$port" >&3
}

# --- stop --------------------------------------------------------------------

cmd_stop() {
  local dir="${1:-}"
  if [ -z "$dir" ]; then
    if ! dir="$(state_last)"; then
      log "nothing to stop (no state file at $STATE_FILE)"
      return 0
    fi
  fi
  if [ ! -e "$dir" ]; then
    log "$dir does not exist; nothing to stop"
    state_remove "$dir"
    return 0
  fi
  [ -d "$dir" ] || die "$dir is not a directory"
  dir="$(cd "$dir" && pwd -P)"

  if [ ! -f "$dir/$MARKER" ]; then
    if [ -z "$(ls -A "$dir")" ]; then
      rmdir -- "$dir"
      state_remove "$dir"
      return 0
    fi
    die "$dir was not made by pg-throwaway.sh (no $MARKER); not touching it"
  fi

  if [ -f "$dir/data/postmaster.pid" ]; then
    BINDIR="$(find_bindir)" || die "PostgreSQL $PG_MAJOR binaries not found; cannot stop $dir"
    local owner
    owner="$(stat -c %U "$dir/data")"
    log "stopping cluster in $dir"
    if ! as_user "$owner" "$BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2; then
      log "fast shutdown failed; trying immediate"
      as_user "$owner" "$BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >&2 || true
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
      local pid
      pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
      if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        die "postmaster $pid is still running; not removing $dir"
      fi
    fi
  fi

  rm -rf -- "$dir"
  state_remove "$dir"
  log "removed $dir"
}

case "${1:-}" in
  start) shift; [ "$#" -le 1 ] || usage; cmd_start "${1:-}" ;;
  stop)  shift; [ "$#" -le 1 ] || usage; cmd_stop "${1:-}" ;;
  *) usage ;;
esac
