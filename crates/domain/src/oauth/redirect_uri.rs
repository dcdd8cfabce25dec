//! Redirect URIs: what a client may register, and exact matching of the one an authorization
//! request presents (RFC 9700 §4.1.3, RFC 8252 for native apps).
//!
//! Matching is plain byte equality with the registered list: no normalisation of case,
//! trailing slashes, percent-encoding, Unicode, dot segments or default ports, so no parser
//! difference between Gatehouse and a browser can be used to redirect elsewhere. The one
//! exception, for native clients only, is RFC 8252 §7.3: a registered loopback IP redirect
//! (`http://127.0.0.1…` or `http://[::1]…`) matches whatever port the app's local server got;
//! everything else in it stays byte-exact. `localhost` gets no exception (RFC 8252 §8.3).

/// The longest redirect URI accepted at registration.
pub const MAX_LEN: usize = 2000;

/// Loopback hosts over `http` that need no TLS.
const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "[::1]", "localhost"];

/// The loopback IP prefixes whose port is free for native clients.
const LOOPBACK_IP_PREFIXES: [&str; 2] = ["http://127.0.0.1", "http://[::1]"];

/// Splits `scheme:rest`, checking the scheme's characters (RFC 3986 §3.1).
fn split_scheme(uri: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = uri.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

/// Splits `//authority/rest` into the authority and what follows it.
fn split_authority(hier: &str) -> Option<(&str, &str)> {
    let after = hier.strip_prefix("//")?;
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    Some(after.split_at(end))
}

/// Splits an authority into host and optional port, checking the port's digits.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority
            .find(']')
            .ok_or_else(|| "an IPv6 host must end with ]".to_owned())?;
        let (host, rest) = authority.split_at(close + 1);
        match rest {
            "" => (host, None),
            _ => match rest.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err("unexpected characters after the host".to_owned()),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("the port must be a number".to_owned());
    }
    if host.is_empty() {
        return Err("the host is missing".to_owned());
    }
    Ok((host, port))
}

/// Whether `host` is a plain DNS name or IPv4 address (letters, digits, `-`, `_`, `.`) or a
/// bracketed IPv6 literal: no percent-encoding or other characters a browser might reinterpret.
fn valid_host(host: &str) -> bool {
    match host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    {
        Some(ipv6) => {
            !ipv6.is_empty()
                && ipv6
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'))
        }
        None => {
            !host.starts_with('.')
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        }
    }
}

/// Checks a redirect URI a client wants to register. Web clients may register `https` URIs
/// and loopback `http` ones (`127.0.0.1`, `[::1]`, `localhost`); native clients may also
/// register private-use schemes in reverse-DNS form (`com.example.app:/callback`, RFC 8252
/// §7.1). Always refused: relative URIs, fragments, user info (`@` in the authority),
/// wildcards, backslashes, hosts other than DNS names and IP addresses, whitespace, control
/// and non-ASCII characters, and anything longer than
/// [`MAX_LEN`]. The error says why, for the administrator.
pub fn validate_registration(uri: &str, native: bool) -> Result<(), String> {
    if uri.is_empty() {
        return Err("the redirect URI is empty".to_owned());
    }
    if uri.len() > MAX_LEN {
        return Err(format!("a redirect URI has at most {MAX_LEN} characters"));
    }
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("a redirect URI has no spaces, control or non-ASCII characters".to_owned());
    }
    if uri.contains('#') {
        return Err("a redirect URI has no fragment".to_owned());
    }
    if uri.contains('*') {
        return Err("wildcards are not allowed; register each URI exactly".to_owned());
    }
    if uri.contains('\\') {
        return Err("a redirect URI has no backslashes".to_owned());
    }
    let (scheme, hier) =
        split_scheme(uri).ok_or_else(|| "the redirect URI must be absolute".to_owned())?;
    if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http") {
        if scheme != "https" && scheme != "http" {
            return Err("write the scheme in lower case".to_owned());
        }
        let (authority, _) =
            split_authority(hier).ok_or_else(|| "an http(s) URI needs a host".to_owned())?;
        if authority.contains('@') {
            return Err("a redirect URI has no user info (@)".to_owned());
        }
        let (host, _) = split_host_port(authority)?;
        if !valid_host(host) {
            return Err("the host must be a DNS name or an IP address".to_owned());
        }
        if scheme == "http" && !LOOPBACK_HOSTS.contains(&host) {
            return Err(
                "use https (plain http only for 127.0.0.1, [::1] and localhost)".to_owned(),
            );
        }
        if url::Url::parse(uri).is_err() {
            return Err("the redirect URI is not a valid URL".to_owned());
        }
        return Ok(());
    }
    if !native {
        return Err("web clients use https redirect URIs".to_owned());
    }
    if !scheme.contains('.') {
        return Err(
            "a private-use scheme must be in reverse-DNS form, like com.example.app".to_owned(),
        );
    }
    if hier.is_empty() {
        return Err("the redirect URI needs a path after the scheme".to_owned());
    }
    if let Some((authority, _)) = split_authority(hier)
        && authority.contains('@')
    {
        return Err("a redirect URI has no user info (@)".to_owned());
    }
    Ok(())
}

