//! The userinfo endpoint (OpenID Connect Core §5.3): the standard claims the access token's
//! scopes release.

use serde_json::{Map, Value, json};

use super::{ErrorCode, OAuth, OAuthError, scope, tokens::user_claims, verify_access_token};

/// The claims about the token's user.
pub async fn userinfo(deps: &OAuth, token: &str) -> Result<Map<String, Value>, OAuthError> {
    let verified = verify_access_token(deps, token).await?;
    let claims = &verified.claims;
    if !scope::contains(&claims.scope, "openid") {
        return Err(OAuthError::new(
            ErrorCode::InsufficientScope,
            "the token was not issued with the openid scope",
        ));
    }
    let Some(user) = claims.user_id() else {
        return Err(OAuthError::token("the token is not a user's"));
    };
    let row = match deps.store.users().by_id(user).await? {
        Some(row) if row.status == "active" => row,
        _ => return Err(OAuthError::token("the user can no longer sign in")),
    };
    let mut out = Map::new();
    out.insert("sub".to_owned(), json!(row.id.to_string()));
    user_claims(&row, &claims.scope, &mut out);
    Ok(out)
}
