//! `/console/clients`: the registered OAuth clients with a create form; one client's page (its
//! settings, whose hidden version makes a stale save a conflict instead of a silent overwrite,
//! its secret's rotation and its logo); and its deletion, whose effect is shown first. A new
//! secret is shown once, in the answer to the form that made it (never in a URL, never stored;
//! the answer is `no-store` like every page).

use askama::Template;
use axum::{
    body::Bytes,
    extract::{Multipart, Path, multipart::MultipartRejection},
    http::StatusCode,
    response::Response,
};
use chrono::{DateTime, Utc};
use gatehouse_domain::{
    authorization::capability::CLIENTS_WRITE,
    oauth::{self, Client, ClientChange, ClientError, ClientSpec, Forbidden, Operator},
};
use uuid::Uuid;

use super::{not_found, parse_id};
use crate::{
    account::{
        error::Failure,
        page::{FormState, Page, PageView},
    },
    surface::Halt,
};

/// The grant types offered as checkboxes, in page order.
const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];
/// How much of an uploaded logo is read: one byte more than the use case accepts, so it can
/// say the image is too large without the page buffering more.
const LOGO_READ_LIMIT: usize = 256 * 1024 + 1;

/// The operator behind a console request: the signed-in user with the capabilities they hold.
pub(super) async fn operator(page: &Page) -> Result<Operator, Halt> {
    let session = page.require_session()?;
    let context = page.caller.context.clone();
    Operator::user(&page.state().authorizer, session.user.id(), context)
        .await
        .map_err(|error| page.fail(&Failure::from_domain(error)).into())
}

/// Shows the notice that `?done=` names in the catalogue section `section` (`{section}.done.*`).
pub(super) fn show_done(page: &mut Page, section: &str) {
    let Some(name) = page.query("done") else {
        return;
    };
    let key = format!("{section}.done.{name}");
    let lang = page.lang();
    if lang.has(&key) {
        page.view.notice = Some(lang.t(&key));
    }
}

/// `time` as the console shows times.
pub(super) fn shown_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Classifies a client use case's error: status, code, the form field at fault, the message.
fn failure(error: ClientError) -> Failure {
    let detail = error.to_string();
    let failure = match error {
        ClientError::Forbidden(Forbidden(capability)) => Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "console.error.forbidden",
        )
        .with_value("capability", capability),
        ClientError::Invalid { field, message } => Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "console.error.invalid",
        )
        .with_value("message", message)
        .on_field(field),
        ClientError::NotFound => Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "console.error.not_found",
        ),
        ClientError::Conflict { actual, .. } => {
            Failure::new(StatusCode::CONFLICT, "conflict", "console.error.conflict")
                .with_value("version", actual.to_string())
        }
        ClientError::Domain(error) => return Failure::from_domain(error),
    };
    failure.with_detail(detail)
}

/// The form state for a failure, or (for server faults) the error page to answer.
fn form_failure(page: &Page, error: ClientError) -> Result<FormState, Halt> {
    page.form_failure_of(failure(error))
}

/// A page explaining a failure that leaves nothing to show (no such client, not allowed).
fn fail(page: &Page, error: ClientError) -> Halt {
    page.fail(&failure(error)).into()
}

/// The values of a client form, as shown in its fields.
pub struct Entered {
    name: String,
    public: bool,
    native: bool,
    auth_method: String,
    jwks: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    grant_types: Vec<String>,
    scopes: String,
    default_scopes: String,
    audiences: String,
    default_audience: String,
    web_origins: String,
    consent: String,
    signing_alg: String,
    access_token_ttl_secs: String,
    refresh_token_ttl_secs: String,
    roles: String,
    disabled: bool,
    version: i64,
}

impl Entered {
    /// The create form's starting values: a confidential sign-in client.
    fn blank() -> Self {
        Self {
            name: String::new(),
            public: false,
            native: false,
            auth_method: String::new(),
            jwks: String::new(),
            redirect_uris: String::new(),
            post_logout_redirect_uris: String::new(),
            grant_types: vec![GRANT_TYPES[0].to_owned(), GRANT_TYPES[1].to_owned()],
            scopes: String::new(),
            default_scopes: String::new(),
            audiences: String::new(),
            default_audience: String::new(),
            web_origins: String::new(),
            consent: "ask".to_owned(),
            signing_alg: String::new(),
            access_token_ttl_secs: String::new(),
            refresh_token_ttl_secs: String::new(),
            roles: String::new(),
            disabled: false,
            version: 0,
        }
    }

