//! The back office under `/console`: staff sign in (argon2 passwords, optional TOTP), review the
//! sessions in REVIEW with their data, checks, evidence and images, and decide them; every action
//! and every view of personal data goes to the append-only audit log.
//!
//! Security: a random cookie (HttpOnly, SameSite=Strict, Secure over https) names a session
//! stored by its hash; sessions end after 30 idle minutes or 12 hours; every form carries the
//! session's CSRF token; five failed sign-ins lock an account for 15 minutes; pages and images
//! are never cached; images are decrypted on the fly and watermarked with the viewer's name.

mod pages;
mod platform;
pub use verity_common::secrets::{hash_password, password_problem};
pub use verity_common::totp;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use verity_store::{AuditEntry, StaffRecord, StaffSession};

use crate::{AppState, now, random_token, sha256_hex};

pub const COOKIE: &str = "verity_console";
const LOGIN_COOKIE: &str = "verity_console_login";
const IDLE_TIMEOUT: i64 = 30 * 60;
const MAX_SESSION: i64 = 12 * 3600;
const MAX_FAILURES: i64 = 5;
const LOCK_SECONDS: i64 = 15 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Reviewer,
    Operator,
    Auditor,
}

impl Role {
    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "reviewer" => Some(Role::Reviewer),
            "operator" => Some(Role::Operator),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    /// Only reviewers decide sessions.
    pub fn can_decide(self) -> bool {
        self == Role::Reviewer
    }

    /// Operators and auditors read the audit log.
    pub fn can_read_audit(self) -> bool {
        matches!(self, Role::Operator | Role::Auditor)
    }
}

/// The signed-in staff member of a request.
#[derive(Clone, Debug)]
pub struct Staff {
    pub record: StaffRecord,
    pub role: Role,
    pub csrf: String,
    pub address: Option<String>,
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
        audit(
            state,
            Some(&self.record),
            &self.record.username,
            action,
            client,
            target,
            detail,
            self.address.clone(),
        )
        .await
    }
}

#[allow(clippy::too_many_arguments)]
async fn audit(
    state: &AppState,
    staff: Option<&StaffRecord>,
    username: &str,
    action: &str,
    client: Option<&str>,
    target: Option<&str>,
    detail: serde_json::Value,
    address: Option<String>,
) -> Result<(), Response> {
    let entry = AuditEntry {
        id: verity_service::new_id("aud_"),
        at: now(),
        staff_id: staff.map(|s| s.id.clone()),
        username: username.to_owned(),
        action: action.to_owned(),
        client_id: client.map(str::to_owned),
        target: target.map(str::to_owned),
        detail: detail.to_string(),
        address,
    };
    state.store.append_audit(&entry).await.map_err(|e| {
        tracing::error!(error = %e, "cannot write the audit log");
        pages::error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "The audit log cannot be written; nothing was done.",
        )
    })
}

/// Checks a password on a blocking thread: Argon2 takes tens of milliseconds of CPU, which must
/// not stall the threads serving other requests.
async fn verify_off_runtime(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || verity_common::secrets::password_matches(&password, &hash))
        .await
        .unwrap_or(false)
}

pub fn routes() -> Router<AppState> {
    pages::routes()
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
        let hash = sha256_hex(&token);
        let found = state.store.staff_session(&hash).await.map_err(|e| {
            tracing::error!(error = %e, "cannot read console session");
            pages::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The console is unavailable; try again.",
            )
        })?;
        let Some((session, record)) = found else {
            return Err(to_login());
        };
        let now = now();
        let role = Role::parse(&record.role);
        if record.disabled
            || role.is_none()
            || now - session.last_seen_at > IDLE_TIMEOUT
            || now - session.created_at > MAX_SESSION
        {
            let _ = state.store.delete_staff_session(&hash).await;
            return Err(to_login());
        }
        if now - session.last_seen_at >= 30 {
            let _ = state.store.touch_staff_session(&hash, now).await;
        }
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(Staff {
            record,
            role: role.expect("checked above"),
            csrf: session.csrf,
            address,
        })
    }
}

