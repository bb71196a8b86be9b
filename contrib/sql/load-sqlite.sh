#!/bin/sh
# Load netlines JSON Lines into a SQLite database (created if missing).
#   contrib/sql/load-sqlite.sh DB [FILE...]     (no FILE: standard input)
# Any record type may be loaded; creates the schema of sqlite.sql first.
# Lines are imported raw (ascii mode, unit separator 0x1f as the never-seen
# column separator: JSON text has no raw control characters), so quotes and
# backslashes in the JSON need no escaping.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DB [FILE...]" >&2; exit 2; }
db=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
sqlite3 -bail "$db" < "$here/sqlite.sql"
cat "$@" | sqlite3 -bail "$db" \
  -cmd 'DROP TABLE IF EXISTS netlines_staging' \
  -cmd 'CREATE TABLE netlines_staging (line TEXT)' \
  -cmd '.mode ascii' -cmd '.separator "\037" "\n"' \
  -cmd '.import /dev/stdin netlines_staging' \
  "BEGIN;
   INSERT INTO records (rec) SELECT line FROM netlines_staging WHERE line <> '';
   DROP TABLE netlines_staging;
   COMMIT;"
