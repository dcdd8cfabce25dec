//! The one mapping of authorization use case errors to what the console shows: status, code,
//! the form field at fault, and the catalogue message.

use axum::http::StatusCode;
use gatehouse_domain::authorization::AuthorizationError;

use crate::account::error::Failure;

/// The form field a use case's field name is shown on.
fn field_of(field: &'static str) -> &'static str {
    match field {
        "capabilities" | "capability" => "capabilities",
        "includes" => "includes",
        "roles" => "roles",
        "expires_at" => "expires_at",
        "description" => "description",
        "api" => "api",
        "email" | "user" => "email",
        _ => "name",
    }
}

/// Classifies an administration use case's error.
pub fn failure(error: AuthorizationError) -> Failure {
    let code = error.code();
    let detail = error.to_string();
    let failure = match error {
        AuthorizationError::Forbidden { capability } => {
            Failure::new(StatusCode::FORBIDDEN, code, "console.error.forbidden")
                .with_value("capability", capability)
        }
        AuthorizationError::NotFound { kind, name } => {
            Failure::new(StatusCode::NOT_FOUND, code, "console.error.missing")
                .with_value("kind", kind)
                .with_value("name", name)
        }
        AuthorizationError::AlreadyExists { name, .. } => {
            Failure::new(StatusCode::CONFLICT, code, "console.error.already_exists")
                .with_value("name", name)
                .on_field("name")
        }
        AuthorizationError::Conflict { actual, .. } => {
            Failure::new(StatusCode::CONFLICT, code, "console.error.conflict")
                .with_value("version", actual.to_string())
        }
        AuthorizationError::Invalid { field, message } => Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "console.error.invalid",
        )
        .with_value("message", message)
        .on_field(field_of(field)),
        AuthorizationError::SystemObject { name, .. } => {
            Failure::new(StatusCode::FORBIDDEN, code, "console.error.system_object")
                .with_value("name", name)
        }
        AuthorizationError::LastAdministrator => Failure::new(
            StatusCode::CONFLICT,
            code,
            "console.error.last_administrator",
        ),
        AuthorizationError::Domain(error) => return Failure::from_domain(error),
    };
    failure.with_detail(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Language;

    #[test]
    fn a_stale_edit_reports_a_conflict_with_the_current_version() {
        let failure = failure(AuthorizationError::Conflict {
            kind: "role",
            name: "editor".to_owned(),
            expected: 3,
            actual: 5,
        });
        assert_eq!(
            (failure.status, failure.code),
            (StatusCode::CONFLICT, "conflict")
        );
        let message = failure.message(Language::English);
        assert!(message.contains("version 5"), "{message}");
    }

    #[test]
    fn every_error_has_a_message_in_both_languages() {
        let errors = [
            AuthorizationError::Forbidden {
                capability: "x:y".to_owned(),
            },
            AuthorizationError::NotFound {
                kind: "role",
                name: "r".to_owned(),
            },
            AuthorizationError::AlreadyExists {
                kind: "role",
                name: "r".to_owned(),
            },
            AuthorizationError::Invalid {
                field: "includes",
                message: "cycle".to_owned(),
            },
            AuthorizationError::SystemObject {
                kind: "role",
                name: "r".to_owned(),
            },
            AuthorizationError::LastAdministrator,
        ];
        for error in errors {
            let failure = failure(error);
            for language in [Language::English, Language::German] {
                assert!(!failure.message(language).is_empty(), "{}", failure.code);
            }
        }
    }
}
