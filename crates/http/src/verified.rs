//! View the Verified Identity of a User (August 2026), and the signed document links it gives.
//! The link route sits outside the bearer-authenticated API: the signature is its authorisation.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde::Serialize;
use utoipa::ToSchema;
use verity_domain::user::{LegalPersonType, Person};
use verity_domain::{ClientId, UnixTime, UserId};
use verity_service::verified::{VerifiedDocumentLinks, VerifiedIdentity, VerifiedPerson};

use crate::AppState;
use crate::auth::{Authed, AuthedClient};
use crate::error::ApiError;
use crate::wire::json_response;

/// The API route (bearer-authenticated, merged into the API router).
pub fn routes() -> Router<AppState> {
    Router::new().route("/v2.01/{client_id}/users/{user_id}/verified-identity", get(view))
}

/// The signed links' route (no bearer token: the signature is the authorisation).
pub fn document_routes() -> Router<AppState> {
    Router::new().route("/v2.01/{client_id}/verified-documents/{blob_id}", get(document))
}

/// One signed, expiring link to a validated file. Never cache it or use it as an identifier.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DocumentUrlView {
    /// `FRONT`, `BACK`, `REGISTRATION_PROOF` or `ARTICLES_OF_ASSOCIATION`.
    pub side: String,
    pub url: String,
    /// Unix seconds after which the link no longer works (five minutes after the call).
    pub expires_at: UnixTime,
}

/// A validated document.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct VerifiedDocumentView {
    /// `PASSPORT`, `IDENTITY_CARD`, `DRIVING_LICENCE`, `RESIDENCE_PERMIT`, `REGISTRATION_PROOF` or
    /// `ARTICLES_OF_ASSOCIATION`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// ISO 3166-1 alpha-2 (identity documents).
    pub issuing_country: Option<String>,
    /// The document number's last four characters, as read (identity documents).
    pub number_last_digits: Option<String>,
    pub expiry_date: Option<UnixTime>,
    #[serde(rename = "DocumentUrls")]
    pub document_urls: Vec<DocumentUrlView>,
}

/// A person as verification validated them (names and birth date read from their document).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct VerifiedPersonView {
    /// The PSC's `Id` in the PSC flow; `null` for the legal representative of a single session.
    pub id: Option<String>,
    /// `LEGAL_REPRESENTATIVE` or `UBO`.
    pub psc_type: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birthdate: Option<UnixTime>,
    /// ISO 3166-1 alpha-3, as the document's machine-readable zone writes it.
    pub nationality: Option<String>,
    pub ownership_percentage: Option<u8>,
    pub validation_date: Option<UnixTime>,
    /// The IDV session in which the person was verified.
    pub session_id: String,
    pub documents: Vec<VerifiedDocumentView>,
}

/// The identity data and documents verification validated. Properties may be `null` (never
/// declared data in their place); arrays may be empty.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct VerifiedIdentityView {
    pub user_id: String,
    /// `NATURAL`, `LEGAL_BUSINESS`, `LEGAL_ORGANIZATION`, `LEGAL_PARTNERSHIP` or `LEGAL_SOLETRADER`.
    pub user_type: &'static str,
    /// The validated IDV session the identity comes from (the main session in the PSC flow).
    pub identity_verification_id: String,
    pub verification_date: Option<UnixTime>,
    // Natural users.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birthdate: Option<UnixTime>,
    pub nationality: Option<String>,
    // Legal users.
    pub company_name: Option<String>,
    pub company_number: Option<String>,
    /// A natural user's identity document; a legal user's company documents.
    pub documents: Vec<VerifiedDocumentView>,
    /// Legal representatives verified through KYC documents (none yet: Verity verifies them in
    /// hosted sessions, listed under `Pscs`).
    pub legal_representatives: Vec<VerifiedPersonView>,
    /// People verified in hosted sessions: the legal representative of a single session, or
    /// every validated PSC.
    pub pscs: Vec<VerifiedPersonView>,
}

fn documents(state: &AppState, docs: &[VerifiedDocumentLinks]) -> Vec<VerifiedDocumentView> {
    let base = state.public_url().trim_end_matches('/');
    docs.iter()
        .map(|d| VerifiedDocumentView {
            kind: d.document_type.clone(),
            issuing_country: d.read.as_ref().map(|r| r.issuing_country.clone()),
            number_last_digits: d.read.as_ref().and_then(|r| r.number_last_digits.clone()),
            expiry_date: d.read.as_ref().and_then(|r| r.expiry_date),
            document_urls: d
                .links
                .iter()
                .map(|l| DocumentUrlView {
                    side: l.side.clone(),
                    url: format!("{base}{}", l.path),
                    expires_at: l.expires_at,
                })
                .collect(),
        })
        .collect()
}

