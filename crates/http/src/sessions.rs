//! IDV session endpoints: create, view, list for a user, and the beta checks view.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::session::{Check, NewSession, TypedValue};
use verity_domain::{IdvSession, SessionId, UnixTime, UserId};

use crate::AppState;
use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::idempotency::{IdempotencyKey, stored};
use crate::wire::{Fields, JsonBody, ListQuery, json_response};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v2.01/{client_id}/users/{user_id}/identity-verifications",
            get(list_sessions).post(create_session),
        )
        .route(
            "/v2.01/{client_id}/identity-verifications/{session_id}",
            get(view_session),
        )
        .route(
            "/v2.01/{client_id}/identity-verifications/{session_id}/checks",
            get(view_checks_beta),
        )
}

/// Request body of Create an IDV Session.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(examples(json!({"ReturnUrl": "https://example.com/back", "Tag": "order 42", "SessionLanguage": "fr-FR"})))]
pub struct CreateSessionBody {
    /// Absolute http(s) URL, at most 500 characters; the user is sent there at the end.
    pub return_url: String,
    /// At most 255 characters.
    pub tag: Option<String>,
    /// `de-DE`, `en-US`, `es-ES`, `fr-FR`, `it-IT`, `nl-NL`, `pt-PT` or `zh-Hans-CN`: the hosted
    /// pages open in it (`lng` on `HostedUrl`); the person can still change it.
    pub session_language: Option<String>,
}

/// The create response: exactly the fields Mangopay returns on creation.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CreatedSessionView {
    pub id: String,
    pub tag: Option<String>,
    pub creation_date: UnixTime,
    pub hosted_url: String,
    #[schema(example = "PENDING")]
    pub status: &'static str,
    pub return_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct TypedValueView {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Value")]
    pub value: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CheckView {
    pub check_id: String,
    #[serde(rename = "Type")]
    pub kind: String,
    pub check_status: String,
    pub reasons: Vec<TypedValueView>,
    pub creation_date: UnixTime,
    pub last_update: UnixTime,
    pub data: Vec<TypedValueView>,
}

/// The full IDV Session object.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SessionView {
    pub id: String,
    pub tag: Option<String>,
    pub hosted_url: String,
    pub return_url: String,
    pub status: &'static str,
    pub user_id: String,
    pub creation_date: UnixTime,
    pub last_update: UnixTime,
    pub checks: Vec<CheckView>,
    /// The Persons of Significant Control declared in this session (the PSC flow); empty
    /// otherwise.
    #[serde(rename = "PSCs")]
    pub pscs: Vec<crate::pscs::PscView>,
}

/// One entry of List IDV Sessions for a User.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SessionSummaryView {
    pub id: String,
    pub status: &'static str,
    pub creation_date: UnixTime,
    /// `null` while the session never changed after creation.
    pub last_update: Option<UnixTime>,
}

/// The removed beta "View Checks" shape, kept for SDK versions of early 2025.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BetaChecksView {
    pub session_id: String,
    pub status: &'static str,
    pub creation_date: UnixTime,
    pub last_update: UnixTime,
    pub checks: Vec<BetaCheckView>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BetaCheckView {
    pub check_id: String,
    #[serde(rename = "Type")]
    pub kind: String,
    pub check_status: String,
    pub creation_date: UnixTime,
    pub last_update: UnixTime,
    pub data: Vec<TypedValueView>,
}

fn values(v: &[TypedValue]) -> Vec<TypedValueView> {
    v.iter()
        .map(|t| TypedValueView {
            kind: t.kind.clone(),
            value: t.value.clone(),
        })
        .collect()
}

fn check_view(c: &Check) -> CheckView {
    CheckView {
        check_id: c.id.clone(),
        kind: c.kind.clone(),
        check_status: c.status.clone(),
        reasons: values(&c.reasons),
        creation_date: c.created_at,
        last_update: c.updated_at,
        data: values(&c.data),
    }
}

/// The full session object, with the PSCs it declared.
pub async fn session_body(state: &AppState, s: &IdvSession) -> Result<SessionView, ApiError> {
    // Other sessions have none: no need to ask the database.
    let pscs = if s.flow.declares_pscs() {
        let declared = state.services.pscs_declared_in(&s.client_id, &s.id).await?;
        crate::pscs::psc_views(state, &s.client_id, &declared).await?
    } else {
        Vec::new()
    };
    Ok(session_view(state, s, pscs))
}

fn session_view(state: &AppState, s: &IdvSession, pscs: Vec<crate::pscs::PscView>) -> SessionView {
    SessionView {
        id: s.id.to_string(),
        tag: s.tag.clone(),
        hosted_url: s.hosted_url(state.public_url()),
        return_url: s.return_url.clone(),
        status: s.status.as_str(),
        user_id: s.user_id.to_string(),
        creation_date: s.created_at,
        last_update: s.updated_at.unwrap_or(s.created_at),
        checks: s.checks.iter().map(check_view).collect(),
        pscs,
    }
}

