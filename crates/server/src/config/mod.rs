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
    /// Accounts: sign-up, verification, throttling.
    pub accounts: AccountsConfig,
    /// Password hashing.
    pub passwords: PasswordsConfig,
    /// Browser sessions.
    pub sessions: SessionsConfig,
    /// Second factors, step-up and the MFA policy.
    pub mfa: MfaConfig,
    /// The OAuth 2.0 / OpenID Connect provider.
    pub oidc: OidcConfig,
    /// How hosted pages look.
    pub branding: BrandingConfig,
    /// Outgoing mail.
    pub email: gatehouse_mail::MailSettings,
}

/// `accounts.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsConfig {
    /// Whether people may create their own accounts.
    pub sign_up_enabled: bool,
    /// Whether an unverified address may sign in.
    pub require_verified_email: bool,
    /// Failed sign-ins per account before each further attempt has to wait.
    pub sign_in_free_attempts: i32,
    /// The first wait, in seconds; it doubles with each further failure.
    pub sign_in_base_delay_secs: i64,
    /// The longest wait, in seconds (a lock can never hold a victim out longer).
    pub sign_in_max_delay_secs: i64,
    /// Attempts per client IP and hour (sign-in, sign-up, reset, resend; every attempt counts)
    /// before each further one has to wait.
    pub ip_free_attempts: i32,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            sign_up_enabled: true,
            require_verified_email: true,
            sign_in_free_attempts: 5,
            sign_in_base_delay_secs: 30,
            sign_in_max_delay_secs: 900,
            ip_free_attempts: 1_000,
        }
    }
}

/// `passwords.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordsConfig {
    /// argon2id memory in KiB (OWASP: 19456).
    pub memory_kib: u32,
    /// argon2id passes (OWASP: 2).
    pub iterations: u32,
    /// argon2id lanes (OWASP: 1).
    pub parallelism: u32,
    /// Hashes run at once; 0 = one per CPU core.
    pub concurrency: usize,
    /// How long a sign-in waits for a free hashing slot before 503, in milliseconds.
    pub queue_timeout_ms: u64,
}

impl Default for PasswordsConfig {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            concurrency: 0,
            queue_timeout_ms: 2_000,
        }
    }
}

/// `sessions.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionsConfig {
    /// A session ends after this many minutes unused.
    pub idle_timeout_minutes: i64,
    /// A session ends this many hours after sign-in.
    pub absolute_timeout_hours: i64,
    /// A node keeps a looked-up session this many milliseconds before reading it again (0: every
    /// request reads the database). Changes made on the node take effect at once; changes made
    /// on another node (sign-out, revocation) within this time.
    pub cache_ttl_ms: i64,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            idle_timeout_minutes: 8 * 60,
            absolute_timeout_hours: 14 * 24,
            cache_ttl_ms: 1_000,
        }
    }
}

/// `mfa.policy`: who must have a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MfaPolicyConfig {
    /// Nobody may enrol new factors (enrolled ones are still asked for).
    Off,
    /// Everyone may; holders of `required_roles` (and administrators) must.
    Optional,
    /// Everyone must.
    Required,
}

/// `mfa.user_verification`: WebAuthn user verification for security keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserVerificationConfig {
    /// PIN or biometrics required.
    Required,
    /// When the authenticator can.
    Preferred,
    /// A touch is enough.
    Discouraged,
}

/// `mfa.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MfaConfig {
    /// `off`, `optional` or `required`.
    pub policy: MfaPolicyConfig,
    /// With `optional`: holders of these roles must have a second factor.
    pub required_roles: Vec<String>,
    /// Holders of `gatehouse:admin` must have a second factor.
    pub require_for_admins: bool,
    /// Days someone who must enrol may still sign in without, from the first time asked.
    pub enrolment_grace_days: i64,
    /// Sensitive actions need an authentication at most this many minutes old.
    pub step_up_max_age_minutes: i64,
    /// WebAuthn user verification for security keys: `required`, `preferred`, `discouraged`.
    pub user_verification: UserVerificationConfig,
}

impl Default for MfaConfig {
    fn default() -> Self {
        Self {
            policy: MfaPolicyConfig::Optional,
            required_roles: Vec::new(),
            require_for_admins: true,
            enrolment_grace_days: 7,
            step_up_max_age_minutes: 10,
            user_verification: UserVerificationConfig::Preferred,
        }
    }
}

/// `oidc.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    /// Access-token lifetime of clients that set none, in seconds.
    pub access_token_ttl_secs: i64,
    /// The longest access-token lifetime a client may set, in seconds.
    pub max_access_token_ttl_secs: i64,
    /// ID-token lifetime, in seconds.
    pub id_token_ttl_secs: i64,
    /// Absolute refresh-token lifetime of clients that set none, in days.
    pub refresh_token_ttl_days: i64,
    /// Authorization-code lifetime, in seconds (at most 60).
    pub code_ttl_secs: i64,
    /// Signing algorithm of clients that name none: `EdDSA`, `ES256` or `RS256`.
    pub default_signing_alg: String,
    /// How long before it signs a new key is published in JWKS (the JWKS cache lifetime
    /// clients are told), in seconds.
    pub key_publish_lead_secs: i64,
    /// Age at which the scheduled job rotates a signing key, in days.
    pub key_rotation_days: i64,
    /// How long a node trusts its cached client, grant state or verified token, in
    /// milliseconds (changes on other nodes take effect within it).
    pub cache_ttl_ms: u64,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 600,
            max_access_token_ttl_secs: 86_400,
            id_token_ttl_secs: 3_600,
            refresh_token_ttl_days: 30,
            code_ttl_secs: 60,
            default_signing_alg: "EdDSA".to_owned(),
            key_publish_lead_secs: 600,
            key_rotation_days: 90,
            cache_ttl_ms: 1_000,
        }
    }
}

/// `branding.*`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrandingConfig {
    /// The product name on pages and in mail.
    pub product_name: String,
    /// The accent colour, `#rrggbb`.
    pub accent_colour: String,
    /// A logo file (PNG, SVG, JPEG or WebP) served by Gatehouse itself.
    pub logo_path: Option<String>,
}

impl Default for BrandingConfig {
    fn default() -> Self {
        Self {
            product_name: "Gatehouse".to_owned(),
            accent_colour: "#2f5d8a".to_owned(),
            logo_path: None,
        }
    }
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
            queues: BTreeMap::from([
                ("default".to_owned(), 4),
                ("mail".to_owned(), 2),
                ("maintenance".to_owned(), 1),
            ]),
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
