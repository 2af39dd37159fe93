//! The back office under `/console`: staff sign in (argon2 passwords, optional TOTP), review the
//! sessions in REVIEW with their data, checks, evidence and images, and decide them; every action
//! and every view of personal data goes to the append-only audit log.
//!
//! Security: a random cookie (HttpOnly, SameSite=Strict, Secure over https) names a session
//! stored by its hash; sessions end after 30 idle minutes or 12 hours; every form carries the
//! session's CSRF token; five failed sign-ins lock an account for 15 minutes; pages and images
//! are never cached; images are decrypted on the fly and watermarked with the viewer's name.
//!
//! The use cases are `verity_service`'s (`back_office` and the others); this module reads
//! requests and renders pages from the templates under `templates/console/`, one per page.

mod audit;
mod documents;
mod files;
mod platform;
mod pscs;
mod reviews;
mod session_page;
mod session_view;
mod sign_in;
mod staff;
mod users;
mod view;

pub use verity_common::secrets::{hash_password, password_problem};
pub use verity_common::totp;
pub use verity_service::back_office::Role;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use std::net::SocketAddr;
use verity_service::back_office::StaffMember;

use crate::AppState;
use view::error_page;

pub const COOKIE: &str = "verity_console";
const LOGIN_COOKIE: &str = "verity_console_login";

/// The signed-in staff member of a request, with their session's anti-forgery token.
#[derive(Clone, Debug)]
pub struct Staff {
    pub member: StaffMember,
    pub csrf: String,
}

impl std::ops::Deref for Staff {
    type Target = StaffMember;
    fn deref(&self) -> &StaffMember {
        &self.member
    }
}

impl Staff {
    /// Appends an audit entry; an entry that cannot be written fails the action.
    pub async fn audit(
        &self,
        state: &AppState,
        action: &str,
        client: Option<&str>,
        target: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<(), Response> {
        state
            .services
            .audit(&self.member, action, client, target, detail)
            .await
            .map_err(|_| view::unrecorded())
    }

    /// Whether a form carries this session's anti-forgery token.
    fn sent(&self, csrf: &str) -> bool {
        csrf == self.csrf
    }

    /// A form without this session's anti-forgery token: recorded as `forged_request`, and
    /// refused.
    async fn forged(&self, state: &AppState, form: &str, client: &str, target: &str) -> Response {
        let _ = self
            .audit(
                state,
                "forged_request",
                Some(client),
                Some(target),
                serde_json::json!({ "form": form }),
            )
            .await;
        view::forbidden(
            self,
            "The form is not valid (anti-forgery check failed). Nothing was done.",
        )
    }
}

/// A form that carries nothing but the anti-forgery token.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CsrfForm {
    csrf: String,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/reviews") }))
        .merge(sign_in::routes())
        .merge(reviews::routes())
        .merge(session_page::routes())
        .merge(staff::routes())
        .merge(pscs::routes())
        .merge(documents::routes())
        .merge(files::routes())
        .merge(platform::routes())
        .merge(users::routes())
        .merge(audit::routes())
        .route(
            "/console/static/console.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    include_str!("../../static/console.js"),
                )
            }),
        )
        .route(
            "/console/static/console.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    include_str!("../../static/console.css"),
                )
            }),
        )
        .layer(axum::middleware::from_fn(headers))
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.public_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/console/login").into_response();
        let Some(token) = cookie_value(&parts.headers, COOKIE) else {
            return Err(to_login());
        };
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        match state.services.console_session(&token, address).await {
            Ok(Some(session)) => Ok(Staff {
                member: session.staff,
                csrf: session.csrf,
            }),
            Ok(None) => Err(to_login()),
            Err(e) => {
                tracing::error!(error = %e, "cannot read console session");
                Err(error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The console is unavailable; try again.",
                ))
            }
        }
    }
}

const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Security headers on every console response.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    // A response that set its own framing rules (a PDF the session page previews) keeps them.
    let own = response.headers().get("content-security-policy").cloned();
    let own_frame = response.headers().get("x-frame-options").cloned();
    let h = response.headers_mut();
    crate::security_headers(h);
    // Console pages run the console's own script and frame its own PDFs; nothing else.
    h.insert("content-security-policy", HeaderValue::from_static(CONSOLE_CSP));
    if let (Some(csp), Some(frame)) = (own, own_frame) {
        h.insert("content-security-policy", csp);
        h.insert("x-frame-options", frame);
    }
    h.insert("cache-control", HeaderValue::from_static("no-store, private"));
    h.insert("pragma", HeaderValue::from_static("no-cache"));
    response
}
