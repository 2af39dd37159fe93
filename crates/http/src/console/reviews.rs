//! The review queue, a session's page, and what staff do to a session: decide it (reviewers) or
//! redact it (operators).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use verity_domain::session::SessionStatus;
use verity_domain::{ClientId, SessionId};
use verity_service::back_office::{Decided, ReviewChoice};
use verity_store::InvalidHook;

use super::pscs::{PscOf, PscRow};
use super::session_view::{self, CheckRow, Entered, EvidenceCheck, FileLink, RegistryView};
use super::view::{Fact, Frame, date, error_page, forbidden, message, render, unavailable, user_facts};
use super::{CsrfForm, Staff};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/reviews", get(queue))
        .route("/console/clients/{client}/sessions/{id}", get(session_page))
        .route("/console/clients/{client}/sessions/{id}/decide", post(decide))
        .route("/console/clients/{client}/sessions/{id}/redact", post(redact))
}

/// The user types the queue filters on; "" is all of them.
const USER_TYPES: [&str; 5] = ["", "NATURAL", "SOLETRADER", "BUSINESS", "ORGANIZATION"];

#[derive(Deserialize, Default)]
#[serde(default)]
struct QueueQuery {
    client: Option<String>,
    #[serde(rename = "type")]
    user_type: Option<String>,
}

#[derive(Template)]
#[template(path = "console/queue.html", config = "templates/console/askama.toml")]
struct QueuePage {
    page: Frame,
    invalid_hooks: Vec<InvalidHook>,
    client: String,
    types: Vec<TypeOption>,
    rows: Vec<QueueRow>,
}

struct TypeOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

struct QueueRow {
    id: String,
    client: String,
    user_type: &'static str,
    since: String,
}

async fn queue(State(state): State<AppState>, staff: Staff, Query(q): Query<QueueQuery>) -> Response {
    let client = q.client.filter(|c| !c.is_empty());
    let user_type = q.user_type.filter(|t| !t.is_empty());
    let queued = match state
        .services
        .review_queue(client.clone().map(ClientId::from_raw).as_ref(), user_type.as_deref())
        .await
    {
        Ok(q) => q,
        Err(e) => return unavailable(e),
    };
    let rows = queued
        .into_iter()
        .map(|q| QueueRow {
            id: q.session.id.to_string(),
            client: q.session.client_id.to_string(),
            user_type: q.user_type,
            since: date(q.session.updated_at.unwrap_or(q.session.created_at)),
        })
        .collect();
    let types = USER_TYPES
        .iter()
        .map(|&t| TypeOption {
            value: t,
            label: if t.is_empty() { "All user types" } else { t },
            selected: user_type.as_deref().unwrap_or("") == t,
        })
        .collect();
    let page = QueuePage {
        page: Frame::of(&staff, "Review queue"),
        // The banner is a warning: without it the queue still works.
        invalid_hooks: state.services.invalid_hooks().await.unwrap_or_default(),
        client: client.unwrap_or_default(),
        types,
        rows,
    };
    render(StatusCode::OK, &page)
}

