//! A `jobs` row as read by the queries, and its translation into the domain's [`Job`].

use gatehouse_domain::StoreError;
use gatehouse_domain::store::{Job, JobState};
use uuid::Uuid;

use crate::convert::{optional_timestamp, timestamp};

/// A `jobs` row in its stored form.
pub(crate) struct JobRecord {
    pub(crate) id: Uuid,
    pub(crate) kind: String,
    pub(crate) queue: String,
    pub(crate) payload: String,
    pub(crate) state: String,
    pub(crate) attempt: i32,
    pub(crate) max_attempts: i32,
    pub(crate) run_at: i64,
    pub(crate) locked_by: Option<String>,
    pub(crate) lease_expires_at: Option<i64>,
    pub(crate) last_error: Option<String>,
    pub(crate) unique_key: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) finished_at: Option<i64>,
}

impl TryFrom<JobRecord> for Job {
    type Error = StoreError;

    fn try_from(record: JobRecord) -> Result<Self, StoreError> {
        Ok(Job {
            id: record.id,
            payload: serde_json::from_str(&record.payload).map_err(|error| {
                StoreError::Corrupt(format!("job {} payload is not JSON: {error}", record.id))
            })?,
            state: parse_state(&record.state)?,
            kind: record.kind,
            queue: record.queue,
            attempt: record.attempt,
            max_attempts: record.max_attempts,
            run_at: timestamp(record.run_at)?,
            locked_by: record.locked_by,
            lease_expires_at: optional_timestamp(record.lease_expires_at)?,
            last_error: record.last_error,
            unique_key: record.unique_key,
            created_at: timestamp(record.created_at)?,
            updated_at: timestamp(record.updated_at)?,
            finished_at: optional_timestamp(record.finished_at)?,
        })
    }
}

/// Translates records in order, failing on the first that cannot be read.
pub(crate) fn jobs(records: Vec<JobRecord>) -> Result<Vec<Job>, StoreError> {
    records.into_iter().map(Job::try_from).collect()
}

/// A stored state name back as a [`JobState`].
pub(crate) fn parse_state(value: &str) -> Result<JobState, StoreError> {
    JobState::parse(value)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown job state {value:?}")))
}
