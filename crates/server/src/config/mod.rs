//! The configuration: one typed tree, loaded once (defaults → TOML file → `GATEHOUSE__…`
//! environment → command-line flags), validated at start, passed down. Secrets are wrapped so
//! neither `Debug` nor `config print` shows them.

mod example;
mod load;
mod secret;

use std::{collections::BTreeMap, net::SocketAddr};

use serde::{Deserialize, Serialize};

pub use example::example_toml;
pub use load::{ConfigError, Overrides, load};
pub use secret::Secret;

/// Every setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The HTTP server.
    pub http: HttpConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// Key material.
    pub secrets: SecretsConfig,
    /// Logging.
    pub log: LogConfig,
    /// Background jobs.
    pub jobs: JobsConfig,
    /// The audit log.
    pub audit: AuditConfig,
}

/// `http.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// The URL people and applications reach Gatehouse at.
    pub public_url: String,
    /// Proxies (IP addresses) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
    /// Longest a request may take, in seconds.
    pub request_timeout_secs: u64,
    /// Largest request body, in bytes.
    pub body_limit_bytes: usize,
    /// How long shutdown waits for requests and jobs to finish, in seconds.
    pub shutdown_grace_secs: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://localhost:8080".to_owned(),
            trusted_proxies: Vec::new(),
            request_timeout_secs: 30,
            body_limit_bytes: 1024 * 1024,
            shutdown_grace_secs: 20,
        }
    }
}

/// `database.*`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://…` selects PostgreSQL; unset means SQLite in the data directory.
    /// `DATABASE_URL` sets it too.
    pub url: Option<Secret>,
    /// The connection pool.
    pub pool: PoolConfig,
}

/// `database.pool.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolConfig {
    /// Most connections open at once (PostgreSQL).
    pub max_connections: u32,
    /// How long to wait for a connection, in seconds.
    pub acquire_timeout_secs: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout_secs: 5,
        }
    }
}

/// `secrets.*`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// Wraps every data key (`gatehouse keys generate-master` makes one). Required with
    /// PostgreSQL; with SQLite, unset means `DATA_DIR/master.key`.
    pub master_key: Option<Secret>,
    /// Older master keys still accepted while `keys rotate-master` moves data keys off them.
    pub previous_master_keys: Vec<Secret>,
}

/// `log.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `pretty` for people, `json` for log pipelines.
    pub format: LogFormat,
    /// A tracing filter: `info`, `gatehouse=debug,info`, …
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            level: "info".to_owned(),
        }
    }
}

/// How logs are written (to standard error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// `jobs.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Run jobs on this node.
    pub enabled: bool,
    /// Jobs of each queue this node runs at once.
    pub queues: BTreeMap<String, usize>,
    /// How long a claimed job is held without a heartbeat, in seconds.
    pub lease_secs: u64,
    /// How often idle queues look for due jobs, in milliseconds.
    pub poll_interval_ms: u64,
    /// How long completed jobs are kept, in hours.
    pub completed_retention_hours: u64,
    /// How long dead jobs are kept for inspection and retry, in days.
    pub dead_retention_days: u64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            queues: BTreeMap::from([("default".to_owned(), 4), ("maintenance".to_owned(), 1)]),
            lease_secs: 60,
            poll_interval_ms: 1_000,
            completed_retention_hours: 24,
            dead_retention_days: 30,
        }
    }
}

/// `audit.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// How often committed records are chained, in milliseconds.
    pub chain_interval_ms: u64,
    /// How long audit records keep personal data (IP, user agent, email typed), in days.
    pub personal_data_retention_days: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            chain_interval_ms: 1_000,
            personal_data_retention_days: 90,
        }
    }
}