/// What the decision section offers.
enum Decision {
    /// The session is not in REVIEW: its status.
    Closed(&'static str),
    /// The staff member's role cannot decide.
    ReadOnly,
    ClaimedByOther,
    /// The reviewer holds the claim: the forms, with the session's version.
    Open(i64),
}

#[derive(Template)]
#[template(path = "console/session.html", config = "templates/console/askama.toml")]
struct SessionPage {
    page: Frame,
    csrf: String,
    /// `/console/clients/{client}/sessions/{id}`.
    base: String,
    status: &'static str,
    client: String,
    user_id: String,
    decision: Decision,
    /// Refusal reasons: (check, reason).
    reasons: Vec<(&'static str, &'static str)>,
    can_redact: bool,
    user: Vec<Fact>,
    entered: Option<Entered>,
    registry: Option<RegistryView>,
    checks: Vec<CheckRow>,
    evidence: Option<Vec<EvidenceCheck>>,
    history: Vec<(String, String)>,
    files: Vec<FileLink>,
    /// The PSC flow: the persons a main session declared, and their own sessions.
    pscs: Vec<PscRow>,
    /// The PSC flow: the person a PSC's own session verifies.
    psc_of: Option<PscOf>,
    can_operate: bool,
}

async fn session_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
) -> Response {
    let record = match state
        .services
        .session_record(&ClientId::from_raw(client.clone()), &SessionId::from_raw(id.clone()))
        .await
    {
        Ok(Some(r)) => r,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, "No such session."),
        Err(e) => return unavailable(e),
    };
    if let Err(r) = staff
        .audit(&state, "view_session", Some(&client), Some(&id), serde_json::json!({}))
        .await
    {
        return r;
    }
    let session = &record.session;
    let decision = if session.status != SessionStatus::Review {
        Decision::Closed(session.status.as_str())
    } else if !staff.role.can_decide() {
        Decision::ReadOnly
    } else {
        match state.services.claim_review(&staff, &session.id).await {
            Ok(true) => Decision::Open(session.version),
            Ok(false) => Decision::ClaimedByOther,
            Err(e) => return unavailable(e),
        }
    };
    let reasons = verity_domain::sandbox::REASONS
        .iter()
        .flat_map(|(check, rs)| rs.iter().map(move |r| (*check, *r)))
        .collect();
    let (progress, evidence) = (record.progress.as_ref(), record.evidence.as_ref());
    let client_id = ClientId::from_raw(client.clone());
    let pscs = match super::pscs::rows(&state, &client_id, &session.id).await {
        Ok(rows) => rows,
        Err(e) => return unavailable(e),
    };
    let psc_of = match super::pscs::psc_of(&state, session).await {
        Ok(p) => p,
        Err(e) => return unavailable(e),
    };
    let page = SessionPage {
        page: Frame::of(&staff, format!("Session {id}")),
        csrf: staff.csrf.clone(),
        base: format!("/console/clients/{client}/sessions/{id}"),
        status: session.status.as_str(),
        user_id: record.user.id.to_string(),
        client,
        decision,
        reasons,
        can_redact: staff.role.can_operate(),
        user: user_facts(&record.user),
        entered: session_view::entered(progress),
        registry: session_view::registry(progress, &record.user, evidence),
        checks: session_view::checks(session),
        evidence: session_view::evidence(evidence),
        history: session_view::history(&record),
        files: session_view::files(progress),
        pscs,
        psc_of,
        can_operate: staff.role.can_operate(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecideForm {
    csrf: String,
    action: String,
    reason: String,
    comment: String,
}

async fn decide(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
    Form(form): Form<DecideForm>,
) -> Response {
    if !staff.sent(&form.csrf) {
        return staff.forged(&state, "decide", &client, &id).await;
    }
    let choice = ReviewChoice {
        action: &form.action,
        reason: &form.reason,
        comment: &form.comment,
    };
    let decided = state
        .services
        .decide_review(
            &staff,
            &ClientId::from_raw(client.clone()),
            &SessionId::from_raw(id.clone()),
            choice,
        )
        .await;
    let not_decided = |status, text: &str| message(status, Some(&staff), "Not decided", text);
    match decided {
        Ok(Decided::Done) => Redirect::to(&format!("/console/clients/{client}/sessions/{id}")).into_response(),
        Ok(Decided::NotAllowed) => forbidden(&staff, "Your role cannot decide sessions."),
        Ok(Decided::ClaimedByOther) => not_decided(
            StatusCode::CONFLICT,
            "Another reviewer is deciding this session. Nothing was done.",
        ),
        Ok(Decided::NeedsComment) => not_decided(
            StatusCode::BAD_REQUEST,
            "A refusal needs a comment: the platform sees it as the reason's value.",
        ),
        Ok(Decided::UnknownAction) => error_page(StatusCode::BAD_REQUEST, "Unknown action."),
        Ok(Decided::Rejected(e)) => not_decided(StatusCode::CONFLICT, &e.to_string()),
        Ok(Decided::Unrecorded) => super::view::unrecorded(),
        Err(e) => unavailable(e),
    }
}

async fn redact(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !staff.sent(&form.csrf) {
        return staff.forged(&state, "redact", &client, &id).await;
    }
    if !staff.role.can_operate() {
        return forbidden(&staff, "Only operators redact sessions.");
    }
    // Recorded first: no redaction without its audit entry.
    if let Err(r) = staff
        .audit(
            &state,
            "redact",
            Some(&client),
            Some(&id),
            serde_json::json!({"scope": "all"}),
        )
        .await
    {
        return r;
    }
    let redacted = state
        .services
        .redact_session(&ClientId::from_raw(client.clone()), &SessionId::from_raw(id.clone()))
        .await;
    match redacted {
        Ok(_) => Redirect::to(&format!("/console/clients/{client}/sessions/{id}")).into_response(),
        Err(e) => unavailable(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored values are escaped, in text and attributes, as the console always did.
    #[test]
    fn the_queue_escapes_what_it_shows() {
        let nasty = "<b>\"x\" & 'y'</b>";
        let page = QueuePage {
            page: Frame::anonymous(nasty),
            invalid_hooks: vec![InvalidHook {
                hook_id: "hook_1".into(),
                client_id: ClientId::from_raw(nasty.to_owned()),
                event_type: "IDENTITY_VERIFICATION_VALIDATED".into(),
                url: nasty.into(),
                failed_events: 3,
                failing_since: None,
                paused: 2,
            }],
            client: nasty.into(),
            types: Vec::new(),
            rows: Vec::new(),
        };
        let html = page.render().unwrap();
        let escaped = "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;";
        assert!(!html.contains(nasty), "{html}");
        assert!(
            html.contains(&format!("<title>{escaped} · Verity console</title>")),
            "{html}"
        );
        assert!(html.contains(&format!("<input id=\"client\" name=\"client\" value=\"{escaped}\">")));
        assert!(html.contains(&format!(
            "<li><a href=\"/console/clients/{escaped}\">{escaped}</a>: IDENTITY_VERIFICATION_VALIDATED to {escaped}, 3 failed events, 2 deliveries waiting</li>"
        )));
        assert!(html.contains("<p>No session is waiting for review.</p>"));
    }
}
