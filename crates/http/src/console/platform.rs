//! The platform view of the console: each client's settings, users, sessions and webhook
//! deliveries, with the operator's actions (activation, manual review of natural users, API key
//! rotation, a new session link, a downgrade, a delivery replay), each one audited.

use std::collections::HashMap;

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::json;
use verity_domain::session::NewSession;
use verity_domain::{ClientId, UserId};
use verity_service::ServiceError;
use verity_service::clients::ClientSetting;
use verity_service::hooks::HookChange;
use verity_store::{PageRequest, SortDirection};

use super::Staff;
use super::pages::{date, forbidden, layout, unavailable, user_section};
use crate::AppState;
use crate::hosted::esc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/clients", get(clients))
        .route("/console/clients/{client}", get(client_page))
        .route("/console/clients/{client}/settings", post(settings))
        .route("/console/clients/{client}/find-user", get(find_user))
        .route("/console/clients/{client}/users/{user}", get(user_page))
        .route("/console/clients/{client}/users/{user}/downgrade", post(downgrade))
        .route("/console/clients/{client}/users/{user}/sessions", post(new_session))
        .route("/console/clients/{client}/deliveries/{delivery}/replay", post(replay))
        .route("/console/clients/{client}/deliveries/{delivery}", get(delivery_page))
        .route("/console/clients/{client}/hooks/{hook}", post(hook_action))
}

/// The platform named in the path: a 404 page when there is none, a 503 one when storage fails.
async fn platform(state: &AppState, client: &str) -> Result<verity_domain::Client, Response> {
    match state.store.client(&ClientId::from_raw(client.to_owned())).await {
        Ok(Some(c)) => Ok(c.client),
        Ok(None) => Err(super::pages::error_page(StatusCode::NOT_FOUND, "No such platform.")),
        Err(e) => Err(unavailable(e)),
    }
}

fn page(n: u32) -> PageRequest {
    PageRequest {
        page: 1,
        per_page: n,
        direction: SortDirection::Desc,
    }
}

/// An operator's form: checks the token and the role, and records the action first.
async fn operator_action(
    state: &AppState,
    staff: &Staff,
    form: &HashMap<String, String>,
    action: &str,
    client: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), Response> {
    if form.get("csrf") != Some(&staff.csrf) {
        let _ = staff
            .audit(
                state,
                "forged_request",
                Some(client),
                Some(target),
                json!({"form": action}),
            )
            .await;
        return Err(forbidden(
            staff,
            "The form is not valid (anti-forgery check failed). Nothing was done.",
        ));
    }
    if staff.role != super::Role::Operator {
        return Err(forbidden(staff, "Only operators change platforms and users."));
    }
    staff.audit(state, action, Some(client), Some(target), detail).await
}

fn button(action: &str, csrf: &str, fields: &[(&str, &str)], label: &str) -> String {
    let hidden: String = fields
        .iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", esc(k), esc(v)))
        .collect();
    format!(
        "<form method=\"post\" action=\"{}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">{hidden}<button type=\"submit\">{}</button></form>",
        esc(action),
        esc(csrf),
        esc(label)
    )
}

async fn clients(State(state): State<AppState>, staff: Staff) -> Response {
    let list = match state.store.clients().await {
        Ok(l) => l,
        Err(e) => return unavailable(e),
    };
    let rows: String = list
        .iter()
        .map(|c| {
            format!(
                "<tr><td><a href=\"/console/clients/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.name),
                c.environment.as_str(),
                if c.idv_enabled { "active" } else { "not activated" },
                id = esc(c.id.as_str())
            )
        })
        .collect();
    let banner = super::invalid_hooks_banner(&state).await;
    let body = format!(
        "{banner}<table><caption>Platforms</caption><thead><tr><th scope=\"col\">Client</th><th scope=\"col\">Name</th><th scope=\"col\">Environment</th><th scope=\"col\">Hosted IDV</th></tr></thead><tbody>{rows}</tbody></table>"
    );
    layout("Platforms", Some(&staff), &body).into_response()
}

