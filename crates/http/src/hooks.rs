//! Hooks API: one webhook subscription per event type.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::UnixTime;
use verity_domain::hook::Hook;
use verity_service::hooks::{HookChange, NewHook};

use crate::AppState;
use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::idempotency::{IdempotencyKey, stored};
use crate::wire::{Fields, JsonBody, ListQuery, json_response};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2.01/{client_id}/hooks", get(list_hooks).post(create_hook))
        .route("/v2.01/{client_id}/hooks/{hook_id}", get(view_hook).put(update_hook))
}

/// The Hook object.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HookView {
    pub url: String,
    #[schema(example = "ENABLED")]
    pub status: &'static str,
    #[schema(example = "VALID")]
    pub validity: &'static str,
    pub event_type: String,
    pub id: String,
    pub tag: Option<String>,
    pub creation_date: UnixTime,
}

/// Body of Create a Hook and Update a Hook.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(examples(json!({"EventType": "IDENTITY_VERIFICATION_VALIDATED", "Url": "https://example.com/hooks/verity"})))]
pub struct HookBody {
    pub event_type: Option<String>,
    pub url: Option<String>,
    pub tag: Option<String>,
    /// Update only: `ENABLED` or `DISABLED`.
    pub status: Option<String>,
    /// Update only: `VALID` re-validates a hook that turned INVALID.
    pub validity: Option<String>,
}

fn view(h: &Hook) -> HookView {
    HookView {
        url: h.url.clone(),
        status: h.status(),
        validity: h.validity(),
        event_type: h.event_type.clone(),
        id: h.id.to_string(),
        tag: h.tag.clone(),
        creation_date: h.created_at,
    }
}

/// Create a Hook. One hook per event type; production clients' hooks must target public addresses.
#[utoipa::path(post, path = "/v2.01/{ClientId}/hooks", tag = "Hooks",
    params(("ClientId" = String, Path)), request_body(content = HookBody), security(("bearer" = [])),
    responses((status = 200, body = HookView), (status = 400, description = "param_error (including a second hook for one EventType)", body = crate::openapi::ErrorBody)))]
pub async fn create_hook(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    idem: Option<Extension<IdempotencyKey>>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let mut f = Fields::new(&body.0);
    let (event_type, url, tag) = (f.string("EventType"), f.string("Url"), f.string("Tag"));
    let new = NewHook {
        event_type,
        url,
        tag,
        invalid: f.errors,
    };
    let hook = state.services.create_hook(&client, new).await?;
    let body = view(&hook);
    if let Some(r) = stored(&idem, StatusCode::OK, &body) {
        // Hooks have their own uniqueness rule, so the response is kept right after.
        state.services.keep_response(&client.id, &r).await?;
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// View a Hook.
#[utoipa::path(get, path = "/v2.01/{ClientId}/hooks/{HookId}", tag = "Hooks",
    params(("ClientId" = String, Path), ("HookId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = HookView), (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn view_hook(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    Ok(json_response(
        StatusCode::OK,
        &view(&state.services.hook(&client.id, &id).await?),
    ))
}

/// Update a Hook: `Url`, `Status`, `Tag`, and `Validity: VALID` to re-validate it.
#[utoipa::path(put, path = "/v2.01/{ClientId}/hooks/{HookId}", tag = "Hooks",
    params(("ClientId" = String, Path), ("HookId" = String, Path)), request_body(content = HookBody), security(("bearer" = [])),
    responses((status = 200, body = HookView), (status = 400, description = "param_error (including an empty body)", body = crate::openapi::ErrorBody), (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn update_hook(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, id)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let mut f = Fields::new(&body.0);
    let url = f.string("Url");
    let tag = f.string("Tag");
    let enabled = f.one_of("Status", |s| match s {
        "ENABLED" => Some(true),
        "DISABLED" => Some(false),
        _ => None,
    });
    let revalidate = f.one_of("Validity", |s| (s == "VALID").then_some(true)).is_some();
    let change = HookChange {
        url,
        tag,
        enabled,
        revalidate,
        invalid: f.errors,
    };
    let hook = state.services.change_hook(&client, &id, change).await?;
    Ok(json_response(StatusCode::OK, &view(&hook)))
}

/// List all Hooks.
#[utoipa::path(get, path = "/v2.01/{ClientId}/hooks", tag = "Hooks",
    params(("ClientId" = String, Path), crate::openapi::Pagination), security(("bearer" = [])),
    responses((status = 200, description = "Hooks, enabled and disabled, with pagination headers", body = Vec<HookView>),
              (status = 400, description = "param_error: bad pagination", body = crate::openapi::ErrorBody)))]
pub async fn list_hooks(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let list = ListQuery::parse(query.as_deref())?;
    let page = state.services.hooks(&client.id, list.page).await?;
    let items: Vec<_> = page.items.iter().map(view).collect();
    let mut response = json_response(StatusCode::OK, &items);
    response.headers_mut().extend(list.headers(
        page.total_items,
        &format!("{}/v2.01/{}/hooks", state.public_url(), client.id),
    ));
    Ok(response)
}
