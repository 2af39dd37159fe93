//! The PSC flow in the console: a main session's Persons of Significant Control with their own
//! sessions, links and e-mails, and what operators do to them (set one aside, send a link again).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use verity_domain::psc::{PscId, PscStatus};
use verity_domain::{ClientId, IdvSession, SessionId};
use verity_service::ServiceError;

use super::view::{date, forbidden, message, unavailable};
use super::{CsrfForm, Staff};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/clients/{client}/pscs/{psc}/abandon", post(abandon))
        .route("/console/clients/{client}/pscs/{psc}/resend", post(resend))
}

/// One PSC of a main session, as the session page lists it.
pub(super) struct PscRow {
    pub id: String,
    pub kind: &'static str,
    pub name: String,
    pub email: String,
    pub share: String,
    pub status: &'static str,
    /// The console page of the PSC's own session.
    pub session_page: Option<String>,
    pub session_status: &'static str,
    /// The link to give the person, while their session waits for them.
    pub link: Option<String>,
    /// "link sent 2026-11-29", "reminder due 2026-12-05", ...
    pub mails: Vec<String>,
    pub can_abandon: bool,
    pub can_resend: bool,
}

/// The main session a PSC's own session belongs to, for the PSC session's page.
pub(super) struct PscOf {
    pub name: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub main_page: String,
}

pub(super) async fn rows(state: &AppState, client: &ClientId, main: &SessionId) -> Result<Vec<PscRow>, ServiceError> {
    let base = state.public_url().trim_end_matches('/').to_owned();
    Ok(state
        .services
        .pscs_with_sessions(client, main)
        .await?
        .into_iter()
        .map(|(psc, session, mails)| {
            let pending = |s: &IdvSession| s.status == verity_domain::SessionStatus::Pending;
            let waiting = psc.status == PscStatus::PendingValidation && session.as_ref().is_some_and(pending);
            PscRow {
                id: psc.id.to_string(),
                kind: psc.kind.as_str(),
                name: format!("{} {}", psc.identity.first_name, psc.identity.last_name),
                email: psc.identity.email.clone(),
                share: psc.ownership.map(|s| format!("{s}%")).unwrap_or_default(),
                status: psc.status.as_str(),
                session_page: session
                    .as_ref()
                    .map(|s| format!("/console/clients/{client}/sessions/{}", s.id)),
                session_status: session.as_ref().map_or("", |s| s.status.as_str()),
                link: session
                    .as_ref()
                    .filter(|s| waiting && pending(s))
                    .map(|s| s.hosted_url(&base)),
                mails: mails
                    .iter()
                    .map(|m| {
                        let what = match m.job.kind {
                            verity_store::MailKind::PscLink => "link",
                            verity_store::MailKind::PscReminder => "reminder",
                        };
                        match (m.state.as_str(), m.sent_at) {
                            ("sent", Some(at)) => format!("{what} sent {}", date(at)),
                            ("pending", _) => format!("{what} due {}", date(m.job.due_at)),
                            ("failed", _) => format!("{what} not sent: {}", m.last_error.clone().unwrap_or_default()),
                            (other, _) => format!("{what} {other}"),
                        }
                    })
                    .collect(),
                can_abandon: matches!(psc.status, PscStatus::PendingValidation | PscStatus::Rejected),
                can_resend: waiting,
            }
        })
        .collect())
}

pub(super) async fn psc_of(state: &AppState, session: &IdvSession) -> Result<Option<PscOf>, ServiceError> {
    Ok(state.services.psc_of_session(session).await?.map(|psc| PscOf {
        name: format!("{} {}", psc.identity.first_name, psc.identity.last_name),
        kind: psc.kind.as_str(),
        status: psc.status.as_str(),
        main_page: format!(
            "/console/clients/{}/sessions/{}",
            session.client_id, psc.main_session_id
        ),
    }))
}

/// Where to go back to after an action on a PSC: its main session's page.
async fn main_page(state: &AppState, client: &str, psc: &str) -> Option<String> {
    let psc = state
        .services
        .store
        .psc(&ClientId::from_raw(client), &PscId::from_raw(psc))
        .await
        .ok()??;
    Some(format!("/console/clients/{client}/sessions/{}", psc.main_session_id))
}

/// What both actions do first: the form's token, an operator's role, the audit entry (no action
/// without it), and the page to go back to. `Err` is the page that says why not.
async fn operator_on_psc(
    state: &AppState,
    staff: &Staff,
    csrf: &str,
    action: &str,
    client: &str,
    psc: &str,
) -> Result<String, Response> {
    if !staff.sent(csrf) {
        return Err(staff.forged(state, action, client, psc).await);
    }
    if !staff.role.can_operate() {
        return Err(forbidden(
            staff,
            "Only operators act on persons of significant control.",
        ));
    }
    staff
        .audit(state, action, Some(client), Some(psc), serde_json::json!({}))
        .await?;
    main_page(state, client, psc).await.ok_or_else(|| {
        message(
            StatusCode::NOT_FOUND,
            Some(staff),
            "Not found",
            "No such person of significant control.",
        )
    })
}

async fn abandon(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, psc)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let back = match operator_on_psc(&state, &staff, &form.csrf, "abandon_psc", &client, &psc).await {
        Ok(back) => back,
        Err(page) => return page,
    };
    let Ok(owner) = state.services.platform(&ClientId::from_raw(client.clone())).await else {
        return message(StatusCode::NOT_FOUND, Some(&staff), "Not found", "No such client.");
    };
    match state.services.abandon_psc(&owner, &PscId::from_raw(psc)).await {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(ServiceError::Invalid(why)) => message(StatusCode::CONFLICT, Some(&staff), "Not possible", &why),
        Err(e) => unavailable(e),
    }
}

async fn resend(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, psc)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let back = match operator_on_psc(&state, &staff, &form.csrf, "resend_psc_link", &client, &psc).await {
        Ok(back) => back,
        Err(page) => return page,
    };
    match state
        .services
        .resend_psc_link(&ClientId::from_raw(client), &PscId::from_raw(psc))
        .await
    {
        Ok(true) => Redirect::to(&back).into_response(),
        Ok(false) => message(
            StatusCode::CONFLICT,
            Some(&staff),
            "No e-mail sent",
            "No e-mail can be sent: no SMTP server is configured, the platform sends its links itself, or the person's session is no longer waiting. Give them the link shown on the session's page.",
        ),
        Err(e) => unavailable(e),
    }
}
