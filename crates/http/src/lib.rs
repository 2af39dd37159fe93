//! Verity's HTTP layers: the Mangopay-compatible REST API, the hosted pages behind `HostedUrl`,
//! and the OpenAPI document. Handlers are thin: they read the request, call the domain rules and
//! the store, and render the wire shape.

pub mod admin;
pub mod auth;
pub mod console;
pub mod error;
pub mod events;
pub mod hooks;
pub mod hosted;
pub mod idempotency;
pub mod kyc;
pub mod listener;
pub mod mail;
pub mod openapi;
pub mod path;
pub mod pscs;
pub mod ratelimit;
pub mod regulatory;
pub mod sandbox;
pub mod sessions;
pub mod ubo;
pub mod users;
pub mod verified;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;
use verity_service::Services;

pub use ratelimit::{DEFAULT_WINDOWS, Window};

/// Settings of the HTTP layers.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Base of every link handed out (`HostedUrl`, `Link` headers, SCA redirects), no trailing `/`.
    pub public_url: String,
    /// Lifetime of an OAuth access token, in seconds.
    pub token_ttl: i64,
    pub rate_limits: Vec<Window>,
    /// Failed token requests from one address before it is locked out.
    pub login_max_failures: u32,
    /// How long failures are remembered, and how long a lock lasts, in seconds.
    pub login_lock_seconds: i64,
    /// Bearer token of the operator's admin API; the admin API is off when unset.
    pub admin_token: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            public_url: "http://127.0.0.1:8080".into(),
            token_ttl: 3600,
            rate_limits: DEFAULT_WINDOWS.to_vec(),
            login_max_failures: 10,
            login_lock_seconds: 15 * 60,
            admin_token: None,
        }
    }
}

pub struct AppInner {
    /// Uploads per session on the hosted pages.
    pub upload_limiter: ratelimit::RateLimiter,
    pub services: Services,
    pub config: HttpConfig,
    pub limiter: ratelimit::RateLimiter,
    pub logins: auth::LoginGuard,
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState(pub Arc<AppInner>);

impl std::ops::Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    /// The HTTP layers over `services`, which must have a file store ([`Services::with_files`]).
    pub fn new(services: Services, config: HttpConfig) -> Self {
        let limiter = ratelimit::RateLimiter::new(config.rate_limits.clone());
        let logins = auth::LoginGuard::new(config.login_max_failures, config.login_lock_seconds);
        // A person retaking photos a few times is normal; hundreds of uploads are not.
        let upload_limiter = ratelimit::RateLimiter::new(vec![ratelimit::Window {
            seconds: 600,
            limit: 40,
        }]);
        AppState(Arc::new(AppInner {
            upload_limiter,
            services,
            config,
            limiter,
            logins,
        }))
    }

    pub fn public_url(&self) -> &str {
        &self.config.public_url
    }
}

pub use verity_common::clock::{now, now_millis};
pub use verity_common::hashing::sha256_hex;
pub use verity_common::secrets::{new_api_key, random_token};

/// The whole application: API, hosted pages, OpenAPI document.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(auth::token_routes())
        .merge(api_routes(state.clone()))
        .merge(verified::document_routes())
        .merge(hosted::routes())
        .merge(console::routes())
        .merge(admin::routes())
        .route("/openapi.json", get(openapi::document))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/", get(home))
        .fallback(not_found)
        .method_not_allowed_fallback(|| async { error::ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn(count_request))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(error::ApiError::Internal("handler panicked".into()))
        }))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(axum::middleware::from_fn(request_id))
        .layer(SetSensitiveRequestHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
            axum::http::header::COOKIE,
        ]))
        .with_state(state)
}

/// The API under `/v2.01/{ClientId}`: authenticated, rate limited, idempotent POSTs.
fn api_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(users::routes())
        .merge(sessions::routes())
        .merge(pscs::routes())
        .merge(verified::routes())
        .merge(kyc::routes())
        .merge(regulatory::routes())
        .merge(ubo::routes())
        .merge(idempotency::routes())
        .merge(hooks::routes())
        .merge(events::routes())
        .merge(sandbox::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(state, auth::api_guard))
}

/// `GET /`: where things are, for whoever opens the server's address in a browser.
#[derive(askama::Template)]
#[template(path = "home/index.html")]
struct HomePage {
    base: String,
}

async fn home(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let page = HomePage {
        base: state.public_url().trim_end_matches('/').to_owned(),
    };
    match askama::Template::render(&page) {
        Ok(html) => {
            let mut response = axum::response::Html(html).into_response();
            security_headers(response.headers_mut());
            response
        }
        Err(e) => error::ApiError::Internal(format!("home page: {e}")).into_response(),
    }
}

async fn not_found(req: Request) -> error::ApiError {
    error::ApiError::NotFound {
        resource: "Route",
        id: req.uri().path().to_owned(),
    }
}

pub use listener::{ListenerLimits, serve};

/// The header that names a request in the logs and in its answer.
const REQUEST_ID: &str = "x-request-id";

/// Names every request: a caller's `X-Request-Id` is kept when it is a plain token (letters,
/// digits, `-`, `_`, `.`, at most 64), so a platform can follow its call into Verity's logs;
/// anything else is replaced, so that no caller writes what it likes into the logs.
async fn request_id(mut req: Request, next: axum::middleware::Next) -> axum::response::Response {
    let given = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map(str::to_owned);
    let id = given.unwrap_or_else(|| verity_service::new_id("req_"));
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("req_unnamed"));
    req.headers_mut().insert(REQUEST_ID, value.clone());
    let mut response = next.run(req).await;
    response.headers_mut().insert(REQUEST_ID, value);
    response
}

/// Counts the request under its route's pattern (`/v2.01/{client_id}/users/{user_id}`), so the
/// metric's size stays bounded whatever paths callers send.
async fn count_request(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::Method;
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = match *req.method() {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    };
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    verity_service::metrics::REQUESTS.observe(
        &route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Readiness: 200 when the database answers, its schema is this binary's and the blob store
/// answers; 503 with what is not ready otherwise (details go to the log, not to the caller).
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let readiness = state.services.readiness().await;
    let checks: serde_json::Map<String, serde_json::Value> = readiness
        .checks
        .iter()
        .map(|(name, r)| {
            let value = match r {
                Ok(()) => "ok".to_owned(),
                Err(why) => why.clone(),
            };
            ((*name).to_owned(), serde_json::Value::String(value))
        })
        .collect();
    let (status, word) = if readiness.ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    };
    let mut response = (
        status,
        axum::Json(serde_json::json!({ "status": word, "checks": checks })),
    )
        .into_response();
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

/// Headers of every HTML page: no framing by default, no sniffing, no referrer leaks of tokens.
pub fn security_headers(headers: &mut axum::http::HeaderMap) {
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
}
