//! KYC Documents (the legacy verification API the SDKs still call): create, add pages, submit,
//! view, list per user and for the client, and consult (signed links to the pages).

use axum::extract::{FromRequest, Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use base64::Engine as _;
use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::kyc::{KycDocument, KycStatus, KycType};
use verity_domain::{FieldErrors, UnixTime, UserId};
use verity_store::KycFilter;

use crate::AppState;
use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::hosted::upload::{self, Rejection};
use crate::idempotency::{IdempotencyKey, stored};
use crate::wire::{Fields, JsonBody, ListQuery, json_response, parse_object, url_pairs};

/// A page's body: a 10 MB file in base64 and its JSON around it.
const PAGE_BODY_LIMIT: usize = 14 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v2.01/{client_id}/users/{user_id}/kyc/documents",
            get(list_for_user).post(create),
        )
        .route(
            "/v2.01/{client_id}/users/{user_id}/kyc/documents/{id}",
            get(view_for_user).put(submit),
        )
        .route(
            "/v2.01/{client_id}/users/{user_id}/kyc/documents/{id}/pages",
            post(add_page),
        )
        .route("/v2.01/{client_id}/kyc/documents", get(list_all))
        .route("/v2.01/{client_id}/kyc/documents/{id}", get(view))
        .route("/v2.01/{client_id}/kyc/documents/{id}/consult", post(consult))
}

/// The KYC Document object.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct KycDocumentView {
    /// `IDENTITY_PROOF`, `REGISTRATION_PROOF`, `ARTICLES_OF_ASSOCIATION`, `SHAREHOLDER_DECLARATION`
    /// or `ADDRESS_PROOF`.
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub user_id: String,
    /// Identity-proof refusal codes (`009000`...); empty otherwise.
    pub flags: Vec<String>,
    pub id: String,
    pub tag: Option<String>,
    pub creation_date: UnixTime,
    pub processed_date: Option<UnixTime>,
    /// `CREATED`, `VALIDATION_ASKED`, `VALIDATED`, `REFUSED` or `OUT_OF_DATE`.
    pub status: &'static str,
    pub refused_reason_type: Option<String>,
    pub refused_reason_message: Option<String>,
}

pub fn view_of(d: &KycDocument) -> KycDocumentView {
    KycDocumentView {
        kind: d.kind.as_str(),
        user_id: d.user_id.to_string(),
        flags: d.flags.clone(),
        id: d.id.clone(),
        tag: d.tag.clone(),
        creation_date: d.created_at,
        processed_date: d.processed_at,
        status: d.status.as_str(),
        refused_reason_type: d.refused_reason_type.clone(),
        refused_reason_message: d.refused_reason_message.clone(),
    }
}

/// Request body of Create a KYC Document.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKycDocumentBody {
    #[serde(rename = "Type")]
    pub kind: String,
    pub tag: Option<String>,
}

/// Create a KYC Document for a user (natural users: identity or address proof; legal users: no
/// address proof; sole traders: no articles of association).
#[utoipa::path(post, path = "/v2.01/{ClientId}/users/{UserId}/kyc/documents", tag = "KYC Documents",
    params(("ClientId" = String, Path), ("UserId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = CreateKycDocumentBody), security(("bearer" = [])),
    responses((status = 200, body = KycDocumentView),
        (status = 400, description = "param_error: Type missing, unknown or not for this user; Tag too long", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found: no such user", body = crate::openapi::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    idem: Option<Extension<IdempotencyKey>>,
    Path((_, user_id)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let mut f = Fields::new(&body.0);
    let (kind, tag) = (f.string("Type"), f.string("Tag"));
    f.errors.into_result()?;
    let doc = state
        .services
        .create_kyc_document(
            &client,
            &UserId::from_raw(user_id),
            kind.as_deref(),
            tag.as_deref(),
            &|d| stored(&idem, StatusCode::OK, &view_of(d)),
        )
        .await?;
    Ok(json_response(StatusCode::OK, &view_of(&doc)))
}

/// Request body of Create a KYC Document Page.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct KycPageBody {
    /// The page, base64-encoded: JPEG, PNG or PDF (JPEG, PNG, WebP or PDF accepted), at most 10 MB.
    pub file: String,
}

/// The page's body, read with its own limit (larger than the API's JSON limit).
pub struct PageBody(serde_json::Map<String, serde_json::Value>);

impl<S: Send + Sync> FromRequest<S> for PageBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::to_bytes(req.into_body(), PAGE_BODY_LIMIT)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(PAGE_BODY_LIMIT))?;
        parse_object(&bytes).map(PageBody)
    }
}

