#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database or directory.
#
#   DATABASE_URL=postgres://.../new_empty_db bash scripts/restore.sh FILE.dump
#   PUTRIGHT_DATA_DIR=/var/lib/putright-new bash scripts/restore.sh FILE.tar.gz
#
# PostgreSQL: pg_restore in one transaction, stopping at the first error (nothing half-restored).
set -euo pipefail
FILE="${1:?usage: bash scripts/restore.sh FILE}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f "$FILE" ] || { echo "no such backup: $FILE" >&2; exit 2; }
if [ -n "${DATABASE_URL:-}" ]; then
  tables="$("$PG_BIN/psql" -X -A -t -c "select count(*) from pg_tables where schemaname = 'public'" "$DATABASE_URL")"
  if [ "$tables" != "0" ]; then
    echo "the target database is not empty ($tables tables): restore into a new, empty database" >&2
    exit 1
  fi
  "$PG_BIN/pg_restore" --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$DATABASE_URL" "$FILE"
  echo "restored $FILE ($("$PG_BIN/psql" -X -A -t -c 'select count(*) from complaints' "$DATABASE_URL") complaints)" >&2
elif [ -n "${PUTRIGHT_DATA_DIR:-}" ]; then
  exec node --import tsx scripts/embedded-backup.ts restore "$FILE" "$PUTRIGHT_DATA_DIR"
else
  echo "set DATABASE_URL (PostgreSQL) or PUTRIGHT_DATA_DIR (embedded)" >&2
  exit 2
fi
