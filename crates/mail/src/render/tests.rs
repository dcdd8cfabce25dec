//! Every template renders in every language; values are escaped; unknown locales get English.

use gatehouse_domain::mail::{Email, EmailTemplate};

use super::{html::escape, render};
use crate::catalogue::Language;

const TEMPLATES: [EmailTemplate; 9] = [
    EmailTemplate::VerifyEmail,
    EmailTemplate::AccountExists,
    EmailTemplate::ResetPassword,
    EmailTemplate::PasswordChanged,
    EmailTemplate::ConfirmNewEmail,
    EmailTemplate::EmailChangeRequested,
    EmailTemplate::SignInThrottled,
    EmailTemplate::RecoveryCodeUsed,
    EmailTemplate::MfaReset,
];

/// `template` with every value it documents.
fn complete(template: EmailTemplate, locale: Option<&str>) -> Email {
    let email = Email::new(template, "ada@example.com", locale);
    match template {
        EmailTemplate::VerifyEmail => email
            .with("link", "https://id.example.com/verify?token=abc")
            .with("code", "042917"),
        EmailTemplate::AccountExists => email
            .with("link", "https://id.example.com/login")
            .with("reset_link", "https://id.example.com/reset"),
        EmailTemplate::ResetPassword | EmailTemplate::ConfirmNewEmail => {
            email.with("link", "https://id.example.com/link?token=xyz")
        }
        EmailTemplate::PasswordChanged => email.with("time", "2026-06-01T09:00:00Z"),
        EmailTemplate::EmailChangeRequested => email.with("new_email", "new@example.com"),
        EmailTemplate::SignInThrottled => email.with("until", "2026-06-01T09:15:00+00:00"),
        EmailTemplate::RecoveryCodeUsed => email
            .with("time", "2026-06-01T09:00:00Z")
            .with("remaining", "9")
            .with("link", "https://id.example.com/account/mfa"),
        EmailTemplate::MfaReset => email
            .with("time", "2026-06-01T09:00:00Z")
            .with("link", "https://id.example.com/account/mfa"),
    }
}

#[test]
fn every_template_renders_in_every_language() {
    for language in Language::ALL {
        for template in TEMPLATES {
            let email = complete(template, Some(language.code()));
            let rendered = render(&email, "Acme ID").unwrap();
            assert_eq!(rendered.language, language);
            assert!(rendered.subject.contains("Acme ID"), "{template:?}");
            assert!(rendered.text.contains("Acme ID"), "{template:?}");
            assert!(rendered.html.contains("Acme ID"), "{template:?}");
            assert!(
                !rendered.text.contains('{'),
                "{template:?} left a placeholder"
            );
            for value in email
                .params
                .values()
                .filter(|value| value.starts_with("http"))
            {
                assert!(
                    rendered.text.contains(&format!("\n{value}\n")),
                    "{template:?}"
                );
                assert!(rendered.html.contains(&format!(">{}</a>", escape(value))));
            }
        }
    }
}

#[test]
fn languages_differ_and_unknown_locales_fall_back_to_english() {
    let email = |locale| complete(EmailTemplate::ResetPassword, locale);
    let english = render(&email(Some("en-GB")), "Acme").unwrap();
    let german = render(&email(Some("de-AT")), "Acme").unwrap();
    let french = render(&email(Some("fr")), "Acme").unwrap();
    let none = render(&email(None), "Acme").unwrap();
    assert_ne!(english.subject, german.subject);
    assert_eq!(german.language, Language::German);
    assert_eq!(french.subject, english.subject);
    assert_eq!(none.text, english.text);
    assert!(german.html.contains("<html lang=\"de\">"));
}

#[test]
fn values_are_escaped_in_html() {
    let hostile = "<script>alert(\"x\")</script>&'";
    let email = complete(EmailTemplate::EmailChangeRequested, None)
        .with("new_email", hostile)
        .with("display_name", "<b>Ada</b>");
    let rendered = render(&email, "Acme <Corp>").unwrap();
    assert!(!rendered.html.contains("<script>") && !rendered.html.contains("<b>"));
    assert!(!rendered.html.contains("<Corp>"));
    assert!(
        rendered
            .html
            .contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;")
    );
    assert!(
        rendered.text.contains(hostile),
        "the text part shows values as they are"
    );
    assert!(rendered.text.starts_with("Hello <b>Ada</b>,"));
}

#[test]
fn links_are_escaped_in_attributes() {
    let link = "https://id.example.com/verify?a=1&b=2";
    let email = complete(EmailTemplate::VerifyEmail, None).with("link", link);
    let rendered = render(&email, "Acme").unwrap();
    assert!(
        rendered
            .html
            .contains("href=\"https://id.example.com/verify?a=1&amp;b=2\"")
    );
    assert!(rendered.text.contains(link));
    assert!(rendered.text.contains("\n    042917\n"));
}

#[test]
fn html_loads_nothing_from_elsewhere() {
    for template in TEMPLATES {
        let rendered = render(&complete(template, None), "Acme").unwrap();
        let html = rendered.html.to_ascii_lowercase();
        for forbidden in ["<img", "<link", "<script", "url(", "@import", "src="] {
            assert!(!html.contains(forbidden), "{template:?} has {forbidden}");
        }
        let links = html.matches("href=\"").count();
        assert_eq!(links, 2 * rendered.text.matches("\nhttp").count());
    }
}

#[test]
fn missing_values_and_non_web_links_are_refused_without_retry() {
    let missing = Email::new(EmailTemplate::VerifyEmail, "ada@example.com", None)
        .with("link", "https://id.example.com/verify");
    let error = render(&missing, "Acme").unwrap_err();
    assert!(!error.retryable);
    assert!(error.message.contains("`code`"));
    let script = complete(EmailTemplate::ResetPassword, None).with("link", "javascript:alert(1)");
    assert!(!render(&script, "Acme").unwrap_err().retryable);
}

#[test]
fn values_are_not_expanded_and_times_are_readable() {
    let email = complete(EmailTemplate::EmailChangeRequested, None).with("new_email", "{product}");
    let rendered = render(&email, "Acme").unwrap();
    assert!(rendered.text.contains("to {product}."));
    let changed = render(&complete(EmailTemplate::PasswordChanged, None), "Acme").unwrap();
    assert!(changed.text.contains("on 2026-06-01 09:00 UTC."));
}
