//! Request bodies decoded at the edge: forms for pages, JSON for the twin. A body that cannot
//! be decoded (malformed, wrong type, a field too long, the wrong media type) is refused with
//! 4xx — a page or a problem — before any handler runs; never a 500.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

use crate::{
    AppState,
    account::message,
    error::{FieldProblem, Problem},
    i18n::Language,
    text::TOO_LONG,
};

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// 400, 413, 415 or 422.
    pub status: StatusCode,
    /// A stable code.
    pub code: &'static str,
    /// The field at fault, if known.
    pub field: Option<String>,
    /// What went wrong (English, for developers).
    pub detail: String,
}

impl InputError {
    fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            field: None,
            detail: detail.into(),
        }
    }

    /// The catalogue key for people.
    fn key(&self) -> &'static str {
        match self.code {
            "too_long" => "error.too_long",
            "body_too_large" => "error.body_too_large",
            "invalid_field" => "error.invalid_field",
            _ => "error.unreadable_form",
        }
    }

    /// As problem+json.
    pub fn problem(&self, lang: Language) -> Problem {
        let message = lang.t(self.key()).to_owned();
        let problem = Problem::new(self.status)
            .code(self.code)
            .detail(self.detail.clone());
        match &self.field {
            Some(field) => problem.field_error(FieldProblem {
                field: field.clone(),
                code: self.code,
                message,
            }),
            None => problem,
        }
    }
}

fn media_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map_or("", str::trim)
}

/// The field a decoding error names: its path, or the field in "missing field `x`".
fn field_of(path: &serde_path_to_error::Path, message: &str) -> Option<String> {
    let path = path.to_string();
    if path != "." && !path.is_empty() {
        return Some(path);
    }
    let (_, rest) = message.split_once("missing field `")?;
    rest.split('`').next().map(str::to_owned)
}

fn data_error(field: Option<String>, message: String) -> InputError {
    let code = if message.starts_with(TOO_LONG) {
        "too_long"
    } else {
        "invalid_field"
    };
    InputError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        field,
        detail: message,
    }
}

/// Decodes a JSON body: an object (every body here is a struct, and serde would fill a
/// struct from an array too, field by field in order, which no client means).
pub fn decode_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<T, InputError> {
    let media = media_type(headers);
    if !(media == "application/json"
        || (media.starts_with("application/") && media.ends_with("+json")))
    {
        return Err(InputError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/json",
        ));
    }
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
        return Err(data_error(
            None,
            "invalid type: array, expected a JSON object".to_owned(),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = field_of(error.path(), &error.inner().to_string());
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => data_error(field, inner.to_string()),
            _ => InputError::new(StatusCode::BAD_REQUEST, "malformed_json", inner.to_string()),
        }
    })?;
    deserializer.end().map_err(|error| {
        InputError::new(StatusCode::BAD_REQUEST, "malformed_json", error.to_string())
    })?;
    Ok(value)
}

/// Decodes an `application/x-www-form-urlencoded` body.
pub fn decode_form<T: DeserializeOwned>(
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<T, InputError> {
    if media_type(headers) != "application/x-www-form-urlencoded" {
        return Err(InputError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send a form",
        ));
    }
    // `form_urlencoded::parse` replaces bytes that are not UTF-8; refuse them instead, so a
    // mangled value can never become a password or an address.
    if !is_strict_utf8_form(bytes) {
        return Err(InputError::new(
            StatusCode::BAD_REQUEST,
            "invalid_encoding",
            "the form is not valid UTF-8",
        ));
    }
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = field_of(error.path(), &error.inner().to_string());
        data_error(field, error.into_inner().to_string())
    })
}

/// True when every name and value of the form body percent-decodes to valid UTF-8.
fn is_strict_utf8_form(bytes: &[u8]) -> bool {
    bytes
        .split(|byte| matches!(byte, b'&' | b'='))
        .all(|part| std::str::from_utf8(&percent_decode(part)).is_ok())
}

