//! KYC documents and UBO declarations in the console: what waits for a reviewer, a document with
//! its pages (each view audited before anything is decrypted, images watermarked), a declaration
//! with its UBOs next to the register's owners, and the reviewer's decision.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use verity_domain::ClientId;
use verity_domain::kyc::{KycOutcome, KycStatus, REFUSED_REASONS};
use verity_domain::ubo::{self, UboOutcome, UboStatus};
use verity_service::ServiceError;

use super::Staff;
use super::view::{Frame, date, error_page, forbidden, render, unavailable};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/documents", get(queue))
        .route("/console/clients/{client}/kyc/{id}", get(document))
        .route("/console/clients/{client}/kyc/{id}/pages/{number}", get(page))
        .route("/console/clients/{client}/kyc/{id}/decide", post(decide_document))
        .route("/console/clients/{client}/ubo/{id}", get(declaration))
        .route("/console/clients/{client}/ubo/{id}/decide", post(decide_declaration))
}

struct Row {
    id: String,
    kind: String,
    client: String,
    user: String,
    since: String,
}

#[derive(Template)]
#[template(path = "console/documents.html", config = "templates/console/askama.toml")]
struct QueuePage {
    page: Frame,
    documents: Vec<Row>,
    declarations: Vec<Row>,
}

async fn queue(State(state): State<AppState>, staff: Staff) -> Response {
    let documents = match state.services.kyc_review_queue(200).await {
        Ok(d) => d,
        Err(e) => return unavailable(e),
    };
    let declarations = match state.services.ubo_review_queue(200).await {
        Ok(d) => d,
        Err(e) => return unavailable(e),
    };
    let page = QueuePage {
        page: Frame::of(&staff, "Documents to review"),
        documents: documents
            .iter()
            .map(|d| Row {
                id: d.id.clone(),
                kind: d.kind.as_str().to_owned(),
                client: d.client_id.to_string(),
                user: d.user_id.to_string(),
                since: date(d.created_at),
            })
            .collect(),
        declarations: declarations
            .iter()
            .map(|d| Row {
                id: d.id.clone(),
                kind: d.ubos.iter().filter(|u| u.is_active).count().to_string(),
                client: d.client_id.to_string(),
                user: d.user_id.to_string(),
                since: date(d.created_at),
            })
            .collect(),
    };
    render(StatusCode::OK, &page)
}

struct PageLink {
    number: usize,
    content_type: String,
    image: bool,
}

#[derive(Template)]
#[template(path = "console/kyc_document.html", config = "templates/console/askama.toml")]
struct DocumentPage {
    page: Frame,
    csrf: String,
    base: String,
    client: String,
    user: String,
    kind: &'static str,
    status: &'static str,
    refused: Option<String>,
    can_decide: bool,
    reasons: &'static [&'static str],
    pages: Vec<PageLink>,
}

async fn document(State(state): State<AppState>, staff: Staff, Path((client, id)): Path<(String, String)>) -> Response {
    let doc = match state
        .services
        .kyc_document(&ClientId::from_raw(client.clone()), &id, None)
        .await
    {
        Ok(d) => d,
        Err(ServiceError::NotFound { .. }) => return error_page(StatusCode::NOT_FOUND, "No such KYC document."),
        Err(e) => return unavailable(e),
    };
    if let Err(r) = staff
        .audit(
            &state,
            "view_kyc_document",
            Some(&client),
            Some(&id),
            serde_json::json!({}),
        )
        .await
    {
        return r;
    }
    let page = DocumentPage {
        page: Frame::of(&staff, format!("KYC document {id}")),
        csrf: staff.csrf.clone(),
        base: format!("/console/clients/{client}/kyc/{id}"),
        user: doc.user_id.to_string(),
        client,
        kind: doc.kind.as_str(),
        status: doc.status.as_str(),
        refused: doc
            .refused_reason_type
            .clone()
            .map(|r| match &doc.refused_reason_message {
                Some(m) => format!("{r}: {m}"),
                None => r,
            }),
        can_decide: staff.role.can_decide() && doc.status == KycStatus::ValidationAsked,
        reasons: &REFUSED_REASONS,
        pages: doc
            .pages
            .iter()
            .enumerate()
            .map(|(i, p)| PageLink {
                number: i + 1,
                content_type: p.content_type.clone(),
                image: p.content_type.starts_with("image/"),
            })
            .collect(),
    };
    render(StatusCode::OK, &page)
}

