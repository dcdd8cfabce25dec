//! The message texts of each language, kept as TOML files in `locales/` and embedded at compile
//! time. A recipient's locale picks one by its primary subtag; anything unknown gets English.

use std::{collections::BTreeMap, sync::LazyLock};

use gatehouse_domain::mail::{EmailTemplate, MailError};
use serde::Deserialize;

/// The languages messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    English,
    German,
}

impl Language {
    /// Every language, English first.
    #[cfg(test)]
    pub(crate) const ALL: [Self; 2] = [Self::English, Self::German];

    /// The language for a BCP 47 tag (`de-AT` → German); English when unknown or absent.
    pub(crate) fn for_locale(locale: Option<&str>) -> Self {
        let primary = locale
            .and_then(|tag| tag.split(['-', '_']).next())
            .unwrap_or_default();
        if primary.eq_ignore_ascii_case("de") {
            Self::German
        } else {
            Self::English
        }
    }

    /// The ISO 639-1 code (`lang` attribute, `Content-Language`).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::German => "de",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Self::English => include_str!("../locales/en.toml"),
            Self::German => include_str!("../locales/de.toml"),
        }
    }
}

/// The texts around every message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Layout {
    pub(crate) greeting: String,
    pub(crate) greeting_named: String,
    pub(crate) link_hint: String,
    pub(crate) footer: String,
}

/// One message's texts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Texts {
    pub(crate) subject: String,
    pub(crate) lines: Vec<String>,
    /// Button label per link value (`link`, `reset_link`).
    #[serde(default)]
    pub(crate) actions: BTreeMap<String, String>,
    /// Shown above the `code` value.
    #[serde(default)]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) notes: Vec<String>,
}

/// All texts of one language.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Catalogue {
    pub(crate) layout: Layout,
    verify_email: Texts,
    account_exists: Texts,
    reset_password: Texts,
    password_changed: Texts,
    confirm_new_email: Texts,
    email_change_requested: Texts,
    sign_in_throttled: Texts,
    recovery_code_used: Texts,
    mfa_reset: Texts,
}

impl Catalogue {
    /// The texts of `template`.
    pub(crate) fn texts(&self, template: EmailTemplate) -> &Texts {
        match template {
            EmailTemplate::VerifyEmail => &self.verify_email,
            EmailTemplate::AccountExists => &self.account_exists,
            EmailTemplate::ResetPassword => &self.reset_password,
            EmailTemplate::PasswordChanged => &self.password_changed,
            EmailTemplate::ConfirmNewEmail => &self.confirm_new_email,
            EmailTemplate::EmailChangeRequested => &self.email_change_requested,
            EmailTemplate::SignInThrottled => &self.sign_in_throttled,
            EmailTemplate::RecoveryCodeUsed => &self.recovery_code_used,
            EmailTemplate::MfaReset => &self.mfa_reset,
        }
    }
}

static ENGLISH: LazyLock<Result<Catalogue, String>> = LazyLock::new(|| parse(Language::English));
static GERMAN: LazyLock<Result<Catalogue, String>> = LazyLock::new(|| parse(Language::German));

fn parse(language: Language) -> Result<Catalogue, String> {
    toml::from_str(language.source())
        .map_err(|error| format!("locales/{}.toml: {error}", language.code()))
}

/// The catalogue of `language`. Fails only if an embedded file is broken, which the unit tests
/// rule out.
pub(crate) fn catalogue(language: Language) -> Result<&'static Catalogue, MailError> {
    let parsed = match language {
        Language::English => &*ENGLISH,
        Language::German => &*GERMAN,
    };
    parsed.as_ref().map_err(|message| MailError {
        retryable: false,
        message: message.clone(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn keys(prefix: &str, table: &toml::Table, into: &mut BTreeSet<String>) {
        for (name, value) in table {
            let path = format!("{prefix}{name}");
            if let toml::Value::Table(inner) = value {
                keys(&format!("{path}."), inner, into);
            } else {
                into.insert(path);
            }
        }
    }

    fn key_set(language: Language) -> BTreeSet<String> {
        let table: toml::Table = toml::from_str(language.source()).unwrap();
        let mut set = BTreeSet::new();
        keys("", &table, &mut set);
        set
    }

    #[test]
    fn every_catalogue_parses() {
        for language in Language::ALL {
            catalogue(language).unwrap();
        }
    }

    #[test]
    fn catalogues_have_exactly_the_same_keys() {
        let english = key_set(Language::English);
        for language in Language::ALL {
            assert_eq!(key_set(language), english, "{}", language.code());
        }
    }

    #[test]
    fn locale_matches_on_primary_subtag_and_falls_back_to_english() {
        assert_eq!(Language::for_locale(Some("de")), Language::German);
        assert_eq!(Language::for_locale(Some("de-AT")), Language::German);
        assert_eq!(Language::for_locale(Some("DE_ch")), Language::German);
        assert_eq!(Language::for_locale(Some("fr-FR")), Language::English);
        assert_eq!(Language::for_locale(Some("")), Language::English);
        assert_eq!(Language::for_locale(None), Language::English);
    }
}