/// Decodes `+` and `%XX` as browsers encode forms; other bytes (and a stray `%`) stay as they are.
fn percent_decode(part: &[u8]) -> Vec<u8> {
    let hex = |byte: u8| {
        (byte as char)
            .to_digit(16)
            .and_then(|digit| u8::try_from(digit).ok())
    };
    let mut decoded = Vec::with_capacity(part.len());
    let mut index = 0;
    while index < part.len() {
        let escaped = (part[index] == b'%')
            .then(|| Some((hex(*part.get(index + 1)?)?, hex(*part.get(index + 2)?)?)))
            .flatten();
        match (part[index], escaped) {
            (_, Some((high, low))) => {
                decoded.push(high * 16 + low);
                index += 3;
            }
            (b'+', None) => {
                decoded.push(b' ');
                index += 1;
            }
            (byte, None) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    decoded
}

async fn body(request: Request) -> Result<(HeaderMap, Bytes), InputError> {
    let headers = request.headers().clone();
    let bytes = Bytes::from_request(request, &())
        .await
        .map_err(|rejection| {
            InputError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                rejection.body_text(),
            )
        })?;
    Ok((headers, bytes))
}

/// A JSON body for the twin; refusals are problems.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, _state: &AppState) -> Result<Self, Response> {
        let lang = Language::negotiate(None, request.headers());
        let (headers, bytes) = body(request)
            .await
            .map_err(|error| error.problem(lang).into_response())?;
        decode_json(&headers, &bytes)
            .map(Self)
            .map_err(|error| error.problem(lang).into_response())
    }
}

/// A form body for a page; refusals are pages.
#[derive(Debug, Clone)]
pub struct PageForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let lang = Language::negotiate(None, request.headers());
        let refuse = |error: InputError| {
            tracing::info!(
                code = error.code,
                field = error.field.as_deref().unwrap_or(""),
                "form refused"
            );
            message::input_page(&state.site, lang, error.status, error.key())
        };
        let (headers, bytes) = body(request).await.map_err(refuse)?;
        decode_form(&headers, &bytes).map(Self).map_err(refuse)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use serde::Deserialize;

    use super::*;
    use crate::text::Text;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        email: Text<10>,
        #[serde(default)]
        name: Option<Text<5>>,
    }

    fn headers(content_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers
    }

    fn json(body: &[u8]) -> Result<Body, InputError> {
        decode_json(&headers("application/json"), body)
    }

    #[test]
    fn well_formed_json_decodes() {
        let body = json(br#"{"email":"a@b.cd","name":"Ada"}"#).unwrap();
        assert_eq!(body.email.as_str(), "a@b.cd");
        assert_eq!(body.name.unwrap().as_str(), "Ada");
    }

    #[test]
    fn bad_json_is_a_client_error_naming_the_field() {
        assert_eq!(json(b"{\"email\":").unwrap_err().code, "malformed_json");
        assert_eq!(
            json(b"{\"email\":\"a\"} trailing").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            json(b"{\"email\":\"\xff\xfe\"}").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        let long = json(br#"{"email":"aaaaaaaaaaaaaaaaaaaa"}"#).unwrap_err();
        assert_eq!(
            (long.status, long.code, long.field.as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, "too_long", Some("email"))
        );
        let missing = json(b"{}").unwrap_err();
        assert_eq!(
            (missing.code, missing.field.as_deref()),
            ("invalid_field", Some("email"))
        );
        let wrong_type = json(br#"{"email":5}"#).unwrap_err();
        assert_eq!(wrong_type.field.as_deref(), Some("email"));
        // serde would take an array for the struct, field by field.
        for body in [&br#"["a@b.cd", "Ada"]"#[..], b" \n[]", b"[null, null]"] {
            let array = json(body).unwrap_err();
            assert_eq!(
                (array.status, array.code),
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
            );
        }
        for body in [&b"null"[..], b"\"a@b.cd\"", b"5"] {
            assert!(json(body).unwrap_err().status.is_client_error());
        }
        let unknown = json(br#"{"email":"a","admin":true}"#).unwrap_err();
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        let media = decode_json::<Body>(&headers("text/plain"), b"{}").unwrap_err();
        assert_eq!(media.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[test]
    fn forms_decode_and_refuse_long_fields() {
        let form = headers("application/x-www-form-urlencoded");
        let body: Body = decode_form(&form, b"email=a%40b.cd").unwrap();
        assert_eq!(body.email.as_str(), "a@b.cd");
        let long = decode_form::<Body>(&form, b"email=aaaaaaaaaaaaaaaaaaaaaa").unwrap_err();
        assert_eq!(
            (long.code, long.field.as_deref()),
            ("too_long", Some("email"))
        );
        for body in [
            &b"email=%ff%fe"[..],
            b"email=a\xffb",
            b"em%C3%28ail=x",
            b"email=%C3%28",
        ] {
            let refused = decode_form::<Body>(&form, body).unwrap_err();
            assert_eq!(
                (refused.status, refused.code),
                (StatusCode::BAD_REQUEST, "invalid_encoding")
            );
        }
        let unicode: Body = decode_form(&form, b"email=%C3%BC%40b.cd").unwrap();
        assert_eq!(unicode.email.as_str(), "ü@b.cd");
    }
}
