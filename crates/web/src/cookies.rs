//! The two cookies Gatehouse sets, both `__Host-` (Secure, Path=/, no Domain), HttpOnly and
//! SameSite=Lax: the session and the CSRF secret.

use axum::{
    http::{HeaderMap, HeaderValue, header},
    response::Response,
};

/// The session cookie: the token `sign_in` returned.
pub const SESSION: &str = "__Host-gatehouse_session";
/// The CSRF cookie: a random value whose MAC forms carry (signed double submit).
pub const CSRF: &str = "__Host-gatehouse_csrf";
/// A sign-in or step-up waiting for its second factor: the challenge token (minutes).
pub const CHALLENGE: &str = "__Host-gatehouse_mfa";

/// The value of cookie `name` in the request, if present and non-empty.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value for `name`; `max_age` in seconds (`None`: until the browser closes).
pub fn set(name: &str, value: &str, max_age: Option<i64>) -> Option<HeaderValue> {
    let age = max_age.map_or_else(String::new, |seconds| format!("; Max-Age={seconds}"));
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax{age}"
    ))
    .ok()
}

/// A `Set-Cookie` value that removes cookie `name`.
pub fn clear(name: &str) -> Option<HeaderValue> {
    set(name, "", Some(0))
}

/// Adds a `Set-Cookie` header to `response`.
pub fn append(response: &mut Response, cookie: Option<HeaderValue>) {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
}

/// The session cookie for `token`, living as long as the session may (`max_age` seconds).
pub fn session(token: &str, max_age: i64) -> Option<HeaderValue> {
    set(SESSION, token, Some(max_age))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static(
                "a=1; __Host-gatehouse_session=tok; x__Host-gatehouse_csrf=no",
            ),
        );
        assert_eq!(read(&headers, SESSION), Some("tok"));
        assert_eq!(read(&headers, CSRF), None);
    }

    #[test]
    fn set_cookies_carry_the_host_prefix_rules() {
        let value = set(SESSION, "tok", Some(60)).unwrap();
        let text = value.to_str().unwrap();
        for part in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=60"] {
            assert!(text.contains(part), "{text}");
        }
        assert!(!text.contains("Domain"));
        assert!(
            clear(SESSION)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }
}
