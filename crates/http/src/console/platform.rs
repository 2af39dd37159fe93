//! The platform view of the console: each client's settings, users, sessions and webhook
//! deliveries, with the operator's actions (activation, manual review of natural users, API key
//! rotation, a delivery replay, hooks enabled, disabled or re-validated), each one audited.
//! A platform's users are in `users.rs`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use verity_domain::{Client, ClientId};
use verity_service::ServiceError;
use verity_service::back_office::user_type;
use verity_service::clients::ClientSetting;
use verity_service::hooks::HookChange;
use verity_store::InvalidHook;

use super::view::{Frame, date, error_page, forbidden, render, unavailable};
use super::{CsrfForm, Staff};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/clients", get(clients))
        .route("/console/clients/{client}", get(client_page))
        .route("/console/clients/{client}/settings", post(settings))
        .route("/console/clients/{client}/deliveries/{delivery}/replay", post(replay))
        .route("/console/clients/{client}/deliveries/{delivery}", get(delivery_page))
        .route("/console/clients/{client}/hooks/{hook}", post(hook_action))
}

/// A one-button form of an operator's action (templates' `button` macro).
pub(super) struct Button {
    pub action: String,
    /// A hidden field besides the anti-forgery token.
    pub field: Option<(&'static str, &'static str)>,
    pub label: &'static str,
}

/// A form whose `action` field says what to do.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ActionForm {
    csrf: String,
    action: String,
}

/// The platform named in the path: a 404 page when there is none, a 503 one when storage fails.
pub(super) async fn platform(state: &AppState, client: &str) -> Result<Client, Response> {
    match state.services.platform(&ClientId::from_raw(client.to_owned())).await {
        Ok(c) => Ok(c),
        Err(ServiceError::NotFound { .. }) => Err(error_page(StatusCode::NOT_FOUND, "No such platform.")),
        Err(e) => Err(unavailable(e)),
    }
}

/// An operator's form: checks the token and the role, and records the action first.
pub(super) async fn operator_action(
    state: &AppState,
    staff: &Staff,
    csrf: &str,
    action: &str,
    client: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), Response> {
    if !staff.sent(csrf) {
        return Err(staff.forged(state, action, client, target).await);
    }
    if !staff.role.can_operate() {
        return Err(forbidden(staff, "Only operators change platforms and users."));
    }
    staff.audit(state, action, Some(client), Some(target), detail).await
}

#[derive(Template)]
#[template(path = "console/clients.html", config = "templates/console/askama.toml")]
struct ClientsPage {
    page: Frame,
    invalid_hooks: Vec<InvalidHook>,
    clients: Vec<Client>,
}

async fn clients(State(state): State<AppState>, staff: Staff) -> Response {
    let clients = match state.services.platforms().await {
        Ok(l) => l,
        Err(e) => return unavailable(e),
    };
    let page = ClientsPage {
        page: Frame::of(&staff, "Platforms"),
        // The banner is a warning: without it the list still works.
        invalid_hooks: state.services.invalid_hooks().await.unwrap_or_default(),
        clients,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "console/client.html", config = "templates/console/askama.toml")]
struct ClientPage {
    page: Frame,
    csrf: String,
    /// `/console/clients/{client}`.
    base: String,
    client: Client,
    /// The operator's settings buttons.
    settings: Vec<Button>,
    users: Vec<UserRow>,
    deliveries: Vec<DeliveryRow>,
    hooks: Vec<HookRow>,
}

struct UserRow {
    id: String,
    user_type: &'static str,
    kyc_level: &'static str,
    created: String,
}

struct DeliveryRow {
    id: String,
    event_type: String,
    resource_id: String,
    state: String,
    attempts: u32,
    created: String,
    replay: Option<Button>,
}

struct HookRow {
    event_type: String,
    url: String,
    enabled: bool,
    valid: bool,
    actions: Vec<Button>,
}

