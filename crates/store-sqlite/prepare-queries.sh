#!/usr/bin/env bash
# Regenerates the offline query data (.sqlx/query-*.json) of gatehouse-store-sqlite.
#
# The sqlx query macros check every query against a database when GATEHOUSE_SQLX_SQLITE_URL is
# set (see sqlx.toml) and write what they learn into SQLX_OFFLINE_DIR. This script builds a
# scratch database from migrations/, empties .sqlx/ (so no stale file survives a changed query),
# recompiles the crate against the scratch database, then checks the crate and its tests offline.
#
# Run from anywhere: crates/store-sqlite/prepare-queries.sh
set -euo pipefail

crate_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace_dir="$(cd "${crate_dir}/../.." && pwd)"
scratch_dir="$(mktemp -d)"
trap 'rm -rf "${scratch_dir}"' EXIT
database="${scratch_dir}/gatehouse-sqlx.db"

# 1. A scratch database with every migration applied, in file-name order.
if command -v sqlite3 >/dev/null 2>&1; then
    for migration in "${crate_dir}"/migrations/*.sql; do
        sqlite3 -bail "${database}" <"${migration}"
    done
elif command -v python3 >/dev/null 2>&1; then
    python3 - "${database}" "${crate_dir}"/migrations/*.sql <<'PYTHON'
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
for migration in sys.argv[2:]:
    with open(migration, encoding="utf-8") as file:
        connection.executescript(file.read())
connection.commit()
connection.close()
PYTHON
else
    echo "prepare-queries.sh needs the sqlite3 CLI or python3 to build the scratch database" >&2
    exit 1
fi

# 2. Fresh offline data: empty .sqlx/, then make the macros run again and write it.
mkdir -p "${crate_dir}/.sqlx"
find "${crate_dir}/.sqlx" -name 'query-*.json' -delete
touch "${crate_dir}/src/lib.rs"
cd "${workspace_dir}"
env -u SQLX_OFFLINE -u DATABASE_URL \
    GATEHOUSE_SQLX_SQLITE_URL="sqlite://${database}" \
    SQLX_OFFLINE_DIR="${crate_dir}/.sqlx" \
    cargo check -p gatehouse-store-sqlite --tests

# 3. The committed data alone must be enough.
touch "${crate_dir}/src/lib.rs"
env -u GATEHOUSE_SQLX_SQLITE_URL -u DATABASE_URL SQLX_OFFLINE=true \
    cargo check -p gatehouse-store-sqlite --tests

echo "offline query data: $(find "${crate_dir}/.sqlx" -name 'query-*.json' | wc -l) files in ${crate_dir}/.sqlx"
