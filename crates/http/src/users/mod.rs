//! The users API: natural and legal users through the legacy (`/users/...`) and SCA
//! (`/sca/users/...`) endpoints.

mod input;
pub(crate) use input::read_address;
mod views;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::user::{Flavour, PersonType};
use verity_domain::{Client, User, UserId};

use crate::AppState;
use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::idempotency::{IdempotencyKey, stored};
use crate::wire::{JsonBody, ListQuery, json_response};

pub use input::*;
pub use views::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2.01/{client_id}/users", get(list_users))
        .route("/v2.01/{client_id}/users/natural", post(create_natural_legacy))
        .route("/v2.01/{client_id}/users/legal", post(create_legal_legacy))
        .route("/v2.01/{client_id}/users/{user_id}", get(view_legacy))
        .route(
            "/v2.01/{client_id}/users/natural/{user_id}",
            get(view_natural_legacy)
                .put(update_natural_legacy)
                .delete(close_natural),
        )
        .route(
            "/v2.01/{client_id}/users/legal/{user_id}",
            get(view_legal_legacy).put(update_legal_legacy).delete(close_legal),
        )
        .route("/v2.01/{client_id}/sca/users/natural", post(create_natural_sca))
        .route("/v2.01/{client_id}/sca/users/legal", post(create_legal_sca))
        .route("/v2.01/{client_id}/sca/users/{user_id}", get(view_sca))
        .route(
            "/v2.01/{client_id}/sca/users/natural/{user_id}",
            get(view_natural_sca).put(update_natural_sca),
        )
        .route(
            "/v2.01/{client_id}/sca/users/legal/{user_id}",
            get(view_legal_sca).put(update_legal_sca),
        )
        .route(
            "/v2.01/{client_id}/sca/users/natural/{user_id}/category",
            put(categorize_natural),
        )
        .route(
            "/v2.01/{client_id}/sca/users/legal/{user_id}/category",
            put(categorize_legal),
        )
        .route("/v2.01/{client_id}/sca/users/{user_id}/enrollment", post(enroll))
}

// ---------------------------------------------------------------------------------------------
// Handlers

type Idem = Option<Extension<IdempotencyKey>>;

async fn create(
    state: AppState,
    client: Client,
    idem: Idem,
    person_type: PersonType,
    flavour: Flavour,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let (patch, sca) = read_patch(&body)?;
    let ctx = context(&client, flavour, sca);
    let user = state
        .services
        .create_user(&client.id, person_type, &patch, &ctx, &|u| {
            stored(&idem, StatusCode::OK, &render(&state, u, flavour))
        })
        .await?;
    Ok(json_response(StatusCode::OK, &render(&state, &user, flavour)))
}

macro_rules! create_handler {
    ($name:ident, $person:expr, $flavour:expr, $path:literal, $body:ty, $view:ty, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "Users",
            params(("ClientId" = String, Path)),
            request_body(content = $body),
            security(("bearer" = [])),
            responses(
                (status = 200, body = $view),
                (status = 400, description = "param_error or invalid_action", body = crate::openapi::ErrorBody),
                (status = 403, description = "user_hasnt_accepted_terms_and_conditions or sca_proxy_missing", body = crate::openapi::ErrorBody),
                (status = 409, description = "idempotent_creation_conflict", body = crate::openapi::ErrorBody),
            ))]
        pub async fn $name(State(state): State<AppState>, Extension(Authed(client)): AuthedClient, idem: Idem, body: JsonBody) -> Result<Response, ApiError> {
            create(state, client, idem, $person, $flavour, body).await
        }
    };
}

create_handler!(
    create_natural_legacy,
    PersonType::Natural,
    Flavour::Legacy,
    "/v2.01/{ClientId}/users/natural",
    NaturalUserBody,
    NaturalUserView,
    "Create a natural user (legacy endpoint)."
);
create_handler!(
    create_legal_legacy,
    PersonType::Legal,
    Flavour::Legacy,
    "/v2.01/{ClientId}/users/legal",
    LegalUserBody,
    LegalUserLegacyView,
    "Create a legal user (legacy endpoint)."
);
create_handler!(
    create_natural_sca,
    PersonType::Natural,
    Flavour::Sca,
    "/v2.01/{ClientId}/sca/users/natural",
    NaturalUserBody,
    NaturalUserView,
    "Create a natural user (SCA endpoint)."
);
create_handler!(
    create_legal_sca,
    PersonType::Legal,
    Flavour::Sca,
    "/v2.01/{ClientId}/sca/users/legal",
    LegalUserBody,
    LegalUserScaView,
    "Create a legal user (SCA endpoint)."
);

