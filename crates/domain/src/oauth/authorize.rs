//! The authorization endpoint (code flow only, PKCE S256 required). A request is checked in
//! two stages: until the client and its redirect URI are trusted, a failure is shown as an error
//! page and never redirected; after that, failures go back to the client in RFC 6749 form with
//! `state` and `iss` (RFC 9207). A request that must wait for the user (sign-in, re-entering
//! the password, choosing an account, consent) is sealed into an opaque value the browser
//! carries, so no server state is kept and the user cannot alter it.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    ErrorCode, OAuth, OAuthError,
    client_auth::load_client,
    clients::{Client, ConsentMode, GrantType},
    grants::audience,
    pkce, redirect_uri, scope,
};
use crate::{
    DomainError,
    accounts::{CurrentSession, new_link_token},
    audit::{Actor, AuditEvent, record},
    secrets::purpose,
    store::{AuthCodeRow, new_id},
};

/// The `acr` of a sign-in with one factor.
pub const ACR_SINGLE_FACTOR: &str = "urn:gatehouse:acr:1fa";
/// The `acr` of a sign-in with two factors.
pub const ACR_MULTI_FACTOR: &str = "urn:gatehouse:acr:2fa";

/// How the response reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    /// In the redirect URI's query.
    Query,
    /// An auto-submitted HTML form (OAuth 2.0 Form Post Response Mode).
    FormPost,
}

/// A request's parameters after the first checks.
pub type AuthorizationRequest = Vec<(String, String)>;

/// A paused request, sealed into the value the browser carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingRequest {
    client_id: String,
    redirect_uri: String,
    response_mode: ResponseMode,
    scopes: Vec<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
    prompt: Vec<String>,
    max_age: Option<i64>,
    login_hint: Option<String>,
    acr_values: Vec<String>,
    audience: Option<String>,
    /// When the request arrived (Unix microseconds).
    requested_at: i64,
    #[serde(default)]
    account_chosen: bool,
    #[serde(default)]
    consented: bool,
}

impl PendingRequest {
    /// The `login_hint` the client sent.
    pub fn login_hint(&self) -> Option<&str> {
        self.login_hint.as_deref()
    }
}

/// What the user must do before the request can go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interaction {
    /// Sign in (nobody is signed in).
    SignIn {
        /// The email the client suggests.
        login_hint: Option<String>,
    },
    /// Authenticate again on this session (`prompt=login`, `max_age`, or a second factor for
    /// `acr_values`).
    Reauthenticate,
    /// Confirm the account to continue with (`prompt=select_account`).
    SelectAccount,
    /// Let the client have these scopes.
    Consent {
        /// Every scope asked for.
        scopes: Vec<String>,
        /// Those not consented to before.
        new_scopes: Vec<String>,
    },
}

/// What the authorization endpoint answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// Show an error page: the client or redirect URI cannot be trusted.
    Error(OAuthError),
    /// Send the browser back to the client with these parameters.
    Redirect {
        /// The registered redirect URI.
        redirect_uri: String,
        /// How.
        mode: ResponseMode,
        /// `code`, `state`, `iss` or `error`, `error_description`, `state`, `iss`.
        params: Vec<(String, String)>,
    },
    /// The user must act first; `pending` resumes the request afterwards.
    Interact {
        /// What.
        interaction: Interaction,
        /// The sealed request.
        pending: String,
        /// The client's display name.
        client_name: String,
        /// The client's id (for its logo).
        client_id: String,
    },
}

const PENDING_CONTEXT: &[u8] = b"gatehouse oauth pending authorization request";

async fn seal(deps: &OAuth, pending: &PendingRequest) -> Result<String, DomainError> {
    let key = deps.keyring.key(purpose::TOKENS).await?;
    let plaintext = serde_json::to_vec(pending)
        .map_err(|error| DomainError::Invalid(format!("pending request: {error}")))?;
    Ok(URL_SAFE_NO_PAD.encode(key.seal(&plaintext, PENDING_CONTEXT)?))
}

async fn open(deps: &OAuth, sealed: &str) -> Option<PendingRequest> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    let key = deps.keyring.key(purpose::TOKENS).await.ok()?;
    let plaintext = key.open(&bytes, PENDING_CONTEXT).ok()?;
    serde_json::from_slice(&plaintext).ok()
}

