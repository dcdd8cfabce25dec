//! Conversions between domain values and their stored SQLite form: timestamps are INTEGER Unix
//! microseconds, uuid lists travel as JSON arrays of hex strings, counts are non-negative, and
//! search text becomes a `LIKE` pattern.

use chrono::{DateTime, Utc};
use gatehouse_domain::StoreError;
use uuid::Uuid;

/// A timestamp as stored: Unix microseconds.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// A stored timestamp back as a `DateTime`.
pub(crate) fn timestamp(micros: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {micros} is out of range")))
}

/// An optional stored timestamp back as a `DateTime`.
pub(crate) fn optional_timestamp(micros: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    micros.map(timestamp).transpose()
}

/// A row count or `COUNT(*)` as an unsigned number.
pub(crate) fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative count {value}")))
}

/// A page size as bound to `LIMIT`.
pub(crate) fn limit(value: u32) -> i64 {
    i64::from(value)
}

/// Uuids as a JSON array of 32-digit hex strings, for `IN (SELECT unhex(value) FROM
/// json_each(?))`: SQLite has no array parameters, and this keeps a list query one static,
/// compile-checked statement.
pub(crate) fn uuid_list(ids: &[Uuid]) -> String {
    let hex: Vec<String> = ids.iter().map(|id| id.simple().to_string()).collect();
    serde_json::Value::from(hex).to_string()
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