/// Splits a loopback IP `http` URI into its host prefix, port (digits, if any) and the rest,
/// which starts with `/` or `?` or is empty. `None` for anything else.
fn split_loopback(uri: &str) -> Option<(&'static str, Option<&str>, &str)> {
    LOOPBACK_IP_PREFIXES.iter().find_map(|prefix| {
        let after = uri.strip_prefix(prefix)?;
        let (port, rest) = match after.strip_prefix(':') {
            Some(with_port) => {
                let end = with_port
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(with_port.len());
                let (digits, rest) = with_port.split_at(end);
                let valid = (1..=5).contains(&digits.len())
                    && digits
                        .parse::<u32>()
                        .is_ok_and(|port| (1..=65535).contains(&port));
                if !valid {
                    return None;
                }
                (Some(digits), rest)
            }
            None => (None, after),
        };
        (rest.is_empty() || rest.starts_with(['/', '?'])).then_some((*prefix, port, rest))
    })
}

/// Whether `presented` is one of the `registered` redirect URIs, by exact string comparison.
/// For native clients, a registered `http://127.0.0.1…` or `http://[::1]…` URI also matches
/// the same URI with any port (or none); host, path and query stay byte-exact.
pub fn matches(registered: &[String], presented: &str, native: bool) -> bool {
    if registered.iter().any(|uri| uri == presented) {
        return true;
    }
    if !native {
        return false;
    }
    let Some((presented_host, _, presented_rest)) = split_loopback(presented) else {
        return false;
    };
    registered.iter().any(|uri| {
        split_loopback(uri)
            .is_some_and(|(host, _, rest)| host == presented_host && rest == presented_rest)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn list(uris: &[&str]) -> Vec<String> {
        uris.iter().map(|uri| (*uri).to_owned()).collect()
    }

    #[test]
    fn registration_accepts_https_and_loopback_http() {
        for uri in [
            "https://app.example.com/callback",
            "https://app.example.com:8443/cb?x=1",
            "https://app.example.com",
            "http://127.0.0.1/callback",
            "http://127.0.0.1:8080/callback",
            "http://[::1]:8080/callback",
            "http://localhost:3000/callback",
        ] {
            assert_eq!(validate_registration(uri, false), Ok(()), "{uri}");
            assert_eq!(validate_registration(uri, true), Ok(()), "{uri}");
        }
    }

    #[test]
    fn registration_accepts_private_use_schemes_for_native_clients_only() {
        for uri in ["com.example.app:/callback", "com.example.app://oauth/cb"] {
            assert_eq!(validate_registration(uri, true), Ok(()), "{uri}");
            assert!(validate_registration(uri, false).is_err(), "{uri}");
        }
        // Not reverse-DNS, or dangerous schemes.
        for uri in [
            "myapp:/callback",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "com.example.app:",
        ] {
            assert!(validate_registration(uri, true).is_err(), "{uri}");
        }
    }

    #[test]
    fn registration_refuses_unsafe_forms() {
        for uri in [
            "",
            "/callback",
            "app.example.com/callback",
            "https://app.example.com/callback#frag",
            "https://app.example.com/callback#",
            "https://user@app.example.com/callback",
            "https://user:pw@app.example.com/callback",
            "https://app.example.com@evil.example/callback",
            "https://*.example.com/callback",
            "https://app.example.com/*",
            "http://app.example.com/callback",
            "http://127.0.0.1.evil.example/callback",
            "http://localhost.evil.example/callback",
            "HTTPS://app.example.com/callback",
            "https://app.example.com/call back",
            "https://app.example.com/caf\u{e9}",
            "https://app.example.com/cb\n",
            "https:///callback",
            "https://app.example.com:port/cb",
            "https://[::1/cb",
            "ftp://app.example.com/cb",
            "https://app.example.com\\evil.example/cb",
            "https://app%2Eexample.com/cb",
            "https://app.example.com;evil/cb",
            "https://.example.com/cb",
            "https://[]/cb",
            "https://[::1%25eth0]/cb",
        ] {
            assert!(validate_registration(uri, false).is_err(), "{uri:?}");
        }
        let long = format!("https://app.example.com/{}", "a".repeat(MAX_LEN));
        assert!(validate_registration(&long, false).is_err());
        assert!(validate_registration("com.example.app://user@host/cb", true).is_err());
    }

    #[test]
    fn exact_match_only() {
        let registered = list(&["https://app.example.com/callback?tenant=1"]);
        let uri = "https://app.example.com/callback?tenant=1";
        assert!(matches(&registered, uri, false));
        assert!(matches(&registered, uri, true));
        for variant in [
            // trailing slash
            "https://app.example.com/callback/?tenant=1",
            "https://app.example.com/callback?tenant=1/",
            // case of scheme, host, path, query
            "HTTPS://app.example.com/callback?tenant=1",
            "https://APP.example.com/callback?tenant=1",
            "https://app.example.com/Callback?tenant=1",
            "https://app.example.com/callback?Tenant=1",
            // extra or missing query
            "https://app.example.com/callback?tenant=1&next=https://evil.example",
            "https://app.example.com/callback?tenant=2",
            "https://app.example.com/callback",
            // userinfo and @ tricks
            "https://app.example.com@evil.example/callback?tenant=1",
            "https://evil.example@app.example.com/callback?tenant=1",
            "https://app.example.com/callback?tenant=1@evil.example",
            // path traversal and matrix parameters
            "https://app.example.com/callback/..;/evil?tenant=1",
            "https://app.example.com/evil/..;/callback?tenant=1",
            "https://app.example.com/x/../callback?tenant=1",
            "https://app.example.com/./callback?tenant=1",
            // percent-encoding
            "https://app.example.com/%63allback?tenant=1",
            "https://app.example.com/callback%3Ftenant=1",
            "https://app.example.com/callback?tenant%3D1",
            "https://app%2Eexample.com/callback?tenant=1",
            // Unicode homoglyphs and fullwidth characters
            "https://\u{430}pp.example.com/callback?tenant=1",
            "https://app.example.com/c\u{430}llback?tenant=1",
            "https://\u{ff41}pp.example.com/callback?tenant=1",
            "https://app\u{ff0e}example.com/callback?tenant=1",
            "https://app.example.com\u{ff0f}callback?tenant=1",
            // fragment
            "https://app.example.com/callback?tenant=1#",
            "https://app.example.com/callback?tenant=1#x",
            // port changes, including the default port
            "https://app.example.com:443/callback?tenant=1",
            "https://app.example.com:8443/callback?tenant=1",
            // whitespace and prefixes
            " https://app.example.com/callback?tenant=1",
            "https://app.example.com/callback?tenant=1 ",
            "https://app.example.com/callback?tenant=1\n",
            "https://app.example.com.evil.example/callback?tenant=1",
            "",
        ] {
            assert!(!matches(&registered, variant, false), "{variant:?}");
            assert!(!matches(&registered, variant, true), "{variant:?}");
        }
    }

    #[test]
    fn web_loopback_redirects_keep_their_port() {
        let registered = list(&["http://127.0.0.1:8080/callback", "http://[::1]/cb"]);
        assert!(matches(
            &registered,
            "http://127.0.0.1:8080/callback",
            false
        ));
        assert!(!matches(
            &registered,
            "http://127.0.0.1:9090/callback",
            false
        ));
        assert!(!matches(&registered, "http://127.0.0.1/callback", false));
        assert!(!matches(&registered, "http://[::1]:5000/cb", false));
    }

    #[test]
    fn native_loopback_ip_redirects_match_any_port() {
        let registered = list(&["http://127.0.0.1/callback", "http://[::1]:8080/cb?x=1"]);
        for presented in [
            "http://127.0.0.1/callback",
            "http://127.0.0.1:1/callback",
            "http://127.0.0.1:51234/callback",
            "http://127.0.0.1:65535/callback",
            "http://[::1]/cb?x=1",
            "http://[::1]:8080/cb?x=1",
            "http://[::1]:49152/cb?x=1",
        ] {
            assert!(matches(&registered, presented, true), "{presented}");
        }
        for presented in [
            // host changes
            "http://127.0.0.2:51234/callback",
            "http://localhost:51234/callback",
            "http://[::1]:51234/callback",
            "http://127.0.0.1.evil.example:51234/callback",
            "http://127.0.0.1:51234@evil.example/callback",
            "http://[0:0:0:0:0:0:0:1]:8080/cb?x=1",
            // scheme
            "https://127.0.0.1:51234/callback",
            // path, query and fragment changes
            "http://127.0.0.1:51234/callback/",
            "http://127.0.0.1:51234/Callback",
            "http://127.0.0.1:51234/callback?x=1",
            "http://127.0.0.1:51234/callback#x",
            "http://127.0.0.1:51234/evil/..;/callback",
            "http://[::1]:49152/cb?x=2",
            "http://[::1]:49152/cb",
            // bad ports
            "http://127.0.0.1:/callback",
            "http://127.0.0.1:0/callback",
            "http://127.0.0.1:65536/callback",
            "http://127.0.0.1:123456/callback",
            "http://127.0.0.1:+80/callback",
            "http://127.0.0.1:\u{ff18}\u{ff10}/callback",
        ] {
            assert!(!matches(&registered, presented, true), "{presented}");
        }
    }

    #[test]
    fn localhost_gets_no_port_exception() {
        let registered = list(&["http://localhost:3000/callback"]);
        assert!(matches(&registered, "http://localhost:3000/callback", true));
        assert!(!matches(
            &registered,
            "http://localhost:3001/callback",
            true
        ));
        assert!(!matches(&registered, "http://localhost/callback", true));
    }

    #[test]
    fn private_use_scheme_matches_exactly() {
        let registered = list(&["com.example.app:/callback"]);
        assert!(matches(&registered, "com.example.app:/callback", true));
        for presented in [
            "com.example.app:/callback/",
            "COM.example.app:/callback",
            "com.example.app://callback",
            "com.example.app:/callback?x=1",
            "com.example.evil:/callback",
        ] {
            assert!(!matches(&registered, presented, true), "{presented}");
        }
    }

    const REGISTERED: [&str; 5] = [
        "https://app.example.com/callback",
        "https://app.example.com/cb?tenant=1",
        "com.example.app:/callback",
        "http://127.0.0.1/native/cb",
        "http://[::1]:8080/cb?x=1",
    ];

    /// Characters that make interesting mutations, plus any character at all.
    fn mutation_char() -> impl Strategy<Value = char> {
        prop_oneof![
            prop::sample::select(vec![
                '/', '.', '@', '%', ':', '?', '#', ';', '&', '=', 'A', 'a', '1', '0', ' ', '\\',
                '\u{430}', '\u{ff0f}', '\u{ff0e}', '\u{200b}',
            ]),
            any::<char>(),
        ]
    }

    /// A registered URI with one character inserted, replaced or removed.
    fn mutated() -> impl Strategy<Value = String> {
        (
            prop::sample::select(REGISTERED.to_vec()),
            any::<prop::sample::Index>(),
            mutation_char(),
            0_u8..3,
        )
            .prop_map(|(uri, index, c, operation)| {
                let mut chars: Vec<char> = uri.chars().collect();
                let at = index.index(chars.len() + 1);
                match operation {
                    0 => chars.insert(at, c),
                    1 if at < chars.len() => chars[at] = c,
                    _ if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ => chars.push(c),
                }
                chars.into_iter().collect()
            })
    }

    fn presented() -> impl Strategy<Value = String> {
        prop_oneof![mutated(), any::<String>(), "[a-z:/.@%?#0-9\\[\\]]{0,40}"]
    }

    /// For a native client, the loopback registrations above match exactly these: the same
    /// host prefix, no port or a port 1–65535 in plain digits, and the same rest.
    fn native_port_variant(presented: &str) -> bool {
        [
            ("http://127.0.0.1", "/native/cb"),
            ("http://[::1]", "/cb?x=1"),
        ]
        .iter()
        .any(|(host, rest)| {
            let Some(after) = presented.strip_prefix(host) else {
                return false;
            };
            let Some(port) = after.strip_suffix(rest) else {
                return false;
            };
            port.is_empty()
                || port.strip_prefix(':').is_some_and(|digits| {
                    !digits.is_empty()
                        && digits.len() <= 5
                        && digits.bytes().all(|b| b.is_ascii_digit())
                        && digits
                            .parse::<u32>()
                            .is_ok_and(|p| (1..=65535).contains(&p))
                })
        })
    }

    proptest! {
        #[test]
        fn web_clients_match_only_registered_strings(presented in presented()) {
            let registered = list(&REGISTERED);
            prop_assert_eq!(
                matches(&registered, &presented, false),
                REGISTERED.contains(&presented.as_str())
            );
        }

        #[test]
        fn native_clients_match_only_registered_strings_or_loopback_ports(
            presented in presented()
        ) {
            let registered = list(&REGISTERED);
            prop_assert_eq!(
                matches(&registered, &presented, true),
                REGISTERED.contains(&presented.as_str()) || native_port_variant(&presented)
            );
        }

        #[test]
        fn native_loopback_any_port_matches(port in 1_u32..=65535, v6 in any::<bool>()) {
            let registered = list(&REGISTERED);
            let presented = if v6 {
                format!("http://[::1]:{port}/cb?x=1")
            } else {
                format!("http://127.0.0.1:{port}/native/cb")
            };
            prop_assert!(matches(&registered, &presented, true));
            prop_assert!(!matches(&registered, &presented, false) || REGISTERED.contains(&presented.as_str()));
        }

        #[test]
        fn registration_never_panics(uri in presented(), native in any::<bool>()) {
            let _ = validate_registration(&uri, native);
        }
    }
}