fn error_redirect(
    deps: &OAuth,
    redirect_uri: &str,
    mode: ResponseMode,
    state: Option<&str>,
    error: &OAuthError,
) -> AuthorizeOutcome {
    let mut params = vec![
        ("error".to_owned(), error.code.as_str().to_owned()),
        ("error_description".to_owned(), error.description.clone()),
    ];
    if let Some(state) = state {
        params.push(("state".to_owned(), state.to_owned()));
    }
    params.push(("iss".to_owned(), deps.settings.issuer.clone()));
    AuthorizeOutcome::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        mode,
        params,
    }
}

const KNOWN_PROMPTS: [&str; 4] = ["none", "login", "consent", "select_account"];

/// Starts an authorization request from its query (or form) parameters.
pub async fn authorize(
    deps: &OAuth,
    params: AuthorizationRequest,
    session: Option<&CurrentSession>,
) -> Result<AuthorizeOutcome, DomainError> {
    let mut seen = std::collections::BTreeMap::new();
    let mut duplicated = None;
    for (name, value) in &params {
        if seen.insert(name.as_str(), value.as_str()).is_some() {
            duplicated = Some(name.clone());
        }
    }
    let get = |name: &str| seen.get(name).copied().filter(|value| !value.is_empty());
    let show = |description: &str| Ok(AuthorizeOutcome::Error(OAuthError::request(description)));
    if matches!(duplicated.as_deref(), Some("client_id" | "redirect_uri")) {
        return show("client_id and redirect_uri may appear only once");
    }
    let Some(client_id) = get("client_id") else {
        return show("client_id is required");
    };
    let Some(cached) = load_client(deps, client_id).await? else {
        return show("unknown client_id");
    };
    let client = cached.client;
    if client.disabled() {
        return show("this client is disabled");
    }
    let Some(redirect) = get("redirect_uri") else {
        return show("redirect_uri is required");
    };
    if !redirect_uri::matches(&client.row.redirect_uris, redirect, client.row.native) {
        return show("redirect_uri is not registered for this client");
    }
    // From here on the client and its redirect URI are trusted: errors go back to it.
    let state = get("state");
    let mode = match get("response_mode") {
        None | Some("query") => ResponseMode::Query,
        Some("form_post") => ResponseMode::FormPost,
        Some(_) => {
            return Ok(error_redirect(
                deps,
                redirect,
                ResponseMode::Query,
                state,
                &OAuthError::request("response_mode must be query or form_post"),
            ));
        }
    };
    let fail = |error: OAuthError| Ok(error_redirect(deps, redirect, mode, state, &error));
    if let Some(name) = duplicated {
        return fail(OAuthError::request(format!("{name} may appear only once")));
    }
    if get("request").is_some() || get("request_uri").is_some() {
        return fail(OAuthError::request("request objects are not supported"));
    }
    match get("response_type") {
        Some("code") => {}
        None => return fail(OAuthError::request("response_type is required")),
        Some(_) => {
            return fail(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return fail(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization code flow",
        ));
    }
    let Some(challenge) = get("code_challenge") else {
        return fail(OAuthError::request("code_challenge is required (PKCE)"));
    };
    if get("code_challenge_method") != Some("S256") {
        return fail(OAuthError::request(
            "code_challenge_method must be S256 (plain is not accepted)",
        ));
    }
    if !pkce::is_valid_challenge(challenge) {
        return fail(OAuthError::request("code_challenge is malformed"));
    }
    let scopes = match scope::resolve(get("scope"), &client.row.scopes, &client.row.default_scopes)
    {
        Ok(scopes) => scopes,
        Err(error) => return fail(error),
    };
    let resources: Vec<String> = params
        .iter()
        .filter(|(name, _)| name == "resource")
        .map(|(_, value)| value.clone())
        .collect();
    let audience = if resources.is_empty() && client.row.default_audience.is_none() {
        None
    } else {
        match audience(&client, &resources) {
            Ok(audience) => Some(audience),
            Err(error) => return fail(error),
        }
    };
    let prompt: Vec<String> = get("prompt")
        .unwrap_or_default()
        .split(' ')
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(unknown) = prompt.iter().find(|p| !KNOWN_PROMPTS.contains(&p.as_str())) {
        return fail(OAuthError::request(format!(
            "unknown prompt value {unknown:?}"
        )));
    }
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return fail(OAuthError::request("prompt=none cannot be combined"));
    }
    let max_age = match get("max_age").map(str::parse::<i64>) {
        None => None,
        Some(Ok(age)) if age >= 0 => Some(age),
        Some(_) => return fail(OAuthError::request("max_age must be a number of seconds")),
    };
    let too_long = |name: &str, limit: usize| get(name).is_some_and(|v| v.len() > limit);
    if too_long("state", 1024) || too_long("nonce", 512) || too_long("login_hint", 320) {
        return fail(OAuthError::request(
            "state, nonce or login_hint is too long",
        ));
    }
    let pending = PendingRequest {
        client_id: client.client_id().to_owned(),
        redirect_uri: redirect.to_owned(),
        response_mode: mode,
        scopes,
        state: state.map(str::to_owned),
        nonce: get("nonce").map(str::to_owned),
        code_challenge: challenge.to_owned(),
        prompt,
        max_age,
        login_hint: get("login_hint").map(str::to_owned),
        acr_values: get("acr_values")
            .unwrap_or_default()
            .split(' ')
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect(),
        audience,
        requested_at: deps.clock.now().timestamp_micros(),
        account_chosen: false,
        consented: false,
    };
    proceed(deps, &client, pending, session).await
}

