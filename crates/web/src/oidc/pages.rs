//! The browser-facing side: the authorization endpoint and the steps it may need (sign-in,
//! re-authentication, account choice, consent), RP-initiated logout, and the account page of
//! connected applications. After an interactive step, the way back to the client is a page
//! that follows a link (or submits the form_post form) by script: a redirect straight out of
//! a form submission would be refused by the pages' `form-action 'self'` policy.

use askama::Template;
use axum::{
    extract::{Path, RawQuery},
    http::{StatusCode, header},
    response::Response,
};
use gatehouse_domain::{
    accounts,
    oauth::{
        self, AuthorizeOutcome, Interaction, LogoutOutcome, LogoutRequest, OAuthError,
        ResponseMode, Resumption,
    },
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    account::{
        mfa_step_up_redirect,
        page::{Page, PageView},
    },
    cookies,
    input::PageForm,
    layers::csp_with_form_target,
    redirect::sign_in_location,
    surface::Halt,
    text::{ShortText, Text},
};

#[derive(Template)]
#[template(path = "oauth_error.html")]
struct ErrorTemplate<'a> {
    page: &'a PageView,
    code: &'a str,
    description: &'a str,
}

#[derive(Template)]
#[template(path = "oauth_return.html")]
struct ReturnTemplate<'a> {
    page: &'a PageView,
    form_post: bool,
    target: &'a str,
    fields: &'a [(String, String)],
}

#[derive(Template)]
#[template(path = "oauth_consent.html")]
struct ConsentTemplate<'a> {
    page: &'a PageView,
    heading: &'a str,
    email: &'a str,
    client_id: &'a str,
    has_logo: bool,
    /// (scope, description, new)
    scopes: &'a [(String, String, bool)],
    pending: &'a str,
}

#[derive(Template)]
#[template(path = "oauth_select_account.html")]
struct SelectTemplate<'a> {
    page: &'a PageView,
    intro: &'a str,
    continue_label: &'a str,
    pending: &'a str,
}

#[derive(Template)]
#[template(path = "oauth_logout.html")]
struct LogoutTemplate<'a> {
    page: &'a PageView,
    intro: &'a str,
    fields: &'a [(String, String)],
}

#[derive(Template)]
#[template(path = "account_apps.html")]
struct AppsTemplate<'a> {
    page: &'a PageView,
    apps: &'a [oauth::ConsentEntry],
}

fn error_page(page: &Page, error: &OAuthError) -> Response {
    page.render(
        StatusCode::BAD_REQUEST,
        &ErrorTemplate {
            page: &page.view,
            code: error.code.as_str(),
            description: &error.description,
        },
    )
}

fn server_error(page: &Page, error: gatehouse_domain::DomainError) -> Response {
    error_page(page, &OAuthError::from(error))
}

fn resume_path(pending: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(pending.as_bytes()).collect();
    format!("/oauth2/authorize/resume?pending={encoded}")
}

fn with_params(uri: &str, params: &[(String, String)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        serializer.append_pair(name, value);
    }
    let query = serializer.finish();
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{query}")
}

fn origin_of(uri: &str) -> Option<String> {
    url::Url::parse(uri)
        .ok()
        .map(|url| url.origin().ascii_serialization())
        .filter(|origin| origin != "null")
}

/// Turns an outcome into a response. `interactive`: the request came out of a form on one of
/// Gatehouse's pages, so the way back to the client is a page, not a redirect.
async fn answer(page: &Page, outcome: AuthorizeOutcome, interactive: bool) -> Response {
    match outcome {
        AuthorizeOutcome::Error(error) => error_page(page, &error),
        AuthorizeOutcome::Redirect {
            redirect_uri,
            mode: ResponseMode::Query,
            params,
        } => {
            let target = with_params(&redirect_uri, &params);
            if interactive {
                page.render(
                    StatusCode::OK,
                    &ReturnTemplate {
                        page: &page.view,
                        form_post: false,
                        target: &target,
                        fields: &[],
                    },
                )
            } else {
                page.see_other(&target)
            }
        }
        AuthorizeOutcome::Redirect {
            redirect_uri,
            mode: ResponseMode::FormPost,
            params,
        } => {
            let mut response = page.render(
                StatusCode::OK,
                &ReturnTemplate {
                    page: &page.view,
                    form_post: true,
                    target: &redirect_uri,
                    fields: &params,
                },
            );
            if let Some(csp) = origin_of(&redirect_uri).and_then(|o| csp_with_form_target(&o)) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, csp);
            }
            response
        }
        AuthorizeOutcome::Interact {
            interaction,
            pending,
            client_name,
            client_id,
        } => interact(page, interaction, &pending, &client_name, &client_id).await,
    }
}