async fn client_page(State(state): State<AppState>, staff: Staff, Path(client): Path<String>) -> Response {
    let c = match platform(&state, &client).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let id = c.id.clone();
    let (users, deliveries, hooks) = match (
        state.store.users(&id, page(50)).await,
        state.store.deliveries(Some(&id), None, page(50)).await,
        state.store.hooks(&id, page(100)).await,
    ) {
        (Ok(u), Ok(d), Ok(h)) => (u, d, h),
        _ => {
            return super::pages::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The console cannot reach its storage; try again.",
            );
        }
    };
    let base = format!("/console/clients/{}", esc(&client));
    let operator = staff.role == super::Role::Operator;
    let settings = if operator {
        let toggle = |what: &str, on: bool, label_on: &str, label_off: &str| {
            button(
                &format!("{base}/settings"),
                &staff.csrf,
                &[("action", &format!("{what}_{}", if on { "off" } else { "on" }))],
                if on { label_off } else { label_on },
            )
        };
        format!(
            "<div class=\"actions\">{}{}{}</div>",
            toggle("idv", c.idv_enabled, "Activate hosted IDV", "Deactivate hosted IDV"),
            toggle(
                "natural_review",
                c.natural_review,
                "Allow manual review of natural users",
                "Stop manual review of natural users"
            ),
            button(
                &format!("{base}/settings"),
                &staff.csrf,
                &[("action", "rotate_key")],
                "Issue a new API key"
            )
        )
    } else {
        String::new()
    };
    let user_rows: String = users
        .items
        .iter()
        .map(|u| {
            format!(
                "<tr><td><a href=\"{base}/users/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                match u.legal_person_type() {
                    Some(t) => t.as_str(),
                    None => "NATURAL",
                },
                u.kyc_level.as_str(),
                date(u.created_at),
                id = esc(u.id.as_str())
            )
        })
        .collect();
    let delivery_rows: String = deliveries
        .items
        .iter()
        .map(|d| {
            let replay = if operator && d.state != "pending" {
                button(
                    &format!("{base}/deliveries/{}/replay", d.id),
                    &staff.csrf,
                    &[],
                    "Replay",
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td><a href=\"{base}/deliveries/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{replay}</td></tr>",
                esc(&d.id),
                esc(&d.event_type),
                esc(&d.resource_id),
                esc(&d.state),
                d.attempts,
                date(d.created_at)
            )
        })
        .collect();
    let hook_rows: String = hooks
        .items
        .iter()
        .map(|h| {
            let actions = if operator {
                let target = format!("{base}/hooks/{}", h.id);
                let mut a = button(
                    &target,
                    &staff.csrf,
                    &[("action", if h.enabled { "disable" } else { "enable" })],
                    if h.enabled { "Disable" } else { "Enable" },
                );
                if !h.valid {
                    a.push_str(&button(
                        &target,
                        &staff.csrf,
                        &[("action", "revalidate")],
                        "Mark valid again",
                    ));
                }
                a
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{actions}</td></tr>",
                esc(&h.event_type),
                esc(&h.url),
                if h.enabled { "ENABLED" } else { "DISABLED" },
                if h.valid { "VALID" } else { "INVALID" }
            )
        })
        .collect();
    let body = format!(
        "<p>{} · {} · hosted IDV {} · manual review of natural users {}</p>{settings}\
         <form method=\"get\" action=\"{base}/find-user\" class=\"filters\" id=\"find-user\"><label for=\"user\">Find a user by id</label><input id=\"user\" name=\"id\"><button type=\"submit\">Open</button></form>\
         <table><caption>Latest users</caption><thead><tr><th scope=\"col\">User</th><th scope=\"col\">Type</th><th scope=\"col\">KYC level</th><th scope=\"col\">Created</th></tr></thead><tbody>{user_rows}</tbody></table>\
         <table><caption>Webhook deliveries, newest first</caption><thead><tr><th scope=\"col\">Event</th><th scope=\"col\">Resource</th><th scope=\"col\">State</th><th scope=\"col\">Attempts</th><th scope=\"col\">Created</th><th scope=\"col\">Action</th></tr></thead><tbody>{delivery_rows}</tbody></table>\
         <table><caption>Hooks</caption><thead><tr><th scope=\"col\">Event type</th><th scope=\"col\">URL</th><th scope=\"col\">Status</th><th scope=\"col\">Validity</th><th scope=\"col\">Action</th></tr></thead><tbody>{hook_rows}</tbody></table>",
        esc(&c.name),
        c.environment.as_str(),
        if c.idv_enabled { "active" } else { "not activated" },
        if c.natural_review { "on" } else { "off" },
    );
    layout(&format!("Platform {client}"), Some(&staff), &body).into_response()
}

