//! The operator's admin API (`/admin/v1`), authenticated with the configured admin token:
//! resolve sessions in REVIEW, downgrade users, inspect and replay webhook deliveries. Off unless
//! `VERITY_ADMIN_TOKEN` is set.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::user::Flavour;
use verity_domain::{ClientId, SessionId, UserId};
use verity_service::lifecycle::Verdict;

use crate::AppState;
use crate::error::ApiError;
use crate::sessions::session_body;
use crate::wire::{Fields, JsonBody, ListQuery, json_response, url_pairs};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/v1/clients/{client_id}/identity-verifications/{session_id}/approve",
            post(approve),
        )
        .route(
            "/admin/v1/clients/{client_id}/identity-verifications/{session_id}/refuse",
            post(refuse),
        )
        .route(
            "/admin/v1/clients/{client_id}/users/{user_id}/downgrade",
            post(downgrade),
        )
        .route(
            "/admin/v1/clients/{client_id}/identity-verifications/{session_id}/redact",
            post(redact),
        )
        .route("/metrics", get(metrics))
        .route("/admin/v1/webhook-deliveries", get(deliveries))
        .route("/admin/v1/webhook-deliveries/{delivery_id}/attempts", get(attempts))
        .route("/admin/v1/webhook-deliveries/{delivery_id}/replay", post(replay))
}

/// Proof that the request carried the admin token.
pub struct Admin;

impl axum::extract::FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(expected) = &state.config.admin_token else {
            return Err(ApiError::Forbidden);
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let same = given.len() == expected.len()
            && given.bytes().zip(expected.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
        if same {
            Ok(Admin)
        } else {
            Err(ApiError::InvalidCredentials)
        }
    }
}

/// Validate a session in REVIEW; its checks are kept as they are.
#[utoipa::path(post, path = "/admin/v1/clients/{ClientId}/identity-verifications/{IdvSessionId}/approve", tag = "Admin (Verity extension)",
    params(("ClientId" = String, Path), ("IdvSessionId" = String, Path)), security(("admin" = [])),
    responses((status = 200, body = crate::sessions::SessionView), (status = 400, description = "invalid_action: not in REVIEW", body = crate::openapi::ErrorBody),
              (status = 404, description = "no such session", body = crate::openapi::ErrorBody),
              (status = 401, body = crate::openapi::ErrorBody), (status = 403, description = "admin API off", body = crate::openapi::ErrorBody)))]
pub async fn approve(
    _: Admin,
    State(state): State<AppState>,
    Path((client, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let session = state
        .services
        .review(&ClientId::from_raw(client), &SessionId::from_raw(id), Verdict::Approve)
        .await?;
    Ok(json_response(StatusCode::OK, &session_body(&state, &session).await?))
}

/// Refuse a session in REVIEW; `Comment` becomes the reason's `Value`.
#[utoipa::path(post, path = "/admin/v1/clients/{ClientId}/identity-verifications/{IdvSessionId}/refuse", tag = "Admin (Verity extension)",
    params(("ClientId" = String, Path), ("IdvSessionId" = String, Path)), request_body(content = RefuseBody), security(("admin" = [])),
    responses((status = 200, body = crate::sessions::SessionView), (status = 400, body = crate::openapi::ErrorBody),
              (status = 404, description = "no such session", body = crate::openapi::ErrorBody), (status = 401, body = crate::openapi::ErrorBody)))]
pub async fn refuse(
    _: Admin,
    State(state): State<AppState>,
    Path((client, id)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let mut f = Fields::new(&body.0);
    let (reason, check, comment) = (f.string("ReasonType"), f.string("CheckType"), f.string("Comment"));
    let mut errors = f.errors;
    if reason.is_none() {
        errors.required("ReasonType");
    }
    if comment.as_deref().is_none_or(|c| c.trim().is_empty()) {
        errors.required("Comment");
    }
    errors.into_result()?;
    let verdict = Verdict::Refuse {
        reason: reason.unwrap_or_default(),
        check,
        comment: comment.unwrap_or_default(),
    };
    let session = state
        .services
        .review(&ClientId::from_raw(client), &SessionId::from_raw(id), verdict)
        .await?;
    Ok(json_response(StatusCode::OK, &session_body(&state, &session).await?))
}

/// What a redaction removed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RedactedView {
    pub id: String,
    pub status: String,
    /// Documents and selfies deleted from the blob store.
    pub files_deleted: usize,
}

/// Erase a session's personal data and images (Verity extension): the entered data, the files,
/// the values read from the document and the evidence details go; the status, the checks'
/// types, statuses and reasons, and the audit trail stay.
#[utoipa::path(post, path = "/admin/v1/clients/{ClientId}/identity-verifications/{IdentityVerificationId}/redact", tag = "Admin (Verity extension)",
    params(("ClientId" = String, Path), ("IdentityVerificationId" = String, Path)), security(("admin" = [])),
    responses((status = 200, body = RedactedView), (status = 404, body = crate::openapi::ErrorBody), (status = 401, body = crate::openapi::ErrorBody)))]
pub async fn redact(
    _: Admin,
    State(state): State<AppState>,
    Path((client, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (session, redacted) = state
        .services
        .redact_session(&ClientId::from_raw(client), &SessionId::from_raw(id.clone()))
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &RedactedView {
            id,
            status: session.status.as_str().to_owned(),
            files_deleted: redacted.files,
        },
    ))
}