fn person(state: &AppState, p: &VerifiedPerson) -> VerifiedPersonView {
    VerifiedPersonView {
        id: p.psc.as_ref().map(|x| x.id.to_string()),
        psc_type: p.psc.as_ref().map(|x| x.kind.as_str().to_owned()),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        birthdate: p.birthdate,
        nationality: p.documents.iter().find_map(|d| d.read.as_ref()?.nationality.clone()),
        ownership_percentage: p.psc.as_ref().and_then(|x| x.ownership),
        validation_date: p.validated_at,
        session_id: p.session_id.clone(),
        documents: documents(state, &p.documents),
    }
}

fn render(state: &AppState, v: &VerifiedIdentity) -> VerifiedIdentityView {
    let user_type = match &v.user.person {
        Person::Natural(_) => "NATURAL",
        Person::Legal(l) => match l.legal_person_type {
            LegalPersonType::Business => "LEGAL_BUSINESS",
            LegalPersonType::Organization => "LEGAL_ORGANIZATION",
            LegalPersonType::Partnership => "LEGAL_PARTNERSHIP",
            LegalPersonType::Soletrader => "LEGAL_SOLETRADER",
        },
    };
    let own = v.person.as_ref().map(|p| person(state, p));
    VerifiedIdentityView {
        user_id: v.user.id.to_string(),
        user_type,
        identity_verification_id: v.session.id.to_string(),
        verification_date: v.session.updated_at,
        first_name: own.as_ref().and_then(|p| p.first_name.clone()),
        last_name: own.as_ref().and_then(|p| p.last_name.clone()),
        birthdate: own.as_ref().and_then(|p| p.birthdate),
        nationality: own.as_ref().and_then(|p| p.nationality.clone()),
        company_name: v.company_name.clone(),
        company_number: v.company_number.clone(),
        documents: match own {
            Some(p) => p.documents,
            None => documents(state, &v.company_documents),
        },
        legal_representatives: Vec::new(),
        pscs: v.pscs.iter().map(|p| person(state, p)).collect(),
    }
}

/// View the verified identity of a REGULAR user, with signed links to the validated documents.
#[utoipa::path(get, path = "/v2.01/{ClientId}/users/{UserId}/verified-identity", tag = "Users",
    params(("ClientId" = String, Path), ("UserId" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = VerifiedIdentityView),
        (status = 400, description = "invalid_action: the user is not KYC REGULAR", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found: no such user", body = crate::openapi::ErrorBody),
    ))]
pub async fn view(
    State(state): State<AppState>,
    Extension(Authed(client)): AuthedClient,
    Path((_, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let identity = state
        .services
        .verified_identity(&client, &UserId::from_raw(user_id))
        .await?;
    let mut response = json_response(StatusCode::OK, &render(&state, &identity));
    // The links inside expire: never to be cached.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A validated document through its signed link.
#[utoipa::path(get, path = "/v2.01/{ClientId}/verified-documents/{DocumentId}", tag = "Users",
    params(("ClientId" = String, Path), ("DocumentId" = String, Path),
        ("expires" = i64, Query), ("signature" = String, Query)),
    responses(
        (status = 200, description = "The document, decrypted (JPEG, PNG or PDF)"),
        (status = 403, description = "forbidden_ressource: the link is not valid or has expired", body = crate::openapi::ErrorBody),
        (status = 404, description = "ressource_not_found: the document is gone (redacted, or the session is no longer validated)", body = crate::openapi::ErrorBody),
    ))]
pub async fn document(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((client_id, blob)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    // Read by hand: a link that is not one of ours (a missing or mangled parameter) is refused
    // like a wrong signature, never with a parser's message.
    let pairs = crate::wire::url_pairs(query.as_deref().unwrap_or(""));
    let param = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let expires = param("expires").and_then(|e| e.parse::<i64>().ok());
    let (Ok(client), Some(expires), Some(signature)) = (ClientId::parse(&client_id), expires, param("signature"))
    else {
        return Err(ApiError::Forbidden);
    };
    let address = peer.ip().to_string();
    match state
        .services
        .open_signed_document(&client, &blob, expires, &signature, Some(&address))
        .await
    {
        Ok((content_type, bytes)) => {
            let mut response = (StatusCode::OK, bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
            headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            Ok(response)
        }
        Err(verity_service::ServiceError::Invalid(_)) => Err(ApiError::Forbidden),
        Err(e) => Err(e.into()),
    }
}
