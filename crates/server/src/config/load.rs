//! Layering and validation. Every error names the full dotted key (and the environment variable
//! or file it came from) and ends start-up with exit code 2.

use std::{collections::HashMap, fmt, net::SocketAddr, path::Path};

use serde::Deserialize;
use toml::{Table, Value};

use super::Config;

const ENV_PREFIX: &str = "GATEHOUSE__";

/// Settings given as command-line flags; they win over everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`
    pub listen: Option<SocketAddr>,
    /// `--public-url`
    pub public_url: Option<String>,
}

/// A configuration problem: the dotted key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The dotted key (`http.listen`), or the option (`--config`).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "configuration error: {}: {}",
            self.key, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

fn error(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        message: message.into(),
    }
}

/// Loads the configuration: defaults, then the TOML `file`, then `GATEHOUSE__…` variables (and
/// `DATABASE_URL`) from `environment`, then `overrides`.
pub fn load(
    file: Option<&Path>,
    environment: impl IntoIterator<Item = (String, String)>,
    overrides: &Overrides,
) -> Result<Config, ConfigError> {
    let mut layered = match file {
        Some(path) => read_file(path)?,
        None => Table::new(),
    };
    let mut origins = HashMap::new();
    let defaults =
        Value::try_from(Config::default()).map_err(|e| error("(defaults)", e.to_string()))?;
    let mut database_url = None;
    for (name, value) in environment {
        if name == "DATABASE_URL" {
            database_url = Some(value);
        } else if let Some(rest) = name.strip_prefix(ENV_PREFIX) {
            let path = env_path(&name, rest)?;
            let coerced = coerce(&defaults, &path, &value)
                .map_err(|m| error(path.join("."), format!("{m} (from {name})")))?;
            origins.insert(path.join("."), name.clone());
            insert(&mut layered, &path, coerced).map_err(|m| error(path.join("."), m))?;
        }
    }
    if let Some(url) = database_url
        && !origins.contains_key("database.url")
    {
        origins.insert("database.url".to_owned(), "DATABASE_URL".to_owned());
        insert(
            &mut layered,
            &["database".to_owned(), "url".to_owned()],
            Value::String(url),
        )
        .map_err(|m| error("database.url", m))?;
    }
    if let Some(listen) = overrides.listen {
        insert(
            &mut layered,
            &["http".into(), "listen".into()],
            Value::String(listen.to_string()),
        )
        .map_err(|m| error("http.listen", m))?;
    }
    if let Some(url) = &overrides.public_url {
        insert(
            &mut layered,
            &["http".into(), "public_url".into()],
            Value::String(url.clone()),
        )
        .map_err(|m| error("http.public_url", m))?;
    }
    let config = deserialize(layered, &origins)?;
    validate(&config)?;
    Ok(config)
}

fn read_file(path: &Path) -> Result<Table, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| error("--config", format!("cannot read {}: {e}", path.display())))?;
    text.parse::<Table>().map_err(|e| {
        let message = e.message().to_owned();
        let line = e
            .span()
            .map(|span| text[..span.start].lines().count().max(1));
        let place = line
            .map(|line| format!(" (line {line})"))
            .unwrap_or_default();
        error(
            "--config",
            format!("{} is not valid TOML{place}: {message}", path.display()),
        )
    })
}

fn env_path(name: &str, rest: &str) -> Result<Vec<String>, ConfigError> {
    let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
    if path.iter().any(String::is_empty) {
        return Err(error(
            name,
            "empty key segment (keys are joined with a double underscore)",
        ));
    }
    Ok(path)
}

/// Turns an environment string into the TOML value the key expects, using the defaults as the
/// schema where the key has a default.
fn coerce(defaults: &Value, path: &[String], raw: &str) -> Result<Value, String> {
    let expected = path
        .iter()
        .try_fold(defaults, |value, segment| value.get(segment));
    let literal = || {
        format!("v = {raw}")
            .parse::<Table>()
            .ok()
            .and_then(|mut table| table.remove("v"))
    };
    match expected {
        Some(Value::String(_)) => Ok(Value::String(raw.to_owned())),
        Some(Value::Integer(_)) => raw
            .trim()
            .parse()
            .map(Value::Integer)
            .map_err(|_| format!("expected an integer, got {raw:?}")),
        Some(Value::Boolean(_)) => raw
            .trim()
            .parse()
            .map(Value::Boolean)
            .map_err(|_| format!("expected true or false, got {raw:?}")),
        Some(Value::Array(_)) => Ok(literal().filter(Value::is_array).unwrap_or_else(|| {
            Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| Value::String(item.to_owned()))
                    .collect(),
            )
        })),
        _ => Ok(literal().unwrap_or_else(|| Value::String(raw.to_owned()))),
    }
}

