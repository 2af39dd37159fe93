//! The one error type of the HTTP API. Every failure a caller can meet is a variant here, and each
//! variant renders exactly one Mangopay error body, so the wire format is decided in one place.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use verity_domain::FieldErrors;
use verity_domain::session::SessionRefusal;
use verity_domain::user::UserRuleError;
use verity_store::StoreError;

/// Message of every `param_error` that lists its fields.
pub const PARAM_ERROR_MESSAGE: &str = "One or several required parameters are missing or incorrect. An incorrect resource ID also raises this kind of error.";

#[derive(Debug)]
pub enum ApiError {
    /// 400 `param_error` with one message per field.
    Params(FieldErrors),
    /// 400: the seed's "User ID not valid" body.
    UserIdNotValid,
    /// 400 `invalid_action` with the given message.
    InvalidAction(String),
    /// 404 `ressource_not_found`; `resource` is the kind named in the message.
    NotFound { resource: &'static str, id: String },
    /// 401 `invalid_credentials`.
    InvalidCredentials,
    /// 400 OAuth body: too many failed logins from one address.
    TemporarilyLocked {
        /// Seconds until the lock ends (the `Retry-After` header).
        retry_after: i64,
    },
    /// 403 `forbidden_ressource`.
    Forbidden,
    /// 403 RFC 7807 body: hosted IDV is not activated for this client (the seed's body).
    FeatureNotActivated,
    /// 403 `user_hasnt_accepted_terms_and_conditions`.
    TermsNotAccepted,
    /// 403 `sca_proxy_missing`.
    ScaProxyMissing,
    /// 400 `not_allowed_for_user_category_payer`.
    PayerNotAllowed,
    /// 409 `idempotent_creation_conflict`.
    IdempotencyConflict,
    /// 429 `rate_limit`.
    RateLimited,
    /// 405 on a known path with another method.
    MethodNotAllowed,
    /// 413: the body is larger than this endpoint accepts.
    PayloadTooLarge(usize),
    /// 415: a file of a type the endpoint does not take.
    UnsupportedFile,
    /// 500: our fault. The detail is logged, never sent.
    Internal(String),
    /// 503: the request ran past the server's request timeout.
    TimedOut,
}

impl ApiError {
    pub fn param(field: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::new();
        e.add(field, message);
        ApiError::Params(e)
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(verity_store::Conflict::IdempotencyKey) => ApiError::IdempotencyConflict,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<verity_service::ServiceError> for ApiError {
    fn from(e: verity_service::ServiceError) -> Self {
        use verity_service::ServiceError as S;
        match e {
            S::NotFound { resource, id } => ApiError::NotFound {
                resource: match resource {
                    "user" => "User",
                    "client" => "Client",
                    "hook" => "Hook",
                    "psc" => "Psc",
                    "document" => "Document",
                    "kyc document" => "KycDocument",
                    "ubo declaration" => "UboDeclaration",
                    "ubo" => "Ubo",
                    _ => "IdentityVerification",
                },
                id,
            },
            S::Params(fields) => ApiError::Params(fields),
            S::Transition(t) => ApiError::InvalidAction(t.to_string()),
            S::Rule(r) => r.into(),
            S::Refused(SessionRefusal::UserNotValid) => ApiError::UserIdNotValid,
            S::Refused(SessionRefusal::NotOwner) => {
                ApiError::InvalidAction("This feature is only available for users categorised as Owner.".into())
            }
            S::Refused(SessionRefusal::UnsupportedLegalType(t)) => {
                ApiError::InvalidAction(format!("The LegalUserType {} is not supported.", t.as_str()))
            }
            S::SandboxOnly => ApiError::Forbidden,
            S::Invalid(msg) => ApiError::InvalidAction(msg),
            S::Busy => ApiError::Internal("too much contention".into()),
            S::Store(s) => s.into(),
        }
    }
}

impl From<FieldErrors> for ApiError {
    fn from(e: FieldErrors) -> Self {
        ApiError::Params(e)
    }
}

impl From<UserRuleError> for ApiError {
    fn from(e: UserRuleError) -> Self {
        match e {
            UserRuleError::Invalid(fields) => ApiError::Params(fields),
            UserRuleError::TermsNotAccepted => ApiError::TermsNotAccepted,
            UserRuleError::TermsRevoked => {
                ApiError::InvalidAction("The user cannot revoke the terms and conditions acceptance".into())
            }
            UserRuleError::ScaProxyMissing => ApiError::ScaProxyMissing,
            UserRuleError::PayerNotAllowed => ApiError::PayerNotAllowed,
            UserRuleError::Closed => ApiError::InvalidAction("The user is closed".into()),
        }
    }
}

/// A random error id, as Mangopay gives every error.
fn error_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn now_f64() -> f64 {
    crate::now() as f64
}

fn standard(status: StatusCode, message: &str, kind: &str, errors: Option<Map<String, Value>>) -> (StatusCode, Value) {
    (
        status,
        json!({
            "Message": message,
            "Type": kind,
            "Id": error_id(),
            "Date": now_f64(),
            "errors": errors.map_or(Value::Null, Value::Object),
        }),
    )
}

fn fields(errors: &FieldErrors) -> Map<String, Value> {
    errors
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

impl ApiError {
    pub fn status_and_body(&self) -> (StatusCode, Value) {
        use ApiError::*;
        match self {
            Params(e) => standard(
                StatusCode::BAD_REQUEST,
                PARAM_ERROR_MESSAGE,
                "param_error",
                Some(fields(e)),
            ),
            UserIdNotValid => {
                let mut m = Map::new();
                m.insert("UserId".into(), "UserId is not valid".into());
                standard(
                    StatusCode::BAD_REQUEST,
                    "Missing or incorrect required parameter",
                    "param_error",
                    Some(m),
                )
            }
            InvalidAction(msg) => standard(StatusCode::BAD_REQUEST, msg, "invalid_action", None),
            NotFound { resource, id } => {
                let mut m = Map::new();
                m.insert(
                    "RessourceNotFound".into(),
                    format!("Cannot found the ressource {resource} with the id={id}").into(),
                );
                standard(
                    StatusCode::NOT_FOUND,
                    "The ressource does not exist",
                    "ressource_not_found",
                    Some(m),
                )
            }
            InvalidCredentials => standard(
                StatusCode::UNAUTHORIZED,
                "The authorization credentials are not valid",
                "invalid_credentials",
                None,
            ),
            TemporarilyLocked { .. } => (
                StatusCode::BAD_REQUEST,
                json!({
                    "error": "unauthorized_client",
                    "error_description": "This account has been temporarily locked for security reasons. Please try again later."
                }),
            ),
            Forbidden => standard(
                StatusCode::FORBIDDEN,
                "This endpoint is not available for your account",
                "forbidden_ressource",
                None,
            ),
            FeatureNotActivated => {
                let trace: u128 = rand::random();
                let span: u64 = rand::random();
                (
                    StatusCode::FORBIDDEN,
                    json!({
                        "type": "https://tools.ietf.org/html/rfc7231#section-6.5.3",
                        "title": "Forbidden",
                        "status": 403,
                        "traceId": format!("00-{trace:032x}-{span:016x}-01"),
                    }),
                )
            }
            TermsNotAccepted => standard(
                StatusCode::FORBIDDEN,
                "User must accept the terms and conditions before account creation or modification.",
                "user_hasnt_accepted_terms_and_conditions",
                None,
            ),
            ScaProxyMissing => standard(
                StatusCode::FORBIDDEN,
                "You are not authorized to perform this action. The user has not provided consent to the requested proxy",
                "sca_proxy_missing",
                None,
            ),
            PayerNotAllowed => standard(
                StatusCode::BAD_REQUEST,
                "This endpoint is not allowed for User categorized as PAYER",
                "not_allowed_for_user_category_payer",
                None,
            ),
            IdempotencyConflict => standard(
                StatusCode::CONFLICT,
                "A resource has already been created with this Idempotency Key",
                "idempotent_creation_conflict",
                None,
            ),
            RateLimited => standard(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded. Please contact support for more assistance",
                "rate_limit",
                None,
            ),
            MethodNotAllowed => standard(
                StatusCode::METHOD_NOT_ALLOWED,
                "The requested method is not supported by this resource",
                "method_not_allowed",
                None,
            ),
            PayloadTooLarge(limit) => {
                let mut m = Map::new();
                m.insert(
                    "Body".into(),
                    format!("The request body must not exceed {limit} bytes.").into(),
                );
                standard(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The request body is too large",
                    "param_error",
                    Some(m),
                )
            }
            UnsupportedFile => {
                let mut m = Map::new();
                m.insert("File".into(), "The file must be a JPEG, PNG, WebP or PDF file.".into());
                standard(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "The file format is not supported",
                    "param_error",
                    Some(m),
                )
            }
            Internal(_) => standard(
                StatusCode::INTERNAL_SERVER_ERROR,
                "An unexpected error occurred. Please try again later.",
                "internal_error",
                None,
            ),
            TimedOut => standard(
                StatusCode::SERVICE_UNAVAILABLE,
                "The request took too long. Please try again later.",
                "timeout",
                None,
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed");
        }
        let (status, body) = self.status_and_body();
        let content_type = if matches!(self, ApiError::FeatureNotActivated) {
            "application/problem+json; charset=utf-8"
        } else {
            "application/json; charset=utf-8"
        };
        let mut response = (status, body.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let ApiError::TemporarilyLocked { retry_after } = &self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after.max(&1).to_owned() as u64),
            );
        }
        response
    }
}
