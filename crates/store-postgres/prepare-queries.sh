#!/usr/bin/env bash
# Regenerates the committed offline data of the sqlx query macros (`.sqlx/query-*.json`).
#
# Creates a scratch database, applies the migrations with psql, empties `.sqlx/` and builds the
# crate (tests included) against the scratch database, so the macros write one file per query
# and no stale file stays. Needs a PostgreSQL server reachable through the variables below.
#
#   crates/store-postgres/prepare-queries.sh
#   PGHOST=db PGPORT=5433 crates/store-postgres/prepare-queries.sh
set -euo pipefail

crate_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace_dir="$(cd "$crate_dir/../.." && pwd)"

export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-postgres}"
scratch_db="${SCRATCH_DB:-gatehouse_sqlx}"

psql_admin() {
    psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --dbname postgres "$@"
}

psql_admin --command "DROP DATABASE IF EXISTS \"$scratch_db\" WITH (FORCE)"
psql_admin --command "CREATE DATABASE \"$scratch_db\""
for migration in "$crate_dir"/migrations/*.sql; do
    psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --single-transaction \
        --dbname "$scratch_db" --file "$migration"
done

rm -rf "$crate_dir/.sqlx"
mkdir -p "$crate_dir/.sqlx"

# The macros only run (and write their files) when the crate is rebuilt.
find "$crate_dir/src" "$crate_dir/tests" -name '*.rs' -exec touch {} +
cd "$workspace_dir"
env -u SQLX_OFFLINE \
    GATEHOUSE_SQLX_POSTGRES_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$scratch_db" \
    SQLX_OFFLINE_DIR="$crate_dir/.sqlx" \
    cargo check -p gatehouse-store-postgres --tests

SQLX_OFFLINE=true cargo check -p gatehouse-store-postgres --tests
echo "wrote $(find "$crate_dir/.sqlx" -name 'query-*.json' | wc -l) query files to $crate_dir/.sqlx"
