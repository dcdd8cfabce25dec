//! The readiness check: the database answers and every embedded migration is applied.

use gatehouse_domain::StoreError;
use sqlx::SqlitePool;
use sqlx::migrate::{Migrate, Migrator};

use crate::error::{migrate_error, store_error};

/// Ok when a query answers and every (up) migration of `migrator` is recorded as applied with
/// the checksum it has now.
pub(crate) async fn check_ready(
    reader: &SqlitePool,
    migrator: &Migrator,
) -> Result<(), StoreError> {
    let mut connection = reader.acquire().await.map_err(store_error)?;
    let table = migrator.table_name.as_ref();
    let tables = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!: i64" FROM sqlite_schema WHERE type = 'table' AND name = ?1"#,
        table
    )
    .fetch_one(&mut *connection)
    .await
    .map_err(store_error)?;
    if tables == 0 {
        return Err(StoreError::Unavailable("migrations not applied".to_owned()));
    }
    if let Some(version) = connection
        .dirty_version(table)
        .await
        .map_err(migrate_error)?
    {
        return Err(StoreError::Corrupt(format!(
            "migration {version} failed part-way"
        )));
    }
    let applied = connection
        .list_applied_migrations(table)
        .await
        .map_err(migrate_error)?;
    let wanted = migrator
        .iter()
        .filter(|migration| !migration.migration_type.is_down_migration());
    for migration in wanted {
        let found = applied.iter().find(|row| row.version == migration.version);
        match found {
            None => {
                return Err(StoreError::Unavailable(format!(
                    "migration {} ({}) not applied",
                    migration.version, migration.description
                )));
            }
            Some(row) if row.checksum != migration.checksum => {
                return Err(StoreError::Corrupt(format!(
                    "migration {} ({}) was changed after it was applied",
                    migration.version, migration.description
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
