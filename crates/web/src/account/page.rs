//! What every hosted page shares: the layout's data ([`PageView`]), the [`Page`] extractor
//! (caller, CSRF token, notice), form error state, and rendering with the right headers.

use askama::Template;
use axum::{
    extract::{FromRequestParts, OriginalUri},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
};
use gatehouse_domain::accounts::{AccountError, CurrentSession};

use super::{error::Failure, message};
use crate::{
    AppState, SiteSettings, caller::Caller, csrf, i18n::Language, redirect, surface, surface::Halt,
};

/// The layout's data.
#[derive(Debug, Clone)]
pub struct PageView {
    /// The page language.
    pub lang: Language,
    /// The product name.
    pub product_name: String,
    /// Whether `/assets/logo` serves a logo.
    pub has_logo: bool,
    /// The CSRF token for forms (empty on pages without forms).
    pub csrf_token: String,
    /// Whether a user is signed in (shows the account links and sign-out button).
    pub signed_in: bool,
    /// A success message for the top of the page.
    pub notice: Option<&'static str>,
}

impl PageView {
    /// A layout without forms or session (error pages).
    pub fn bare(site: &SiteSettings, lang: Language) -> Self {
        Self {
            lang,
            product_name: site.product_name.clone(),
            has_logo: site.servable_logo().is_some(),
            csrf_token: String::new(),
            signed_in: false,
            notice: None,
        }
    }

    /// The catalogue string for `key`.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }
}

/// One problem shown on a form.
#[derive(Debug, Clone)]
pub struct FormError {
    /// The field it concerns (an element id on the page), if any.
    pub field: Option<&'static str>,
    /// The message.
    pub message: String,
}

/// The problems of a submitted form and how to answer it.
#[derive(Debug, Clone)]
pub struct FormState {
    /// The problems, in page order.
    pub errors: Vec<FormError>,
    /// The failure's code (empty when there is none).
    pub code: &'static str,
    /// The response status.
    pub status: StatusCode,
    /// Seconds for `Retry-After`.
    pub retry_after: Option<u32>,
}

impl Default for FormState {
    fn default() -> Self {
        Self {
            errors: Vec::new(),
            code: "",
            status: StatusCode::OK,
            retry_after: None,
        }
    }
}

impl FormState {
    /// The state for a failure.
    pub fn failed(failure: &Failure, lang: Language) -> Self {
        Self {
            errors: vec![FormError {
                field: failure.field,
                message: failure.message(lang),
            }],
            code: failure.code,
            status: failure.status,
            retry_after: failure.retry_after,
        }
    }

    /// The same state with errors on field `from` shown on field `to` (two forms on one page).
    pub fn moved(mut self, from: &str, to: &'static str) -> Self {
        for error in &mut self.errors {
            if error.field == Some(from) {
                error.field = Some(to);
            }
        }
        self
    }

    /// Whether there is anything to show.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The message for `field`.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == Some(field))
            .map(|error| error.message.as_str())
    }

    /// The ids that describe `field`: its hint and its error, if any.
    pub fn described_by(&self, field: &str, has_hint: bool) -> String {
        let mut ids = Vec::new();
        if has_hint {
            ids.push(format!("{field}-hint"));
        }
        if self.error(field).is_some() {
            ids.push(format!("{field}-error"));
        }
        ids.join(" ")
    }
}

/// A hosted page's request: the caller, its CSRF token and the notice to show.
#[derive(Debug, Clone)]
pub struct Page {
    /// Who is asking.
    pub caller: Caller,
    /// The layout's data.
    pub view: PageView,
    csrf_cookie: Option<HeaderValue>,
    path_and_query: String,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let csrf = csrf::issue(state, &parts.headers)
            .await
            .map_err(|error| surface::domain_failure(state, parts, error))?;
        let notice = parts.uri.query().and_then(|query| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "notice")
                .map(|(_, value)| format!("notice.{value}"))
        });
        let lang = caller.language;
        let view = PageView {
            csrf_token: csrf.token,
            signed_in: caller.session.is_some(),
            notice: notice.filter(|key| lang.has(key)).map(|key| lang.t(&key)),
            ..PageView::bare(&state.site, lang)
        };
        let original = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |OriginalUri(uri)| uri);
        let path_and_query = original
            .path_and_query()
            .map_or_else(|| "/".to_owned(), ToString::to_string);
        Ok(Self {
            caller,
            view,
            csrf_cookie: csrf.set_cookie,
            path_and_query,
        })
    }
}

impl Page {
    /// The application state.
    pub fn state(&self) -> &AppState {
        &self.caller.state
    }

    /// The page language.
    pub fn lang(&self) -> Language {
        self.caller.language
    }

    /// The value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<String> {
        let (_, query) = self.path_and_query.split_once('?')?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    /// "Use at least N characters", with the policy's minimum.
    pub fn password_hint(&self) -> String {
        let minimum = self
            .state()
            .accounts
            .settings
            .password_policy
            .minimum_length
            .to_string();
        self.lang()
            .format("password.hint", &[("minimum", &minimum)])
    }

    /// The signed-in session, or a redirect to sign in and come back here.
    pub fn require_session(&self) -> Result<&CurrentSession, Halt> {
        self.caller.session.as_ref().ok_or_else(|| {
            Redirect::to(&redirect::sign_in_location(&self.path_and_query))
                .into_response()
                .into()
        })
    }

    /// Renders `template` with `status`, setting the CSRF cookie if it is new.
    pub fn render(&self, status: StatusCode, template: &impl Template) -> Response {
        match template.render() {
            Ok(html) => {
                let mut response = (status, Html(html)).into_response();
                if let Some(cookie) = &self.csrf_cookie {
                    response
                        .headers_mut()
                        .append(header::SET_COOKIE, cookie.clone());
                }
                response
            }
            Err(error) => {
                tracing::error!(error = %error, "a page failed to render");
                self.fail(&Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "error.internal",
                ))
            }
        }
    }

    /// Renders a form page, answering with the form's status and `Retry-After`.
    pub fn render_form(&self, form: &FormState, template: &impl Template) -> Response {
        let mut response = self.render(form.status, template);
        if let Some(seconds) = form.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }

    /// The form state for a failed use case, or (for server faults) the error page to answer.
    pub fn form_failure(&self, error: AccountError) -> Result<FormState, Halt> {
        self.form_failure_of(self.caller.failure(error))
    }

    /// As [`Page::form_failure`], for a failure already classified.
    pub fn form_failure_of(&self, failure: Failure) -> Result<FormState, Halt> {
        if failure.is_server_error() {
            return Err(self.fail(&failure).into());
        }
        Ok(FormState::failed(&failure, self.lang()))
    }

    /// A page explaining `failure`.
    pub fn fail(&self, failure: &Failure) -> Response {
        message::failure_page(&self.state().site, self.lang(), failure)
    }

    /// 303 to `location` (after a successful form).
    pub fn see_other(&self, location: &str) -> Response {
        Redirect::to(location).into_response()
    }
}