/// Security headers on every console response.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    crate::security_headers(h);
    h.insert("cache-control", HeaderValue::from_static("no-store, private"));
    h.insert("pragma", HeaderValue::from_static("no-cache"));
    response
}

/// Signs a staff member in; the result is the response to send.
async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    code: &str,
    address: Option<String>,
) -> Result<Response, &'static str> {
    const GENERIC: &str = "Wrong username, password or code.";
    let now = now();
    let found = state
        .store
        .staff_by_username(username)
        .await
        .map_err(|_| "The console is unavailable; try again.")?;
    let Some(staff) = found else {
        // Same work as a real check, so timing does not tell which usernames exist.
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let dummy = DUMMY.get_or_init(|| hash_password("no such staff member").unwrap_or_default());
        let _ = verify_off_runtime(password, dummy).await;
        let _ = audit(
            state,
            None,
            username,
            "login_failed",
            None,
            None,
            serde_json::json!({"reason": "unknown user"}),
            address,
        )
        .await;
        return Err(GENERIC);
    };
    const LOCKED: &str = "Too many failed attempts: this account is locked for 15 minutes.";
    // The attempt is counted before the password is checked, so parallel guesses cannot all be
    // checked before the lock.
    let reserved = state
        .store
        .reserve_staff_login(&staff.id, now, MAX_FAILURES, now + LOCK_SECONDS)
        .await
        .map_err(|_| "The console is unavailable; try again.")?;
    let Some(locked_until) = reserved else {
        let _ = audit(
            state,
            Some(&staff),
            username,
            "login_refused",
            None,
            None,
            serde_json::json!({"reason": "locked"}),
            address,
        )
        .await;
        return Err(LOCKED);
    };
    let ok = !staff.disabled
        && verify_off_runtime(password, &staff.password_hash).await
        && staff.totp_secret.as_deref().is_none_or(|s| totp::verify(s, code, now));
    if !ok {
        let _ = audit(
            state,
            Some(&staff),
            username,
            "login_failed",
            None,
            None,
            serde_json::json!({"locked": locked_until > now}),
            address,
        )
        .await;
        return Err(if locked_until > now { LOCKED } else { GENERIC });
    }
    state
        .store
        .staff_login_succeeded(&staff.id)
        .await
        .map_err(|_| "The console is unavailable; try again.")?;
    let token = random_token();
    let session = StaffSession {
        token_hash: sha256_hex(&token),
        staff_id: staff.id.clone(),
        csrf: random_token(),
        created_at: now,
        last_seen_at: now,
    };
    state
        .store
        .insert_staff_session(&session)
        .await
        .map_err(|_| "The console is unavailable; try again.")?;
    audit(
        state,
        Some(&staff),
        username,
        "login",
        None,
        None,
        serde_json::json!({}),
        address,
    )
    .await
    .map_err(|_| "The audit log cannot be written; you were not signed in.")?;
    let mut response = Redirect::to("/console/reviews").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(state, COOKIE, &token, MAX_SESSION));
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(state, LOGIN_COOKIE, "", 0));
    Ok(response)
}

/// A warning at the top of the queue and the platforms pages while any hook is INVALID: its
/// platform receives nothing until the hook is re-validated, so someone must act.
pub(crate) async fn invalid_hooks_banner(state: &AppState) -> String {
    let hooks = match state.store.invalid_hooks(None).await {
        Ok(h) if !h.is_empty() => h,
        _ => return String::new(),
    };
    let esc = crate::hosted::esc;
    let items: String = hooks
        .iter()
        .map(|h| {
            format!(
                "<li><a href=\"/console/clients/{c}\">{c}</a>: {event} to {url}, {failed} failed events, {paused} deliveries waiting</li>",
                c = esc(h.client_id.as_str()),
                event = esc(&h.event_type),
                url = esc(&h.url),
                failed = h.failed_events,
                paused = h.paused,
            )
        })
        .collect();
    format!(
        "<section class=\"banner\" role=\"alert\"><h2>Webhooks stopped</h2><p>These hooks turned INVALID after failing for a long time. \
         Their events are kept and wait; re-validate a hook on its platform's page once its receiver works, and they are sent, oldest first.</p><ul>{items}</ul></section>"
    )
}