fn insert(table: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("empty key".to_owned());
    };
    let mut current = table;
    for segment in parents {
        let entry = current
            .entry(segment.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        current = entry
            .as_table_mut()
            .ok_or_else(|| format!("{segment} is not a section"))?;
    }
    current.insert(last.clone(), value);
    Ok(())
}

fn deserialize(table: Table, origins: &HashMap<String, String>) -> Result<Config, ConfigError> {
    let result: Result<Config, _> = serde_path_to_error::deserialize(Value::Table(table));
    result.map_err(|failure| {
        let path = failure.path().to_string();
        let inner = failure.into_inner().to_string();
        let inner = inner.lines().next().unwrap_or_default().to_owned();
        // serde reports an unknown field at its parent's path; name the field itself.
        let key = match inner
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(field) if path == "." || path.is_empty() => field.to_owned(),
            Some(field) if !path.ends_with(field) => format!("{path}.{field}"),
            _ => path,
        };
        let message = if inner.starts_with("unknown field") {
            "unknown setting".to_owned()
        } else {
            inner
        };
        let source = origins
            .get(&key)
            .map(|name| format!(" (from {name})"))
            .unwrap_or_default();
        error(key, format!("{message}{source}"))
    })
}

fn validate(config: &Config) -> Result<(), ConfigError> {
    let url = &config.http.public_url;
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.contains(char::is_whitespace)
    {
        return Err(error(
            "http.public_url",
            format!("must be an http:// or https:// URL, got {url:?}"),
        ));
    }
    if let Some(database) = &config.database.url
        && !(database.expose().starts_with("postgres://")
            || database.expose().starts_with("postgresql://"))
    {
        return Err(error(
            "database.url",
            "must be a postgres:// URL (leave it unset for the embedded SQLite database)",
        ));
    }
    for (key, value, minimum) in [
        (
            "http.request_timeout_secs",
            config.http.request_timeout_secs,
            1,
        ),
        (
            "http.body_limit_bytes",
            config.http.body_limit_bytes as u64,
            1_024,
        ),
        (
            "database.pool.max_connections",
            u64::from(config.database.pool.max_connections),
            1,
        ),
        ("jobs.lease_secs", config.jobs.lease_secs, 3),
        ("jobs.poll_interval_ms", config.jobs.poll_interval_ms, 10),
        (
            "audit.chain_interval_ms",
            config.audit.chain_interval_ms,
            10,
        ),
    ] {
        if value < minimum {
            return Err(error(
                key,
                format!("must be at least {minimum}, got {value}"),
            ));
        }
    }
    if let Some((queue, _)) = config
        .jobs
        .queues
        .iter()
        .find(|(_, concurrency)| **concurrency == 0)
    {
        return Err(error(
            format!("jobs.queues.{queue}"),
            "concurrency must be at least 1",
        ));
    }
    validate_accounts(config)?;
    if let Some(proxy) = config
        .http
        .trusted_proxies
        .iter()
        .find(|proxy| proxy.parse::<std::net::IpAddr>().is_err())
    {
        return Err(error(
            "http.trusted_proxies",
            format!("{proxy:?} is not an IP address"),
        ));
    }
    config
        .email
        .validate()
        .map_err(|(key, message)| error(key, message))?;
    if tracing_subscriber::EnvFilter::try_new(&config.log.level).is_err() {
        return Err(error(
            "log.level",
            format!("not a valid log filter: {:?}", config.log.level),
        ));
    }
    Ok(())
}

impl Config {
    /// The configuration with no file, no environment and no flags.
    pub fn defaults() -> Self {
        Self::default()
    }

