#!/usr/bin/env bash
# Back up Putright's database (attachments are stored in it, so they are included).
#
#   DATABASE_URL=postgres://... bash scripts/backup.sh FILE.dump       PostgreSQL: pg_dump, custom format
#   PUTRIGHT_DATA_DIR=/var/lib/putright bash scripts/backup.sh FILE.tar.gz   embedded: stop the server first
#
# pg_dump takes a consistent snapshot of a live database (one repeatable-read transaction).
# PG_BIN defaults to /usr/lib/postgresql/15/bin (use a pg_dump at least as new as the server).
set -euo pipefail
FILE="${1:?usage: bash scripts/backup.sh FILE}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -n "${DATABASE_URL:-}" ]; then
  "$PG_BIN/pg_dump" --format=custom --no-owner --no-privileges --file="$FILE.partial" "$DATABASE_URL"
  mv -f "$FILE.partial" "$FILE"
  echo "backed up PostgreSQL to $FILE ($(stat -c %s "$FILE") bytes)" >&2
elif [ -n "${PUTRIGHT_DATA_DIR:-}" ]; then
  exec node --import tsx scripts/embedded-backup.ts backup "$PUTRIGHT_DATA_DIR" "$FILE"
else
  echo "set DATABASE_URL (PostgreSQL) or PUTRIGHT_DATA_DIR (embedded)" >&2
  exit 2
fi
