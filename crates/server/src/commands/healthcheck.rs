//! `gatehouse healthcheck`

use std::time::Duration;

use super::Context;
use crate::error::Failure;

/// Exits 0 when the instance at `url` (default: the configured listen address) answers
/// `/readyz` with 200.
pub async fn run(context: Context, url: Option<String>) -> Result<(), Failure> {
    let base = url.unwrap_or_else(|| {
        let mut listen = context.config.http.listen;
        if listen.ip().is_unspecified() {
            listen.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{listen}")
    });
    let target = format!("{}/readyz", base.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| Failure::failed(format!("cannot build an HTTP client: {e}")))?;
    let response = client
        .get(&target)
        .send()
        .await
        .map_err(|e| Failure::failed(format!("{target}: {e}")))?;
    if response.status().is_success() {
        println!("ready");
        Ok(())
    } else {
        Err(Failure::failed(format!(
            "{target} answered {}",
            response.status()
        )))
    }
}
