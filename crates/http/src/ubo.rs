//! UBO declarations (the legacy API the SDKs still call): create, list, view, add, change and view
//! UBOs, submit.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::ubo::{Birthplace, Ubo, UboDeclaration, UboInput};
use verity_domain::{UnixTime, UserId};

use crate::AppState;
use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::idempotency::{IdempotencyKey, stored};
use crate::users::{AddressView, read_address};
use crate::wire::{Fields, JsonBody, ListQuery, json_response};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v2.01/{client_id}/users/{user_id}/kyc/ubodeclarations",
            get(list).post(create),
        )
        .route(
            "/v2.01/{client_id}/users/{user_id}/kyc/ubodeclarations/{id}",
            get(view_for_user).put(submit),
        )
        .route("/v2.01/{client_id}/kyc/ubodeclarations/{id}", get(view))
        .route(
            "/v2.01/{client_id}/users/{user_id}/kyc/ubodeclarations/{id}/ubos",
            axum::routing::post(add_ubo),
        )
        .route(
            "/v2.01/{client_id}/users/{user_id}/kyc/ubodeclarations/{id}/ubos/{ubo_id}",
            get(view_ubo).put(update_ubo),
        )
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BirthplaceView {
    pub city: String,
    pub country: String,
}

/// An ultimate beneficial owner.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UboView {
    pub id: String,
    pub creation_date: UnixTime,
    pub first_name: String,
    pub last_name: String,
    pub address: AddressView,
    pub nationality: String,
    pub birthday: UnixTime,
    pub birthplace: BirthplaceView,
    /// False once dropped from the declaration (for good).
    pub is_active: bool,
}

/// The UBO Declaration object.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UboDeclarationView {
    pub id: String,
    pub creation_date: UnixTime,
    /// When it was decided.
    pub processed_date: Option<UnixTime>,
    pub user_id: String,
    /// `CREATED`, `VALIDATION_ASKED`, `INCOMPLETE`, `VALIDATED` or `REFUSED`.
    pub status: &'static str,
    /// Why a declaration is `REFUSED` or `INCOMPLETE` (`MISSING_UBO`, ...).
    pub reason: Option<String>,
    pub message: Option<String>,
    pub ubos: Vec<UboView>,
}

fn ubo_view(u: &Ubo) -> UboView {
    UboView {
        id: u.id.clone(),
        creation_date: u.created_at,
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        address: AddressView::of(&Some(u.address.clone())),
        nationality: u.nationality.clone(),
        birthday: u.birthday,
        birthplace: BirthplaceView {
            city: u.birthplace.city.clone(),
            country: u.birthplace.country.clone(),
        },
        is_active: u.is_active,
    }
}

fn view_of(d: &UboDeclaration) -> UboDeclarationView {
    UboDeclarationView {
        id: d.id.clone(),
        creation_date: d.created_at,
        processed_date: d.processed_at,
        user_id: d.user_id.to_string(),
        status: d.status.as_str(),
        reason: d.reason.clone(),
        message: d.message.clone(),
        ubos: d.ubos.iter().map(ubo_view).collect(),
    }
}

