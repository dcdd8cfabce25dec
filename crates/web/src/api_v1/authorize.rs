//! `POST /api/v1/authorize`: may this subject do that? For resource servers that prefer asking
//! to reading tokens. A user may ask about themself; asking about anyone else needs
//! `gatehouse:authorize` (a service account's token must carry it).

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use gatehouse_domain::authorization::capability;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiError;
use crate::{AppState, Problem, bearer::ApiCaller, input::ApiJson, text::ShortText};

/// Most capabilities one batch may ask about.
const MAX_BATCH: usize = 100;

/// The question: one `capability`, or a batch of `capabilities`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeBody {
    /// The user asked about.
    subject: Uuid,
    /// One capability.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "gatehouse:users.read")]
    capability: Option<ShortText>,
    /// 1 to 100 capabilities.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    capabilities: Option<Vec<ShortText>>,
    /// The resource concerned (echoed).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    resource: Option<ShortText>,
}

/// One answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Answer {
    /// The capability.
    capability: String,
    /// Whether the subject holds it.
    allowed: bool,
    /// The subject's roles that grant it.
    granted_by: Vec<String>,
}

/// The answer: for one `capability`, `capability`/`allowed`/`granted_by`; for a batch,
/// `results`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizeAnswer {
    /// The user asked about.
    subject: Uuid,
    /// The resource, as asked.
    resource: Option<String>,
    /// The capability (single question).
    #[serde(skip_serializing_if = "Option::is_none")]
    capability: Option<String>,
    /// Whether it is held (single question).
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed: Option<bool>,
    /// The roles granting it (single question).
    #[serde(skip_serializing_if = "Option::is_none")]
    granted_by: Option<Vec<String>>,
    /// One answer per capability (batch).
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<Vec<Answer>>,
}

fn refuse(status: StatusCode, code: &'static str, detail: &str) -> ApiError {
    Problem::new(status).code(code).detail(detail).into()
}

/// Answers allow or deny, with the subject's roles that grant each capability.
#[utoipa::path(post, path = "/api/v1/authorize", tag = "authorize", request_body = AuthorizeBody,
    responses((status = 200, description = "The answers", body = AuthorizeAnswer)))]
pub async fn authorize(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(body): ApiJson<AuthorizeBody>,
) -> Result<Response, ApiError> {
    let authorizer = &state.authorizer;
    if caller.principal.user() != Some(body.subject)
        && !caller
            .principal
            .holds(&state, capability::AUTHORIZE)
            .await?
    {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "forbidden",
            "asking about other users needs gatehouse:authorize",
        ));
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
        let decision = authorizer.check(body.subject, &name).await?;
        answers.push(Answer {
            capability: name,
            allowed: decision.allowed,
            granted_by: decision.granted_by,
        });
    }
    let resource = body.resource.map(ShortText::into_string);
    let answer = if batch {
        AuthorizeAnswer {
            subject: body.subject,
            resource,
            capability: None,
            allowed: None,
            granted_by: None,
            results: Some(answers),
        }
    } else {
        let Some(one) = answers.pop() else {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "no capability",
            ));
        };
        AuthorizeAnswer {
            subject: body.subject,
            resource,
            capability: Some(one.capability),
            allowed: Some(one.allowed),
            granted_by: Some(one.granted_by),
            results: None,
        }
    };
    Ok(Json(answer).into_response())
}
