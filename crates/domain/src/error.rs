//! The domain's error types. Each carries a neutral `code()`; only the web crate turns codes into
//! HTTP, and only the server crate turns them into exit codes.

/// What a storage adapter reports. Adapters translate driver errors into these in their own
/// `error.rs`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A uniqueness rule would be broken.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The row asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The database holds something this version cannot read, or is not a Gatehouse database.
    #[error("database corrupt or incompatible: {0}")]
    Corrupt(String),
    /// Any other failure.
    #[error("database error: {0}")]
    Other(String),
}

impl StoreError {
    /// A stable, neutral error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "unavailable",
            Self::AlreadyExists(_) => "already_exists",
            Self::NotFound(_) => "not_found",
            Self::Corrupt(_) => "corrupt",
            Self::Other(_) => "internal",
        }
    }
}

/// What a use case reports.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Key material is missing, malformed or does not authenticate.
    #[error("key error: {0}")]
    Key(String),
    /// The input breaks a rule; the message says which.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Every slot for the work is taken; try again shortly (HTTP 503 with Retry-After).
    #[error("busy: try again shortly")]
    Busy,
}

impl DomainError {
    /// A stable, neutral error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Store(error) => error.code(),
            Self::Key(_) => "key_error",
            Self::Invalid(_) => "invalid",
            Self::Busy => "busy",
        }
    }
}
