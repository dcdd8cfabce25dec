//! `gatehouse audit verify`

use gatehouse_domain::audit::verify_chain;

use super::Context;
use crate::error::Failure;

/// Checks the chain; prints a summary, or the first broken record and exits 1.
pub async fn verify(context: Context) -> Result<(), Failure> {
    let database = context.open_migrated().await?;
    let keyring = context.keyring(&database).await?;
    match verify_chain(&*database.store(), &keyring).await? {
        Ok(report) => {
            println!(
                "audit chain intact: {} records verified, {} not chained yet",
                report.records, report.unchained
            );
            Ok(())
        }
        Err(broken) => {
            println!("audit chain broken at {broken}");
            Err(Failure::failed("the audit chain does not verify"))
        }
    }
}
