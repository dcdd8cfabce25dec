//! `POST /api/v1/authorize`: may this subject do that? For resource servers that prefer asking
//! to reading tokens. Until bearer tokens arrive (OIDC issue) the caller is a signed-in session
//! with the CSRF header; a caller may ask about itself, and about anyone else only with
//! `gatehouse:authorize`.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use gatehouse_domain::{DomainError, authorization::capability};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::signed_in;
use crate::{Problem, caller::Caller, input::ApiJson, surface::Halt, text::ShortText};

/// Most capabilities one batch may ask about.
const MAX_BATCH: usize = 100;

/// The question: one `capability`, or a batch of `capabilities`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeBody {
    subject: Uuid,
    #[serde(default)]
    capability: Option<ShortText>,
    #[serde(default)]
    capabilities: Option<Vec<ShortText>>,
    #[serde(default)]
    resource: Option<ShortText>,
}

/// One answer.
#[derive(Debug, Serialize)]
struct Answer {
    capability: String,
    allowed: bool,
    granted_by: Vec<String>,
}

fn refuse(status: StatusCode, code: &'static str, detail: &str) -> Halt {
    Problem::new(status)
        .code(code)
        .detail(detail)
        .into_response()
        .into()
}

fn failed(error: DomainError) -> Halt {
    Problem::from(error).into_response().into()
}

/// Answers allow or deny, with the subject's roles that grant each capability.
pub async fn authorize(
    caller: Caller,
    ApiJson(body): ApiJson<AuthorizeBody>,
) -> Result<Response, Halt> {
    let session = signed_in(&caller)?;
    let authorizer = &caller.state.authorizer;
    if body.subject != session.user.id() {
        let asker = authorizer
            .check(session.user.id(), capability::AUTHORIZE)
            .await
            .map_err(failed)?;
        if !asker.allowed {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "forbidden",
                "asking about other users needs gatehouse:authorize",
            ));
        }
    }
    let batch = body.capabilities.is_some();
    let names: Vec<String> = match (body.capability, body.capabilities) {
        (Some(one), None) => vec![one.into_string()],
        (None, Some(many)) if !many.is_empty() && many.len() <= MAX_BATCH => {
            many.into_iter().map(ShortText::into_string).collect()
        }
        _ => {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "give either `capability` or 1 to 100 `capabilities`",
            ));
        }
    };
    let mut answers = Vec::with_capacity(names.len());
    for name in names {
        let decision = authorizer
            .check(body.subject, &name)
            .await
            .map_err(failed)?;
        answers.push(Answer {
            capability: name,
            allowed: decision.allowed,
            granted_by: decision.granted_by,
        });
    }
    let resource = body.resource.map(ShortText::into_string);
    let response = if batch {
        serde_json::json!({ "subject": body.subject, "resource": resource, "results": answers })
    } else {
        let answer = &answers[0];
        serde_json::json!({ "subject": body.subject, "resource": resource, "capability": answer.capability, "allowed": answer.allowed, "granted_by": answer.granted_by })
    };
    Ok(Json(response).into_response())
}