    /// Parses TOML text alone (for tests and tools).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let table = text
            .parse::<Table>()
            .map_err(|e| error("--config", e.message().to_owned()))?;
        let config = Config::deserialize(Value::Table(table))
            .map_err(|e| error("--config", e.to_string()))?;
        validate(&config)?;
        Ok(config)
    }
}

fn validate_accounts(config: &Config) -> Result<(), ConfigError> {
    let colour = &config.branding.accent_colour;
    if !(colour.len() == 7
        && colour.starts_with('#')
        && colour[1..].chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(error(
            "branding.accent_colour",
            format!("must look like #2f5d8a, got {colour:?}"),
        ));
    }
    let passwords = &config.passwords;
    if argon2_rejects(
        passwords.memory_kib,
        passwords.iterations,
        passwords.parallelism,
    ) {
        return Err(error(
            "passwords.memory_kib",
            "argon2id needs memory_kib ≥ 8 × parallelism, iterations ≥ 1 and parallelism ≥ 1",
        ));
    }
    for (key, value, minimum) in [
        (
            "accounts.sign_in_free_attempts",
            i64::from(config.accounts.sign_in_free_attempts),
            1,
        ),
        (
            "accounts.ip_free_attempts",
            i64::from(config.accounts.ip_free_attempts),
            1,
        ),
        (
            "accounts.sign_in_base_delay_secs",
            config.accounts.sign_in_base_delay_secs,
            1,
        ),
        (
            "accounts.sign_in_max_delay_secs",
            config.accounts.sign_in_max_delay_secs,
            config.accounts.sign_in_base_delay_secs,
        ),
        (
            "sessions.idle_timeout_minutes",
            config.sessions.idle_timeout_minutes,
            1,
        ),
        (
            "sessions.absolute_timeout_hours",
            config.sessions.absolute_timeout_hours,
            1,
        ),
        ("sessions.cache_ttl_ms", config.sessions.cache_ttl_ms, 0),
        (
            "mfa.enrolment_grace_days",
            config.mfa.enrolment_grace_days,
            0,
        ),
        (
            "mfa.step_up_max_age_minutes",
            config.mfa.step_up_max_age_minutes,
            1,
        ),
        (
            "oidc.access_token_ttl_secs",
            config.oidc.access_token_ttl_secs,
            60,
        ),
        (
            "oidc.max_access_token_ttl_secs",
            config.oidc.max_access_token_ttl_secs,
            config.oidc.access_token_ttl_secs,
        ),
        ("oidc.id_token_ttl_secs", config.oidc.id_token_ttl_secs, 60),
        (
            "oidc.refresh_token_ttl_days",
            config.oidc.refresh_token_ttl_days,
            1,
        ),
        ("oidc.code_ttl_secs", config.oidc.code_ttl_secs, 5),
        (
            "oidc.key_publish_lead_secs",
            config.oidc.key_publish_lead_secs,
            0,
        ),
        ("oidc.key_rotation_days", config.oidc.key_rotation_days, 1),
    ] {
        if value < minimum {
            return Err(error(
                key,
                format!("must be at least {minimum}, got {value}"),
            ));
        }
    }
    if config.sessions.cache_ttl_ms > 10_000 {
        return Err(error(
            "sessions.cache_ttl_ms",
            "at most 10000: another node's sign-out must take effect quickly",
        ));
    }
    if config.oidc.code_ttl_secs > 60 {
        return Err(error(
            "oidc.code_ttl_secs",
            "at most 60: authorization codes must be short-lived",
        ));
    }
    if !["EdDSA", "ES256", "RS256"].contains(&config.oidc.default_signing_alg.as_str()) {
        return Err(error("oidc.default_signing_alg", "EdDSA, ES256 or RS256"));
    }
    if config.oidc.cache_ttl_ms > 10_000 {
        return Err(error(
            "oidc.cache_ttl_ms",
            "at most 10000: a revocation on another node must take effect quickly",
        ));
    }
    if config.accounts.sign_in_max_delay_secs > 3_600 {
        return Err(error(
            "accounts.sign_in_max_delay_secs",
            "at most 3600: a lock must not hold a victim out for long",
        ));
    }
    Ok(())
}

fn argon2_rejects(memory_kib: u32, iterations: u32, parallelism: u32) -> bool {
    parallelism == 0 || iterations == 0 || memory_kib < 8 * parallelism
}
