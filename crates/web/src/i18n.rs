//! Page and message strings in catalogues (`locales/*.toml`, embedded), and the choice of
//! language: the signed-in user's locale, else `Accept-Language` (primary subtag), else English.

use std::{collections::HashMap, sync::LazyLock};

use axum::http::{HeaderMap, header};

type Catalogue = HashMap<String, String>;

static ENGLISH: LazyLock<Catalogue> = LazyLock::new(|| load(include_str!("../locales/en.toml")));
static GERMAN: LazyLock<Catalogue> = LazyLock::new(|| load(include_str!("../locales/de.toml")));

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// English (the fallback).
    #[default]
    English,
    /// German.
    German,
}

impl Language {
    /// Every supported language.
    pub const ALL: [Self; 2] = [Self::English, Self::German];

    /// The BCP 47 tag (for `<html lang>` and the user's locale).
    pub fn tag(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::German => "de",
        }
    }

    /// The language whose tag is `tag`'s primary subtag, if supported.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|language| language.tag() == primary)
    }

    /// The user's locale if supported, else the best `Accept-Language` match, else English.
    pub fn negotiate(user_locale: Option<&str>, headers: &HeaderMap) -> Self {
        user_locale
            .and_then(Self::from_tag)
            .or_else(|| {
                let accept = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
                from_accept_language(accept)
            })
            .unwrap_or_default()
    }

    fn catalogue(self) -> &'static Catalogue {
        match self {
            Self::English => &ENGLISH,
            Self::German => &GERMAN,
        }
    }

    /// The string for `key`; English if this catalogue lacks it; the key itself if both do.
    pub fn t(self, key: &str) -> &'static str {
        self.catalogue()
            .get(key)
            .or_else(|| ENGLISH.get(key))
            .map_or_else(
                || {
                    tracing::warn!(key, "missing catalogue string");
                    ""
                },
                String::as_str,
            )
    }

    /// Whether the catalogue has `key`.
    pub fn has(self, key: &str) -> bool {
        self.catalogue().contains_key(key)
    }

    /// The string for `key` with each `{name}` replaced by its value.
    pub fn format(self, key: &str, values: &[(&str, &str)]) -> String {
        values
            .iter()
            .fold(self.t(key).to_owned(), |text, (name, value)| {
                text.replace(&format!("{{{name}}}"), value)
            })
    }
}

/// The supported language with the highest weight in an `Accept-Language` value.
fn from_accept_language(accept: &str) -> Option<Language> {
    let mut ranges: Vec<(u16, usize, &str)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(position, range)| {
            let mut parts = range.split(';');
            let tag = parts.next()?.trim();
            let weight = parts
                .find_map(|parameter| parameter.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_weight)?;
            Some((weight, position, tag))
        })
        .filter(|(weight, _, _)| *weight > 0)
        .collect();
    ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges
        .into_iter()
        .find_map(|(_, _, tag)| Language::from_tag(tag))
}

/// A quality value (`0` to `1`, at most three decimals) in thousandths.
fn parse_weight(text: &str) -> Option<u16> {
    let value: f32 = text.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

fn load(source: &str) -> Catalogue {
    let mut catalogue = Catalogue::new();
    match toml::from_str::<toml::Table>(source) {
        Ok(table) => flatten("", &table, &mut catalogue),
        Err(error) => tracing::error!(error = %error, "a string catalogue does not parse"),
    }
    catalogue
}

fn flatten(prefix: &str, table: &toml::Table, into: &mut Catalogue) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&path, inner, into),
            toml::Value::String(text) => {
                into.insert(path, text.clone());
            }
            other => {
                into.insert(path, other.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::http::HeaderValue;

    use super::*;

    fn keys(source: &str) -> BTreeSet<String> {
        let table: toml::Table = toml::from_str(source).expect("catalogue parses");
        let mut catalogue = Catalogue::new();
        flatten("", &table, &mut catalogue);
        catalogue.into_keys().collect()
    }

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let english = keys(include_str!("../locales/en.toml"));
        let german = keys(include_str!("../locales/de.toml"));
        assert!(english.len() > 50, "{}", english.len());
        let only_english: Vec<_> = english.difference(&german).collect();
        let only_german: Vec<_> = german.difference(&english).collect();
        assert!(
            only_english.is_empty(),
            "missing in de.toml: {only_english:?}"
        );
        assert!(
            only_german.is_empty(),
            "missing in en.toml: {only_german:?}"
        );
    }

    /// Quoted `section.key` strings in templates and code, for every catalogue section.
    fn used_keys(sections: &BTreeSet<String>) -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = Vec::new();
        for directory in ["templates", "src", "src/account", "src/api"] {
            for entry in std::fs::read_dir(root.join(directory)).unwrap() {
                let path = entry.unwrap().path();
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                for notice in text.split("notice=").skip(1) {
                    let name: String = notice
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        used.push((path.display().to_string(), format!("notice.{name}")));
                    }
                }
                for quoted in text.split('"').skip(1).step_by(2) {
                    let Some((section, rest)) = quoted.split_once('.') else {
                        continue;
                    };
                    let is_key = !rest.is_empty()
                        && quoted
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
                        && !["html", "css", "rs", "toml"].contains(&rest);
                    if is_key && sections.contains(section) {
                        used.push((path.display().to_string(), quoted.to_owned()));
                    }
                }
            }
        }
        used
    }

    #[test]
    fn every_key_the_templates_and_code_use_exists() {
        let english = keys(include_str!("../locales/en.toml"));
        let sections: BTreeSet<String> = english
            .iter()
            .filter_map(|key| key.split_once('.'))
            .map(|(section, _)| section.to_owned())
            .collect();
        let used = used_keys(&sections);
        assert!(used.len() > 100, "{}", used.len());
        let missing: Vec<_> = used
            .iter()
            .filter(|(_, key)| !english.contains(key))
            .collect();
        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn the_user_locale_wins_then_accept_language_then_english() {
        let mut headers = HeaderMap::new();
        assert_eq!(Language::negotiate(None, &headers), Language::English);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr-CH, de;q=0.9, en;q=0.8"),
        );
        assert_eq!(Language::negotiate(None, &headers), Language::German);
        assert_eq!(
            Language::negotiate(Some("en-GB"), &headers),
            Language::English
        );
        assert_eq!(Language::negotiate(Some("xx"), &headers), Language::German);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de;q=0, en-US;q=0.5"),
        );
        assert_eq!(Language::negotiate(None, &headers), Language::English);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en;q=0.4, DE-at"),
        );
        assert_eq!(Language::negotiate(None, &headers), Language::German);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static(";;;,q=,de;q=abc"),
        );
        assert_eq!(Language::negotiate(None, &headers), Language::English);
    }

    #[test]
    fn formatting_fills_named_values() {
        assert_eq!(
            Language::English.format("password.too_short", &[("minimum", "15")]),
            "Use at least 15 characters."
        );
    }
}
