//! CSRF defence for every state-changing request (SECURITY.md 3.5): signed double submit. The
//! browser holds a random value in the `__Host-gatehouse_csrf` cookie; forms and scripts send
//! `HMAC(tokens key, value)` as the `csrf_token` field (of a form or of a `multipart/form-data`
//! upload) or the `X-CSRF-Token` header. Another site can neither read the cookie nor compute
//! the MAC, so it cannot forge the pair.

use axum::{
    body::{Body, Bytes},
    extract::{FromRequest, Multipart, Request, State},
    http::{HeaderMap, HeaderValue, Method, header},
    middleware::Next,
    response::Response,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use gatehouse_domain::{
    DomainError,
    secrets::{DataKey, purpose, random_bytes},
};

use crate::{AppState, cookies, surface};

/// The header scripts send the token in.
pub const HEADER: &str = "x-csrf-token";
/// The form field pages send the token in.
pub const FIELD: &str = "csrf_token";
/// Bound into every MAC so a CSRF token is never valid as anything else.
const LABEL: &[u8] = b"gatehouse csrf\0";
/// Length of a cookie value: base64url of 32 random bytes.
const VALUE_LENGTH: usize = 43;

/// Something that computes and checks MACs (the keyring's `tokens` data key).
pub trait MacKey {
    /// HMAC over the concatenation of `parts`.
    fn mac(&self, parts: &[&[u8]]) -> Vec<u8>;
    /// Checks a MAC in constant time.
    fn verify_mac(&self, parts: &[&[u8]], mac: &[u8]) -> bool;
}

impl MacKey for DataKey {
    fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        DataKey::mac(self, parts)
    }

    fn verify_mac(&self, parts: &[&[u8]], mac: &[u8]) -> bool {
        DataKey::verify_mac(self, parts, mac)
    }
}

/// The token a form or script must send back, and the cookie to set if the browser had none.
#[derive(Debug, Clone)]
pub struct CsrfToken {
    /// The value for `csrf_token` / `X-CSRF-Token`.
    pub token: String,
    /// `Set-Cookie` for a new CSRF cookie.
    pub set_cookie: Option<HeaderValue>,
}

/// The token for cookie value `value`.
pub fn token_for(key: &impl MacKey, value: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.mac(&[LABEL, value.as_bytes()]))
}

/// Whether `token` is the token for cookie value `value`.
pub fn verify(key: &impl MacKey, value: &str, token: &str) -> bool {
    is_cookie_value(value)
        && URL_SAFE_NO_PAD
            .decode(token.trim())
            .is_ok_and(|mac| key.verify_mac(&[LABEL, value.as_bytes()], &mac))
}

fn is_cookie_value(value: &str) -> bool {
    value.len() == VALUE_LENGTH
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// The token for this browser's CSRF cookie, making a new cookie when it has none.
pub async fn issue(state: &AppState, headers: &HeaderMap) -> Result<CsrfToken, DomainError> {
    let key = state.accounts.keyring.key(purpose::TOKENS).await?;
    if let Some(value) =
        cookies::read(headers, cookies::CSRF).filter(|value| is_cookie_value(value))
    {
        return Ok(CsrfToken {
            token: token_for(&*key, value),
            set_cookie: None,
        });
    }
    let mut bytes = [0_u8; 32];
    random_bytes(&mut bytes)?;
    let value = URL_SAFE_NO_PAD.encode(bytes);
    Ok(CsrfToken {
        token: token_for(&*key, &value),
        set_cookie: cookies::set(cookies::CSRF, &value, None),
    })
}

fn changes_state(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"))
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"))
}

/// The `csrf_token` part of a buffered `multipart/form-data` body (a file upload form), if any.
async fn multipart_token(headers: &HeaderMap, body: Bytes) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE)?.clone();
    let request = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .ok()?;
    let mut multipart = Multipart::from_request(request, &()).await.ok()?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

/// Middleware: refuses (403) every state-changing request without a valid token, before the
/// handler runs. Form and upload bodies are read to find `csrf_token` and handed on unchanged.
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !changes_state(request.method()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let header_token = parts
        .headers
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let (token, body) = match header_token {
        Some(token) => (Some(token), body),
        None if is_form(&parts.headers) || is_multipart(&parts.headers) => {
            match axum::body::to_bytes(body, usize::MAX).await {
                Ok(bytes) if is_multipart(&parts.headers) => (
                    multipart_token(&parts.headers, bytes.clone()).await,
                    Body::from(bytes),
                ),
                Ok(bytes) => {
                    let token = form_urlencoded::parse(&bytes)
                        .find(|(name, _)| name == FIELD)
                        .map(|(_, value)| value.into_owned());
                    (token, Body::from(bytes))
                }
                Err(_) => return surface::body_too_large(&state, &parts),
            }
        }
        None => (None, body),
    };
    let cookie = cookies::read(&parts.headers, cookies::CSRF);
    let (Some(cookie), Some(token)) = (cookie, token) else {
        return surface::csrf_rejected(&state, &parts);
    };
    match state.accounts.keyring.key(purpose::TOKENS).await {
        Ok(key) if verify(&*key, cookie, &token) => {
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(_) => surface::csrf_rejected(&state, &parts),
        Err(error) => surface::domain_failure(&state, &parts, error),
    }
}

#[cfg(test)]
mod tests {
    use gatehouse_domain::secrets::sha256;

    use super::*;

    /// A stand-in MAC (the real one is the keyring's HMAC-SHA-256 data key).
    struct TestKey(&'static [u8]);

    impl MacKey for TestKey {
        fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
            sha256(&[self.0, &parts.concat()].concat())
        }

        fn verify_mac(&self, parts: &[&[u8]], mac: &[u8]) -> bool {
            self.mac(parts) == mac
        }
    }

    const VALUE: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn the_token_for_the_cookie_verifies() {
        let key = TestKey(b"one");
        let token = token_for(&key, VALUE);
        assert!(verify(&key, VALUE, &token));
        assert!(verify(&key, VALUE, &format!(" {token} ")));
    }

    #[test]
    fn wrong_missing_or_foreign_tokens_fail() {
        let key = TestKey(b"one");
        let token = token_for(&key, VALUE);
        let other_value = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
        assert!(
            !verify(&key, other_value, &token),
            "token of another cookie"
        );
        assert!(
            !verify(&TestKey(b"two"), VALUE, &token),
            "token under another key"
        );
        assert!(!verify(&key, VALUE, ""), "empty token");
        assert!(!verify(&key, VALUE, "not base64 !"), "garbage token");
        assert!(!verify(&key, VALUE, VALUE), "the cookie value itself");
        assert!(
            !verify(&key, "short", &token_for(&key, "short")),
            "malformed cookie"
        );
    }

    #[test]
    fn only_safe_methods_skip_the_check() {
        for method in [Method::POST, Method::PATCH, Method::DELETE, Method::PUT] {
            assert!(changes_state(&method), "{method}");
        }
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(!changes_state(&method), "{method}");
        }
    }
}