fn file_error(message: &str) -> ApiError {
    ApiError::param("File", message)
}

/// Add a page to a KYC Document while it is `CREATED` (at most five). The file is checked and
/// cleaned like the hosted pages' uploads (type read from the content, images re-encoded without
/// their metadata, PDFs without active content), then sealed.
#[utoipa::path(post, path = "/v2.01/{ClientId}/users/{UserId}/kyc/documents/{KycDocumentId}/pages", tag = "KYC Documents",
    params(("ClientId" = String, Path), ("UserId" = String, Path), ("KycDocumentId" = String, Path)),
    request_body(content = KycPageBody), security(("bearer" = [])),
    responses((status = 204, description = "The page was added"),
        (status = 400, description = "param_error: File missing, not base64, unreadable or blank; invalid_action: not CREATED, or five pages already", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody),
        (status = 413, description = "param_error: the file is larger than 10 MB", body = crate::openapi::ErrorBody),
        (status = 415, description = "param_error: not a JPEG, PNG, WebP or PDF file", body = crate::openapi::ErrorBody)))]
pub async fn add_page(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id, id)): Path<(String, String, String)>,
    body: PageBody,
) -> Result<Response, ApiError> {
    let mut f = Fields::new(&body.0);
    let file = f.string("File");
    f.errors.into_result()?;
    let encoded = match file.as_deref().map(str::trim) {
        None | Some("") => return Err(file_error("The File field is required.")),
        Some(e) => e,
    };
    // Some clients send a data URI, some line-wrapped base64.
    let encoded = encoded.split_once(";base64,").map_or(encoded, |(_, b)| b);
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| file_error("The File field is not valid base64."))?;
    let user = UserId::from_raw(user_id);
    // Known document first: nothing is decoded for a request that cannot be taken.
    state.services.kyc_document(&client.id, &id, Some(&user)).await?;
    let cleaned = upload::clean_async(bytes.into(), true).await.map_err(|r| match r {
        Rejection::TooLarge => ApiError::PayloadTooLarge(upload::MAX_UPLOAD),
        Rejection::UnsupportedType => ApiError::UnsupportedFile,
        Rejection::Blank => file_error("The file is an image of one flat colour: nothing was photographed."),
        Rejection::ActivePdf => file_error("The PDF has scripts, actions, attachments, forms or encryption."),
        Rejection::ImageOnly | Rejection::Unreadable => file_error("The file cannot be read."),
    })?;
    state
        .services
        .add_kyc_page(&client, &user, &id, cleaned.bytes, cleaned.content_type)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Submit a KYC Document (`{"Status": "VALIDATION_ASKED"}`, after at least one page).
#[utoipa::path(put, path = "/v2.01/{ClientId}/users/{UserId}/kyc/documents/{KycDocumentId}", tag = "KYC Documents",
    params(("ClientId" = String, Path), ("UserId" = String, Path), ("KycDocumentId" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = KycDocumentView),
        (status = 400, description = "param_error: Status missing or not VALIDATION_ASKED; invalid_action: not CREATED, or no page", body = crate::openapi::ErrorBody),
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
    let doc = state
        .services
        .submit_kyc_document(&client, &UserId::from_raw(user_id), &id, status.as_deref())
        .await?;
    Ok(json_response(StatusCode::OK, &view_of(&doc)))
}

