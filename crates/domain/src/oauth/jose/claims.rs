//! Checking the registered claims of a verified token.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::JoseError;

/// What a verified token's registered claims must satisfy.
#[derive(Debug, Clone, Copy)]
pub struct Validation<'a> {
    /// `iss` must equal this exactly.
    pub issuer: &'a str,
    /// When given, `aud` (a string or an array of strings) must contain this exactly.
    pub audience: Option<&'a str>,
    /// The time to check `exp` and `nbf` against.
    pub now: DateTime<Utc>,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    pub leeway_secs: i64,
}

/// A NumericDate claim (seconds since the epoch, possibly fractional); `None` when absent.
fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<f64>, JoseError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(number)) => number
            .as_f64()
            .filter(|value| value.is_finite())
            .map(Some)
            .ok_or(JoseError::InvalidClaim(name)),
        Some(_) => Err(JoseError::InvalidClaim(name)),
    }
}

impl Validation<'_> {
    /// Checks `iss` (required, equal), `aud` (required and containing the audience when one
    /// is expected), `exp` (required, later than now − leeway), `nbf` (if present, not later
    /// than now + leeway) and `iat` (if present, a number).
    pub fn validate(&self, claims: &Map<String, Value>) -> Result<(), JoseError> {
        match claims.get("iss") {
            None => return Err(JoseError::MissingClaim("iss")),
            Some(Value::String(issuer)) if issuer == self.issuer => {}
            Some(_) => return Err(JoseError::WrongIssuer),
        }
        if let Some(audience) = self.audience {
            let contained = match claims.get("aud") {
                None => return Err(JoseError::MissingClaim("aud")),
                Some(Value::String(aud)) => aud == audience,
                Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(audience)),
                Some(_) => return Err(JoseError::InvalidClaim("aud")),
            };
            if !contained {
                return Err(JoseError::WrongAudience);
            }
        }
        let now = self.now.timestamp_micros() as f64 / 1_000_000.0;
        let leeway = self.leeway_secs.max(0) as f64;
        let exp = numeric_date(claims, "exp")?.ok_or(JoseError::MissingClaim("exp"))?;
        if exp <= now - leeway {
            return Err(JoseError::Expired);
        }
        if let Some(nbf) = numeric_date(claims, "nbf")?
            && nbf > now + leeway
        {
            return Err(JoseError::NotYetValid);
        }
        numeric_date(claims, "iat")?;
        Ok(())
    }
}
