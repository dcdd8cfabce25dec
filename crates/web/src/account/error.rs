//! The one mapping of account errors to HTTP: status, stable code, the field it concerns, the
//! catalogue message, and `Retry-After`. Pages show the message; the JSON twin sends the same
//! facts as RFC 9457 problem+json. Answers that SECURITY.md wants identical for known and
//! unknown addresses come out identical because the domain reports them identically.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gatehouse_domain::{
    DomainError, StoreError,
    accounts::{AccountError, BUSY_RETRY_AFTER_SECS, PasswordProblem},
};

use crate::{
    error::{FieldProblem, Problem, UNAVAILABLE_RETRY_AFTER_SECS},
    i18n::Language,
};

/// A classified failure.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code (the domain's `code()` where there is one).
    pub code: &'static str,
    /// The form field or JSON member at fault, if one is.
    pub field: Option<&'static str>,
    /// The catalogue key of the message.
    key: &'static str,
    /// Values for the message's placeholders.
    values: Vec<(&'static str, String)>,
    /// English detail for developers (problem `detail`), when more specific than the message.
    detail: Option<String>,
    /// Seconds for `Retry-After`.
    pub retry_after: Option<u32>,
}

fn invalid_key(field: &str) -> &'static str {
    match field {
        "email" => "error.invalid_email",
        "display_name" | "given_name" | "family_name" => "error.invalid_name",
        "locale" => "error.invalid_locale",
        "picture_url" => "error.invalid_picture_url",
        "attributes" => "error.invalid_attributes",
        _ => "error.invalid",
    }
}

fn password_failure(problem: &PasswordProblem) -> Failure {
    let (key, values) = match problem {
        PasswordProblem::TooShort { minimum } => {
            ("password.too_short", vec![("minimum", minimum.to_string())])
        }
        PasswordProblem::TooLong { maximum } => {
            ("password.too_long", vec![("maximum", maximum.to_string())])
        }
        PasswordProblem::Common => ("password.common", Vec::new()),
        PasswordProblem::Weak => ("password.weak", Vec::new()),
    };
    let mut failure =
        Failure::new(StatusCode::UNPROCESSABLE_ENTITY, problem.code(), key).on_field("password");
    failure.values = values;
    failure.detail = Some(problem.message());
    failure
}

fn throttled(until: DateTime<Utc>, now: DateTime<Utc>) -> Failure {
    let milliseconds = (until - now).num_milliseconds().max(1_000);
    let seconds = u32::try_from((milliseconds + 999) / 1_000).unwrap_or(u32::MAX);
    let mut failure = if seconds < 120 {
        let mut failure = Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "error.throttled_seconds",
        );
        failure.values = vec![("seconds", seconds.to_string())];
        failure
    } else {
        let mut failure = Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "error.throttled_minutes",
        );
        failure.values = vec![("minutes", seconds.div_ceil(60).to_string())];
        failure
    };
    failure.retry_after = Some(seconds);
    failure
}

impl Failure {
    /// A failure with no field.
    pub fn new(status: StatusCode, code: &'static str, key: &'static str) -> Self {
        Self {
            status,
            code,
            field: None,
            key,
            values: Vec::new(),
            detail: None,
            retry_after: None,
        }
    }

    /// The same failure, concerning `field`.
    pub fn on_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    /// The same failure, filling placeholder `{name}` of its message with `value`.
    pub fn with_value(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.values.push((name, value.into()));
        self
    }

