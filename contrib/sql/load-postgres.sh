#!/bin/sh
# Load netlines JSON Lines into PostgreSQL (table `records`, see postgres.sql).
#   contrib/sql/load-postgres.sh [FILE...]      (no FILE: standard input)
# Connection: the usual libpq variables (PGHOST, PGPORT, PGDATABASE, PGUSER, ...).
# Creates the schema first (idempotent). Any record type may be loaded.
#
# COPY's text format would eat the backslashes of JSON escapes ("\n", "\"");
# CSV format with quote and delimiter set to bytes that never occur raw in JSON
# text (0x01, 0x02) takes every line verbatim as one field.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
psql -X -q -v ON_ERROR_STOP=1 -f "$here/postgres.sql"
# grep drops empty lines (an empty field would be a NULL rec).
cat "$@" | grep -v '^$' | psql -X -q -v ON_ERROR_STOP=1 \
  -c "\\copy records (rec) FROM pstdin WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