/// Downgrade a REGULAR user to LIGHT; its validated sessions become OUT_OF_DATE.
#[utoipa::path(post, path = "/admin/v1/clients/{ClientId}/users/{UserId}/downgrade", tag = "Admin (Verity extension)",
    params(("ClientId" = String, Path), ("UserId" = String, Path)), security(("admin" = [])),
    responses((status = 200, description = "The user, natural or legal", body = crate::users::UserLegacyView), (status = 400, body = crate::openapi::ErrorBody),
              (status = 404, description = "no such user", body = crate::openapi::ErrorBody), (status = 401, body = crate::openapi::ErrorBody)))]
pub async fn downgrade(
    _: Admin,
    State(state): State<AppState>,
    Path((client, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let client = state.services.platform(&ClientId::from_raw(&client)).await?;
    let user = state.services.downgrade_user(&client, &UserId::from_raw(id)).await?;
    Ok(json_response(
        StatusCode::OK,
        &crate::users::render(&state, &user, Flavour::Legacy),
    ))
}

/// Body of a refusal.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RefuseBody {
    /// Refusal reason type, e.g. `DOCUMENT_NOT_ACCEPTED`.
    pub reason_type: String,
    /// The check refused (default: the first check that can give the reason).
    pub check_type: Option<String>,
    /// The reviewer's comment, shown to the platform as the reason's `Value`.
    pub comment: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeliveryView {
    pub id: String,
    pub client_id: String,
    pub hook_id: String,
    pub event_type: String,
    pub resource_id: String,
    pub state: String,
    pub attempts: u32,
    pub next_attempt_date: i64,
    pub creation_date: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AttemptView {
    pub attempt: u32,
    pub date: i64,
    pub duration_ms: u64,
    pub status_code: Option<u16>,
    pub error: Option<String>,
}

/// Prometheus metrics (Verity extension): INVALID hooks, paused deliveries, connection and
/// request limits that bit.
#[utoipa::path(get, path = "/metrics", tag = "Admin (Verity extension)", security(("admin" = [])),
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String),
              (status = 401, body = crate::openapi::ErrorBody), (status = 403, description = "admin API off", body = crate::openapi::ErrorBody)))]
pub async fn metrics(_: Admin, State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = state.services.metrics_text().await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}

/// Webhook deliveries, newest first; filter with `ClientId` and `State` (pending, delivered, failed, cancelled).
#[utoipa::path(get, path = "/admin/v1/webhook-deliveries", tag = "Admin (Verity extension)",
    params(("ClientId" = Option<String>, Query), ("State" = Option<String>, Query), crate::openapi::Pagination), security(("admin" = [])),
    responses((status = 200, body = Vec<DeliveryView>), (status = 401, body = crate::openapi::ErrorBody)))]
pub async fn deliveries(
    _: Admin,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut list = ListQuery::parse(query.as_deref())?;
    list.page.direction = verity_store::SortDirection::Desc;
    let pairs = url_pairs(query.as_deref().unwrap_or(""));
    let find = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let client = find("ClientId").map(ClientId::from_raw);
    let page = state
        .services
        .webhook_deliveries(client.as_ref(), find("State").as_deref(), list.page)
        .await?;
    let items: Vec<_> = page
        .items
        .into_iter()
        .map(|d| DeliveryView {
            id: d.id,
            client_id: d.client_id.to_string(),
            hook_id: d.hook_id,
            event_type: d.event_type,
            resource_id: d.resource_id,
            state: d.state,
            attempts: d.attempts,
            next_attempt_date: d.next_attempt_at,
            creation_date: d.created_at,
        })
        .collect();
    let mut response = json_response(StatusCode::OK, &items);
    response.headers_mut().extend(list.headers(
        page.total_items,
        &format!("{}/admin/v1/webhook-deliveries", state.public_url()),
    ));
    Ok(response)
}

/// The attempts of one delivery.
#[utoipa::path(get, path = "/admin/v1/webhook-deliveries/{DeliveryId}/attempts", tag = "Admin (Verity extension)",
    params(("DeliveryId" = String, Path)), security(("admin" = [])),
    responses((status = 200, body = Vec<AttemptView>), (status = 401, body = crate::openapi::ErrorBody)))]
pub async fn attempts(_: Admin, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let items: Vec<_> = state
        .services
        .delivery_attempts(&id)
        .await?
        .into_iter()
        .map(|a| AttemptView {
            attempt: a.attempt,
            date: a.started_at,
            duration_ms: a.duration_ms,
            status_code: a.http_status,
            error: a.error,
        })
        .collect();
    Ok(json_response(StatusCode::OK, &items))
}

/// Queue a delivery again for an immediate attempt.
#[utoipa::path(post, path = "/admin/v1/webhook-deliveries/{DeliveryId}/replay", tag = "Admin (Verity extension)",
    params(("DeliveryId" = String, Path)), security(("admin" = [])),
    responses((status = 204, description = "Queued"), (status = 404, body = crate::openapi::ErrorBody), (status = 401, body = crate::openapi::ErrorBody)))]
pub async fn replay(_: Admin, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    if !state.services.replay_delivery(&id).await? {
        return Err(ApiError::NotFound {
            resource: "WebhookDelivery",
            id,
        });
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
