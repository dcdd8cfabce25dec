//! WebAuthn (webauthn-rs): security keys as a second factor, passkeys for passwordless sign-in
//! (discoverable credentials, including the browser's autofill) and as a second factor.
//! The relying party id is the public URL's host; WebAuthn refuses IP addresses, so with one
//! WebAuthn is unavailable.

use std::sync::Arc;

use webauthn_rs::{Webauthn, WebauthnBuilder, prelude::Url};

/// The relying party for `public_url`, or `None` when its host is not a domain name.
pub fn relying_party(public_url: &str, name: &str) -> Option<Arc<Webauthn>> {
    let origin = Url::parse(public_url).ok()?;
    let host = match origin.host()? {
        url::Host::Domain(host) => host.to_owned(),
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => return None,
    };
    let builder = WebauthnBuilder::new(&host, &origin).ok()?.rp_name(name);
    builder.build().ok().map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_comes_from_a_host_name_only() {
        assert!(relying_party("http://localhost:8080", "Gatehouse").is_some());
        assert!(relying_party("https://id.example.com", "Gatehouse").is_some());
        assert!(relying_party("http://127.0.0.1:8080", "Gatehouse").is_none());
        assert!(relying_party("http://[::1]:8080", "Gatehouse").is_none());
        assert!(relying_party("not a url", "Gatehouse").is_none());
    }
}
