//! Signing in and out. The sign-in form is protected by a double-submit token (a cookie and a
//! hidden field), an address that fails often is slowed down, and the account's own lock and
//! audit entries are the service's (`Services::sign_in_staff`).

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::net::SocketAddr;
use verity_service::back_office::{MAX_SESSION, SignIn};

use super::view::{Frame, forbidden, render};
use super::{COOKIE, CsrfForm, LOGIN_COOKIE, Staff, cookie_value, set_cookie};
use crate::{AppState, now, random_token};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
}

#[derive(Template)]
#[template(path = "console/login.html", config = "templates/console/askama.toml")]
struct LoginPage<'a> {
    page: Frame,
    token: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    csrf: String,
    username: String,
    password: String,
    code: String,
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_form(&state, &headers, None)
}

fn login_form(state: &AppState, headers: &HeaderMap, error: Option<&str>) -> Response {
    // Double-submit token: the form's hidden field must match this cookie.
    let token = cookie_value(headers, LOGIN_COOKIE)
        .filter(|t| t.len() >= 32)
        .unwrap_or_else(random_token);
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let page = LoginPage {
        page: Frame::anonymous("Sign in"),
        token: &token,
        error,
    };
    let mut response = render(status, &page);
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(state, LOGIN_COOKIE, &token, 3600));
    response
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.len() < 32 || form.csrf != expected {
        return login_form(&state, &headers, Some("The form expired; please sign in again."));
    }
    // Besides the per-account lock, an address that fails often is slowed down (its own
    // counter: the API's token endpoint keeps another).
    static GUARD: std::sync::OnceLock<crate::auth::LoginGuard> = std::sync::OnceLock::new();
    let guard = GUARD.get_or_init(|| crate::auth::LoginGuard::new(20, 15 * 60));
    // Keyed by the address alone: the console's sign-in claims no client.
    let Some(attempt) = guard.begin(&(String::new(), peer.ip()), now()) else {
        return login_form(
            &state,
            &headers,
            Some("Too many failed attempts from this address; wait a few minutes."),
        );
    };
    let address = peer.ip().to_string();
    let signed = state
        .services
        .sign_in_staff(form.username.trim(), &form.password, &form.code, Some(&address))
        .await;
    let refusal = match signed {
        Ok(SignIn::SignedIn { token }) => {
            attempt.succeeded();
            let mut response = Redirect::to("/console/reviews").into_response();
            let h = response.headers_mut();
            h.append(header::SET_COOKIE, set_cookie(&state, COOKIE, &token, MAX_SESSION));
            h.append(header::SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, "", 0));
            return response;
        }
        Ok(SignIn::Refused) => "Wrong username, password or code.",
        Ok(SignIn::Locked) => "Too many failed attempts: this account is locked for 15 minutes.",
        Ok(SignIn::Unrecorded) => "The audit log cannot be written; you were not signed in.",
        Err(_) => "The console is unavailable; try again.",
    };
    attempt.failed(now());
    login_form(&state, &headers, Some(refusal))
}

async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !staff.sent(&form.csrf) {
        return forbidden(&staff, "The form is not valid (anti-forgery check failed).");
    }
    if let Some(token) = cookie_value(&headers, COOKIE) {
        let _ = state.services.end_console_session(&token).await;
    }
    let _ = staff.audit(&state, "logout", None, None, serde_json::json!({})).await;
    let mut response = Redirect::to("/console/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, COOKIE, "", 0));
    response
}