async fn client_page(State(state): State<AppState>, staff: Staff, Path(client): Path<String>) -> Response {
    let overview = match state
        .services
        .platform_overview(&ClientId::from_raw(client.clone()))
        .await
    {
        Ok(o) => o,
        Err(ServiceError::NotFound { .. }) => return error_page(StatusCode::NOT_FOUND, "No such platform."),
        Err(e) => return unavailable(e),
    };
    let base = format!("/console/clients/{client}");
    let operator = staff.role.can_operate();
    let c = &overview.client;
    let policy = match state.services.client_policy(&c.id).await {
        Ok(p) => p,
        Err(e) => return unavailable(e),
    };
    let settings = if operator {
        // A switch's button turns it off while it is on, and on while it is off.
        let switch = |on: bool, actions: (&'static str, &'static str), labels: (&'static str, &'static str)| Button {
            action: format!("{base}/settings"),
            field: Some(("action", if on { actions.1 } else { actions.0 })),
            label: if on { labels.1 } else { labels.0 },
        };
        vec![
            switch(
                c.idv_enabled,
                ("idv_on", "idv_off"),
                ("Activate hosted IDV", "Deactivate hosted IDV"),
            ),
            switch(
                c.natural_review,
                ("natural_review_on", "natural_review_off"),
                (
                    "Allow manual review of natural users",
                    "Stop manual review of natural users",
                ),
            ),
            switch(
                policy.psc_flow,
                ("psc_flow_on", "psc_flow_off"),
                (
                    "Verify each person of significant control (PSC flow)",
                    "Stop the PSC flow for new sessions",
                ),
            ),
            switch(
                policy.psc_emails,
                ("psc_emails_on", "psc_emails_off"),
                (
                    "E-mail PSCs their links from Verity",
                    "Let the platform send PSC links itself",
                ),
            ),
            Button {
                action: format!("{base}/settings"),
                field: Some(("action", "rotate_key")),
                label: "Issue a new API key",
            },
        ]
    } else {
        Vec::new()
    };
    let users = overview
        .users
        .iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            user_type: user_type(u),
            kyc_level: u.kyc_level.as_str(),
            created: date(u.created_at),
        })
        .collect();
    let deliveries = overview
        .deliveries
        .into_iter()
        .map(|d| DeliveryRow {
            replay: (operator && d.state != "pending").then(|| Button {
                action: format!("{base}/deliveries/{}/replay", d.id),
                field: None,
                label: "Replay",
            }),
            created: date(d.created_at),
            id: d.id,
            event_type: d.event_type,
            resource_id: d.resource_id,
            state: d.state,
            attempts: d.attempts,
        })
        .collect();
    let hooks = overview
        .hooks
        .into_iter()
        .map(|h| {
            let target = format!("{base}/hooks/{}", h.id);
            let mut actions = Vec::new();
            if operator {
                actions.push(Button {
                    action: target.clone(),
                    field: Some(("action", if h.enabled { "disable" } else { "enable" })),
                    label: if h.enabled { "Disable" } else { "Enable" },
                });
                if !h.valid {
                    actions.push(Button {
                        action: target,
                        field: Some(("action", "revalidate")),
                        label: "Mark valid again",
                    });
                }
            }
            HookRow {
                event_type: h.event_type,
                url: h.url,
                enabled: h.enabled,
                valid: h.valid,
                actions,
            }
        })
        .collect();
    let page = ClientPage {
        page: Frame::of(&staff, format!("Platform {client}")),
        csrf: staff.csrf.clone(),
        base,
        client: overview.client,
        settings,
        users,
        deliveries,
        hooks,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "console/api_key.html", config = "templates/console/askama.toml")]
struct ApiKeyPage {
    page: Frame,
    client: String,
    key: String,
}

