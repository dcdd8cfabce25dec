//! An audit event as a use case describes it, before sealing and storing.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user.
    User(Uuid),
    /// An OAuth client acting for itself.
    Client(String),
    /// Gatehouse itself (start-up, jobs, the CLI).
    System,
    /// Nobody known (a failed sign-in, a public endpoint).
    Anonymous,
}

impl Actor {
    /// The stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::User(_) => "user",
            Self::Client(_) => "client",
            Self::System => "system",
            Self::Anonymous => "anonymous",
        }
    }

    /// The stored id.
    pub fn id(&self) -> Option<String> {
        match self {
            Self::User(id) => Some(id.to_string()),
            Self::Client(id) => Some(id.clone()),
            Self::System | Self::Anonymous => None,
        }
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was attempted and failed (wrong password, bad input).
    Failure,
    /// It was refused for lack of permission.
    Denied,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
        }
    }
}

/// Personal data that belongs to an event. It is sealed under the subject's key, so it can be
/// erased without touching the record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalData {
    /// The client IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The browser's User-Agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The email address typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Who acted.
    pub actor: Actor,
    /// What happened, dotted (`system.started`).
    pub action: String,
    /// What it happened to (`user:<id>`, `client:<id>`).
    pub target: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Whose personal data `personal` is.
    pub subject: Option<Uuid>,
    /// Non-personal details.
    pub details: Option<serde_json::Value>,
    /// Personal data, sealed before it is stored.
    pub personal: Option<PersonalData>,
}

impl AuditEvent {
    /// A successful event by `actor` with nothing else set.
    pub fn new(actor: Actor, action: &str) -> Self {
        Self {
            actor,
            action: action.to_owned(),
            target: None,
            outcome: Outcome::Success,
            request_id: None,
            subject: None,
            details: None,
            personal: None,
        }
    }
}
