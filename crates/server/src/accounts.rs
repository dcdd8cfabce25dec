//! Account settings and the password hasher, from configuration; and the first-administrator
//! setup link, shown on the terminal and in `DATA_DIR/setup-url`, never through the logs.

use std::{
    fs::OpenOptions, io::Write, os::unix::fs::OpenOptionsExt, path::Path, sync::Arc, time::Duration,
};

use chrono::Duration as Span;
use gatehouse_domain::{
    Clock,
    accounts::{
        AccountSettings, Accounts, HashingCost, PasswordHasher, SessionCache, SessionPolicy,
        ensure_setup_token,
    },
    authorization::Authorizer,
    mfa::{MfaPolicy, MfaSettings, UserVerification},
    secrets::Keyring,
    store::Store,
};

use crate::{
    config::{Config, MfaPolicyConfig, UserVerificationConfig},
    error::Failure,
};

/// The account rules the configuration asks for.
pub fn settings(config: &Config) -> AccountSettings {
    let mut settings = AccountSettings::new(&config.http.public_url);
    let accounts = &config.accounts;
    settings.sign_up_enabled = accounts.sign_up_enabled;
    settings.require_verified_email = accounts.require_verified_email;
    settings.account_throttle.free_attempts = accounts.sign_in_free_attempts;
    settings.account_throttle.base_delay = Span::seconds(accounts.sign_in_base_delay_secs);
    settings.account_throttle.max_delay = Span::seconds(accounts.sign_in_max_delay_secs);
    settings.ip_throttle.free_attempts = accounts.ip_free_attempts;
    settings.sessions = SessionPolicy {
        idle: Span::minutes(config.sessions.idle_timeout_minutes),
        absolute: Span::hours(config.sessions.absolute_timeout_hours),
    };
    let mfa = &config.mfa;
    settings.mfa = MfaSettings::new(&config.http.public_url, &config.branding.product_name);
    settings.mfa.policy = match mfa.policy {
        MfaPolicyConfig::Off => MfaPolicy::Off,
        MfaPolicyConfig::Optional => MfaPolicy::Optional,
        MfaPolicyConfig::Required => MfaPolicy::Required,
    };
    settings.mfa.required_roles = mfa.required_roles.clone();
    settings.mfa.admins_required = mfa.require_for_admins;
    settings.mfa.enrolment_grace = Span::days(mfa.enrolment_grace_days);
    settings.mfa.step_up_max_age = Span::minutes(mfa.step_up_max_age_minutes);
    settings.mfa.user_verification = match mfa.user_verification {
        UserVerificationConfig::Required => UserVerification::Required,
        UserVerificationConfig::Preferred => UserVerification::Preferred,
        UserVerificationConfig::Discouraged => UserVerification::Discouraged,
    };
    settings
}

/// The argon2id hasher on its bounded pool.
pub fn hasher(config: &Config) -> Result<PasswordHasher, Failure> {
    let passwords = &config.passwords;
    let cost = HashingCost {
        memory_kib: passwords.memory_kib,
        iterations: passwords.iterations,
        parallelism: passwords.parallelism,
    };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let concurrency = if passwords.concurrency == 0 {
        cores
    } else {
        passwords.concurrency
    };
    PasswordHasher::new(
        cost,
        concurrency,
        Duration::from_millis(passwords.queue_timeout_ms),
    )
    .map_err(|e| Failure::usage(format!("configuration error: passwords: {e}")))
}

/// The account use cases' deps.
pub fn accounts(
    config: &Config,
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    clock: Arc<dyn Clock>,
    authorizer: Arc<Authorizer>,
) -> Result<Accounts, Failure> {
    Ok(Accounts {
        store,
        keyring,
        clock,
        hasher: hasher(config)?,
        settings: settings(config),
        authorizer,
        session_cache: Arc::new(SessionCache::new(Span::milliseconds(
            config.sessions.cache_ttl_ms,
        ))),
    })
}

/// While no administrator exists: makes a setup link, writes it to `DATA_DIR/setup-url` (0600)
/// and to the controlling terminal if there is one. The log only says where to find it.
pub async fn offer_setup(accounts: &Accounts, data_dir: &Path) -> Result<(), Failure> {
    let Some(link) = ensure_setup_token(accounts)
        .await
        .map_err(|e| Failure::failed(e.to_string()))?
    else {
        return Ok(());
    };
    std::fs::create_dir_all(data_dir)
        .map_err(|e| Failure::failed(format!("cannot create {}: {e}", data_dir.display())))?;
    let path = data_dir.join("setup-url");
    let write = || -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&path)?;
        writeln!(file, "{link}")
    };
    write().map_err(|e| Failure::failed(format!("cannot write {}: {e}", path.display())))?;
    if let Ok(mut terminal) = OpenOptions::new().write(true).open("/dev/tty") {
        // Straight to the terminal: the link is a credential and must not reach log storage.
        drop(writeln!(
            terminal,
            "\nNo administrator yet. Create one within an hour at:\n  {link}\n"
        ));
    }
    tracing::warn!(path = %path.display(), "no administrator yet: the one-time setup link is in this file (valid for one hour)");
    Ok(())
}