/// What the user did before the request resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resumption {
    /// Came back from signing in or re-authenticating.
    Returned,
    /// Chose to continue with the signed-in account.
    AccountChosen,
}

/// Resumes a paused request. An unknown, tampered or expired value is an error page.
pub async fn resume(
    deps: &OAuth,
    sealed: &str,
    session: Option<&CurrentSession>,
    how: Resumption,
) -> Result<AuthorizeOutcome, DomainError> {
    let Some((client, mut pending)) = reopen(deps, sealed).await? else {
        return Ok(AuthorizeOutcome::Error(OAuthError::request(
            "this sign-in request has expired; start again from the application",
        )));
    };
    if how == Resumption::AccountChosen {
        pending.account_chosen = true;
    }
    proceed(deps, &client, pending, session).await
}

async fn reopen(
    deps: &OAuth,
    sealed: &str,
) -> Result<Option<(std::sync::Arc<Client>, PendingRequest)>, DomainError> {
    let Some(pending) = open(deps, sealed).await else {
        return Ok(None);
    };
    let age = (deps.clock.now().timestamp_micros() - pending.requested_at) / 1_000_000;
    let ttl = i64::try_from(deps.settings.request_ttl.as_secs()).unwrap_or(1800);
    if !(0..=ttl).contains(&age) {
        return Ok(None);
    }
    let Some(cached) = load_client(deps, &pending.client_id).await? else {
        return Ok(None);
    };
    if cached.client.disabled()
        || !redirect_uri::matches(
            &cached.client.row.redirect_uris,
            &pending.redirect_uri,
            cached.client.row.native,
        )
    {
        return Ok(None);
    }
    Ok(Some((cached.client, pending)))
}

/// The user's answer on the consent screen: approving remembers the consent (audited as
/// `consent.granted`) and goes on; refusing sends `access_denied` back to the client.
pub async fn decide_consent(
    deps: &OAuth,
    sealed: &str,
    session: &CurrentSession,
    approve: bool,
) -> Result<AuthorizeOutcome, DomainError> {
    let Some((client, mut pending)) = reopen(deps, sealed).await? else {
        return Ok(AuthorizeOutcome::Error(OAuthError::request(
            "this sign-in request has expired; start again from the application",
        )));
    };
    let user = session.user.id();
    let now = deps.clock.now();
    let mut transaction = deps.store.begin().await?;
    let action = if approve {
        transaction
            .grant_consent(user, client.row.id, &pending.scopes, now)
            .await?;
        "consent.granted"
    } else {
        "consent.denied"
    };
    let mut event = AuditEvent::new(Actor::User(user), action);
    event.target = Some(format!("client:{}", client.client_id()));
    event.subject = Some(user);
    event.details = Some(json!({ "scopes": pending.scopes }));
    record(&mut *transaction, &deps.keyring, now, event).await?;
    transaction.commit().await?;
    if !approve {
        return Ok(error_redirect(
            deps,
            &pending.redirect_uri,
            pending.response_mode,
            pending.state.as_deref(),
            &OAuthError::new(ErrorCode::AccessDenied, "the user refused"),
        ));
    }
    pending.consented = true;
    proceed(deps, &client, pending, Some(session)).await
}

fn has(list: &[String], value: &str) -> bool {
    list.iter().any(|item| item == value)
}

