//! Where a browser may be sent after signing in (SECURITY.md 3.7.2): only same-site paths.

/// Longest `next` accepted.
const MAX_LENGTH: usize = 2_048;

/// `raw` if it is a same-site path: starts with a single `/`, has no `//`, no backslash (also
/// percent-encoded), no whitespace or control characters (browsers drop tabs and newlines,
/// which could turn `/\t/evil` into `//evil`). Anything else is refused.
pub fn safe_next(raw: &str) -> Option<&str> {
    let lower = raw.to_ascii_lowercase();
    let acceptable = raw.starts_with('/')
        && raw.len() <= MAX_LENGTH
        && !raw.contains("//")
        && !raw.contains('\\')
        && !lower.contains("%5c")
        && !lower.starts_with("/%2f")
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    acceptable.then_some(raw)
}

/// `/sign-in?next=…` for a page that needs a session.
pub fn sign_in_location(path_and_query: &str) -> String {
    match safe_next(path_and_query) {
        Some(next) if next != "/" => {
            let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
            format!("/sign-in?next={encoded}")
        }
        _ => "/sign-in".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_site_paths_are_allowed() {
        for path in [
            "/account",
            "/account/sessions?x=1",
            "/",
            "/a/b#c",
            "/oauth2/authorize?client_id=x&redirect_uri=https%3A%2F%2Fapp",
        ] {
            assert_eq!(safe_next(path), Some(path), "{path}");
        }
    }

    #[test]
    fn other_sites_and_tricks_are_refused() {
        for path in [
            "https://evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%5Cevil.example",
            "/%2F%2Fevil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/a//b",
        ] {
            assert_eq!(safe_next(path), None, "{path:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(3_000))), None);
    }

    #[test]
    fn the_sign_in_location_encodes_next() {
        assert_eq!(
            sign_in_location("/account/sessions"),
            "/sign-in?next=%2Faccount%2Fsessions"
        );
        assert_eq!(sign_in_location("//evil"), "/sign-in");
        assert_eq!(sign_in_location("/"), "/sign-in");
    }
}
