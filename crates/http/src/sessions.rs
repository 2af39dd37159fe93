//! IDV session endpoints: create, view, list for a user, and the beta checks view.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::event::{self, Happened};
use verity_domain::sandbox::Directive;
use verity_domain::session::{Check, NewSession, SessionRefusal, TypedValue, check_user_eligible};
use verity_domain::{Environment, IdvSession, SessionId, SessionStatus, UnixTime, UserId};
use verity_store::{Changeset, Write};

use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::idempotency::{IdempotencyKey, stored};
use crate::wire::{Fields, JsonBody, ListQuery, json_response};
use crate::{AppState, now, now_millis, random_token};

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
#[schema(examples(json!({"ReturnUrl": "https://example.com/back", "Tag": "order 42"})))]
pub struct CreateSessionBody {
    /// Absolute http(s) URL, at most 500 characters; the user is sent there at the end.
    pub return_url: String,
    /// At most 255 characters.
    pub tag: Option<String>,
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

pub fn session_view(state: &AppState, s: &IdvSession) -> SessionView {
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
    let (return_url, tag) = (f.string("ReturnUrl"), f.string("Tag"));
    f.errors.into_result()?;
    let new = NewSession::parse(return_url, tag)?;
    // Sandbox clients script outcomes through the Tag; the same Tag is refused in production.
    let view = open_session(&state, &client, &user_id, new, &idem).await?;
    Ok(json_response(StatusCode::OK, &view))
}

/// Creates a session for `user_id` (the API's create, and the console's "new link"): the Tag's
/// sandbox directive, the user's eligibility, the face-match rule, then the session, its
/// PENDING event and the idempotent response in one commit.
pub(crate) async fn open_session(
    state: &AppState,
    client: &verity_domain::Client,
    user_id: &str,
    new: NewSession,
    idem: &Option<Extension<IdempotencyKey>>,
) -> Result<CreatedSessionView, ApiError> {
    let directive = match new.tag.as_deref().map(Directive::from_tag).transpose() {
        Ok(d) => d.flatten(),
        Err(message) => return Err(ApiError::param("Tag", message)),
    };
    if directive.is_some() && client.environment != Environment::Sandbox {
        return Err(ApiError::Forbidden);
    }
    let user = state
        .store
        .user(&client.id, &UserId::from_raw(user_id))
        .await?
        .ok_or(ApiError::UserIdNotValid)?;
    check_user_eligible(&user).map_err(|refusal| match refusal {
        SessionRefusal::UserNotValid => ApiError::UserIdNotValid,
        SessionRefusal::NotOwner => ApiError::InvalidAction("This feature is only available for users categorised as Owner.".into()),
        SessionRefusal::UnsupportedLegalType(t) => ApiError::InvalidAction(format!(
            "The LegalUserType {} is not currently supported in the identity verification process. An event will be skipped. PartnerId: {}/ UserExternalId: {}",
            t.as_str(),
            client.id,
            user.id
        )),
    })?;
    // Never pretend a face match was checked: without a provider, a production client's
    // natural users can only be verified by a human, which the client must opt in to.
    if client.environment == Environment::Production
        && matches!(user.person, verity_domain::user::Person::Natural(_))
        && !state.config.face_match_configured
        && !client.natural_review
    {
        return Err(ApiError::InvalidAction(
            "Live checks are not available for natural users of this platform: no face-match provider is configured and manual review of natural users is off.".into(),
        ));
    }
    if let Some(d) = &directive {
        d.applies_to(&user, client.natural_review)
            .map_err(|m| ApiError::param("Tag", m))?;
    }
    let now = now();
    let config = &state.services.config;
    let session = IdvSession {
        id: SessionId::generate(now_millis(), rand::random()),
        client_id: client.id.clone(),
        user_id: user.id.clone(),
        tag: new.tag,
        return_url: new.return_url,
        hosted_token: random_token(),
        status: SessionStatus::Pending,
        created_at: now,
        updated_at: None,
        checks: Vec::new(),
        expires_at: now + config.session_ttl,
        scripted: directive.map(|d| (d, now + config.sandbox_delay)),
        version: 0,
    };
    let view = CreatedSessionView {
        id: session.id.to_string(),
        tag: session.tag.clone(),
        creation_date: session.created_at,
        hosted_url: session.hosted_url(state.public_url()),
        status: session.status.as_str(),
        return_url: session.return_url.clone(),
    };
    let mut changes = Changeset::new(client.id.clone());
    changes.response = stored(idem, StatusCode::OK, &view);
    changes.events = verity_service::record(&client.id, vec![Happened::new(event::IDV_PENDING, &session.id)], now);
    changes.sessions.push(Write::Insert(session));
    state.store.commit(&changes).await?;
    state.services.outbox.notify_one();
    if changes
        .sessions
        .iter()
        .any(|w| matches!(w, Write::Insert(s) if s.scripted.as_ref().is_some_and(|(_, at)| *at <= now)))
    {
        // A scripted outcome due at once: apply it now rather than at the next sweep.
        let services = state.services.clone();
        tokio::spawn(async move {
            if let Err(e) = services.sweep_due_sessions().await {
                tracing::warn!(error = %e, "sandbox outcome sweep failed");
            }
        });
    }
    Ok(view)
}

async fn load(state: &AppState, client: &verity_domain::Client, id: &str) -> Result<IdvSession, ApiError> {
    state
        .store
        .session(&client.id, &SessionId::from_raw(id))
        .await?
        .ok_or_else(|| ApiError::NotFound {
            resource: "IdentityVerification",
            id: id.to_owned(),
        })
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
    Ok(json_response(StatusCode::OK, &session_view(&state, &session)))
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
    if state.store.user(&client.id, &user_id).await?.is_none() {
        return Err(ApiError::NotFound {
            resource: "User",
            id: user_id.to_string(),
        });
    }
    let page = state.store.sessions_of_user(&client.id, &user_id, list.page).await?;
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
