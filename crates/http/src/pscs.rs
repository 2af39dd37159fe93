//! The PSC flow's API (2026): the PSCs of a user, and a platform's retry of one PSC. A session's
//! PSCs are also shown on View an IDV Session (`PSCs`).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Extension, Router};
use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::psc::{Psc, PscCorrection, PscId};
use verity_domain::{ClientId, IdvSession, SessionId, UnixTime, UserId};

use crate::AppState;
use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::sessions::TypedValueView;
use crate::wire::{Fields, JsonBody, ListQuery, json_response};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2.01/{client_id}/users/{user_id}/pscs", get(list_pscs))
        .route(
            "/v2.01/{client_id}/identity-verifications/{session_id}/pscs/{psc_id}/retry",
            put(retry_psc),
        )
}

/// A Person of Significant Control and the state of their own verification.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PscView {
    pub id: String,
    pub tag: Option<String>,
    pub creation_date: UnixTime,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub date_of_birth: Option<UnixTime>,
    /// Country of residence (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    pub nationality: Option<String>,
    /// `LEGAL_REPRESENTATIVE` or `UBO`.
    pub psc_type: &'static str,
    /// `PENDING_VALIDATION`, `VALIDATED`, `REJECTED` or `ABANDONED`.
    pub status: &'static str,
    pub validation_date: Option<UnixTime>,
    /// The link of the PSC's own session.
    pub hosted_url: String,
    /// `OWNERSHIP_PERCENTAGE`; after validation `FIRST_NAME`, `LAST_NAME`, `BIRTHDATE` as read
    /// from the PSC's document.
    pub data: Vec<TypedValueView>,
    pub last_update: UnixTime,
    /// The PSC's own IDV session.
    pub session_id: String,
    /// The IDV session under which the PSC was declared.
    pub main_session_id: String,
}

/// Renders a PSC with the link of its current session.
pub fn psc_view(state: &AppState, psc: &Psc, session: Option<&IdvSession>) -> PscView {
    PscView {
        id: psc.id.to_string(),
        tag: psc.tag.clone(),
        creation_date: psc.created_at,
        first_name: psc.identity.first_name.clone(),
        last_name: psc.identity.last_name.clone(),
        email: psc.identity.email.clone(),
        date_of_birth: psc.identity.birthday,
        country: psc.identity.country.clone(),
        nationality: psc.identity.nationality.clone(),
        psc_type: psc.kind.as_str(),
        status: psc.status.as_str(),
        validation_date: psc.validation_date,
        hosted_url: session.map(|s| s.hosted_url(state.public_url())).unwrap_or_default(),
        data: psc
            .data()
            .into_iter()
            .map(|t| TypedValueView {
                kind: t.kind,
                value: t.value,
            })
            .collect(),
        last_update: psc.last_update,
        session_id: psc.session_id.to_string(),
        main_session_id: psc.main_session_id.to_string(),
    }
}

/// Renders PSCs, each with its current session's link.
pub async fn psc_views(state: &AppState, client: &ClientId, pscs: &[Psc]) -> Result<Vec<PscView>, ApiError> {
    let mut views = Vec::with_capacity(pscs.len());
    for p in pscs {
        let session = state.services.find_session(client, &p.session_id).await?;
        views.push(psc_view(state, p, session.as_ref()));
    }
    Ok(views)
}

/// List the PSCs declared for a user, across its IDV sessions.
#[utoipa::path(get, path = "/v2.01/{ClientId}/users/{UserId}/pscs", tag = "PSCs",
    params(("ClientId" = String, Path), ("UserId" = String, Path), crate::openapi::Pagination),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "PSCs, oldest first, with X-Number-Of-Pages, X-Number-Of-Items and Link headers", body = Vec<PscView>),
        (status = 400, description = "param_error: bad pagination", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found: no such user", body = crate::openapi::ErrorBody),
    ))]
pub async fn list_pscs(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let list = ListQuery::parse(query.as_deref())?;
    let user_id = UserId::from_raw(user_id);
    let page = state.services.pscs_of_user(&client, &user_id, list.page).await?;
    let items = psc_views(&state, &client.id, &page.items).await?;
    let mut response = json_response(StatusCode::OK, &items);
    let base = format!("{}/v2.01/{}/users/{}/pscs", state.public_url(), client.id, user_id);
    response.headers_mut().extend(list.headers(page.total_items, &base));
    Ok(response)
}

/// Request body of Retry a PSC Session: every field optional; `{}` keeps the declared details.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RetryPscBody {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub date_of_birth: Option<UnixTime>,
}

/// Retry a PSC's session: a new link for a VALIDATED or REJECTED PSC, the existing one for a
/// PENDING_VALIDATION one; corrected details are kept either way.
#[utoipa::path(put, path = "/v2.01/{ClientId}/identity-verifications/{IdvSessionId}/pscs/{PscId}/retry", tag = "PSCs",
    params(("ClientId" = String, Path), ("IdvSessionId" = String, Path), ("PscId" = String, Path)),
    request_body(content = RetryPscBody),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PscView),
        (status = 400, description = "param_error (a field of the wrong type, an invalid Email) or invalid_action (an ABANDONED PSC)", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found: no such session, or no such PSC in it", body = crate::openapi::ErrorBody),
    ))]
pub async fn retry_psc(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, session_id, psc_id)): Path<(String, String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let mut f = Fields::new(&body.0);
    let correction = PscCorrection {
        first_name: f.string("FirstName"),
        last_name: f.string("LastName"),
        email: f.string("Email"),
        birthday: f.int("DateOfBirth"),
    };
    if correction
        .email
        .as_deref()
        .is_some_and(|e| !verity_domain::hosted::email_valid(e))
    {
        f.errors.add("Email", "The Email field is not a valid e-mail address.");
    }
    for (field, value) in [
        ("FirstName", &correction.first_name),
        ("LastName", &correction.last_name),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            f.errors.add(field, format!("The {field} field cannot be empty."));
        }
    }
    f.errors.into_result()?;
    let (psc, session) = state
        .services
        .retry_psc(
            &client,
            &SessionId::from_raw(session_id),
            &PscId::from_raw(psc_id),
            &correction,
        )
        .await?;
    Ok(json_response(StatusCode::OK, &psc_view(&state, &psc, Some(&session))))
}