async fn settings(
    State(state): State<AppState>,
    staff: Staff,
    Path(client): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let action = form.get("action").cloned().unwrap_or_default();
    if let Err(r) = operator_action(
        &state,
        &staff,
        &form,
        &format!("client_{action}"),
        &client,
        &client,
        json!({}),
    )
    .await
    {
        return r;
    }
    let id = ClientId::from_raw(client.clone());
    let setting = match action.as_str() {
        "idv_on" | "idv_off" => ClientSetting::Idv(action == "idv_on"),
        "natural_review_on" | "natural_review_off" => ClientSetting::NaturalReview(action == "natural_review_on"),
        "rotate_key" => {
            return match state.services.rotate_api_key(&id).await {
                Ok(key) => layout(
                    "New API key",
                    Some(&staff),
                    &format!(
                        "<p>The old key and its tokens no longer work. The new key is shown once:</p><p><code id=\"api-key\">{}</code></p><p><a href=\"/console/clients/{c}\">Back to {c}</a></p>",
                        esc(&key),
                        c = esc(&client)
                    ),
                )
                .into_response(),
                Err(ServiceError::NotFound { .. }) => super::pages::error_page(StatusCode::NOT_FOUND, "No such platform."),
                Err(e) => unavailable(e),
            };
        }
        _ => return super::pages::error_page(StatusCode::BAD_REQUEST, "Unknown action."),
    };
    match state.services.set_client(&id, setting).await {
        Ok(()) => Redirect::to(&format!("/console/clients/{client}")).into_response(),
        Err(ServiceError::NotFound { .. }) => super::pages::error_page(StatusCode::NOT_FOUND, "No such platform."),
        Err(e) => unavailable(e),
    }
}

async fn find_user(
    _: Staff,
    Path(client): Path<String>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let user = q.get("id").map(|u| u.trim().to_owned()).unwrap_or_default();
    // Unreserved characters stay as they are in a path segment.
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let encode = |s: &str| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string();
    Redirect::to(&format!("/console/clients/{}/users/{}", encode(&client), encode(&user))).into_response()
}

async fn user_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, user)): Path<(String, String)>,
) -> Response {
    let id = ClientId::from_raw(client.clone());
    let found = match state.store.user(&id, &UserId::from_raw(user.clone())).await {
        Ok(u) => u,
        Err(e) => return unavailable(e),
    };
    let Some(u) = found else {
        return super::pages::error_page(StatusCode::NOT_FOUND, "No such user.");
    };
    if let Err(r) = staff
        .audit(&state, "view_user", Some(&client), Some(&user), json!({}))
        .await
    {
        return r;
    }
    let sessions = match state.store.sessions_of_user(&id, &u.id, page(100)).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let base = format!("/console/clients/{}", esc(&client));
    let rows: String = sessions
        .items
        .iter()
        .map(|s| {
            let reasons: Vec<String> = s
                .checks
                .iter()
                .flat_map(|c| c.reasons.iter().map(|r| r.kind.clone()))
                .collect();
            format!(
                "<tr><td><a href=\"{base}/sessions/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                s.status.as_str(),
                esc(&reasons.join(", ")),
                date(s.created_at),
                id = esc(s.id.as_str())
            )
        })
        .collect();
    let actions = if staff.role == super::Role::Operator {
        format!(
            "<div class=\"actions\">{}<form method=\"post\" action=\"{base}/users/{u}/sessions\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <label for=\"return_url\">Return URL of a new session link</label><input id=\"return_url\" name=\"return_url\" type=\"url\" required>\
             <button type=\"submit\">Generate a new session link</button></form></div>",
            button(
                &format!("{base}/users/{}/downgrade", esc(&user)),
                &staff.csrf,
                &[],
                "Downgrade to LIGHT"
            ),
            esc(&staff.csrf),
            u = esc(&user),
        )
    } else {
        String::new()
    };
    let body = format!(
        "{}{actions}<table><caption>Sessions</caption><thead><tr><th scope=\"col\">Session</th><th scope=\"col\">Status</th><th scope=\"col\">Reasons</th><th scope=\"col\">Created</th></tr></thead><tbody>{rows}</tbody></table>",
        user_section(&u)
    );
    layout(&format!("User {user}"), Some(&staff), &body).into_response()
}