async fn interact(
    page: &Page,
    interaction: Interaction,
    pending: &str,
    client_name: &str,
    client_id: &str,
) -> Response {
    let lang = page.lang();
    match interaction {
        Interaction::SignIn { login_hint } => {
            let mut location = sign_in_location(&resume_path(pending));
            if let Some(hint) = login_hint {
                let encoded: String = form_urlencoded::byte_serialize(hint.as_bytes()).collect();
                location.push_str(if location.contains('?') { "&" } else { "?" });
                location.push_str("login_hint=");
                location.push_str(&encoded);
            }
            page.see_other(&location)
        }
        Interaction::Reauthenticate => mfa_step_up_redirect(&resume_path(pending)),
        Interaction::SelectAccount => {
            let email = page
                .caller
                .session
                .as_ref()
                .map(|current| current.user.email().to_owned())
                .unwrap_or_default();
            page.render(
                StatusCode::OK,
                &SelectTemplate {
                    page: &page.view,
                    intro: &lang.format("oauth.select_intro", &[("client", client_name)]),
                    continue_label: &lang.format("oauth.select_continue", &[("email", &email)]),
                    pending,
                },
            )
        }
        Interaction::Consent { scopes, new_scopes } => {
            let described: Vec<(String, String, bool)> = scopes
                .iter()
                .map(|scope| {
                    let key = format!("oauth.scope_{scope}");
                    let text = if lang.has(&key) {
                        lang.t(&key).to_owned()
                    } else {
                        lang.format("oauth.scope_other", &[("scope", scope)])
                    };
                    (scope.clone(), text, new_scopes.contains(scope))
                })
                .collect();
            let email = page
                .caller
                .session
                .as_ref()
                .map(|current| current.user.email().to_owned())
                .unwrap_or_default();
            let has_logo = match page
                .state()
                .store
                .oauth()
                .client_by_client_id(client_id)
                .await
            {
                Ok(Some(row)) => matches!(
                    page.state().store.oauth().client_logo(row.id).await,
                    Ok(Some(_))
                ),
                _ => false,
            };
            page.render(
                StatusCode::OK,
                &ConsentTemplate {
                    page: &page.view,
                    heading: &lang.format("oauth.consent_heading", &[("client", client_name)]),
                    email: &email,
                    client_id,
                    has_logo,
                    scopes: &described,
                    pending,
                },
            )
        }
    }
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// `GET /oauth2/authorize`.
pub(super) async fn authorize_get(page: Page, RawQuery(query): RawQuery) -> Response {
    let params = query_pairs(query.as_deref());
    match oauth::authorize(&page.state().oauth, params, page.caller.session.as_ref()).await {
        Ok(outcome) => answer(&page, outcome, false).await,
        Err(error) => server_error(&page, error),
    }
}

/// `POST /oauth2/authorize` (OpenID Connect Core §3.1.2.1: the same parameters as a form).
pub(super) async fn authorize_post(page: Page, body: axum::body::Bytes) -> Response {
    let params: Vec<(String, String)> = form_urlencoded::parse(&body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    match oauth::authorize(&page.state().oauth, params, page.caller.session.as_ref()).await {
        Ok(outcome) => answer(&page, outcome, false).await,
        Err(error) => server_error(&page, error),
    }
}

/// `GET /oauth2/authorize/resume?pending=…`: back from signing in or re-authenticating.
pub(super) async fn resume(page: Page) -> Response {
    let pending = page.query("pending").unwrap_or_default();
    match oauth::resume(
        &page.state().oauth,
        &pending,
        page.caller.session.as_ref(),
        Resumption::Returned,
    )
    .await
    {
        Ok(outcome) => answer(&page, outcome, true).await,
        Err(error) => server_error(&page, error),
    }
}

/// The consent form.
#[derive(Debug, Deserialize)]
pub(super) struct ConsentForm {
    pending: Text<4_096>,
    decision: ShortText,
}

/// `POST /oauth2/consent`.
pub(super) async fn consent(
    page: Page,
    PageForm(form): PageForm<ConsentForm>,
) -> Result<Response, Halt> {
    let current = page.require_session()?;
    let approve = match &*form.decision {
        "approve" => true,
        "deny" => false,
        _ => {
            return Ok(error_page(
                &page,
                &OAuthError::request("decision must be approve or deny"),
            ));
        }
    };
    Ok(
        match oauth::decide_consent(&page.state().oauth, &form.pending, current, approve).await {
            Ok(outcome) => answer(&page, outcome, true).await,
            Err(error) => server_error(&page, error),
        },
    )
}

/// The account-choice form.
#[derive(Debug, Deserialize)]
pub(super) struct SelectForm {
    pending: Text<4_096>,
    choice: ShortText,
}

/// `POST /oauth2/authorize/select`: continue as the signed-in user, or sign out and sign in
/// as someone else.
pub(super) async fn select(
    page: Page,
    PageForm(form): PageForm<SelectForm>,
) -> Result<Response, Halt> {
    let current = page.require_session()?;
    if &*form.choice == "switch" {
        if let Err(error) =
            accounts::sign_out(&page.state().accounts, &page.caller.context, current).await
        {
            return Ok(page.fail(&page.caller.failure(error)));
        }
        let mut response = page.see_other(&sign_in_location(&resume_path(&form.pending)));
        cookies::append(&mut response, cookies::clear(cookies::SESSION));
        return Ok(response);
    }
    Ok(
        match oauth::resume(
            &page.state().oauth,
            &form.pending,
            Some(current),
            Resumption::AccountChosen,
        )
        .await
        {
            Ok(outcome) => answer(&page, outcome, true).await,
            Err(error) => server_error(&page, error),
        },
    )
}

const LOGOUT_FIELDS: [&str; 4] = [
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
];

fn logout_request(pairs: &[(String, String)]) -> Result<LogoutRequest, OAuthError> {
    let get = |name: &str| super::single(pairs, name);
    Ok(LogoutRequest {
        id_token_hint: get("id_token_hint")?,
        client_id: get("client_id")?,
        post_logout_redirect_uri: get("post_logout_redirect_uri")?,
        state: get("state")?,
    })
}

async fn logout_answer(page: &Page, pairs: &[(String, String)], confirmed: bool) -> Response {
    let request = match logout_request(pairs) {
        Ok(request) => request,
        Err(error) => return error_page(page, &error),
    };
    let outcome = match oauth::logout(
        &page.state().oauth,
        &request,
        page.caller.session.as_ref(),
        confirmed,
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(error) => return server_error(page, error),
    };
    match outcome {
        LogoutOutcome::Error(error) => error_page(page, &error),
        LogoutOutcome::Confirm { client_name } => {
            let lang = page.lang();
            let product = page.view.product_name.clone();
            let intro = match client_name {
                Some(client) => lang.format(
                    "oauth.logout_intro_client",
                    &[("client", &client), ("product", &product)],
                ),
                None => lang.format("oauth.logout_intro", &[("product", &product)]),
            };
            let fields: Vec<(String, String)> = pairs
                .iter()
                .filter(|(name, _)| LOGOUT_FIELDS.contains(&name.as_str()))
                .cloned()
                .collect();
            page.render(
                StatusCode::OK,
                &LogoutTemplate {
                    page: &page.view,
                    intro: &intro,
                    fields: &fields,
                },
            )
        }
        LogoutOutcome::Done { session, redirect } => {
            if let (Some(_), Some(current)) = (session, &page.caller.session)
                && let Err(error) =
                    accounts::sign_out(&page.state().accounts, &page.caller.context, current).await
            {
                return page.fail(&page.caller.failure(error));
            }
            let mut response = match redirect {
                Some(target) if confirmed => page.render(
                    StatusCode::OK,
                    &ReturnTemplate {
                        page: &PageView {
                            signed_in: false,
                            ..page.view.clone()
                        },
                        form_post: false,
                        target: &target,
                        fields: &[],
                    },
                ),
                Some(target) => page.see_other(&target),
                None => page.see_other("/sign-in?notice=signed_out"),
            };
            cookies::append(&mut response, cookies::clear(cookies::SESSION));
            response
        }
    }
}

/// `GET /oauth2/logout`.
pub(super) async fn logout_get(page: Page, RawQuery(query): RawQuery) -> Response {
    logout_answer(&page, &query_pairs(query.as_deref()), false).await
}

/// `POST /oauth2/logout` (the client's form; not yet confirmed by the user).
pub(super) async fn logout_post(page: Page, body: axum::body::Bytes) -> Response {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    logout_answer(&page, &pairs, false).await
}

/// `POST /oauth2/logout/confirm`: the user confirmed on Gatehouse's page (CSRF-checked).
pub(super) async fn confirm_logout(page: Page, body: axum::body::Bytes) -> Response {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .filter(|(name, _)| LOGOUT_FIELDS.contains(&name.as_str()))
        .collect();
    logout_answer(&page, &pairs, true).await
}

/// `GET /account/apps`: the clients the user consented to.
pub(super) async fn apps(page: Page) -> Result<Response, Halt> {
    let current = page.require_session()?;
    Ok(
        match oauth::list_consents(&page.state().oauth, current.user.id()).await {
            Ok(apps) => page.render(
                StatusCode::OK,
                &AppsTemplate {
                    page: &page.view,
                    apps: &apps,
                },
            ),
            Err(error) => server_error(&page, error),
        },
    )
}

/// `POST /account/apps/{client}/revoke`: withdraws consent and ends the client's access.
pub(super) async fn revoke_app(page: Page, Path(client): Path<Uuid>) -> Result<Response, Halt> {
    let current = page.require_session()?;
    Ok(
        match oauth::revoke_consent(
            &page.state().oauth,
            current.user.id(),
            client,
            page.caller.context.request_id.clone(),
        )
        .await
        {
            Ok(_) => page.see_other("/account/apps"),
            Err(error) => server_error(&page, error),
        },
    )
}
