//! `Idempotency-Key` on POST requests, and `GET /responses/{Key}`.
//!
//! A key can be used once in 24 hours. A successful create stores its response in the same
//! transaction as the object it created (handlers pass [`IdempotencyKey::response`] to the
//! store), so a crash can never leave an object without its response or the reverse. Refused
//! requests store their error response here, after the handler.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde::Serialize;
use serde_json::Value;
use verity_domain::FieldErrors;
use verity_service::ServiceError;
use verity_store::{StoreError, StoredResponse};

use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::wire::json_response;
use crate::{AppState, now};

/// How long a key blocks reuse and its response can be fetched.
pub const KEY_LIFETIME_SECONDS: i64 = verity_service::access::IDEMPOTENCY_KEY_LIFETIME;

/// The validated key of the current POST, with the URL it was sent to.
#[derive(Clone, Debug)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_url: String,
}

impl IdempotencyKey {
    /// The response to store with the object a handler creates.
    pub fn response(&self, status: StatusCode, body: &impl Serialize) -> StoredResponse {
        StoredResponse {
            key: self.key.clone(),
            created_at: now(),
            status_code: status.as_u16(),
            content_type: "application/json; charset=utf-8".into(),
            body: serde_json::to_string(body).unwrap_or_default(),
            request_url: self.request_url.clone(),
        }
    }
}

/// The stored response for an optional key.
pub fn stored(
    key: &Option<Extension<IdempotencyKey>>,
    status: StatusCode,
    body: &impl Serialize,
) -> Option<StoredResponse> {
    key.as_ref().map(|k| k.response(status, body))
}

fn valid_key(key: &str) -> bool {
    (16..=36).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub async fn middleware(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    mut req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get("idempotency-key") else {
        return next.run(req).await;
    };
    let key = match raw.to_str() {
        Ok(k) if valid_key(k) => k.to_owned(),
        _ => {
            let mut e = FieldErrors::new();
            e.add(
                "Idempotency-Key",
                "The Idempotency-Key must be 16 to 36 characters: letters, digits and '-'.",
            );
            return crate::wire::refuse_unread(req, ApiError::Params(e).into_response()).await;
        }
    };
    match state.services.idempotency_key_in_use(&client.id, &key).await {
        Ok(true) => return crate::wire::refuse_unread(req, ApiError::IdempotencyConflict.into_response()).await,
        Ok(false) => {}
        Err(e) => return crate::wire::refuse_unread(req, ApiError::from(e).into_response()).await,
    }
    let request_url = format!(
        "{}{}",
        state.public_url(),
        req.uri().path_and_query().map_or("", |p| p.as_str())
    );
    let idem = IdempotencyKey { key, request_url };
    req.extensions_mut().insert(idem.clone());
    let response = next.run(req).await;
    let status = response.status();
    // Successful creates stored their response themselves; a refusal is stored here, so a
    // retry with the same key is answered 409 whatever the first outcome was.
    if !status.is_client_error() || status == StatusCode::CONFLICT || status == StatusCode::TOO_MANY_REQUESTS {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::wire::JSON_BODY_LIMIT).await else {
        return ApiError::internal("unreadable error response").into_response();
    };
    let record = StoredResponse {
        key: idem.key,
        created_at: now(),
        status_code: status.as_u16(),
        content_type: parts
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        request_url: idem.request_url,
    };
    match state.services.keep_response(&client.id, &record).await {
        Ok(()) | Err(ServiceError::Store(StoreError::Conflict(_))) => Response::from_parts(parts, Body::from(bytes)),
        Err(e) => ApiError::from(e).into_response(),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/v2.01/{client_id}/responses/{key}", get(view_response))
}

/// The API Response object.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ApiResponseView {
    pub status_code: String,
    pub content_length: String,
    pub content_type: String,
    /// HTTP date of the original response.
    pub date: String,
    #[serde(rename = "RequestURL")]
    pub request_url: String,
    /// The original response body.
    #[schema(value_type = Object)]
    pub resource: Value,
}

/// View the response of an idempotent request.
#[utoipa::path(
    get, path = "/v2.01/{ClientId}/responses/{IdempotencyKey}", tag = "Idempotency",
    params(("ClientId" = String, Path), ("IdempotencyKey" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ApiResponseView),
        (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody),
    )
)]
pub async fn view_response(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let found = state
        .services
        .stored_response(&client.id, &key)
        .await?
        .ok_or(ApiError::NotFound {
            resource: "ApiResponse",
            id: key,
        })?;
    let view = ApiResponseView {
        status_code: found.status_code.to_string(),
        content_length: found.body.len().to_string(),
        content_type: found.content_type,
        date: httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(found.created_at.max(0) as u64),
        ),
        request_url: found.request_url,
        resource: serde_json::from_str(&found.body).unwrap_or(Value::String(found.body)),
    };
    Ok(json_response(StatusCode::OK, &view))
}
