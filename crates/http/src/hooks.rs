//! Hooks API: one webhook subscription per event type.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::event::canonical_hook_event_type;
use verity_domain::hook::{Hook, check_url};
use verity_domain::ids::HookId;
use verity_domain::{Environment, FieldErrors, UnixTime};
use verity_store::StoreError;

use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::idempotency::{IdempotencyKey, stored};
use crate::wire::{Fields, JsonBody, ListQuery, json_response};
use crate::{AppState, now, now_millis};

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

fn public_only(state: &AppState, env: Environment) -> bool {
    env == Environment::Production && !state.services.config.allow_private_webhooks
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
    let mut errors = f.errors;
    let event_type = match event_type.as_deref() {
        None => {
            errors.required("EventType");
            None
        }
        Some(raw) => canonical_hook_event_type(raw).or_else(|| {
            errors.add("EventType", format!("The value {raw} is not valid for EventType."));
            None
        }),
    };
    match url.as_deref() {
        None => errors.required("Url"),
        Some(u) => {
            if let Err(e) = check_url(u, public_only(&state, client.environment)) {
                errors.merge(e);
            }
        }
    }
    if tag.as_ref().is_some_and(|t| t.chars().count() > 255) {
        errors.max_len("Tag", 255);
    }
    errors.into_result()?;
    let hook = Hook {
        id: HookId::generate(now_millis(), rand::random()),
        client_id: client.id.clone(),
        event_type: event_type.unwrap_or_default().to_owned(),
        url: url.unwrap_or_default(),
        enabled: true,
        valid: true,
        tag,
        created_at: now(),
    };
    match state.store.insert_hook(&hook).await {
        Err(StoreError::Conflict(verity_store::Conflict::HookEventType)) => {
            let mut e = FieldErrors::new();
            e.add("EventType", "A hook has already been registered for this EventType");
            return Err(ApiError::Params(e));
        }
        other => other?,
    }
    let body = view(&hook);
    if let Some(r) = stored(&idem, StatusCode::OK, &body) {
        // Hooks have their own uniqueness rule, so the response is kept right after.
        state.store.insert_stored_response(&client.id, &r).await?;
    }
    Ok(json_response(StatusCode::OK, &body))
}

async fn load(state: &AppState, client: &verity_domain::Client, id: &str) -> Result<Hook, ApiError> {
    state
        .store
        .hook(&client.id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            resource: "Hook",
            id: id.to_owned(),
        })
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
    Ok(json_response(StatusCode::OK, &view(&load(&state, &client, &id).await?)))
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
    let mut hook = load(&state, &client, &id).await?;
    let mut f = Fields::new(&body.0);
    let url = f.string("Url");
    let tag = f.string("Tag");
    let status = f.one_of("Status", |s| match s {
        "ENABLED" => Some(true),
        "DISABLED" => Some(false),
        _ => None,
    });
    let validity = f.one_of("Validity", |s| (s == "VALID").then_some(true));
    let mut errors = f.errors;
    if let Some(u) = &url {
        if let Err(e) = check_url(u, public_only(&state, client.environment)) {
            errors.merge(e);
        }
        hook.url = u.clone();
    }
    if tag.as_ref().is_some_and(|t| t.chars().count() > 255) {
        errors.max_len("Tag", 255);
    }
    errors.into_result()?;
    if tag.is_some() {
        hook.tag = tag;
    }
    if let Some(enabled) = status {
        hook.enabled = enabled;
    }
    if validity.is_some() {
        hook.valid = true;
    }
    state.store.update_hook(&hook).await?;
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
    let page = state.store.hooks(&client.id, list.page).await?;
    let items: Vec<_> = page.items.iter().map(view).collect();
    let mut response = json_response(StatusCode::OK, &items);
    response.headers_mut().extend(list.headers(
        page.total_items,
        &format!("{}/v2.01/{}/hooks", state.public_url(), client.id),
    ));
    Ok(response)
}