async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id, number)): Path<(String, String, usize)>,
) -> Response {
    let doc = match state
        .services
        .kyc_document(&ClientId::from_raw(client.clone()), &id, None)
        .await
    {
        Ok(d) => d,
        Err(ServiceError::NotFound { .. }) => return error_page(StatusCode::NOT_FOUND, "No such KYC document."),
        Err(e) => return unavailable(e),
    };
    let Some(file) = number.checked_sub(1).and_then(|i| doc.pages.get(i)) else {
        return error_page(StatusCode::NOT_FOUND, "No such page.");
    };
    // Audited before anything is decrypted: no view without its record.
    if let Err(r) = staff
        .audit(
            &state,
            "view_kyc_page",
            Some(&client),
            Some(&id),
            serde_json::json!({"page": number}),
        )
        .await
    {
        return r;
    }
    super::files::sealed_file(&state, &staff, &file.blob_id, &file.content_type, &id).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecideForm {
    csrf: String,
    action: String,
    reason: String,
    message: String,
}

/// The form's token, a reviewer's role and the audit entry, before any decision.
async fn reviewer_decides(
    state: &AppState,
    staff: &Staff,
    form: &DecideForm,
    action: &str,
    client: &str,
    id: &str,
) -> Result<(), Response> {
    if !staff.sent(&form.csrf) {
        return Err(staff.forged(state, action, client, id).await);
    }
    if !staff.role.can_decide() {
        return Err(forbidden(staff, "Your role cannot decide documents."));
    }
    staff
        .audit(
            state,
            action,
            Some(client),
            Some(id),
            serde_json::json!({"action": form.action, "reason": form.reason}),
        )
        .await
}

fn message(form: &DecideForm) -> Option<String> {
    Some(form.message.trim().to_owned()).filter(|m| !m.is_empty())
}

fn decided(result: Result<(), ServiceError>, back: String) -> Response {
    match result {
        Ok(()) => Redirect::to(&back).into_response(),
        Err(ServiceError::Invalid(why)) => error_page(StatusCode::CONFLICT, &why),
        Err(e) => unavailable(e),
    }
}

async fn decide_document(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
    Form(form): Form<DecideForm>,
) -> Response {
    if let Err(r) = reviewer_decides(&state, &staff, &form, "decide_kyc_document", &client, &id).await {
        return r;
    }
    let outcome = match form.action.as_str() {
        "validate" => KycOutcome::Validate,
        "refuse" => KycOutcome::Refuse {
            reason: form.reason.clone(),
            message: message(&form),
        },
        _ => return error_page(StatusCode::BAD_REQUEST, "Unknown decision."),
    };
    let result = state
        .services
        .decide_kyc_document(&ClientId::from_raw(client.clone()), &id, &outcome)
        .await
        .map(|_| ());
    decided(result, format!("/console/clients/{client}/kyc/{id}"))
}

struct UboRow {
    name: String,
    born: String,
    nationality: String,
    address: String,
    active: &'static str,
}

#[derive(Template)]
#[template(path = "console/ubo_declaration.html", config = "templates/console/askama.toml")]
struct DeclarationPage {
    page: Frame,
    csrf: String,
    base: String,
    client: String,
    user: String,
    status: &'static str,
    reason: Option<String>,
    ubos: Vec<UboRow>,
    /// The owners the imported register lists for the company, when it does.
    registry: Option<String>,
    can_decide: bool,
    reasons: &'static [&'static str],
}

async fn declaration(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
) -> Response {
    let client_id = ClientId::from_raw(client.clone());
    let d = match state.services.ubo_declaration(&client_id, &id, None).await {
        Ok(d) => d,
        Err(ServiceError::NotFound { .. }) => return error_page(StatusCode::NOT_FOUND, "No such UBO declaration."),
        Err(e) => return unavailable(e),
    };
    if let Err(r) = staff
        .audit(
            &state,
            "view_ubo_declaration",
            Some(&client),
            Some(&id),
            serde_json::json!({}),
        )
        .await
    {
        return r;
    }
    let registry = match state.services.registered_owners(&client_id, &d.user_id).await {
        Ok(owners) => owners.map(|o| o.join(", ")),
        Err(e) => return unavailable(e),
    };
    let page = DeclarationPage {
        page: Frame::of(&staff, format!("UBO declaration {id}")),
        csrf: staff.csrf.clone(),
        base: format!("/console/clients/{client}/ubo/{id}"),
        user: d.user_id.to_string(),
        client,
        status: d.status.as_str(),
        reason: d.reason.clone().map(|r| match &d.message {
            Some(m) => format!("{r}: {m}"),
            None => r,
        }),
        ubos: d
            .ubos
            .iter()
            .map(|u| UboRow {
                name: format!("{} {}", u.first_name, u.last_name),
                born: format!(
                    "{} in {}, {}",
                    verity_domain::hosted::format_date(u.birthday),
                    u.birthplace.city,
                    u.birthplace.country
                ),
                nationality: u.nationality.clone(),
                address: [
                    &u.address.address_line1,
                    &u.address.postal_code,
                    &u.address.city,
                    &u.address.country,
                ]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
                active: if u.is_active { "yes" } else { "dropped" },
            })
            .collect(),
        registry,
        can_decide: staff.role.can_decide() && d.status == UboStatus::ValidationAsked,
        reasons: &ubo::REASONS,
    };
    render(StatusCode::OK, &page)
}

async fn decide_declaration(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
    Form(form): Form<DecideForm>,
) -> Response {
    if let Err(r) = reviewer_decides(&state, &staff, &form, "decide_ubo_declaration", &client, &id).await {
        return r;
    }
    let outcome = match form.action.as_str() {
        "validate" => UboOutcome::Validate,
        "refuse" => UboOutcome::Refuse {
            reason: form.reason.clone(),
            message: message(&form),
        },
        "incomplete" => UboOutcome::Incomplete {
            reason: form.reason.clone(),
            message: message(&form),
        },
        _ => return error_page(StatusCode::BAD_REQUEST, "Unknown decision."),
    };
    let result = state
        .services
        .decide_ubo_declaration(&ClientId::from_raw(client.clone()), &id, &outcome)
        .await
        .map(|_| ());
    decided(result, format!("/console/clients/{client}/ubo/{id}"))
}