/// View a KYC Document of a user.
#[utoipa::path(get, path = "/v2.01/{ClientId}/users/{UserId}/kyc/documents/{KycDocumentId}", tag = "KYC Documents",
    params(("ClientId" = String, Path), ("UserId" = String, Path), ("KycDocumentId" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = KycDocumentView), (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn view_for_user(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let doc = state
        .services
        .kyc_document(&client.id, &id, Some(&UserId::from_raw(user_id)))
        .await?;
    Ok(json_response(StatusCode::OK, &view_of(&doc)))
}

/// View a KYC Document.
#[utoipa::path(get, path = "/v2.01/{ClientId}/kyc/documents/{KycDocumentId}", tag = "KYC Documents",
    params(("ClientId" = String, Path), ("KycDocumentId" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = KycDocumentView), (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn view(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let doc = state.services.kyc_document(&client.id, &id, None).await?;
    Ok(json_response(StatusCode::OK, &view_of(&doc)))
}

/// The list filters: `Status`, `Type`, `AfterDate`, `BeforeDate`.
fn filter(query: Option<&str>, user: Option<UserId>) -> Result<KycFilter, ApiError> {
    let mut filter = KycFilter {
        user,
        ..Default::default()
    };
    let mut errors = FieldErrors::new();
    for (k, v) in url_pairs(query.unwrap_or("")) {
        match k.as_str() {
            "Status" if !v.is_empty() => match KycStatus::parse(&v) {
                Some(s) => filter.status = Some(s),
                None => errors.add("Status", format!("The value {v} is not valid for Status.")),
            },
            "Type" if !v.is_empty() => match KycType::parse(&v) {
                Some(t) => filter.kind = Some(t),
                None => errors.add("Type", format!("The value {v} is not valid for Type.")),
            },
            "AfterDate" | "BeforeDate" => match v.parse::<i64>() {
                Ok(d) if k == "AfterDate" => filter.after = Some(d),
                Ok(d) => filter.before = Some(d),
                Err(_) => errors.add(k.clone(), format!("The value {v} is not valid for {k}.")),
            },
            _ => {}
        }
    }
    errors.into_result()?;
    Ok(filter)
}

async fn list(
    state: &AppState,
    client: &verity_domain::Client,
    query: Option<&str>,
    user: Option<UserId>,
    base: String,
) -> Result<Response, ApiError> {
    let list = ListQuery::parse(query)?;
    let filter = filter(query, user)?;
    let page = state.services.kyc_documents(&client.id, &filter, list.page).await?;
    let items: Vec<KycDocumentView> = page.items.iter().map(view_of).collect();
    let mut response = json_response(StatusCode::OK, &items);
    response.headers_mut().extend(list.headers(page.total_items, &base));
    Ok(response)
}

/// List the KYC Documents of a user.
#[utoipa::path(get, path = "/v2.01/{ClientId}/users/{UserId}/kyc/documents", tag = "KYC Documents",
    params(("ClientId" = String, Path), ("UserId" = String, Path), crate::openapi::Pagination,
        ("Status" = Option<String>, Query), ("Type" = Option<String>, Query), ("AfterDate" = Option<i64>, Query), ("BeforeDate" = Option<i64>, Query)),
    security(("bearer" = [])),
    responses((status = 200, description = "Documents, with pagination headers", body = Vec<KycDocumentView>),
        (status = 400, description = "param_error", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found: no such user", body = crate::openapi::ErrorBody)))]
pub async fn list_for_user(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let base = format!(
        "{}/v2.01/{}/users/{user_id}/kyc/documents",
        state.public_url(),
        client.id
    );
    list(&state, &client, query.as_deref(), Some(UserId::from_raw(user_id)), base).await
}

/// List the KYC Documents of the client.
#[utoipa::path(get, path = "/v2.01/{ClientId}/kyc/documents", tag = "KYC Documents",
    params(("ClientId" = String, Path), crate::openapi::Pagination,
        ("Status" = Option<String>, Query), ("Type" = Option<String>, Query), ("AfterDate" = Option<i64>, Query), ("BeforeDate" = Option<i64>, Query)),
    security(("bearer" = [])),
    responses((status = 200, description = "Documents, with pagination headers", body = Vec<KycDocumentView>),
        (status = 400, description = "param_error", body = crate::openapi::ErrorBody)))]
pub async fn list_all(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let base = format!("{}/v2.01/{}/kyc/documents", state.public_url(), client.id);
    list(&state, &client, query.as_deref(), None, base).await
}

/// One page of a document to look at: a signed link that expires.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct KycConsultView {
    pub url: String,
    pub expiration_date: UnixTime,
}

/// Create a KYC Document Consult: a signed, expiring link to each page (served decrypted by
/// Verity, each use audited).
#[utoipa::path(post, path = "/v2.01/{ClientId}/kyc/documents/{KycDocumentId}/consult", tag = "KYC Documents",
    params(("ClientId" = String, Path), ("KycDocumentId" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<KycConsultView>), (status = 404, description = "ressource_not_found", body = crate::openapi::ErrorBody)))]
pub async fn consult(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let base = state.public_url().trim_end_matches('/').to_owned();
    let links = state.services.kyc_consult(&client.id, &id).await?;
    let items: Vec<KycConsultView> = links
        .into_iter()
        .map(|l| KycConsultView {
            url: format!("{base}{}", l.path),
            expiration_date: l.expires_at,
        })
        .collect();
    Ok(json_response(StatusCode::OK, &items))
}
