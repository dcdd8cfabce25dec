//! `/console/keys`: the token-signing keys (never their private halves) with their state and
//! times, and rotation: for every algorithm a new key, published at once and signing after the
//! publication lead, so relying parties that cache JWKS see it before any token it signed.

use askama::Template;
use axum::{http::StatusCode, response::Response};
use gatehouse_domain::{
    authorization::capability::{KEYS_READ, KEYS_ROTATE},
    oauth::{Forbidden, Operator, jose::Algorithm, signing::KeyInfo},
};

use super::clients::{operator, show_done, shown_time};
use crate::{
    account::{
        error::Failure,
        page::{Page, PageView},
    },
    surface::Halt,
};

/// A key in the list.
struct KeyLine {
    kid: String,
    alg: &'static str,
    /// `next`, `active` or `retired`.
    state: &'static str,
    created_at: String,
    activates_at: String,
    retired_at: String,
    expires_at: String,
}

impl From<KeyInfo> for KeyLine {
    fn from(key: KeyInfo) -> Self {
        let optional = |time: Option<_>| time.map(shown_time).unwrap_or_default();
        Self {
            kid: key.kid,
            alg: key.alg.as_str(),
            state: key.state.as_str(),
            created_at: shown_time(key.created_at),
            activates_at: shown_time(key.activates_at),
            retired_at: optional(key.retired_at),
            expires_at: optional(key.expires_at),
        }
    }
}

#[derive(Template)]
#[template(path = "console_keys.html")]
struct KeysTemplate<'a> {
    page: &'a PageView,
    keys: Vec<KeyLine>,
    can_rotate: bool,
}

/// The operator, if they hold `capability` (the guard checked it too), else a 403 page.
async fn holding(page: &Page, capability: &str) -> Result<Operator, Halt> {
    let operator = operator(page).await?;
    operator.require(capability).map_err(|Forbidden(name)| {
        let failure = Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "console.error.forbidden",
        )
        .with_value("capability", name);
        Halt::from(page.fail(&failure))
    })?;
    Ok(operator)
}

/// `GET /console/keys`.
pub async fn list(mut page: Page) -> Result<Response, Halt> {
    let operator = holding(&page, KEYS_READ).await?;
    show_done(&mut page, "console.keys");
    let keys = page
        .state()
        .oauth
        .keys
        .list()
        .await
        .map_err(|error| Halt::from(page.fail(&Failure::from_domain(error))))?;
    let template = KeysTemplate {
        page: &page.view,
        keys: keys.into_iter().map(KeyLine::from).collect(),
        can_rotate: operator.holds(KEYS_ROTATE),
    };
    Ok(page.render(StatusCode::OK, &template))
}

/// `POST /console/keys/rotate`: rotates the key of every algorithm. Audited by the key store.
pub async fn rotate(page: Page) -> Result<Response, Halt> {
    let operator = holding(&page, KEYS_ROTATE).await?;
    page.state()
        .oauth
        .keys
        .rotate(&Algorithm::ALL, operator.actor)
        .await
        .map_err(|error| Halt::from(page.fail(&Failure::from_domain(error))))?;
    Ok(page.see_other("/console/keys?done=keys_rotated"))
}
