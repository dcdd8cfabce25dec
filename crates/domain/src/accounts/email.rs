//! Email addresses: parsed at the edge, compared case-insensitively through a normalised form.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::DomainError;

/// Longest address accepted (RFC 5321 path limit).
pub const MAX_LENGTH: usize = 254;

/// A syntactically valid email address.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress {
    display: String,
    normalized: String,
}

impl fmt::Debug for EmailAddress {
    // Addresses are personal data: debug output shows only the domain.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self
            .normalized
            .rsplit_once('@')
            .map_or("", |(_, domain)| domain);
        write!(formatter, "EmailAddress(…@{domain})")
    }
}

fn invalid(reason: &str) -> DomainError {
    DomainError::Invalid(format!("email: {reason}"))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

impl EmailAddress {
    /// Parses what a person typed: trimmed, NFKC-normalised, one `@`, a dotted domain, no
    /// spaces or control characters, at most 254 characters.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let display: String = raw.trim().nfkc().collect();
        if display.is_empty() {
            return Err(invalid("enter an email address"));
        }
        if display.chars().count() > MAX_LENGTH {
            return Err(invalid("too long"));
        }
        if display.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("must not contain spaces"));
        }
        let Some((local, domain)) = display.rsplit_once('@') else {
            return Err(invalid("must contain @"));
        };
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || local.contains(['<', '>', '"', ',', ';'])
        {
            return Err(invalid("the part before @ is not valid"));
        }
        if !valid_domain(domain) {
            return Err(invalid("the part after @ is not a valid domain"));
        }
        let normalized = display.to_lowercase();
        Ok(Self {
            display,
            normalized,
        })
    }

    /// The address as typed (trimmed, NFKC).
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The form uniqueness is checked on.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_normalised_and_compared_case_insensitively() {
        let address = EmailAddress::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(address.as_str(), "Ada.Lovelace@Example.COM");
        assert_eq!(address.normalized(), "ada.lovelace@example.com");
        let fullwidth = EmailAddress::parse("ａｄａ@example.com").unwrap();
        assert_eq!(fullwidth.normalized(), "ada@example.com");
        assert!(!format!("{address:?}").contains("ada"));
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_reason() {
        for raw in [
            "",
            "plain",
            "a@b",
            "a b@example.com",
            "@example.com",
            "a@-x.com",
            "a@example..com",
            "a<b>@example.com",
        ] {
            let error = EmailAddress::parse(raw).unwrap_err().to_string();
            assert!(
                error.starts_with("invalid input: email:"),
                "{raw:?}: {error}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(EmailAddress::parse(&long).is_err());
    }
}
