//! A platform's users in the console: found by id, shown with their sessions (each view
//! audited), downgraded to LIGHT or sent a new session link by an operator.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use verity_domain::session::NewSession;
use verity_domain::{ClientId, UserId};

use super::platform::{Button, operator_action, platform};
use super::view::{Fact, Frame, date, error_page, message, render, unavailable, user_facts};
use super::{CsrfForm, Staff};
use crate::AppState;
use crate::error::ApiError;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/clients/{client}/find-user", get(find_user))
        .route("/console/clients/{client}/users/{user}", get(user_page))
        .route("/console/clients/{client}/users/{user}/downgrade", post(downgrade))
        .route("/console/clients/{client}/users/{user}/sessions", post(new_session))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FindUser {
    id: String,
}

async fn find_user(_: Staff, Path(client): Path<String>, Query(q): Query<FindUser>) -> Response {
    // Unreserved characters stay as they are in a path segment.
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let encode = |s: &str| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string();
    Redirect::to(&format!(
        "/console/clients/{}/users/{}",
        encode(&client),
        encode(q.id.trim())
    ))
    .into_response()
}

#[derive(Template)]
#[template(path = "console/user.html", config = "templates/console/askama.toml")]
struct UserPage {
    page: Frame,
    csrf: String,
    /// `/console/clients/{client}`.
    base: String,
    user_id: String,
    user: Vec<Fact>,
    /// The operator's downgrade button (and the new link form with it).
    downgrade: Option<Button>,
    sessions: Vec<SessionRow>,
}

struct SessionRow {
    id: String,
    status: &'static str,
    /// The checks' reason types, comma-separated.
    reasons: String,
    created: String,
}

async fn user_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, user)): Path<(String, String)>,
) -> Response {
    let found = state
        .services
        .user_record(&ClientId::from_raw(client.clone()), &UserId::from_raw(user.clone()))
        .await;
    let record = match found {
        Ok(Some(r)) => r,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, "No such user."),
        Err(e) => return unavailable(e),
    };
    if let Err(r) = staff
        .audit(&state, "view_user", Some(&client), Some(&user), serde_json::json!({}))
        .await
    {
        return r;
    }
    let base = format!("/console/clients/{client}");
    let sessions = record
        .sessions
        .iter()
        .map(|s| SessionRow {
            id: s.id.to_string(),
            status: s.status.as_str(),
            reasons: s
                .checks
                .iter()
                .flat_map(|c| c.reasons.iter().map(|r| r.kind.clone()))
                .collect::<Vec<_>>()
                .join(", "),
            created: date(s.created_at),
        })
        .collect();
    let page = UserPage {
        page: Frame::of(&staff, format!("User {user}")),
        csrf: staff.csrf.clone(),
        downgrade: staff.role.can_operate().then(|| Button {
            action: format!("{base}/users/{user}/downgrade"),
            field: None,
            label: "Downgrade to LIGHT",
        }),
        base,
        user_id: user,
        user: user_facts(&record.user),
        sessions,
    };
    render(StatusCode::OK, &page)
}

async fn downgrade(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, user)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let recorded = operator_action(
        &state,
        &staff,
        &form.csrf,
        "downgrade_user",
        &client,
        &user,
        serde_json::json!({}),
    )
    .await;
    if let Err(r) = recorded {
        return r;
    }
    let c = match platform(&state, &client).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match state.services.downgrade_user(&c, &UserId::from_raw(user.clone())).await {
        Ok(_) => Redirect::to(&format!("/console/clients/{client}/users/{user}")).into_response(),
        Err(e) => message(StatusCode::CONFLICT, Some(&staff), "Not downgraded", &e.to_string()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewSessionForm {
    csrf: String,
    return_url: String,
}

#[derive(Template)]
#[template(path = "console/session_link.html", config = "templates/console/askama.toml")]
struct SessionLinkPage {
    page: Frame,
    client: String,
    user_id: String,
    url: String,
}

async fn new_session(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, user)): Path<(String, String)>,
    Form(form): Form<NewSessionForm>,
) -> Response {
    let recorded = operator_action(
        &state,
        &staff,
        &form.csrf,
        "new_session_link",
        &client,
        &user,
        serde_json::json!({"return_url": form.return_url}),
    )
    .await;
    if let Err(r) = recorded {
        return r;
    }
    let c = match platform(&state, &client).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    // The API's words for what went wrong.
    let created = match NewSession::parse(Some(form.return_url), None, None) {
        Ok(new) => state
            .services
            .open_session(&c, &UserId::from_raw(user.clone()), new, &|_| None)
            .await
            .map_err(|e| format!("{:?}", ApiError::from(e))),
        Err(e) => Err(format!("{e:?}")),
    };
    match created {
        Ok(session) => {
            let page = SessionLinkPage {
                page: Frame::of(&staff, "New session link"),
                url: session.hosted_url(state.public_url()),
                client,
                user_id: user,
            };
            render(StatusCode::OK, &page)
        }
        Err(e) => message(StatusCode::BAD_REQUEST, Some(&staff), "No link created", &e),
    }
}