async fn downgrade(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, user)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = operator_action(&state, &staff, &form, "downgrade_user", &client, &user, json!({})).await {
        return r;
    }
    let c = match platform(&state, &client).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match state.services.downgrade_user(&c, &UserId::from_raw(user.clone())).await {
        Ok(_) => Redirect::to(&format!("/console/clients/{client}/users/{user}")).into_response(),
        Err(e) => (
            StatusCode::CONFLICT,
            layout(
                "Not downgraded",
                Some(&staff),
                &format!("<p role=\"alert\">{}</p>", esc(&e.to_string())),
            ),
        )
            .into_response(),
    }
}

async fn new_session(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, user)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let return_url = form.get("return_url").cloned().unwrap_or_default();
    if let Err(r) = operator_action(
        &state,
        &staff,
        &form,
        "new_session_link",
        &client,
        &user,
        json!({"return_url": return_url}),
    )
    .await
    {
        return r;
    }
    let c = match platform(&state, &client).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let created = match NewSession::parse(Some(return_url), None) {
        Ok(new) => crate::sessions::open_session(&state, &c, &user, new, &None)
            .await
            .map_err(|e| format!("{e:?}")),
        Err(e) => Err(format!("{e:?}")),
    };
    match created {
        Ok(view) => layout(
            "New session link",
            Some(&staff),
            &format!(
                "<p>Send this link to the user (it opens the hosted verification):</p><p><code id=\"hosted-url\">{}</code></p><p><a href=\"/console/clients/{c}/users/{u}\">Back to the user</a></p>",
                esc(&view.hosted_url),
                c = esc(&client),
                u = esc(&user)
            ),
        )
        .into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, layout("No link created", Some(&staff), &format!("<p role=\"alert\">{}</p>", esc(&e)))).into_response(),
    }
}

async fn replay(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, delivery)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = operator_action(&state, &staff, &form, "replay_delivery", &client, &delivery, json!({})).await {
        return r;
    }
    match state.store.replay_delivery(&delivery, crate::now()).await {
        Ok(true) => {
            state.services.outbox.notify_one();
            Redirect::to(&format!("/console/clients/{client}")).into_response()
        }
        Ok(false) => super::pages::error_page(StatusCode::NOT_FOUND, "No such delivery."),
        Err(e) => unavailable(e),
    }
}

async fn delivery_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, delivery)): Path<(String, String)>,
) -> Response {
    let attempts = match state.store.attempts(&delivery).await {
        Ok(a) => a,
        Err(e) => return unavailable(e),
    };
    let rows: String = attempts
        .iter()
        .map(|a| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} ms</td><td>{}</td></tr>",
                a.attempt,
                date(a.started_at),
                a.http_status.map_or("none".to_owned(), |s| s.to_string()),
                a.duration_ms,
                esc(a.error.as_deref().unwrap_or(""))
            )
        })
        .collect();
    let body = format!(
        "<p><a href=\"/console/clients/{c}\">Back to {c}</a></p><table><caption>Attempts</caption><thead><tr><th scope=\"col\">Attempt</th><th scope=\"col\">Started</th><th scope=\"col\">HTTP status</th><th scope=\"col\">Duration</th><th scope=\"col\">Error</th></tr></thead><tbody>{rows}</tbody></table>",
        c = esc(&client)
    );
    layout(&format!("Delivery {delivery}"), Some(&staff), &body).into_response()
}

async fn hook_action(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, hook)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let action = form.get("action").cloned().unwrap_or_default();
    if let Err(r) = operator_action(
        &state,
        &staff,
        &form,
        &format!("hook_{action}"),
        &client,
        &hook,
        json!({}),
    )
    .await
    {
        return r;
    }
    let c = match platform(&state, &client).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let change = match action.as_str() {
        "enable" => HookChange {
            enabled: Some(true),
            ..HookChange::default()
        },
        "disable" => HookChange {
            enabled: Some(false),
            ..HookChange::default()
        },
        // Re-validating also forgets the failures and resumes paused deliveries, as the API's
        // update does: the same use case.
        "revalidate" => HookChange {
            revalidate: true,
            ..HookChange::default()
        },
        _ => return super::pages::error_page(StatusCode::BAD_REQUEST, "Unknown action."),
    };
    match state.services.change_hook(&c, &hook, change).await {
        Ok(_) => Redirect::to(&format!("/console/clients/{client}")).into_response(),
        Err(ServiceError::NotFound { .. }) => super::pages::error_page(StatusCode::NOT_FOUND, "No such hook."),
        Err(e) => unavailable(e),
    }
}
