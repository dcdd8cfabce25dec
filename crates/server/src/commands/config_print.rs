//! `gatehouse config print`

use super::Context;
use crate::error::Failure;

/// Prints the effective configuration as TOML with secrets redacted.
pub fn run(context: &Context) -> Result<(), Failure> {
    let text = toml::to_string_pretty(&context.config)
        .map_err(|e| Failure::failed(format!("cannot render the configuration: {e}")))?;
    print!("{text}");
    Ok(())
}