    /// A stored client's values.
    fn of(client: &Client, roles: &[String]) -> Self {
        let row = &client.row;
        Self {
            name: row.name.clone(),
            public: row.public,
            native: row.native,
            auth_method: row.auth_method.clone().unwrap_or_default(),
            jwks: row.jwks.clone().unwrap_or_default(),
            redirect_uris: row.redirect_uris.join("\n"),
            post_logout_redirect_uris: row.post_logout_redirect_uris.join("\n"),
            grant_types: row.grant_types.clone(),
            scopes: row.scopes.join("\n"),
            default_scopes: row.default_scopes.join("\n"),
            audiences: row.audiences.join("\n"),
            default_audience: row.default_audience.clone().unwrap_or_default(),
            web_origins: row.web_origins.join("\n"),
            consent: row.consent.clone(),
            signing_alg: row.signing_alg.clone(),
            access_token_ttl_secs: row.access_token_ttl_secs.to_string(),
            refresh_token_ttl_secs: row.refresh_token_ttl_secs.to_string(),
            roles: roles.join("\n"),
            disabled: row.disabled_at.is_some(),
            version: row.version,
        }
    }

    /// A submitted form's values.
    fn parse(body: &Bytes) -> Self {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(body)
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        let one = |name: &str| -> String {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.trim().to_owned())
                .unwrap_or_default()
        };
        let ticked = |name: &str| !one(name).is_empty();
        Self {
            name: one("name"),
            public: ticked("public"),
            native: ticked("native"),
            auth_method: one("auth_method"),
            jwks: one("jwks"),
            redirect_uris: one("redirect_uris"),
            post_logout_redirect_uris: one("post_logout_redirect_uris"),
            grant_types: pairs
                .iter()
                .filter(|(key, _)| key == "grant_types")
                .map(|(_, value)| value.trim().to_owned())
                .filter(|value| !value.is_empty())
                .collect(),
            scopes: one("scopes"),
            default_scopes: one("default_scopes"),
            audiences: one("audiences"),
            default_audience: one("default_audience"),
            web_origins: one("web_origins"),
            consent: one("consent"),
            signing_alg: one("signing_alg"),
            access_token_ttl_secs: one("access_token_ttl_secs"),
            refresh_token_ttl_secs: one("refresh_token_ttl_secs"),
            roles: one("roles"),
            disabled: ticked("disabled"),
            version: one("version").parse().unwrap_or(0),
        }
    }

    /// Whether the grant type `name` is ticked.
    pub fn grants(&self, name: &str) -> bool {
        self.grant_types.iter().any(|grant| grant == name)
    }

    /// The settings to register (empty fields: the use case's defaults).
    fn spec(&self) -> Result<ClientSpec, ClientError> {
        let optional = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        Ok(ClientSpec {
            name: self.name.clone(),
            public: self.public,
            native: self.native,
            auth_method: optional(&self.auth_method),
            jwks: optional(&self.jwks),
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            grant_types: self.grant_types.clone(),
            scopes: lines(&self.scopes),
            default_scopes: lines(&self.default_scopes),
            audiences: lines(&self.audiences),
            default_audience: optional(&self.default_audience),
            web_origins: lines(&self.web_origins),
            consent: optional(&self.consent),
            signing_alg: optional(&self.signing_alg),
            access_token_ttl_secs: seconds("access_token_ttl_secs", &self.access_token_ttl_secs)?,
            refresh_token_ttl_secs: seconds(
                "refresh_token_ttl_secs",
                &self.refresh_token_ttl_secs,
            )?,
            roles: lines(&self.roles),
        })
    }
}

/// The non-empty lines of a textarea, trimmed.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A lifetime field: empty for the default, else whole seconds.
fn seconds(field: &'static str, text: &str) -> Result<Option<i64>, ClientError> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| ClientError::Invalid {
        field,
        message: "a whole number of seconds".to_owned(),
    })
}

/// A client in the list.
struct ClientLine {
    id: String,
    client_id: String,
    name: String,
    public: bool,
    grant_types: String,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "console_clients.html")]
struct ClientsTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    clients: Vec<ClientLine>,
    entered: Entered,
    can_write: bool,
    grant_choices: [&'static str; 3],
}

