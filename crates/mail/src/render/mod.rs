//! Turns an [`Email`] into a subject, an HTML body and a plain-text body. The texts come from
//! the recipient's language catalogue; values are filled in as plain text and escaped by the
//! HTML writer, so no value can add markup.

mod html;
mod text;

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use gatehouse_domain::mail::{Email, EmailTemplate, MailError};

use crate::catalogue::{Language, catalogue};

/// A message ready to be put into MIME parts.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    /// The language it is written in.
    pub(crate) language: Language,
    /// The `Subject:` line.
    pub(crate) subject: String,
    /// The text/html part.
    pub(crate) html: String,
    /// The text/plain part.
    pub(crate) text: String,
}

/// A button: a label and the link it opens.
#[derive(Debug, Clone)]
struct Action {
    label: String,
    url: String,
}

/// A message's content as plain strings, before it is written as HTML or text.
#[derive(Debug, Clone)]
struct Document {
    language: Language,
    subject: String,
    greeting: String,
    lines: Vec<String>,
    actions: Vec<Action>,
    link_hint: String,
    /// The label above the code, and the code.
    code: Option<(String, String)>,
    notes: Vec<String>,
    footer: String,
}

/// Which link values a template shows as buttons, and whether it shows a code.
fn shape(template: EmailTemplate) -> (&'static [&'static str], bool) {
    match template {
        EmailTemplate::VerifyEmail => (&["link"], true),
        EmailTemplate::AccountExists => (&["link", "reset_link"], false),
        EmailTemplate::ResetPassword
        | EmailTemplate::ConfirmNewEmail
        | EmailTemplate::RecoveryCodeUsed
        | EmailTemplate::MfaReset => (&["link"], false),
        EmailTemplate::PasswordChanged
        | EmailTemplate::EmailChangeRequested
        | EmailTemplate::SignInThrottled => (&[], false),
    }
}

/// Renders `email`, naming `product` as the service.
pub(crate) fn render(email: &Email, product: &str) -> Result<Rendered, MailError> {
    let document = Document::build(email, product)?;
    Ok(Rendered {
        language: document.language,
        subject: document.subject.clone(),
        html: html::write(&document),
        text: text::write(&document),
    })
}

fn invalid(template: EmailTemplate, problem: &str) -> MailError {
    MailError {
        retryable: false,
        message: format!("email template {}: {problem}", template.name()),
    }
}

/// The values a message's texts refer to by `{name}`.
struct Values<'a> {
    email: &'a Email,
    product: &'a str,
}

impl Values<'_> {
    fn get(&self, name: &str) -> Result<Cow<'_, str>, MailError> {
        if name == "product" {
            return Ok(Cow::Borrowed(self.product));
        }
        let value = self.email.params.get(name).ok_or_else(|| {
            invalid(
                self.email.template,
                &format!("the value `{name}` is missing"),
            )
        })?;
        Ok(display(value))
    }

    /// Replaces each `{name}` in `text` by its value, in one pass (values are not expanded).
    fn fill(&self, text: &str) -> Result<String, MailError> {
        let mut filled = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let Some(length) = rest[start..].find('}') else {
                break;
            };
            filled.push_str(&rest[..start]);
            filled.push_str(&self.get(&rest[start + 1..start + length])?);
            rest = &rest[start + length + 1..];
        }
        filled.push_str(rest);
        Ok(filled)
    }

    fn fill_all(&self, texts: &[String]) -> Result<Vec<String>, MailError> {
        texts.iter().map(|text| self.fill(text)).collect()
    }
}

/// A value as shown: control characters become spaces, RFC 3339 times become
/// `2026-06-01 09:00 UTC`.
fn display(value: &str) -> Cow<'_, str> {
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        let time = time.with_timezone(&Utc);
        return Cow::Owned(time.format("%Y-%m-%d %H:%M UTC").to_string());
    }
    if value.chars().any(char::is_control) {
        let cleaned = value.chars().map(|c| if c.is_control() { ' ' } else { c });
        return Cow::Owned(cleaned.collect());
    }
    Cow::Borrowed(value)
}

/// Only web links may become buttons: no `javascript:`, no whitespace that could split a line.
fn is_web_link(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(|c: char| c.is_whitespace() || c.is_control() || c == '"' || c == '<')
}

impl Document {
    fn build(email: &Email, product: &str) -> Result<Self, MailError> {
        let language = Language::for_locale(email.locale.as_deref());
        let catalogue = catalogue(language)?;
        let texts = catalogue.texts(email.template);
        let layout = &catalogue.layout;
        let values = Values { email, product };
        let (links, has_code) = shape(email.template);
        let mut actions = Vec::with_capacity(links.len());
        for name in links {
            let label = texts
                .actions
                .get(*name)
                .ok_or_else(|| invalid(email.template, &format!("no button label for `{name}`")))?;
            let url = values.get(name)?.into_owned();
            if !is_web_link(&url) {
                return Err(invalid(
                    email.template,
                    &format!("`{name}` is not a web link"),
                ));
            }
            actions.push(Action {
                label: values.fill(label)?,
                url,
            });
        }
        let code = match (has_code, &texts.code) {
            (false, _) => None,
            (true, Some(label)) => Some((values.fill(label)?, values.get("code")?.into_owned())),
            (true, None) => return Err(invalid(email.template, "no label for the code")),
        };
        let greeting = match email.params.get("display_name") {
            Some(name) if !name.trim().is_empty() => values.fill(&layout.greeting_named)?,
            _ => layout.greeting.clone(),
        };
        Ok(Self {
            language,
            subject: values.fill(&texts.subject)?,
            greeting,
            lines: values.fill_all(&texts.lines)?,
            actions,
            link_hint: values.fill(&layout.link_hint)?,
            code,
            notes: values.fill_all(&texts.notes)?,
            footer: values.fill(&layout.footer)?,
        })
    }
}

#[cfg(test)]
mod tests;