async fn settings(
    State(state): State<AppState>,
    staff: Staff,
    Path(client): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let action = form.action.as_str();
    let recorded = operator_action(
        &state,
        &staff,
        &form.csrf,
        &format!("client_{action}"),
        &client,
        &client,
        serde_json::json!({}),
    )
    .await;
    if let Err(r) = recorded {
        return r;
    }
    let id = ClientId::from_raw(client.clone());
    let setting = match action {
        "idv_on" | "idv_off" => ClientSetting::Idv(action == "idv_on"),
        "natural_review_on" | "natural_review_off" => ClientSetting::NaturalReview(action == "natural_review_on"),
        "psc_flow_on" | "psc_flow_off" | "psc_emails_on" | "psc_emails_off" => {
            let changed = async {
                let mut policy = state.services.client_policy(&id).await?;
                match action {
                    "psc_flow_on" | "psc_flow_off" => policy.psc_flow = action == "psc_flow_on",
                    _ => policy.psc_emails = action == "psc_emails_on",
                }
                state.services.set_client_policy(&id, &policy).await
            };
            return match changed.await {
                Ok(()) => Redirect::to(&format!("/console/clients/{client}")).into_response(),
                Err(ServiceError::NotFound { .. }) => error_page(StatusCode::NOT_FOUND, "No such platform."),
                Err(e) => unavailable(e),
            };
        }
        "rotate_key" => {
            return match state.services.rotate_api_key(&id).await {
                Ok(key) => {
                    let page = ApiKeyPage {
                        page: Frame::of(&staff, "New API key"),
                        client,
                        key,
                    };
                    render(StatusCode::OK, &page)
                }
                Err(ServiceError::NotFound { .. }) => error_page(StatusCode::NOT_FOUND, "No such platform."),
                Err(e) => unavailable(e),
            };
        }
        _ => return error_page(StatusCode::BAD_REQUEST, "Unknown action."),
    };
    match state.services.set_client(&id, setting).await {
        Ok(()) => Redirect::to(&format!("/console/clients/{client}")).into_response(),
        Err(ServiceError::NotFound { .. }) => error_page(StatusCode::NOT_FOUND, "No such platform."),
        Err(e) => unavailable(e),
    }
}

async fn replay(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, delivery)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let recorded = operator_action(
        &state,
        &staff,
        &form.csrf,
        "replay_delivery",
        &client,
        &delivery,
        serde_json::json!({}),
    )
    .await;
    if let Err(r) = recorded {
        return r;
    }
    match state.services.replay_delivery(&delivery).await {
        Ok(true) => Redirect::to(&format!("/console/clients/{client}")).into_response(),
        Ok(false) => error_page(StatusCode::NOT_FOUND, "No such delivery."),
        Err(e) => unavailable(e),
    }
}

#[derive(Template)]
#[template(path = "console/delivery.html", config = "templates/console/askama.toml")]
struct DeliveryPage {
    page: Frame,
    client: String,
    attempts: Vec<AttemptRow>,
}

struct AttemptRow {
    attempt: u32,
    started: String,
    /// The receiver's HTTP status, or "none".
    http_status: String,
    duration_ms: u64,
    error: String,
}

async fn delivery_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, delivery)): Path<(String, String)>,
) -> Response {
    let attempts = match state.services.delivery_attempts(&delivery).await {
        Ok(a) => a,
        Err(e) => return unavailable(e),
    };
    let page = DeliveryPage {
        page: Frame::of(&staff, format!("Delivery {delivery}")),
        client,
        attempts: attempts
            .into_iter()
            .map(|a| AttemptRow {
                attempt: a.attempt,
                started: date(a.started_at),
                http_status: a.http_status.map_or("none".to_owned(), |s| s.to_string()),
                duration_ms: a.duration_ms,
                error: a.error.unwrap_or_default(),
            })
            .collect(),
    };
    render(StatusCode::OK, &page)
}

async fn hook_action(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, hook)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let action = form.action.as_str();
    let recorded = operator_action(
        &state,
        &staff,
        &form.csrf,
        &format!("hook_{action}"),
        &client,
        &hook,
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
    let change = match action {
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
        _ => return error_page(StatusCode::BAD_REQUEST, "Unknown action."),
    };
    match state.services.change_hook(&c, &hook, change).await {
        Ok(_) => Redirect::to(&format!("/console/clients/{client}")).into_response(),
        Err(ServiceError::NotFound { .. }) => error_page(StatusCode::NOT_FOUND, "No such hook."),
        Err(e) => unavailable(e),
    }
}
