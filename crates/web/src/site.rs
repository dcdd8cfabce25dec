//! Branding and deployment facts the pages need: product name, accent colour, logo, trusted
//! proxies and whether self-service sign-up is offered.

use std::{net::IpAddr, sync::Arc};

/// Logo content types Gatehouse serves. An SVG opened on its own could carry script; the CSP
/// every response gets (`script-src 'self'`, no inline script or handlers) keeps it inert, and
/// the logo comes from the operator's configuration, not from users.
const LOGO_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/gif",
    "image/svg+xml",
];

/// Largest logo served.
const MAX_LOGO_BYTES: usize = 512 * 1024;

/// An uploaded logo, stored and served by Gatehouse at `/assets/logo` (never hot-linked).
#[derive(Debug, Clone)]
pub struct Logo {
    /// The image bytes (shared, so cloning the state per request copies no image).
    pub bytes: Arc<[u8]>,
    /// Its media type: `image/png`, `image/jpeg`, `image/webp`, `image/gif` or `image/svg+xml`.
    pub content_type: String,
}

/// How the hosted pages look and which network facts they trust.
#[derive(Debug, Clone)]
pub struct SiteSettings {
    /// Shown in titles and headers.
    pub product_name: String,
    /// `#rrggbb`; used for buttons and links through `/assets/brand.css`.
    pub accent_colour: String,
    /// The logo, if configured.
    pub logo: Option<Logo>,
    /// Peers whose `X-Forwarded-For` is believed (exact addresses).
    pub trusted_proxies: Vec<IpAddr>,
    /// Whether `/sign-up` is offered (the domain enforces its own switch as well).
    pub sign_up_enabled: bool,
}

/// The accent colour used when none (or an invalid one) is configured.
pub const DEFAULT_ACCENT: &str = "#1d5fbf";

impl SiteSettings {
    /// Defaults: the given product name, the default accent, no logo, no trusted proxies,
    /// sign-up offered.
    pub fn new(product_name: impl Into<String>) -> Self {
        Self {
            product_name: product_name.into(),
            accent_colour: DEFAULT_ACCENT.to_owned(),
            logo: None,
            trusted_proxies: Vec::new(),
            sign_up_enabled: true,
        }
    }

    /// Sets the logo from its bytes and media type.
    pub fn with_logo(mut self, bytes: Vec<u8>, content_type: impl Into<String>) -> Self {
        self.logo = Some(Logo {
            bytes: bytes.into(),
            content_type: content_type.into(),
        });
        self
    }

    /// Checks the settings; the message names what is wrong (for start-up validation).
    pub fn validate(&self) -> Result<(), String> {
        let name = self.product_name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err("product name: 1 to 80 characters, no control characters".to_owned());
        }
        if !is_hex_colour(&self.accent_colour) {
            return Err(format!(
                "accent colour: expected #rrggbb, got {:?}",
                self.accent_colour
            ));
        }
        if let Some(logo) = &self.logo {
            if !LOGO_TYPES.contains(&logo.content_type.as_str()) {
                return Err(format!("logo: content type must be one of {LOGO_TYPES:?}"));
            }
            if logo.bytes.is_empty() || logo.bytes.len() > MAX_LOGO_BYTES {
                return Err(format!("logo: 1 byte to {MAX_LOGO_BYTES} bytes"));
            }
        }
        Ok(())
    }

    /// The accent colour if valid, else the default (so a bad value never reaches CSS).
    pub fn accent(&self) -> &str {
        if is_hex_colour(&self.accent_colour) {
            &self.accent_colour
        } else {
            DEFAULT_ACCENT
        }
    }

    /// The logo, if it is of a type Gatehouse serves.
    pub fn servable_logo(&self) -> Option<&Logo> {
        self.logo
            .as_ref()
            .filter(|logo| LOGO_TYPES.contains(&logo.content_type.as_str()))
    }
}

fn is_hex_colour(value: &str) -> bool {
    value.len() == 7
        && value.starts_with('#')
        && value[1..].bytes().all(|byte| byte.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_colours_reach_the_stylesheet() {
        let mut site = SiteSettings::new("Acme ID");
        assert_eq!(site.validate(), Ok(()));
        site.accent_colour = "#12aBeF".to_owned();
        assert_eq!(site.accent(), "#12aBeF");
        for bad in ["red", "#123", "#12345g", "#123456; } body { x", ""] {
            site.accent_colour = bad.to_owned();
            assert_eq!(site.accent(), DEFAULT_ACCENT, "{bad:?}");
            assert!(site.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_image_logos_are_served() {
        let site = SiteSettings::new("Acme ID").with_logo(b"<html></html>".to_vec(), "text/html");
        assert!(site.validate().is_err());
        assert!(site.servable_logo().is_none());
        let svg = SiteSettings::new("Acme ID").with_logo(b"<svg/>".to_vec(), "image/svg+xml");
        assert!(svg.servable_logo().is_some());
        let png = SiteSettings::new("Acme ID").with_logo(vec![1, 2, 3], "image/png");
        assert!(png.validate().is_ok());
        assert!(png.servable_logo().is_some());
    }
}
