//! The system API, roles and capabilities seeded by migration 0009 (fixed ids).

use uuid::Uuid;

/// Gatehouse's own API audience.
pub const GATEHOUSE_API: &str = "gatehouse";
/// Every `gatehouse:*` capability.
pub const ADMIN_ROLE: &str = "gatehouse:admin";
/// Users, their sessions and second factors.
pub const USER_MANAGER_ROLE: &str = "gatehouse:user-manager";
/// Read-only: users, roles, the audit log.
pub const AUDITOR_ROLE: &str = "gatehouse:auditor";
/// The id of `gatehouse:admin`.
pub const ADMIN_ROLE_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0201);

/// Gatehouse's own capabilities.
pub mod capability {
    /// See users and their profiles.
    pub const USERS_READ: &str = "gatehouse:users.read";
    /// Create, change, disable and delete users.
    pub const USERS_WRITE: &str = "gatehouse:users.write";
    /// End users' sessions.
    pub const SESSIONS_REVOKE: &str = "gatehouse:sessions.revoke";
    /// Reset users' second factors.
    pub const MFA_RESET: &str = "gatehouse:mfa.reset";
    /// See APIs, capabilities, roles and groups.
    pub const ROLES_READ: &str = "gatehouse:roles.read";
    /// Change APIs, capabilities, roles, groups and assignments.
    pub const ROLES_WRITE: &str = "gatehouse:roles.write";
    /// Read the audit log.
    pub const AUDIT_READ: &str = "gatehouse:audit.read";
    /// Ask the check API about any user.
    pub const AUTHORIZE: &str = "gatehouse:authorize";
    /// See OAuth clients.
    pub const CLIENTS_READ: &str = "gatehouse:clients.read";
    /// Create, change and delete OAuth clients.
    pub const CLIENTS_WRITE: &str = "gatehouse:clients.write";
    /// See token-signing keys.
    pub const KEYS_READ: &str = "gatehouse:keys.read";
    /// Rotate token-signing keys.
    pub const KEYS_ROTATE: &str = "gatehouse:keys.rotate";
    /// Introspect any client's tokens (resource servers).
    pub const TOKENS_INTROSPECT: &str = "gatehouse:tokens.introspect";
}
