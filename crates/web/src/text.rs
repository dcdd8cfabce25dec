//! Text fields with a length limit checked while the body is decoded, so an over-long field is
//! refused at the edge (400/422) before any use case, hasher or database sees it.

use std::{fmt, ops::Deref};

use serde::{Deserialize, Deserializer, de};

/// The message a too-long field is refused with; the extractors recognise its prefix.
pub const TOO_LONG: &str = "too_long";

/// A string of at most `MAX` characters. `Debug` hides the content (it may be a password).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const MAX: usize> Deref for Text<MAX> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Debug for Text<MAX> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Text({} chars)", self.0.chars().count())
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.chars().count() > MAX {
            return Err(de::Error::custom(format!(
                "{TOO_LONG}: at most {MAX} characters"
            )));
        }
        Ok(Self(text))
    }
}

/// An email address as typed (the domain parses it).
pub type EmailText = Text<320>;
/// A password as typed (the policy's maximum is 1,024; a little room for the message).
pub type PasswordText = Text<4_096>;
/// A one-time token from a link.
pub type TokenText = Text<256>;
/// A six-digit code as typed (spaces allowed).
pub type CodeText = Text<32>;
/// A short profile value (names, locale, picture URL); the domain enforces its own limits.
pub type ShortText = Text<2_048>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_refused_while_decoding() {
        let ok: Text<3> = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(ok.as_str(), "abc");
        let counted_in_characters: Text<3> = serde_json::from_str("\"äöü\"").unwrap();
        assert_eq!(&*counted_in_characters, "äöü");
        let error = serde_json::from_str::<Text<3>>("\"abcd\"").unwrap_err();
        assert!(error.to_string().starts_with(TOO_LONG), "{error}");
        assert_eq!(format!("{ok:?}"), "Text(3 chars)");
    }
}
