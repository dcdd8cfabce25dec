//! Rows as the query macros read them, where they differ from the port's types.

use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use gatehouse_domain::store::{Job, JobState};
use uuid::Uuid;

/// A `jobs` row with its state still as stored text.
#[derive(Debug)]
pub(crate) struct JobRecord {
    pub(crate) id: Uuid,
    pub(crate) kind: String,
    pub(crate) queue: String,
    pub(crate) payload: serde_json::Value,
    pub(crate) state: String,
    pub(crate) attempt: i32,
    pub(crate) max_attempts: i32,
    pub(crate) run_at: DateTime<Utc>,
    pub(crate) locked_by: Option<String>,
    pub(crate) lease_expires_at: Option<DateTime<Utc>>,
    pub(crate) last_error: Option<String>,
    pub(crate) unique_key: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<JobRecord> for Job {
    type Error = StoreError;

    fn try_from(record: JobRecord) -> Result<Self, StoreError> {
        Ok(Self {
            state: parse_state(&record.state)?,
            id: record.id,
            kind: record.kind,
            queue: record.queue,
            payload: record.payload,
            attempt: record.attempt,
            max_attempts: record.max_attempts,
            run_at: record.run_at,
            locked_by: record.locked_by,
            lease_expires_at: record.lease_expires_at,
            last_error: record.last_error,
            unique_key: record.unique_key,
            created_at: record.created_at,
            updated_at: record.updated_at,
            finished_at: record.finished_at,
        })
    }
}

/// Converts every record, failing on the first unreadable one.
pub(crate) fn jobs_from(records: Vec<JobRecord>) -> Result<Vec<Job>, StoreError> {
    records.into_iter().map(Job::try_from).collect()
}

/// Parses a stored job state.
pub(crate) fn parse_state(stored: &str) -> Result<JobState, StoreError> {
    JobState::parse(stored)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown job state {stored:?}")))
}

/// A page size or limit as the `bigint` that `LIMIT` takes.
pub(crate) fn limit_of(limit: u32) -> i64 {
    i64::from(limit)
}

/// A count from PostgreSQL (`bigint`, never negative) as the port's `u64`.
pub(crate) fn count_of(count: i64) -> u64 {
    u64::try_from(count).unwrap_or_default()
}

/// A `LIKE … ESCAPE '\'` pattern matching any text that contains `text`: `%`, `_` and `\` in it
/// are escaped, so they match themselves.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}
