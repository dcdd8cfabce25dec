//! The OAuth provider's settings from the `oidc.*` configuration.

use std::time::Duration;

use gatehouse_domain::oauth::{OAuthSettings, jose::Algorithm};

use crate::{config::Config, error::Failure};

fn secs(value: i64) -> Duration {
    Duration::from_secs(u64::try_from(value).unwrap_or(0))
}

/// The provider's settings; the issuer is the public URL.
pub fn settings(config: &Config) -> Result<OAuthSettings, Failure> {
    let oidc = &config.oidc;
    let mut settings = OAuthSettings::new(&config.http.public_url);
    settings.access_token_ttl = secs(oidc.access_token_ttl_secs);
    settings.max_access_token_ttl = secs(oidc.max_access_token_ttl_secs);
    settings.id_token_ttl = secs(oidc.id_token_ttl_secs);
    settings.refresh_token_ttl = secs(oidc.refresh_token_ttl_days * 86_400);
    settings.code_ttl = secs(oidc.code_ttl_secs);
    settings.default_signing_alg =
        Algorithm::parse(&oidc.default_signing_alg).ok_or_else(|| {
            Failure::usage("configuration error: oidc.default_signing_alg: EdDSA, ES256 or RS256")
        })?;
    settings.keys.publish_lead = secs(oidc.key_publish_lead_secs);
    settings.keys.retain = secs(oidc.max_access_token_ttl_secs.max(oidc.id_token_ttl_secs));
    settings.keys.rotation_period = secs(oidc.key_rotation_days * 86_400);
    settings.cache_ttl = Duration::from_millis(oidc.cache_ttl_ms);
    Ok(settings)
}