async fn proceed(
    deps: &OAuth,
    client: &Client,
    pending: PendingRequest,
    session: Option<&CurrentSession>,
) -> Result<AuthorizeOutcome, DomainError> {
    let silent = has(&pending.prompt, "none");
    let refuse = |code: ErrorCode, description: &str| {
        Ok(error_redirect(
            deps,
            &pending.redirect_uri,
            pending.response_mode,
            pending.state.as_deref(),
            &OAuthError::new(code, description),
        ))
    };
    let interact = |interaction: Interaction, sealed: String| {
        Ok(AuthorizeOutcome::Interact {
            interaction,
            pending: sealed,
            client_name: client.row.name.clone(),
            client_id: client.client_id().to_owned(),
        })
    };
    let Some(session) = session else {
        if silent {
            return refuse(ErrorCode::LoginRequired, "the user is not signed in");
        }
        let login_hint = pending.login_hint.clone();
        return interact(
            Interaction::SignIn { login_hint },
            seal(deps, &pending).await?,
        );
    };
    let now = deps.clock.now();
    let authenticated_at = session.session.authenticated_at;
    let amr: Vec<String> = serde_json::from_str(&session.session.amr).unwrap_or_default();
    // `prompt=login`: an authentication after the request was made (microseconds).
    let fresh_login_needed = has(&pending.prompt, "login")
        && authenticated_at.timestamp_micros() <= pending.requested_at;
    let too_old = pending
        .max_age
        .is_some_and(|max_age| (now - authenticated_at).num_seconds() > max_age);
    let wants_mfa = has(&pending.acr_values, ACR_MULTI_FACTOR) && !has(&amr, "mfa");
    let can_mfa = wants_mfa
        && deps
            .store
            .mfa()
            .factor_summary(session.user.id())
            .await?
            .has_second_factor();
    if fresh_login_needed || too_old || can_mfa {
        if silent {
            return refuse(ErrorCode::LoginRequired, "the user must authenticate again");
        }
        return interact(Interaction::Reauthenticate, seal(deps, &pending).await?);
    }
    if has(&pending.prompt, "select_account") && !pending.account_chosen {
        return interact(Interaction::SelectAccount, seal(deps, &pending).await?);
    }
    if client.consent == ConsentMode::Ask {
        let consented = deps
            .store
            .oauth()
            .consented_scopes(session.user.id(), client.row.id)
            .await?;
        let new_scopes: Vec<String> = pending
            .scopes
            .iter()
            .filter(|scope| !consented.contains(scope))
            .cloned()
            .collect();
        let forced = has(&pending.prompt, "consent") && !pending.consented;
        if forced || !new_scopes.is_empty() {
            if silent {
                return refuse(ErrorCode::ConsentRequired, "the user must consent");
            }
            let scopes = pending.scopes.clone();
            return interact(
                Interaction::Consent { scopes, new_scopes },
                seal(deps, &pending).await?,
            );
        }
    }
    issue_code(deps, client, &pending, session, &amr, now).await
}

async fn issue_code(
    deps: &OAuth,
    client: &Client,
    pending: &PendingRequest,
    session: &CurrentSession,
    amr: &[String],
    now: DateTime<Utc>,
) -> Result<AuthorizeOutcome, DomainError> {
    let (code, code_hash) = new_link_token()?;
    let acr = if has(amr, "mfa") {
        ACR_MULTI_FACTOR
    } else {
        ACR_SINGLE_FACTOR
    };
    let ttl = Duration::seconds(
        i64::try_from(deps.settings.code_ttl.as_secs())
            .unwrap_or(60)
            .min(60),
    );
    let row = AuthCodeRow {
        code_hash,
        grant_id: new_id(),
        client_id: client.row.id,
        user_id: session.user.id(),
        session_id: Some(session.session.id),
        redirect_uri: pending.redirect_uri.clone(),
        scope: scope::join(&pending.scopes),
        audience: pending.audience.clone(),
        nonce: pending.nonce.clone(),
        code_challenge: Some(pending.code_challenge.clone()),
        auth_time: session.session.authenticated_at,
        amr: session.session.amr.clone(),
        acr: Some(acr.to_owned()),
        created_at: now,
        expires_at: now + ttl,
        consumed_at: None,
    };
    let mut transaction = deps.store.begin().await?;
    transaction.insert_code(&row).await?;
    transaction.commit().await?;
    let mut params = vec![("code".to_owned(), code)];
    if let Some(state) = &pending.state {
        params.push(("state".to_owned(), state.clone()));
    }
    params.push(("iss".to_owned(), deps.settings.issuer.clone()));
    Ok(AuthorizeOutcome::Redirect {
        redirect_uri: pending.redirect_uri.clone(),
        mode: pending.response_mode,
        params,
    })
}
