//! The OpenAPI 3.1 document, generated from the handlers' annotations and served at
//! `/openapi.json`.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

/// The standard Mangopay error body.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(rename = "Type")]
    #[schema(example = "param_error")]
    pub kind: String,
    #[serde(rename = "Id")]
    pub id: String,
    /// Unix seconds (written with a `.0`, as Mangopay does).
    #[serde(rename = "Date")]
    pub date: f64,
    /// Field name to message, or `null`.
    #[serde(rename = "errors")]
    pub errors: Option<std::collections::BTreeMap<String, String>>,
}

/// RFC 7807 body of the "hosted IDV not activated" 403.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ProblemBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(rename = "traceId")]
    pub trace_id: String,
}

/// OAuth error body of a temporarily locked address.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct OAuthErrorBody {
    pub error: String,
    pub error_description: String,
}

/// Pagination and sorting of list endpoints.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct Pagination {
    /// 1-based page number (default 1).
    page: Option<u32>,
    /// Items per page, 1 to 100 (default 10).
    per_page: Option<u32>,
    /// `CreationDate:ASC` (default) or `CreationDate:DESC`.
    #[param(rename = "Sort")]
    sort: Option<String>,
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "admin",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Verity",
        description = "Self-hostable identity verification, wire-compatible with Mangopay's hosted KYC/KYB API. \
            Every response carries X-RateLimit, X-RateLimit-Remaining and X-RateLimit-Reset, one header line per window.\n\n\
            Sandbox controls (Verity extension, sandbox clients only; production clients get 403 forbidden_ressource): \
            a session created with a Tag containing `verity:accept`, `verity:review` or \
            `verity:refuse=<REASON_TYPE>[@<CHECK_TYPE>]` completes by itself shortly after creation, with that outcome's \
            checks, reasons, data and webhooks; the `/sandbox/...` helpers force an outcome, expire a session or \
            downgrade a user at once.\n\n\
            Webhooks are Mangopay's: `GET <Url>?EventType=...&RessourceId=...&Date=...`. When the client has a webhook \
            secret (`verity clients webhook-secret`), they also carry Standard Webhooks headers (`webhook-id`, \
            `webhook-timestamp`, `webhook-signature`) signing the query string.\n\n\
            The `/admin/v1` operator API takes the configured admin token as a bearer token.",
    ),
    modifiers(&Security),
    paths(
        crate::auth::token,
        crate::users::create_natural_legacy,
        crate::users::create_legal_legacy,
        crate::users::create_natural_sca,
        crate::users::create_legal_sca,
        crate::users::view_legacy,
        crate::users::view_natural_legacy,
        crate::users::view_legal_legacy,
        crate::users::view_sca,
        crate::users::view_natural_sca,
        crate::users::view_legal_sca,
        crate::users::update_natural_legacy,
        crate::users::update_legal_legacy,
        crate::users::update_natural_sca,
        crate::users::update_legal_sca,
        crate::users::categorize_natural,
        crate::users::categorize_legal,
        crate::users::enroll,
        crate::users::close_natural,
        crate::users::close_legal,
        crate::users::list_users,
        crate::sessions::create_session,
        crate::sessions::view_session,
        crate::sessions::view_checks_beta,
        crate::sessions::list_sessions,
        crate::idempotency::view_response,
        crate::hooks::create_hook,
        crate::hooks::list_hooks,
        crate::hooks::view_hook,
        crate::hooks::update_hook,
        crate::events::list_events,
        crate::sandbox::force_outcome,
        crate::sandbox::expire,
        crate::sandbox::downgrade,
        crate::admin::approve,
        crate::admin::refuse,
        crate::admin::downgrade,
        crate::admin::redact,
        crate::admin::metrics,
        crate::admin::deliveries,
        crate::admin::attempts,
        crate::admin::replay,
    ),
    components(schemas(ErrorBody, ProblemBody, OAuthErrorBody, crate::users::LegalUserLegacyView, crate::users::LegalUserScaView))
)]
pub struct ApiDoc;

pub async fn document() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(json) => {
            let mut r = json.into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        Err(e) => crate::error::ApiError::internal(e).into_response(),
    }
}