    /// The same failure, with `detail` as the problem's developer-facing detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Classifies an account use case's error; `now` times `Retry-After`.
    pub fn classify(error: AccountError, now: DateTime<Utc>) -> Self {
        let code = error.code();
        let (status, key) = match error {
            AccountError::Invalid { field, message } => {
                let mut failure =
                    Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, invalid_key(field))
                        .on_field(field);
                failure.detail = Some(format!("{field}: {message}"));
                return failure;
            }
            AccountError::Password(problem) => return password_failure(&problem),
            AccountError::Throttled { until } => return throttled(until, now),
            AccountError::Domain(error) => return Self::from_domain(error),
            AccountError::InvalidCode => {
                return Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, "error.invalid_code")
                    .on_field("code");
            }
            AccountError::EmailTaken => {
                return Self::new(StatusCode::CONFLICT, code, "error.email_taken")
                    .on_field("email");
            }
            AccountError::InvalidCredentials => {
                (StatusCode::UNAUTHORIZED, "error.invalid_credentials")
            }
            AccountError::EmailNotVerified => (StatusCode::FORBIDDEN, "error.email_not_verified"),
            AccountError::AccountDisabled => (StatusCode::FORBIDDEN, "error.account_disabled"),
            AccountError::InvalidLink => (StatusCode::BAD_REQUEST, "error.invalid_link"),
            AccountError::SignUpDisabled => (StatusCode::FORBIDDEN, "error.sign_up_disabled"),
            AccountError::NotSignedIn => (StatusCode::UNAUTHORIZED, "error.not_signed_in"),
            AccountError::StepUpRequired => (StatusCode::FORBIDDEN, "error.step_up_required"),
            AccountError::ChallengeExpired => (StatusCode::BAD_REQUEST, "error.challenge_expired"),
            AccountError::InvalidFactorCode => {
                return Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    "error.invalid_factor_code",
                )
                .on_field("code");
            }
            AccountError::PasswordTooShortForSingleFactor { minimum } => {
                return Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    "error.password_too_short_for_single_factor",
                )
                .on_field("password")
                .with_value("minimum", minimum.to_string());
            }
            AccountError::NotFound => (StatusCode::NOT_FOUND, "error.not_found"),
            AccountError::WebAuthn(detail) => {
                return Self::new(StatusCode::BAD_REQUEST, code, "error.webauthn_failed")
                    .with_detail(detail);
            }
            AccountError::WebAuthnUnavailable => {
                (StatusCode::NOT_FOUND, "error.webauthn_unavailable")
            }
        };
        Self::new(status, code, key)
    }

    /// Classifies a failure below the rules. Internal errors are logged here, once.
    pub fn from_domain(error: DomainError) -> Self {
        match error {
            DomainError::Busy => {
                let mut failure = Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "error.busy");
                failure.retry_after = Some(BUSY_RETRY_AFTER_SECS);
                failure
            }
            DomainError::Store(StoreError::Unavailable(_)) => {
                let mut failure = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "error.unavailable",
                );
                failure.retry_after = Some(UNAVAILABLE_RETRY_AFTER_SECS);
                failure
            }
            DomainError::Invalid(message) => {
                let mut failure = Self::new(StatusCode::BAD_REQUEST, "invalid", "error.invalid");
                failure.detail = Some(message);
                failure
            }
            error => {
                tracing::error!(code = error.code(), error = %error, "request failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "error.internal",
                )
            }
        }
    }

    /// For re-authentication (password or address change): a wrong password is a field error
    /// on `current_password`, not a failed sign-in.
    pub fn reauthentication(self) -> Self {
        if self.code == "invalid_credentials" {
            return Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                self.code,
                "error.wrong_current_password",
            )
            .on_field("current_password");
        }
        self
    }

    /// Whether the server, not the request, is at fault.
    pub fn is_server_error(&self) -> bool {
        self.status.is_server_error()
    }

    /// The message in `language`.
    pub fn message(&self, language: Language) -> String {
        let values: Vec<(&str, &str)> = self
            .values
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        language.format(self.key, &values)
    }

    /// The problem+json body.
    pub fn problem(&self, language: Language) -> Problem {
        let message = self.message(language);
        let mut problem = Problem::new(self.status)
            .code(self.code)
            .detail(self.detail.clone().unwrap_or_else(|| message.clone()));
        if let Some(field) = self.field {
            problem = problem.field_error(FieldProblem {
                field: field.to_owned(),
                code: self.code,
                message,
            });
        }
        if let Some(seconds) = self.retry_after {
            problem = problem.retry_after(seconds);
        }
        problem
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn throttling_answers_429_with_retry_after() {
        let failure = Failure::classify(
            AccountError::Throttled {
                until: now() + Duration::milliseconds(29_001),
            },
            now(),
        );
        assert_eq!(
            (failure.status, failure.retry_after),
            (StatusCode::TOO_MANY_REQUESTS, Some(30))
        );
        assert_eq!(
            failure.message(Language::English),
            "Too many attempts. Try again in 30 seconds."
        );
        let long = Failure::classify(
            AccountError::Throttled {
                until: now() + Duration::minutes(15),
            },
            now(),
        );
        assert_eq!(long.retry_after, Some(900));
        assert!(long.message(Language::German).contains("15"));
    }

    #[test]
    fn a_busy_hasher_answers_503_with_retry_after() {
        let failure = Failure::classify(AccountError::Domain(DomainError::Busy), now());
        assert_eq!(failure.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(failure.retry_after, Some(BUSY_RETRY_AFTER_SECS));
    }

    #[test]
    fn password_problems_are_field_errors_with_the_policy_code() {
        let failure = Failure::classify(
            AccountError::Password(PasswordProblem::TooShort { minimum: 15 }),
            now(),
        );
        assert_eq!(
            (failure.status, failure.code, failure.field),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "password_too_short",
                Some("password")
            )
        );
        assert_eq!(
            failure.message(Language::English),
            "Use at least 15 characters."
        );
    }

    #[test]
    fn wrong_credentials_are_one_generic_answer_but_a_field_error_when_reauthenticating() {
        let failure = Failure::classify(AccountError::InvalidCredentials, now());
        assert_eq!(
            (failure.status, failure.field),
            (StatusCode::UNAUTHORIZED, None)
        );
        let reauthentication = failure.reauthentication();
        assert_eq!(reauthentication.field, Some("current_password"));
    }

    #[test]
    fn internal_errors_carry_no_details() {
        let failure = Failure::classify(
            AccountError::Domain(DomainError::Key("secret key id 42".to_owned())),
            now(),
        );
        assert_eq!(failure.status, StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&failure.problem(Language::English)).unwrap();
        assert!(!body.contains("42"), "{body}");
    }
}
