//! The embedded migrations: applying them, and checking that they are all applied.

use std::collections::HashMap;

use gatehouse_domain::StoreError;
use sqlx::AssertSqlSafe;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPool;

use crate::error::{migrate_error, store_error};

/// Every migration of `migrations/`, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Applies every embedded migration not applied yet, under the migrator's advisory lock.
pub(crate) async fn run(pool: &PgPool) -> Result<(), StoreError> {
    MIGRATOR.run(pool).await.map_err(migrate_error)
}

/// Ok when every embedded migration is recorded as successfully applied with the embedded
/// checksum. A database without the migrations table has not been migrated.
pub(crate) async fn check_applied(pool: &PgPool) -> Result<(), StoreError> {
    let applied = applied(pool).await?;
    for migration in MIGRATOR
        .iter()
        .filter(|migration| migration.migration_type.is_up_migration())
    {
        let version = migration.version;
        match applied.get(&version) {
            None => {
                return Err(StoreError::Unavailable(format!(
                    "migration {version} ({}) is not applied",
                    migration.description
                )));
            }
            Some(record) if !record.success => {
                return Err(StoreError::Corrupt(format!(
                    "migration {version} failed part-way"
                )));
            }
            Some(record) if record.checksum != *migration.checksum => {
                return Err(StoreError::Corrupt(format!(
                    "migration {version} was applied from a different file than this version embeds"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// One row of the migrator's table.
struct AppliedMigration {
    success: bool,
    checksum: Vec<u8>,
}

/// The migrator's records by version; empty when its table does not exist yet.
async fn applied(pool: &PgPool) -> Result<HashMap<i64, AppliedMigration>, StoreError> {
    let table = MIGRATOR.table_name.as_ref();
    let exists = sqlx::query_scalar!(r#"SELECT to_regclass($1) IS NOT NULL AS "exists!""#, table)
        .fetch_one(pool)
        .await
        .map_err(store_error)?;
    if !exists {
        return Ok(HashMap::new());
    }
    // Not a checked macro: the table belongs to sqlx's migrator, not to the schema the macros
    // are checked against (`prepare-queries.sh` applies the migration files with psql), and its
    // name is the migrator's setting.
    let sql = format!("SELECT version, success, checksum FROM {table}");
    let rows: Vec<(i64, bool, Vec<u8>)> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    Ok(rows
        .into_iter()
        .map(|(version, success, checksum)| (version, AppliedMigration { success, checksum }))
        .collect())
}
