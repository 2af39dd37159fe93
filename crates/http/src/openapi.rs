//! The OpenAPI 3.1 document, generated from the handlers' annotations and served at
//! `/openapi.json`.

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Required};
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

/// Pagination and sorting of list endpoints. Values out of bounds, or a `Sort` other than these,
/// are refused with a 400 `param_error` naming the parameter.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct Pagination {
    /// 1-based page number (default 1).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_i64)]
    page: Option<u32>,
    /// Items per page (default 10).
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
    /// `CreationDate:ASC` (default) or `CreationDate:DESC`; the name and direction are read
    /// without regard to case, and `CreationDate` alone means `CreationDate:ASC`.
    #[param(rename = "Sort", inline)]
    sort: Option<CreationDateSort>,
}

/// Sort orders of lists sorted by creation date.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub enum CreationDateSort {
    #[serde(rename = "CreationDate:ASC")]
    Asc,
    #[serde(rename = "CreationDate:DESC")]
    Desc,
}

/// Responses and parameters that layers in front of the handlers give every operation they
/// guard, added here so that no annotation can forget them: the 401 of the bearer and admin
/// guards, the 429 of the API's rate limits, the 403 of the admin API when it is off, the 400 of
/// pagination parameters, the idempotency key of API POSTs (400 when malformed, 409 when
/// reused), and the 400 and 413 of request bodies.
struct Guards;

fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

fn idempotency_key_parameter() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes the request idempotent for 24 hours: a second request with the same key is \
             refused (409 idempotent_creation_conflict) and the first response can be read at \
             `/responses/{IdempotencyKey}`.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(16))
                .max_length(Some(36))
                .pattern(Some("^[A-Za-z0-9-]+$")),
        ))
        .build()
}

impl Modify for Guards {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/v2.01/");
            let client_api = path.starts_with("/v2.01/{ClientId}/");
            let admin = path.starts_with("/admin/") || path == "/metrics";
            let operations = [
                (false, item.get.as_mut()),
                (false, item.put.as_mut()),
                (true, item.post.as_mut()),
                (false, item.delete.as_mut()),
            ];
            for (post, op) in operations {
                let Some(op) = op else { continue };
                let responses = &mut op.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_response(description));
                };
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add("401", "invalid_credentials: missing, unknown or expired credentials");
                }
                if api {
                    add("429", "rate_limit: too many calls in one of the rate-limit windows");
                }
                if admin {
                    add(
                        "403",
                        "forbidden_ressource: the admin API is off (no admin token configured)",
                    );
                }
                let params = op.parameters.get_or_insert_with(Vec::new);
                let paginated = params
                    .iter()
                    .any(|p| matches!(p, RefOr::T(p) if p.name == "per_page" && p.parameter_in == ParameterIn::Query));
                if paginated {
                    add("400", "param_error: page, per_page or Sort out of bounds");
                }
                if post && client_api {
                    params.retain(|p| !matches!(p, RefOr::T(p) if p.name == "Idempotency-Key"));
                    params.push(RefOr::T(idempotency_key_parameter()));
                    add("400", "param_error: malformed Idempotency-Key");
                    add(
                        "409",
                        "idempotent_creation_conflict: the Idempotency-Key was already used",
                    );
                }
                if op.request_body.is_some() {
                    add("400", "param_error: the body is not a JSON object");
                    add("413", "param_error: the body is larger than 1 MiB");
                }
                if params.is_empty() {
                    op.parameters = None;
                }
                // OpenAPI 3.1 requires a description on every response.
                for (status, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(r) = response
                        && r.description.is_empty()
                    {
                        r.description = status
                            .parse::<u16>()
                            .ok()
                            .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
                            .and_then(|s| s.canonical_reason())
                            .unwrap_or("Response")
                            .to_owned();
                    }
                }
            }
        }
    }
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
    modifiers(&Security, &Guards),
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
        crate::pscs::list_pscs,
        crate::pscs::retry_psc,
        crate::verified::view,
        crate::verified::document,
        crate::kyc::create,
        crate::kyc::add_page,
        crate::kyc::submit,
        crate::kyc::view_for_user,
        crate::kyc::view,
        crate::kyc::list_for_user,
        crate::kyc::list_all,
        crate::kyc::consult,
        crate::regulatory::validate_format,
        crate::regulatory::regulatory,
        crate::ubo::create,
        crate::ubo::list,
        crate::ubo::view_for_user,
        crate::ubo::view,
        crate::ubo::submit,
        crate::ubo::add_ubo,
        crate::ubo::update_ubo,
        crate::ubo::view_ubo,
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
    components(schemas(ErrorBody, ProblemBody, OAuthErrorBody))
)]
pub struct ApiDoc;

pub async fn document() -> axum::response::Response {
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
