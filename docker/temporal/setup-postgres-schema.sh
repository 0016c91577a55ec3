#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases with the admin-tools image's
# temporal-sql-tool, before the server starts: what the deprecated auto-setup image did inside the
# server container. Temporal's own compose sample (temporalio/samples-server, compose/scripts/
# setup-postgres.sh) runs the same steps. `create` and `setup-schema -v 0.0` leave an existing
# database as it is; `update-schema` applies only the versions it lacks, so this runs on every `up`.
set -eu
: "${POSTGRES_SEEDS:?set POSTGRES_SEEDS to the PostgreSQL host}"
: "${POSTGRES_USER:?set POSTGRES_USER}"
port="${DB_PORT:-5432}"
schemas=/etc/temporal/schema/postgresql/v12

until nc -z -w 5 "$POSTGRES_SEEDS" "$port"; do
  echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$port..."
  sleep 2
done

for db in temporal:temporal temporal_visibility:visibility; do
  name="${db%%:*}"
  dir="${db##*:}"
  sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$port" --db "$name" "$@"; }
  sql create
  sql setup-schema -v 0.0
  sql update-schema -d "$schemas/$dir/versioned"
done
echo 'Temporal schema is up to date'