/// Create a UBO Declaration (Business and Partnership users only).
#[utoipa::path(post, path = "/v2.01/{ClientId}/users/{UserId}/kyc/ubodeclarations", tag = "UBO Declarations",
    params(("ClientId" = String, Path), ("UserId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses((status = 200, body = UboDeclarationView),
        (status = 400, description = "invalid_action: not a Business or Partnership user", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found: no such user", body = crate::openapi::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    idem: Option<Extension<IdempotencyKey>>,
    Path((_, user_id)): Path<(String, String)>,
    _body: JsonBody,
) -> Result<Response, ApiError> {
    let d = state
        .services
        .create_ubo_declaration(&client, &UserId::from_raw(user_id), &|d| {
            stored(&idem, StatusCode::OK, &view_of(d))
        })
        .await?;
    Ok(json_response(StatusCode::OK, &view_of(&d)))
}

/// List the UBO Declarations of a user.
#[utoipa::path(get, path = "/v2.01/{ClientId}/users/{UserId}/kyc/ubodeclarations", tag = "UBO Declarations",
    params(("ClientId" = String, Path), ("UserId" = String, Path), crate::openapi::Pagination),
    security(("bearer" = [])),
    responses((status = 200, description = "Declarations, with pagination headers", body = Vec<UboDeclarationView>),
        (status = 400, description = "param_error: bad pagination", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found: no such user", body = crate::openapi::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let list = ListQuery::parse(query.as_deref())?;
    let user = UserId::from_raw(user_id);
    let page = state.services.ubo_declarations(&client.id, &user, list.page).await?;
    let items: Vec<UboDeclarationView> = page.items.iter().map(view_of).collect();
    let mut response = json_response(StatusCode::OK, &items);
    let base = format!(
        "{}/v2.01/{}/users/{user}/kyc/ubodeclarations",
        state.public_url(),
        client.id
    );
    response.headers_mut().extend(list.headers(page.total_items, &base));
    Ok(response)
}

/// View a UBO Declaration of a user.
#[utoipa::path(get, path = "/v2.01/{ClientId}/users/{UserId}/kyc/ubodeclarations/{UboDeclarationId}", tag = "UBO Declarations",
    params(("ClientId" = String, Path), ("UserId" = String, Path), ("UboDeclarationId" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = UboDeclarationView), (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn view_for_user(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let d = state
        .services
        .ubo_declaration(&client.id, &id, Some(&UserId::from_raw(user_id)))
        .await?;
    Ok(json_response(StatusCode::OK, &view_of(&d)))
}

/// View a UBO Declaration.
#[utoipa::path(get, path = "/v2.01/{ClientId}/kyc/ubodeclarations/{UboDeclarationId}", tag = "UBO Declarations",
    params(("ClientId" = String, Path), ("UboDeclarationId" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = UboDeclarationView), (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn view(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let d = state.services.ubo_declaration(&client.id, &id, None).await?;
    Ok(json_response(StatusCode::OK, &view_of(&d)))
}

/// Submit a UBO Declaration (`{"Status": "VALIDATION_ASKED"}`), also after it was `INCOMPLETE`.
#[utoipa::path(put, path = "/v2.01/{ClientId}/users/{UserId}/kyc/ubodeclarations/{UboDeclarationId}", tag = "UBO Declarations",
    params(("ClientId" = String, Path), ("UserId" = String, Path), ("UboDeclarationId" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = UboDeclarationView),
        (status = 400, description = "param_error: Status missing or not VALIDATION_ASKED; invalid_action: not CREATED or INCOMPLETE", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id, id)): Path<(String, String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let mut f = Fields::new(&body.0);
    let status = f.string("Status");
    f.errors.into_result()?;
    let d = state
        .services
        .submit_ubo_declaration(&client, &UserId::from_raw(user_id), &id, status.as_deref())
        .await?;
    Ok(json_response(StatusCode::OK, &view_of(&d)))
}

/// The UBO fields of a request body.
fn read_ubo(body: &JsonBody) -> Result<UboInput, ApiError> {
    let mut f = Fields::new(&body.0);
    let input = UboInput {
        first_name: f.string("FirstName"),
        last_name: f.string("LastName"),
        address: f.object("Address", read_address),
        nationality: f.string("Nationality"),
        birthday: f.int("Birthday"),
        birthplace: f.object("Birthplace", |b| Birthplace {
            city: b.string("City").unwrap_or_default(),
            country: b.string("Country").unwrap_or_default(),
        }),
        is_active: f.boolean("IsActive"),
    };
    f.errors.into_result()?;
    Ok(input)
}

/// Request body of Create and Update a UBO.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UboBody {
    pub first_name: String,
    pub last_name: String,
    pub address: AddressView,
    pub nationality: String,
    pub birthday: UnixTime,
    pub birthplace: BirthplaceView,
    pub is_active: Option<bool>,
}

/// Add a UBO to a declaration that is `CREATED` or `INCOMPLETE` (four at most).
#[utoipa::path(post, path = "/v2.01/{ClientId}/users/{UserId}/kyc/ubodeclarations/{UboDeclarationId}/ubos", tag = "UBO Declarations",
    params(("ClientId" = String, Path), ("UserId" = String, Path), ("UboDeclarationId" = String, Path)),
    request_body(content = UboBody), security(("bearer" = [])),
    responses((status = 200, body = UboView),
        (status = 400, description = "param_error: a field missing or invalid; invalid_action: submitted, or four UBOs already", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn add_ubo(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id, id)): Path<(String, String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let input = read_ubo(&body)?;
    let ubo = state
        .services
        .add_ubo(&client, &UserId::from_raw(user_id), &id, &input)
        .await?;
    Ok(json_response(StatusCode::OK, &ubo_view(&ubo)))
}

/// Change a UBO (`IsActive: false` drops it, for good).
#[utoipa::path(put, path = "/v2.01/{ClientId}/users/{UserId}/kyc/ubodeclarations/{UboDeclarationId}/ubos/{UboId}", tag = "UBO Declarations",
    params(("ClientId" = String, Path), ("UserId" = String, Path), ("UboDeclarationId" = String, Path), ("UboId" = String, Path)),
    request_body(content = UboBody), security(("bearer" = [])),
    responses((status = 200, body = UboView),
        (status = 400, description = "param_error: a field invalid; invalid_action: submitted, or a dropped UBO made active", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn update_ubo(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id, id, ubo_id)): Path<(String, String, String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let input = read_ubo(&body)?;
    let ubo = state
        .services
        .update_ubo(&client, &UserId::from_raw(user_id), &id, &ubo_id, &input)
        .await?;
    Ok(json_response(StatusCode::OK, &ubo_view(&ubo)))
}

/// View a UBO.
#[utoipa::path(get, path = "/v2.01/{ClientId}/users/{UserId}/kyc/ubodeclarations/{UboDeclarationId}/ubos/{UboId}", tag = "UBO Declarations",
    params(("ClientId" = String, Path), ("UserId" = String, Path), ("UboDeclarationId" = String, Path), ("UboId" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = UboView), (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn view_ubo(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id, id, ubo_id)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let d = state
        .services
        .ubo_declaration(&client.id, &id, Some(&UserId::from_raw(user_id)))
        .await?;
    let ubo = d
        .ubos
        .iter()
        .find(|u| u.id == ubo_id)
        .ok_or_else(|| ApiError::from(verity_service::ServiceError::not_found("ubo", &ubo_id)))?;
    Ok(json_response(StatusCode::OK, &ubo_view(ubo)))
}