/// Loads a user of this client, optionally of one person type (the typed view paths).
async fn load(state: &AppState, client: &Client, id: &str, person: Option<PersonType>) -> Result<User, ApiError> {
    let resource = match person {
        None => "User",
        Some(PersonType::Natural) => "UserNatural",
        Some(PersonType::Legal) => "UserLegal",
    };
    let not_found = || ApiError::NotFound {
        resource,
        id: id.to_owned(),
    };
    let user = match state.services.user(&client.id, &UserId::from_raw(id)).await {
        Err(verity_service::ServiceError::NotFound { .. }) => return Err(not_found()),
        other => other?,
    };
    if person.is_some_and(|p| p != user.person_type()) {
        return Err(not_found());
    }
    Ok(user)
}

macro_rules! view_handler {
    ($name:ident, $person:expr, $flavour:expr, $path:literal, $view:ty, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(get, path = $path, tag = "Users",
                            params(("ClientId" = String, Path), ("UserId" = String, Path)),
                            security(("bearer" = [])),
                            responses(
                                (status = 200, description = "The user", body = $view),
                                (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody),
                            ))]
        pub async fn $name(
            State(state): State<AppState>,
            Extension(Authed(client)): AuthedClient,
            Path((_, user_id)): Path<(String, String)>,
        ) -> Result<Response, ApiError> {
            let user = load(&state, &client, &user_id, $person).await?;
            Ok(json_response(StatusCode::OK, &render(&state, &user, $flavour)))
        }
    };
}

view_handler!(
    view_legacy,
    None,
    Flavour::Legacy,
    "/v2.01/{ClientId}/users/{UserId}",
    UserLegacyView,
    "View a user (legacy shape)."
);
view_handler!(
    view_natural_legacy,
    Some(PersonType::Natural),
    Flavour::Legacy,
    "/v2.01/{ClientId}/users/natural/{UserId}",
    NaturalUserView,
    "View a natural user (legacy shape)."
);
view_handler!(
    view_legal_legacy,
    Some(PersonType::Legal),
    Flavour::Legacy,
    "/v2.01/{ClientId}/users/legal/{UserId}",
    LegalUserLegacyView,
    "View a legal user (legacy shape)."
);
view_handler!(
    view_sca,
    None,
    Flavour::Sca,
    "/v2.01/{ClientId}/sca/users/{UserId}",
    UserScaView,
    "View a user (SCA shape)."
);
view_handler!(
    view_natural_sca,
    Some(PersonType::Natural),
    Flavour::Sca,
    "/v2.01/{ClientId}/sca/users/natural/{UserId}",
    NaturalUserView,
    "View a natural user (SCA shape)."
);
view_handler!(
    view_legal_sca,
    Some(PersonType::Legal),
    Flavour::Sca,
    "/v2.01/{ClientId}/sca/users/legal/{UserId}",
    LegalUserScaView,
    "View a legal user (SCA shape)."
);

/// What a change request does to a loaded user.
#[derive(Clone, Copy)]
enum Change {
    Update,
    Categorize,
}

async fn change(
    state: AppState,
    client: Client,
    user_id: String,
    person: PersonType,
    flavour: Flavour,
    change: Change,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let (patch, sca) = read_patch(&body)?;
    let user = load(&state, &client, &user_id, Some(person)).await?;
    let ctx = context(&client, flavour, sca);
    let user = state
        .services
        .change_user(
            &client,
            &user.id,
            &|u| match change {
                Change::Update => u.update(&patch, &ctx),
                Change::Categorize => u.categorize(&patch, &ctx),
            },
            &|_| None,
        )
        .await?;
    Ok(json_response(StatusCode::OK, &render(&state, &user, flavour)))
}

macro_rules! change_handler {
    ($name:ident, $person:expr, $flavour:expr, $change:expr, $path:literal, $body:ty, $view:ty, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(put, path = $path, tag = "Users",
                    params(("ClientId" = String, Path), ("UserId" = String, Path)),
                    request_body(content = $body),
                    security(("bearer" = [])),
                    responses(
                        (status = 200, body = $view),
                        (status = 400, description = "param_error (including an empty body) or invalid_action", body = crate::openapi::ErrorBody),
                        (status = 403, description = "user_hasnt_accepted_terms_and_conditions or sca_proxy_missing", body = crate::openapi::ErrorBody),
                        (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody),
                    ))]
        pub async fn $name(
            State(state): State<AppState>,
            Extension(Authed(client)): AuthedClient,
            Path((_, user_id)): Path<(String, String)>,
            body: JsonBody,
        ) -> Result<Response, ApiError> {
            change(state, client, user_id, $person, $flavour, $change, body).await
        }
    };
}

