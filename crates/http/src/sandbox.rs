//! Sandbox test helpers (a Verity extension): script a session's outcome, expire it, downgrade a
//! user, without a browser. Sandbox clients only; production clients get 403.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use verity_domain::sandbox::{Directive, REASONS};
use verity_domain::session::{Check, TypedValue};
use verity_domain::user::Flavour;
use verity_domain::{Client, Environment, FieldErrors, SessionId, SessionStatus, UserId};
use verity_service::sandbox::Forced;

use crate::AppState;
use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::sessions::session_body;
use crate::wire::{Fields, JsonBody, json_response};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v2.01/{client_id}/sandbox/identity-verifications/{session_id}/outcome",
            post(force_outcome),
        )
        .route(
            "/v2.01/{client_id}/sandbox/identity-verifications/{session_id}/expire",
            post(expire),
        )
        .route("/v2.01/{client_id}/sandbox/users/{user_id}/downgrade", post(downgrade))
}

fn sandbox_only(client: &Client) -> Result<(), ApiError> {
    if client.environment == Environment::Sandbox {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Body of the force-outcome helper.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(examples(json!({"Status": "REFUSED", "RefusedReasonType": "DOCUMENT_UNREADABLE"})))]
pub struct OutcomeBody {
    /// `VALIDATED`, `REFUSED` or `REVIEW`.
    pub status: String,
    /// For `REFUSED` without `Checks`: the refusal reason type.
    pub refused_reason_type: Option<String>,
    /// For `REFUSED` without `Checks`: the check that refuses (default: the first that can give the reason).
    pub check_type: Option<String>,
    /// Checks to report exactly, instead of the generated ones: `[{Type, CheckStatus, Reasons, Data}]`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub checks: Option<Value>,
}

fn typed_values(f: &mut Fields, key: &str, errors: &mut FieldErrors) -> Vec<TypedValue> {
    let Some(Value::Array(items)) = f_value(f, key) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(
            |item| match (item.get("Type").and_then(Value::as_str), item.get("Value")) {
                (Some(t), Some(Value::String(v))) => Some(TypedValue {
                    kind: t.to_owned(),
                    value: Some(v.clone()),
                }),
                (Some(t), None | Some(Value::Null)) => Some(TypedValue {
                    kind: t.to_owned(),
                    value: None,
                }),
                _ => {
                    errors.add(
                        format!("Checks.{key}"),
                        "Each entry needs a string Type and a string or null Value.",
                    );
                    None
                }
            },
        )
        .collect()
}

fn f_value(f: &Fields, key: &str) -> Option<Value> {
    f.raw(key).cloned()
}

fn explicit_checks(raw: &Value, now: i64) -> Result<Vec<Check>, ApiError> {
    let mut errors = FieldErrors::new();
    let Value::Array(items) = raw else {
        return Err(ApiError::param("Checks", "Checks must be an array."));
    };
    let mut checks = Vec::new();
    for item in items {
        let Value::Object(map) = item else {
            errors.add("Checks", "Each check must be an object.");
            continue;
        };
        let mut f = Fields::new(map);
        let kind = f.string("Type");
        let status = f.one_of("CheckStatus", |s| {
            matches!(s, "VALIDATED" | "REFUSED").then(|| s.to_owned())
        });
        let reasons = typed_values(&mut f, "Reasons", &mut errors);
        let data = typed_values(&mut f, "Data", &mut errors);
        errors.merge(f.errors);
        match kind {
            Some(k) if REASONS.iter().any(|(t, _)| *t == k) => checks.push(Check {
                id: verity_service::new_id("idnchc_"),
                kind: k,
                status: status.unwrap_or_else(|| "VALIDATED".into()),
                reasons,
                data,
                created_at: now,
                updated_at: now,
            }),
            Some(k) => errors.add("Checks.Type", format!("Unknown check type {k}.")),
            None => errors.required("Checks.Type"),
        }
    }
    errors.into_result()?;
    Ok(checks)
}

/// Force a sandbox session's outcome now, with generated or chosen checks, reasons and data.
#[utoipa::path(post, path = "/v2.01/{ClientId}/sandbox/identity-verifications/{IdvSessionId}/outcome", tag = "Sandbox (Verity extension)",
    params(("ClientId" = String, Path), ("IdvSessionId" = String, Path)), request_body(content = OutcomeBody), security(("bearer" = [])),
    responses((status = 200, body = crate::sessions::SessionView),
              (status = 400, description = "param_error, or invalid_action when the state machine refuses the transition", body = crate::openapi::ErrorBody),
              (status = 403, description = "forbidden_ressource: not a sandbox client", body = crate::openapi::ErrorBody),
              (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn force_outcome(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, id)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    sandbox_only(&client)?;
    let mut f = Fields::new(&body.0);
    let status = f.one_of("Status", |s| match s {
        "VALIDATED" => Some(SessionStatus::Validated),
        "REFUSED" => Some(SessionStatus::Refused),
        "REVIEW" => Some(SessionStatus::Review),
        _ => None,
    });
    let reason = f.string("RefusedReasonType");
    let check = f.string("CheckType");
    let raw_checks = f.raw("Checks").cloned();
    let mut errors = std::mem::take(&mut f.errors);
    let Some(status) = status else {
        if !errors.contains("Status") {
            errors.required("Status");
        }
        return Err(ApiError::Params(errors));
    };
    errors.into_result()?;
    let explicit = raw_checks.map(|c| explicit_checks(&c, crate::now())).transpose()?;
    let forced = match (status, explicit) {
        (status, Some(checks)) => Forced::Checks { status, checks },
        (SessionStatus::Validated, None) => Forced::Directive(Directive::Accept),
        (SessionStatus::Review, None) => Forced::Directive(Directive::Review),
        (_, None) => match reason {
            Some(r) => Forced::Directive(
                Directive::refuse(&r, check.as_deref()).map_err(|m| ApiError::param("RefusedReasonType", m))?,
            ),
            None => {
                return Err(ApiError::param(
                    "RefusedReasonType",
                    "The RefusedReasonType field is required to refuse without Checks.",
                ));
            }
        },
    };
    let session = state
        .services
        .force_outcome(&client, &SessionId::from_raw(&id), forced)
        .await?;
    Ok(json_response(StatusCode::OK, &session_body(&state, &session).await?))
}

/// Expire a PENDING sandbox session now.
#[utoipa::path(post, path = "/v2.01/{ClientId}/sandbox/identity-verifications/{IdvSessionId}/expire", tag = "Sandbox (Verity extension)",
    params(("ClientId" = String, Path), ("IdvSessionId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = crate::sessions::SessionView), (status = 400, body = crate::openapi::ErrorBody),
              (status = 403, body = crate::openapi::ErrorBody), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn expire(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    sandbox_only(&client)?;
    let session = state
        .services
        .force_outcome(&client, &SessionId::from_raw(&id), Forced::Expire)
        .await?;
    Ok(json_response(StatusCode::OK, &session_body(&state, &session).await?))
}

/// Downgrade a sandbox user: KYC level LIGHT, validated sessions OUT_OF_DATE.
#[utoipa::path(post, path = "/v2.01/{ClientId}/sandbox/users/{UserId}/downgrade", tag = "Sandbox (Verity extension)",
    operation_id = "sandbox_downgrade",
    params(("ClientId" = String, Path), ("UserId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The user (legacy shape)", body = crate::users::UserLegacyView),
              (status = 400, description = "invalid_action: the user is not REGULAR", body = crate::openapi::ErrorBody),
              (status = 403, body = crate::openapi::ErrorBody), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn downgrade(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    sandbox_only(&client)?;
    let user = state.services.downgrade_user(&client, &UserId::from_raw(&id)).await?;
    Ok(json_response(
        StatusCode::OK,
        &crate::users::render(&state, &user, Flavour::Legacy),
    ))
}