/// Create an IDV Session for a user.
#[utoipa::path(post, path = "/v2.01/{ClientId}/users/{UserId}/identity-verifications", tag = "IDV Sessions",
    params(("ClientId" = String, Path), ("UserId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = CreateSessionBody),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CreatedSessionView),
        (status = 400, description = "param_error (ReturnUrl, Tag, UserId is not valid) or invalid_action (not OWNER, PARTNERSHIP)", body = crate::openapi::ErrorBody),
        (status = 403, description = "Hosted IDV not activated for this client (RFC 7807 body), or forbidden_ressource: a sandbox Tag directive from a production client", content(
            (crate::openapi::ProblemBody = "application/problem+json"),
            (crate::openapi::ErrorBody = "application/json"),
        )),
        (status = 409, description = "idempotent_creation_conflict", body = crate::openapi::ErrorBody),
    ))]
pub async fn create_session(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    idem: Option<Extension<IdempotencyKey>>,
    Path((_, user_id)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    if !client.idv_enabled {
        return Err(ApiError::FeatureNotActivated);
    }
    let mut f = Fields::new(&body.0);
    let (return_url, tag, language) = (f.string("ReturnUrl"), f.string("Tag"), f.string("SessionLanguage"));
    f.errors.into_result()?;
    let new = NewSession::parse(return_url, tag, language)?;
    // Sandbox clients script outcomes through the Tag; the same Tag is refused in production.
    let view = open_session(&state, &client, &user_id, new, &idem).await?;
    Ok(json_response(StatusCode::OK, &view))
}

/// Creates a session for `user_id` (the API's create, and the console's "new link") and renders
/// it; the idempotent response commits with it.
pub(crate) async fn open_session(
    state: &AppState,
    client: &verity_domain::Client,
    user_id: &str,
    new: NewSession,
    idem: &Option<Extension<IdempotencyKey>>,
) -> Result<CreatedSessionView, ApiError> {
    let view = |session: &IdvSession| CreatedSessionView {
        id: session.id.to_string(),
        tag: session.tag.clone(),
        creation_date: session.created_at,
        hosted_url: session.hosted_url(state.public_url()),
        status: session.status.as_str(),
        return_url: session.return_url.clone(),
    };
    let session = state
        .services
        .open_session(client, &UserId::from_raw(user_id), new, &|s| {
            stored(idem, StatusCode::OK, &view(s))
        })
        .await?;
    Ok(view(&session))
}

async fn load(state: &AppState, client: &verity_domain::Client, id: &str) -> Result<IdvSession, ApiError> {
    Ok(state.services.session(&client.id, &SessionId::from_raw(id)).await?)
}

/// View an IDV Session, with its checks.
#[utoipa::path(get, path = "/v2.01/{ClientId}/identity-verifications/{IdvSessionId}", tag = "IDV Sessions",
    params(("ClientId" = String, Path), ("IdvSessionId" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = SessionView), (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn view_session(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let session = load(&state, &client, &id).await?;
    Ok(json_response(StatusCode::OK, &session_body(&state, &session).await?))
}

/// View the checks of a session in the removed beta shape (for SDK versions of early 2025).
#[utoipa::path(get, path = "/v2.01/{ClientId}/identity-verifications/{IdvSessionId}/checks", tag = "IDV Sessions",
    params(("ClientId" = String, Path), ("IdvSessionId" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = BetaChecksView), (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn view_checks_beta(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let s = load(&state, &client, &id).await?;
    let checks = s
        .checks
        .iter()
        .map(|c| {
            // The beta carried refusals as data entries instead of `Reasons`.
            let mut data = values(&c.data);
            for r in &c.reasons {
                data.push(TypedValueView {
                    kind: "REFUSAL_REASON".into(),
                    value: Some(r.kind.clone()),
                });
                data.push(TypedValueView {
                    kind: "REFUSAL_DESCRIPTION".into(),
                    value: r.value.clone(),
                });
            }
            BetaCheckView {
                check_id: c.id.clone(),
                kind: c.kind.clone(),
                check_status: c.status.clone(),
                creation_date: c.created_at,
                last_update: c.updated_at,
                data,
            }
        })
        .collect();
    let view = BetaChecksView {
        session_id: s.id.to_string(),
        status: s.status.as_str(),
        creation_date: s.created_at,
        last_update: s.updated_at.unwrap_or(s.created_at),
        checks,
    };
    Ok(json_response(StatusCode::OK, &view))
}

/// List the IDV Sessions of a user.
#[utoipa::path(get, path = "/v2.01/{ClientId}/users/{UserId}/identity-verifications", tag = "IDV Sessions",
    params(("ClientId" = String, Path), ("UserId" = String, Path), crate::openapi::Pagination),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Sessions, with X-Number-Of-Pages, X-Number-Of-Items and Link headers", body = Vec<SessionSummaryView>),
        (status = 400, description = "param_error: bad pagination", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found: no such user", body = crate::openapi::ErrorBody),
    ))]
pub async fn list_sessions(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let list = ListQuery::parse(query.as_deref())?;
    let user_id = UserId::from_raw(user_id);
    let page = state.services.sessions_of_user(&client.id, &user_id, list.page).await?;
    let items: Vec<_> = page
        .items
        .iter()
        .map(|s| SessionSummaryView {
            id: s.id.to_string(),
            status: s.status.as_str(),
            creation_date: s.created_at,
            last_update: s.updated_at,
        })
        .collect();
    let mut response = json_response(StatusCode::OK, &items);
    let base = format!(
        "{}/v2.01/{}/users/{}/identity-verifications",
        state.public_url(),
        client.id,
        user_id
    );
    response.headers_mut().extend(list.headers(page.total_items, &base));
    Ok(response)
}
