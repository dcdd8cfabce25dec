//! Rules for names, audiences and descriptions typed into the console.

use uuid::Uuid;

use super::AuthorizationError;
use crate::authorization::GATEHOUSE_API;

const NAME_MAX: usize = 100;
const AUDIENCE_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 1_000;

fn invalid(field: &'static str, message: impl Into<String>) -> AuthorizationError {
    AuthorizationError::Invalid {
        field,
        message: message.into(),
    }
}

/// A trimmed display name: not empty, at most 100 characters, no control characters.
pub(super) fn name(field: &'static str, value: &str) -> Result<String, AuthorizationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(field, "enter a name"));
    }
    if value.chars().count() > NAME_MAX {
        return Err(invalid(field, format!("at most {NAME_MAX} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "no control characters"));
    }
    Ok(value.to_owned())
}

/// A role or group name; `gatehouse:` names belong to the system roles.
pub(super) fn role_name(field: &'static str, value: &str) -> Result<String, AuthorizationError> {
    let value = name(field, value)?;
    reserved(field, &value)?;
    Ok(value)
}

/// A trimmed description: at most 1,000 characters; line breaks and tabs are the only control
/// characters allowed.
pub(super) fn description(value: &str) -> Result<String, AuthorizationError> {
    let value = value.trim();
    if value.chars().count() > DESCRIPTION_MAX {
        return Err(invalid(
            "description",
            format!("at most {DESCRIPTION_MAX} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(invalid("description", "no control characters"));
    }
    Ok(value.to_owned())
}

/// An API's audience identifier: at most 200 characters, no spaces or control characters.
pub(super) fn audience(value: &str) -> Result<String, AuthorizationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid("audience", "enter an audience identifier"));
    }
    if value.chars().count() > AUDIENCE_MAX {
        return Err(invalid(
            "audience",
            format!("at most {AUDIENCE_MAX} characters"),
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("audience", "no spaces or control characters"));
    }
    Ok(value.to_owned())
}

/// A capability name: `^[a-z0-9][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*$`, at most 100 characters;
/// `gatehouse:` names belong to Gatehouse.
pub(super) fn capability_name(value: &str) -> Result<String, AuthorizationError> {
    let value = value.trim();
    let part = |part: &str| {
        part.bytes()
            .next()
            .is_some_and(|first| first.is_ascii_lowercase() || first.is_ascii_digit())
            && part.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            })
    };
    let well_formed = value
        .split_once(':')
        .is_some_and(|(resource, action)| part(resource) && part(action));
    if !well_formed || value.len() > NAME_MAX {
        return Err(invalid(
            "name",
            "use resource:action, lowercase letters, digits, '.', '_' and '-' (orders:refund)",
        ));
    }
    reserved("name", value)?;
    Ok(value.to_owned())
}

fn reserved(field: &'static str, value: &str) -> Result<(), AuthorizationError> {
    let prefix = format!("{GATEHOUSE_API}:");
    if value
        .get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(&prefix))
    {
        return Err(invalid(
            field,
            format!("names starting {prefix:?} are reserved"),
        ));
    }
    Ok(())
}

/// Refuses `name` when another row (not `except`) already has it, ignoring case.
pub(super) fn unique<'a>(
    kind: &'static str,
    name: &str,
    existing: impl IntoIterator<Item = (Uuid, &'a str)>,
    except: Option<Uuid>,
) -> Result<(), AuthorizationError> {
    let lower = name.to_lowercase();
    let clash = existing
        .into_iter()
        .any(|(id, other)| Some(id) != except && other.to_lowercase() == lower);
    if clash {
        return Err(AuthorizationError::AlreadyExists {
            kind,
            name: name.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names_are_resource_colon_action() {
        for good in ["orders:refund", "a:b", "shop.v2:orders-read", "0x:y_z"] {
            assert_eq!(capability_name(good).unwrap(), good);
        }
        for bad in [
            "orders",
            "Orders:refund",
            ":refund",
            "orders:",
            "orders:-x",
            "a:b:c",
            "a b:c",
            "é:a",
        ] {
            assert!(capability_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gatehouse_names_are_reserved() {
        assert!(capability_name("gatehouse:users.read").is_err());
        assert!(role_name("name", "Gatehouse:admin").is_err());
        assert!(role_name("name", "gatehousekeeper").is_ok());
    }

    #[test]
    fn names_are_unique_ignoring_case_except_for_the_row_itself() {
        let id = Uuid::now_v7();
        assert!(unique("role", "Clerk", [(id, "clerk")], None).is_err());
        assert!(unique("role", "Clerk", [(id, "clerk")], Some(id)).is_ok());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  Support ").unwrap(), "Support");
        assert!(name("name", " ").is_err());
        assert!(name("name", &"x".repeat(101)).is_err());
        assert!(description("line one\nline two").is_ok());
        assert!(description("bell\u{7}").is_err());
    }
}