change_handler!(
    update_natural_legacy,
    PersonType::Natural,
    Flavour::Legacy,
    Change::Update,
    "/v2.01/{ClientId}/users/natural/{UserId}",
    NaturalUserBody,
    NaturalUserView,
    "Update a natural user (legacy endpoint)."
);
change_handler!(
    update_legal_legacy,
    PersonType::Legal,
    Flavour::Legacy,
    Change::Update,
    "/v2.01/{ClientId}/users/legal/{UserId}",
    LegalUserBody,
    LegalUserLegacyView,
    "Update a legal user (legacy endpoint)."
);
change_handler!(
    update_natural_sca,
    PersonType::Natural,
    Flavour::Sca,
    Change::Update,
    "/v2.01/{ClientId}/sca/users/natural/{UserId}",
    NaturalUserBody,
    NaturalUserView,
    "Update a natural user (SCA endpoint)."
);
change_handler!(
    update_legal_sca,
    PersonType::Legal,
    Flavour::Sca,
    Change::Update,
    "/v2.01/{ClientId}/sca/users/legal/{UserId}",
    LegalUserBody,
    LegalUserScaView,
    "Update a legal user (SCA endpoint)."
);
change_handler!(
    categorize_natural,
    PersonType::Natural,
    Flavour::Sca,
    Change::Categorize,
    "/v2.01/{ClientId}/sca/users/natural/{UserId}/category",
    NaturalUserBody,
    NaturalUserView,
    "Categorize a natural user from PAYER to OWNER."
);
change_handler!(
    categorize_legal,
    PersonType::Legal,
    Flavour::Sca,
    Change::Categorize,
    "/v2.01/{ClientId}/sca/users/legal/{UserId}/category",
    LegalUserBody,
    LegalUserScaView,
    "Categorize a legal user from PAYER to OWNER."
);

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EnrollmentView {
    pub pending_user_action: PendingUserActionView,
}

/// Enroll a user in SCA: returns the link the user must follow.
#[utoipa::path(post, path = "/v2.01/{ClientId}/sca/users/{UserId}/enrollment", tag = "Users",
    params(("ClientId" = String, Path), ("UserId" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = EnrollmentView),
        (status = 400, description = "not_allowed_for_user_category_payer", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody),
    ))]
pub async fn enroll(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    idem: Idem,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let user = load(&state, &client, &user_id, None).await?;
    let ctx = context(&client, Flavour::Sca, None);
    let view = |u: &User| EnrollmentView {
        pending_user_action: PendingUserActionView {
            redirect_url: format!(
                "{}/sca/{}",
                state.public_url(),
                u.pending_sca_token.as_deref().unwrap_or_default()
            ),
        },
    };
    let user = state
        .services
        .change_user(&client, &user.id, &|u| u.enroll(&ctx), &|u| {
            stored(&idem, StatusCode::OK, &view(u))
        })
        .await?;
    Ok(json_response(StatusCode::OK, &view(&user)))
}

async fn close(state: AppState, client: Client, user_id: String, person: PersonType) -> Result<Response, ApiError> {
    let user = load(&state, &client, &user_id, Some(person)).await?;
    state
        .services
        .change_user(&client, &user.id, &|u| u.close(), &|_| None)
        .await
        .map_err(|e| match e {
            verity_service::LifecycleError::Rule(_) => ApiError::InvalidAction("User already closed".into()),
            other => other.into(),
        })?;
    Ok(axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT))
}

/// Close a natural user.
#[utoipa::path(delete, path = "/v2.01/{ClientId}/users/natural/{UserId}", tag = "Users",
    params(("ClientId" = String, Path), ("UserId" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Closed"), (status = 400, description = "invalid_action: already closed", body = crate::openapi::ErrorBody), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn close_natural(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    close(state, client, user_id, PersonType::Natural).await
}

/// Close a legal user.
#[utoipa::path(delete, path = "/v2.01/{ClientId}/users/legal/{UserId}", tag = "Users",
    params(("ClientId" = String, Path), ("UserId" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Closed"), (status = 400, description = "invalid_action: already closed", body = crate::openapi::ErrorBody), (status = 404, body = crate::openapi::ErrorBody)))]
pub async fn close_legal(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    close(state, client, user_id, PersonType::Legal).await
}

/// List users, oldest first unless `Sort=CreationDate:DESC`.
#[utoipa::path(get, path = "/v2.01/{ClientId}/users", tag = "Users",
    params(("ClientId" = String, Path), crate::openapi::Pagination), security(("bearer" = [])),
    responses((status = 200, description = "Users (legacy shape), with X-Number-Of-Pages, X-Number-Of-Items and Link headers", body = Vec<UserLegacyView>),
              (status = 400, description = "param_error: bad pagination", body = crate::openapi::ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let list = ListQuery::parse(query.as_deref())?;
    let page = state.services.users(&client.id, list.page).await?;
    let items: Vec<_> = page.items.iter().map(|u| render(&state, u, Flavour::Legacy)).collect();
    let mut response = json_response(StatusCode::OK, &items);
    let base = format!("{}/v2.01/{}/users", state.public_url(), client.id);
    response.headers_mut().extend(list.headers(page.total_items, &base));
    Ok(response)
}
