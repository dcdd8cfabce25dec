//! The one mapping of the management API's errors to RFC 9457 problem+json answers.

use axum::{
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use gatehouse_domain::{
    DomainError, StoreError,
    accounts::{AccountError, BUSY_RETRY_AFTER_SECS},
    authorization::AuthorizationError,
    oauth::{ClientError, Forbidden},
    users::UserError,
};

use crate::{
    Problem,
    account::error::Failure,
    error::{FieldProblem, UNAVAILABLE_RETRY_AFTER_SECS},
    i18n::Language,
    input::InputError,
};

/// A refused or failed management API request, as its problem answer.
#[derive(Debug)]
pub struct ApiError(Box<Response>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for ApiError {
    fn from(response: Response) -> Self {
        Self(Box::new(response))
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        problem.into_response().into()
    }
}

/// A problem for a failure below the rules (database, keys, a full hashing pool).
pub fn domain(error: DomainError) -> Problem {
    match error {
        DomainError::Busy => Problem::new(StatusCode::SERVICE_UNAVAILABLE)
            .code("busy")
            .detail("the server is busy; try again shortly")
            .retry_after(BUSY_RETRY_AFTER_SECS),
        DomainError::Store(StoreError::Unavailable(_)) => {
            Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .code("unavailable")
                .detail("the database is unavailable; try again shortly")
                .retry_after(UNAVAILABLE_RETRY_AFTER_SECS)
        }
        DomainError::Store(StoreError::NotFound(_)) => {
            Problem::new(StatusCode::NOT_FOUND).code("not_found")
        }
        DomainError::Store(StoreError::AlreadyExists(_)) => {
            Problem::new(StatusCode::CONFLICT).code("already_exists")
        }
        DomainError::Invalid(message) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY)
            .code("invalid")
            .detail(message),
        error => {
            tracing::error!(code = error.code(), error = %error, "management API request failed");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR).code("internal")
        }
    }
}

/// 403 for a capability the use case itself found missing.
pub fn forbidden(capability: &str) -> Problem {
    Problem::new(StatusCode::FORBIDDEN)
        .code("forbidden")
        .detail(format!("this needs the capability {capability}"))
}

/// 404 for `what`.
pub fn not_found(what: &str) -> Problem {
    Problem::new(StatusCode::NOT_FOUND)
        .code("not_found")
        .detail(format!("no such {what}"))
}

/// 422 with one field at fault.
pub fn invalid(field: &str, message: impl Into<String>) -> Problem {
    let message = message.into();
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY)
        .code("invalid")
        .detail(format!("{field}: {message}"))
        .field_error(FieldProblem {
            field: field.to_owned(),
            code: "invalid",
            message,
        })
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        domain(error).into()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        domain(error.into()).into()
    }
}

impl From<Forbidden> for ApiError {
    fn from(Forbidden(capability): Forbidden) -> Self {
        forbidden(&capability).into()
    }
}

impl From<InputError> for ApiError {
    fn from(error: InputError) -> Self {
        error
            .problem(Language::negotiate(None, &HeaderMap::new()))
            .into()
    }
}

/// The problem for the account errors a user administration reports (invalid fields, the
/// password policy): none of them is a throttle, so no clock is needed.
fn account_problem(error: AccountError) -> Problem {
    Failure::classify(error, chrono::DateTime::UNIX_EPOCH)
        .problem(Language::negotiate(None, &HeaderMap::new()))
}

impl From<UserError> for ApiError {
    fn from(error: UserError) -> Self {
        let code = error.code();
        let problem = match error {
            UserError::Forbidden(Forbidden(capability)) => forbidden(&capability),
            UserError::NotFound => not_found("user"),
            UserError::SessionNotFound => not_found("session"),
            UserError::Invalid { field, message } => {
                account_problem(AccountError::Invalid { field, message })
            }
            UserError::Password(problem) => account_problem(AccountError::Password(problem)),
            UserError::EmailTaken => Problem::new(StatusCode::CONFLICT)
                .code(code)
                .detail("this email address belongs to another account")
                .field_error(FieldProblem {
                    field: "email".to_owned(),
                    code,
                    message: "this email address belongs to another account".to_owned(),
                }),
            UserError::LastAdministrator => Problem::new(StatusCode::CONFLICT)
                .code(code)
                .detail("the last administrator cannot be disabled or deleted"),
            UserError::Domain(error) => domain(error),
        };
        problem.into()
    }
}

impl From<AuthorizationError> for ApiError {
    fn from(error: AuthorizationError) -> Self {
        let code = error.code();
        let detail = error.to_string();
        let problem = match error {
            AuthorizationError::Forbidden { capability } => forbidden(&capability),
            AuthorizationError::NotFound { .. } => Problem::new(StatusCode::NOT_FOUND).code(code),
            AuthorizationError::AlreadyExists { .. }
            | AuthorizationError::Conflict { .. }
            | AuthorizationError::LastAdministrator => {
                Problem::new(StatusCode::CONFLICT).code(code)
            }
            AuthorizationError::Invalid { field, message } => {
                return invalid(field, message).into();
            }
            AuthorizationError::SystemObject { .. } => {
                Problem::new(StatusCode::FORBIDDEN).code(code)
            }
            AuthorizationError::Domain(error) => return domain(error).into(),
        };
        problem.detail(detail).into()
    }
}

impl From<ClientError> for ApiError {
    fn from(error: ClientError) -> Self {
        let detail = error.to_string();
        match error {
            ClientError::Forbidden(Forbidden(capability)) => forbidden(&capability).into(),
            ClientError::Invalid { field, message } => invalid(field, message).into(),
            ClientError::NotFound => not_found("client").into(),
            ClientError::Conflict { .. } => Problem::new(StatusCode::CONFLICT)
                .code("conflict")
                .detail(detail)
                .into(),
            ClientError::Domain(error) => domain(error).into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(error: impl Into<ApiError>) -> StatusCode {
        error.into().into_response().status()
    }

    #[test]
    fn errors_get_their_statuses() {
        assert_eq!(status(UserError::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(status(UserError::LastAdministrator), StatusCode::CONFLICT);
        assert_eq!(status(UserError::EmailTaken), StatusCode::CONFLICT);
        assert_eq!(
            status(UserError::Invalid {
                field: "email",
                message: "no".into()
            }),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status(Forbidden("gatehouse:users.write".into())),
            StatusCode::FORBIDDEN
        );
        assert_eq!(status(ClientError::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(
            status(AuthorizationError::LastAdministrator),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status(DomainError::Store(StoreError::Unavailable("x".into()))),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn problems_are_problem_json() {
        let response = ApiError::from(UserError::NotFound).into_response();
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
}
