//! Pages that only say something: results ("your address is verified") and failures.

use askama::Template;
use axum::{
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use super::{error::Failure, page::PageView};
use crate::{SiteSettings, i18n::Language};

/// A heading, a message and, optionally, a link onwards.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessageTemplate<'a> {
    /// The layout.
    pub page: &'a PageView,
    /// The heading.
    pub title: &'a str,
    /// The message.
    pub body: &'a str,
    /// Whether the message reports a problem (`role="alert"`).
    pub is_problem: bool,
    /// Where to go next: address and label.
    pub link: Option<(&'a str, &'a str)>,
}

fn respond(
    status: StatusCode,
    template: &MessageTemplate<'_>,
    retry_after: Option<u32>,
) -> Response {
    let html = template.render().unwrap_or_else(|error| {
        tracing::error!(error = %error, "the message page failed to render");
        String::from("<!DOCTYPE html><title>Error</title><p>Something went wrong.</p>")
    });
    let mut response = (status, Html(html)).into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, seconds.into());
    }
    response
}

/// The page for a failure that is not a form error.
pub fn failure_page(site: &SiteSettings, lang: Language, failure: &Failure) -> Response {
    let view = PageView::bare(site, lang);
    let message = failure.message(lang);
    let link = match failure.code {
        "csrf_failed" => Some(("/sign-in", lang.t("message.start_again"))),
        "invalid_link" => Some(("/sign-in", lang.t("sign_in.title"))),
        "not_signed_in" => Some(("/sign-in", lang.t("sign_in.title"))),
        _ => None,
    };
    let template = MessageTemplate {
        page: &view,
        title: lang.t("message.problem_title"),
        body: &message,
        is_problem: true,
        link,
    };
    respond(failure.status, &template, failure.retry_after)
}

/// The page for a form that could not be read.
pub fn input_page(site: &SiteSettings, lang: Language, status: StatusCode, key: &str) -> Response {
    let view = PageView::bare(site, lang);
    let template = MessageTemplate {
        page: &view,
        title: lang.t("message.problem_title"),
        body: lang.t(key),
        is_problem: true,
        link: None,
    };
    respond(status, &template, None)
}

/// A page reporting success: `title_key` as heading, `body_key` as message, and a link.
pub fn success<'a>(
    page: &'a PageView,
    title_key: &str,
    body_key: &str,
    link: (&'a str, &'a str),
) -> MessageTemplate<'a> {
    MessageTemplate {
        page,
        title: page.t(title_key),
        body: page.t(body_key),
        is_problem: false,
        link: Some(link),
    }
}