#[derive(Template)]
#[template(path = "console_client.html")]
struct ClientTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    id: String,
    client_id: String,
    shown_name: String,
    created_at: String,
    updated_at: String,
    version: i64,
    uses_secret: bool,
    /// The logo's address (with a version against caches), if it has one.
    logo: Option<String>,
    entered: Entered,
    can_write: bool,
    grant_choices: [&'static str; 3],
}

#[derive(Template)]
#[template(path = "console_client_secret.html")]
struct SecretTemplate<'a> {
    page: &'a PageView,
    id: String,
    client_id: String,
    name: String,
    secret: String,
    created: bool,
}

#[derive(Template)]
#[template(path = "console_client_delete.html")]
struct DeleteTemplate<'a> {
    page: &'a PageView,
    form: FormState,
    id: String,
    client_id: String,
    name: String,
    roles: String,
    uses_secret: bool,
}

/// Whether the client authenticates with a secret (one can be rotated).
fn uses_secret(client: &Client) -> bool {
    !client.row.public && client.row.auth_method.as_deref() != Some("private_key_jwt")
}

async fn render_list(
    page: &Page,
    operator: &Operator,
    form: FormState,
    entered: Entered,
) -> Result<Response, Halt> {
    let clients = oauth::list_clients(&page.state().oauth, operator)
        .await
        .map_err(|error| fail(page, error))?;
    let clients = clients
        .into_iter()
        .map(|client| ClientLine {
            id: client.row.id.to_string(),
            client_id: client.row.client_id.clone(),
            disabled: client.disabled(),
            public: client.row.public,
            grant_types: client.row.grant_types.join(", "),
            name: client.row.name,
        })
        .collect();
    let status = form.status;
    let template = ClientsTemplate {
        page: &page.view,
        form,
        clients,
        entered,
        can_write: operator.holds(CLIENTS_WRITE),
        grant_choices: GRANT_TYPES,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/clients`.
pub async fn list(mut page: Page) -> Result<Response, Halt> {
    let operator = operator(&page).await?;
    show_done(&mut page, "console.clients");
    render_list(&page, &operator, FormState::default(), Entered::blank()).await
}

/// `POST /console/clients`: registers a client and shows its secret, this once.
pub async fn create(page: Page, body: Bytes) -> Result<Response, Halt> {
    let operator = operator(&page).await?;
    let entered = Entered::parse(&body);
    let created = match entered.spec() {
        Ok(spec) => oauth::create_client(&page.state().oauth, &operator, spec).await,
        Err(error) => Err(error),
    };
    match created {
        Ok(created) => {
            let row = &created.client.row;
            match created.secret {
                Some(secret) => {
                    let template = SecretTemplate {
                        page: &page.view,
                        id: row.id.to_string(),
                        client_id: row.client_id.clone(),
                        name: row.name.clone(),
                        secret,
                        created: true,
                    };
                    Ok(page.render(StatusCode::CREATED, &template))
                }
                None => {
                    Ok(page.see_other(&format!("/console/clients/{}?done=client_created", row.id)))
                }
            }
        }
        Err(error) => {
            let form = form_failure(&page, error)?;
            render_list(&page, &operator, form, entered).await
        }
    }
}

/// The client's page; `entered` replaces the stored settings in the form (a refused save).
async fn render_client(
    page: &Page,
    operator: &Operator,
    id: Uuid,
    form: FormState,
    entered: Option<Entered>,
) -> Result<Response, Halt> {
    let deps = &page.state().oauth;
    let (client, roles) = oauth::get_client(deps, operator, id)
        .await
        .map_err(|error| fail(page, error))?;
    let logo = match deps.store.oauth().client_logo(id).await {
        Ok(logo) => logo.map(|logo| {
            format!(
                "/oauth2/clients/{}/logo?v={}",
                client.row.client_id,
                logo.updated_at.timestamp_micros()
            )
        }),
        Err(error) => return Err(page.fail(&Failure::from_domain(error.into())).into()),
    };
    let entered = entered.unwrap_or_else(|| Entered::of(&client, &roles));
    let status = form.status;
    let template = ClientTemplate {
        page: &page.view,
        form,
        id: client.row.id.to_string(),
        client_id: client.row.client_id.clone(),
        shown_name: client.row.name.clone(),
        created_at: shown_time(client.row.created_at),
        updated_at: shown_time(client.row.updated_at),
        version: client.row.version,
        uses_secret: uses_secret(&client),
        logo,
        entered,
        can_write: operator.holds(CLIENTS_WRITE),
        grant_choices: GRANT_TYPES,
    };
    Ok(page.render(status, &template))
}

/// `GET /console/clients/{id}`.
pub async fn show(mut page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let operator = operator(&page).await?;
    let id = parse_id(&page, &id)?;
    show_done(&mut page, "console.clients");
    render_client(&page, &operator, id, FormState::default(), None).await
}

/// `POST /console/clients/{id}`: saves the settings, if nobody changed the client since the
/// form was read (else 409 and the stored settings shown again). The secret stays.
pub async fn save(page: Page, Path(id): Path<String>, body: Bytes) -> Result<Response, Halt> {
    let operator = operator(&page).await?;
    let id = parse_id(&page, &id)?;
    let entered = Entered::parse(&body);
    let saved = match entered.spec() {
        Ok(spec) => {
            let change = ClientChange {
                id,
                version: entered.version,
                spec,
                disabled: entered.disabled,
            };
            oauth::update_client(&page.state().oauth, &operator, change).await
        }
        Err(error) => Err(error),
    };
    match saved {
        Ok(_) => Ok(page.see_other(&format!("/console/clients/{id}?done=client_saved"))),
        Err(ClientError::NotFound) => Err(not_found(&page)),
        Err(error @ ClientError::Conflict { .. }) => {
            let form = form_failure(&page, error)?;
            render_client(&page, &operator, id, form, None).await
        }
        Err(error) => {
            let form = form_failure(&page, error)?;
            render_client(&page, &operator, id, form, Some(entered)).await
        }
    }
}

/// `POST /console/clients/{id}/secret`: a new secret, shown this once; the old one stops
/// working at once.
pub async fn rotate_secret(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let operator = operator(&page).await?;
    let id = parse_id(&page, &id)?;
    let deps = &page.state().oauth;
    match oauth::rotate_client_secret(deps, &operator, id).await {
        Ok(secret) => {
            let (client, _) = oauth::get_client(deps, &operator, id)
                .await
                .map_err(|error| fail(&page, error))?;
            let template = SecretTemplate {
                page: &page.view,
                id: id.to_string(),
                client_id: client.row.client_id,
                name: client.row.name,
                secret,
                created: false,
            };
            Ok(page.render(StatusCode::OK, &template))
        }
        Err(ClientError::NotFound) => Err(not_found(&page)),
        Err(error) => {
            let form = form_failure(&page, error)?;
            render_client(&page, &operator, id, form, None).await
        }
    }
}

/// The image of an upload form's `logo` part (at most [`LOGO_READ_LIMIT`] bytes of it).
async fn read_logo(mut multipart: Multipart) -> Result<Vec<u8>, Failure> {
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Failure::new(error.status(), "body_too_large", "error.body_too_large")
        } else {
            Failure::new(error.status(), "unreadable_form", "error.unreadable_form")
        }
        .on_field("logo")
    };
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() != Some("logo") {
            continue;
        }
        let mut image = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            let room = LOGO_READ_LIMIT.saturating_sub(image.len());
            image.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if image.len() >= LOGO_READ_LIMIT {
                break;
            }
        }
        if !image.is_empty() {
            return Ok(image);
        }
    }
    Err(Failure::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "console.clients.logo_missing",
    )
    .on_field("logo"))
}

/// `POST /console/clients/{id}/logo` (`multipart/form-data`): stores the uploaded logo (PNG,
/// JPEG or WebP, at most 256 KiB; its type is read from the bytes, not from the upload).
pub async fn upload_logo(
    page: Page,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, Halt> {
    let operator = operator(&page).await?;
    let id = parse_id(&page, &id)?;
    let image = match multipart {
        Ok(multipart) => read_logo(multipart).await,
        Err(_) => Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "unreadable_form",
            "error.unreadable_form",
        )
        .on_field("logo")),
    };
    let stored = match image {
        Ok(image) => oauth::set_client_logo(&page.state().oauth, &operator, id, Some(image))
            .await
            .map_err(failure),
        Err(problem) => Err(problem),
    };
    match stored {
        Ok(()) => Ok(page.see_other(&format!("/console/clients/{id}?done=logo_saved"))),
        Err(problem) if problem.status == StatusCode::NOT_FOUND => Err(not_found(&page)),
        Err(problem) => {
            let form = page.form_failure_of(problem)?;
            render_client(&page, &operator, id, form, None).await
        }
    }
}

/// `POST /console/clients/{id}/logo/remove`.
pub async fn remove_logo(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let operator = operator(&page).await?;
    let id = parse_id(&page, &id)?;
    match oauth::set_client_logo(&page.state().oauth, &operator, id, None).await {
        Ok(()) => Ok(page.see_other(&format!("/console/clients/{id}?done=logo_removed"))),
        Err(ClientError::NotFound) => Err(not_found(&page)),
        Err(error) => {
            let form = form_failure(&page, error)?;
            render_client(&page, &operator, id, form, None).await
        }
    }
}

async fn render_delete(
    page: &Page,
    operator: &Operator,
    id: Uuid,
    form: FormState,
) -> Result<Response, Halt> {
    let (client, roles) = oauth::get_client(&page.state().oauth, operator, id)
        .await
        .map_err(|error| fail(page, error))?;
    let status = form.status;
    let template = DeleteTemplate {
        page: &page.view,
        form,
        id: client.row.id.to_string(),
        uses_secret: uses_secret(&client),
        client_id: client.row.client_id,
        name: client.row.name,
        roles: roles.join(", "),
    };
    Ok(page.render(status, &template))
}

/// `GET /console/clients/{id}/delete`: what goes with the client, and a confirm button.
pub async fn confirm_delete(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let operator = operator(&page).await?;
    let id = parse_id(&page, &id)?;
    render_delete(&page, &operator, id, FormState::default()).await
}

/// `POST /console/clients/{id}/delete`: deletes the client with its grants, refresh tokens
/// and consents.
pub async fn delete(page: Page, Path(id): Path<String>) -> Result<Response, Halt> {
    let operator = operator(&page).await?;
    let id = parse_id(&page, &id)?;
    match oauth::delete_client(&page.state().oauth, &operator, id).await {
        Ok(()) => Ok(page.see_other("/console/clients?done=client_deleted")),
        Err(ClientError::NotFound) => Err(not_found(&page)),
        Err(error) => {
            let form = form_failure(&page, error)?;
            render_delete(&page, &operator, id, form).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Language;

    #[test]
    fn a_submitted_form_becomes_the_spec_with_empty_fields_left_to_the_defaults() {
        let body = Bytes::from_static(
            b"name=+Shop+&redirect_uris=https%3A%2F%2Fa.example%2Fcb%0D%0A%0D%0A++https%3A%2F%2Fb.example%2Fcb+\
              &grant_types=authorization_code&grant_types=client_credentials&consent=skip\
              &access_token_ttl_secs=300&refresh_token_ttl_secs=&roles=ops%0Aaudit&version=4&disabled=on",
        );
        let entered = Entered::parse(&body);
        assert_eq!((entered.version, entered.disabled), (4, true));
        assert!(entered.grants("client_credentials") && !entered.grants("refresh_token"));
        let spec = entered.spec().unwrap();
        assert_eq!(spec.name, "Shop");
        assert_eq!(
            spec.redirect_uris,
            ["https://a.example/cb", "https://b.example/cb"]
        );
        assert_eq!(spec.roles, ["ops", "audit"]);
        assert_eq!(spec.consent.as_deref(), Some("skip"));
        assert_eq!(spec.access_token_ttl_secs, Some(300));
        assert_eq!(spec.refresh_token_ttl_secs, None);
        assert_eq!(
            (spec.auth_method, spec.jwks, spec.signing_alg),
            (None, None, None)
        );
        assert!(!spec.public && spec.scopes.is_empty());
    }

    #[test]
    fn a_lifetime_that_is_not_a_number_is_refused_on_its_field() {
        let entered = Entered::parse(&Bytes::from_static(b"name=x&access_token_ttl_secs=soon"));
        let failure = failure(entered.spec().unwrap_err());
        assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(failure.field, Some("access_token_ttl_secs"));
    }

    #[test]
    fn a_stale_edit_is_a_conflict_naming_the_current_version() {
        let failure = failure(ClientError::Conflict {
            expected: 2,
            actual: 3,
        });
        assert_eq!(failure.status, StatusCode::CONFLICT);
        for language in [Language::English, Language::German] {
            assert!(failure.message(language).contains('3'));
        }
    }
}
