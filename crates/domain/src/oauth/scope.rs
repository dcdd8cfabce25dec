//! Scopes: space-separated tokens (RFC 6749 §3.3) and the standard claims each OpenID scope
//! releases.

use std::collections::BTreeSet;

use super::OAuthError;

/// Whether `token` is a scope token: one or more of `%x21 / %x23-5B / %x5D-7E`.
pub fn valid_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 200
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Parses a `scope` parameter: duplicates fold, order is kept.
pub fn parse(value: &str) -> Result<Vec<String>, OAuthError> {
    let mut seen = BTreeSet::new();
    let mut scopes = Vec::new();
    for token in value.split(' ').filter(|token| !token.is_empty()) {
        if !valid_token(token) {
            return Err(OAuthError::new(
                super::ErrorCode::InvalidScope,
                "scope holds a character that is not allowed",
            ));
        }
        if seen.insert(token) {
            scopes.push(token.to_owned());
        }
    }
    Ok(scopes)
}

/// The scopes granted for a request: the client's defaults when it named none; otherwise each
/// named scope, which must be one the client may have.
pub fn resolve(
    requested: Option<&str>,
    allowed: &[String],
    defaults: &[String],
) -> Result<Vec<String>, OAuthError> {
    let requested = parse(requested.unwrap_or_default())?;
    if requested.is_empty() {
        return Ok(defaults.to_vec());
    }
    if let Some(unknown) = requested.iter().find(|scope| !allowed.contains(scope)) {
        return Err(OAuthError::new(
            super::ErrorCode::InvalidScope,
            format!("the client may not request the scope {unknown:?}"),
        ));
    }
    Ok(requested)
}

/// Joins scopes for a token or a response.
pub fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}

/// Whether space-separated `scope` holds `wanted`.
pub fn contains(scope: &str, wanted: &str) -> bool {
    scope.split(' ').any(|token| token == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_tokens_exclude_spaces_quotes_and_backslashes() {
        assert!(valid_token("openid"));
        assert!(valid_token("orders:read"));
        assert!(!valid_token(""));
        assert!(!valid_token("a b"));
        assert!(!valid_token("a\"b"));
        assert!(!valid_token("a\\b"));
        assert!(!valid_token("é"));
    }

    #[test]
    fn empty_scope_means_the_defaults_and_unknown_scopes_are_refused() {
        let allowed = vec![
            "openid".to_owned(),
            "email".to_owned(),
            "profile".to_owned(),
        ];
        let defaults = vec!["openid".to_owned()];
        assert_eq!(resolve(None, &allowed, &defaults).unwrap(), defaults);
        assert_eq!(resolve(Some("  "), &allowed, &defaults).unwrap(), defaults);
        assert_eq!(
            resolve(Some("email openid email"), &allowed, &defaults).unwrap(),
            vec!["email".to_owned(), "openid".to_owned()]
        );
        let error = resolve(Some("openid admin"), &allowed, &defaults).unwrap_err();
        assert_eq!(error.code, super::super::ErrorCode::InvalidScope);
    }
}
