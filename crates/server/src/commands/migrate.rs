//! `gatehouse migrate`

use super::Context;
use crate::{database::Database, error::Failure};

/// Applies pending migrations.
pub async fn run(context: Context) -> Result<(), Failure> {
    let database = Database::open(&context.config, &context.data_dir).await?;
    database.migrate().await?;
    println!("migrations applied");
    Ok(())
}
