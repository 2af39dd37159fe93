//! A session's page, laid out for the decision: what the engine concluded on top, the faces
//! side by side, declared data beside the data read, the checks with their evidence, the
//! documents, then the decision, the timeline with notes, and what leads and operators do
//! (assign, release, redact).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use verity_domain::session::SessionStatus;
use verity_domain::{ClientId, SessionId};
use verity_service::back_office::{Assigned, Decided, NoteAdded, ReviewChoice, Role};

use super::pscs::{PscOf, PscRow};
use super::session_view::{
    self, CheckView, Compared, Entered, FacesView, FileView, RegistryView, Summary, TimelineRow,
};
use super::view::{Fact, Frame, error_page, forbidden, message, render, time_of_day, unavailable, user_facts};
use super::{CsrfForm, Staff};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/clients/{client}/sessions/{id}", get(session_page))
        .route("/console/clients/{client}/sessions/{id}/decide", post(decide))
        .route("/console/clients/{client}/sessions/{id}/redact", post(redact))
        .route("/console/clients/{client}/sessions/{id}/assign", post(assign))
        .route("/console/clients/{client}/sessions/{id}/release", post(release))
        .route("/console/clients/{client}/sessions/{id}/notes", post(add_note))
}

fn session_url(client: &str, id: &str) -> String {
    format!("/console/clients/{client}/sessions/{id}")
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

/// A refusal reason as the form offers it.
struct ReasonOption {
    /// `REASON@CHECK`.
    value: String,
    label: String,
}

fn reason_options() -> Vec<ReasonOption> {
    verity_domain::sandbox::REASONS
        .iter()
        .flat_map(|(check, rs)| {
            rs.iter().map(move |r| ReasonOption {
                value: format!("{r}@{check}"),
                label: format!("{}: {r} on {check}", verity_domain::explain::reason(r)),
            })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/session.html", config = "templates/console/askama.toml")]
struct SessionPage {
    page: Frame,
    csrf: String,
    /// `/console/clients/{client}/sessions/{id}`.
    base: String,
    status: &'static str,
    sandbox: bool,
    client: String,
    user_id: String,
    /// The session decided just before, when the reviewer came here as "next in queue".
    after: Option<String>,
    summary: Summary,
    /// "Rita Reviewer until 14:05 UTC".
    claim: Option<String>,
    holds_claim: bool,
    /// Reviewers a lead may assign the session to: (username, name).
    assignees: Vec<(String, String)>,
    decision: Decision,
    reasons: Vec<ReasonOption>,
    faces: Option<FacesView>,
    compared: Vec<Compared>,
    checks: Vec<CheckView>,
    files: Vec<FileView>,
    timeline: Vec<TimelineRow>,
    note_length: usize,
    can_redact: bool,
    user: Vec<Fact>,
    entered: Option<Entered>,
    registry: Option<RegistryView>,
    /// The PSC flow: the persons a main session declared, and their own sessions.
    pscs: Vec<PscRow>,
    /// The PSC flow: the person a PSC's own session verifies.
    psc_of: Option<PscOf>,
    can_operate: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    /// The session decided before this one.
    after: String,
}

async fn session_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Response {
    let client_id = ClientId::from_raw(client.clone());
    let record = match state
        .services
        .session_record(&client_id, &SessionId::from_raw(id.clone()))
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
    let now = verity_service::now();
    let claim = match state.services.review_claim(&session.id).await {
        Ok(c) => c.filter(|_| session.status == SessionStatus::Review),
        Err(e) => return unavailable(e),
    };
    let assignees = if staff.role.can_assign() && session.status == SessionStatus::Review {
        match state.services.staff_list().await {
            Ok(list) => list
                .into_iter()
                .filter(|s| !s.disabled && Role::parse(&s.role).is_some_and(Role::can_decide))
                .map(|s| (s.username, s.display_name))
                .collect(),
            Err(e) => return unavailable(e),
        }
    } else {
        Vec::new()
    };
    let timeline = match state.services.timeline(&record).await {
        Ok(t) => session_view::timeline(&t),
        Err(e) => return unavailable(e),
    };
    let pscs = match super::pscs::rows(&state, &client_id, &session.id).await {
        Ok(rows) => rows,
        Err(e) => return unavailable(e),
    };
    let psc_of = match super::pscs::psc_of(&state, session).await {
        Ok(p) => p,
        Err(e) => return unavailable(e),
    };
    let sandbox = match state.services.platform(&client_id).await {
        Ok(c) => c.environment == verity_domain::Environment::Sandbox,
        Err(e) => return unavailable(e),
    };
    let (progress, evidence) = (record.progress.as_ref(), record.evidence.as_ref());
    let page = SessionPage {
        page: Frame::of(&staff, format!("Session {id}")),
        csrf: staff.csrf.clone(),
        base: session_url(&client, &id),
        status: session.status.as_str(),
        sandbox,
        user_id: record.user.id.to_string(),
        after: Some(q.after).filter(|a| !a.is_empty()),
        summary: session_view::summary(session, evidence),
        holds_claim: claim.as_ref().is_some_and(|c| c.staff_id == staff.record.id),
        claim: claim.map(|c| {
            let by = c.assigned_by.map(|l| format!(", assigned by {l}")).unwrap_or_default();
            format!("{} until {}{by}", c.display_name, time_of_day(c.until, now))
        }),
        assignees,
        client,
        decision,
        reasons: reason_options(),
        faces: session_view::faces(progress, evidence),
        compared: session_view::compared(progress, evidence),
        checks: session_view::checks(session, evidence),
        files: session_view::files(progress),
        timeline,
        note_length: verity_service::back_office::NOTE_LENGTH,
        can_redact: staff.role.can_operate(),
        user: user_facts(&record.user),
        entered: session_view::entered(progress),
        registry: session_view::registry(progress, &record.user, evidence),
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
    /// `yes` once the reviewer confirmed a refusal.
    confirm: String,
}

/// The page that asks a reviewer to confirm a refusal sent without its confirmation box.
#[derive(Template)]
#[template(path = "console/confirm_refusal.html", config = "templates/console/askama.toml")]
struct ConfirmRefusal {
    page: Frame,
    csrf: String,
    base: String,
    reason: String,
    reason_words: String,
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
    if form.action == "refuse" && form.confirm != "yes" && !form.comment.trim().is_empty() {
        let code = form.reason.split('@').next().unwrap_or("").to_owned();
        let page = ConfirmRefusal {
            page: Frame::of(&staff, "Confirm the refusal"),
            csrf: staff.csrf.clone(),
            base: session_url(&client, &id),
            reason_words: verity_domain::explain::reason(&code).to_owned(),
            reason: form.reason.clone(),
            comment: form.comment.clone(),
        };
        return render(StatusCode::OK, &page);
    }
    let choice = ReviewChoice {
        action: &form.action,
        reason: &form.reason,
        comment: &form.comment,
    };
    let session_id = SessionId::from_raw(id.clone());
    let decided = state
        .services
        .decide_review(&staff, &ClientId::from_raw(client.clone()), &session_id, choice)
        .await;
    let not_decided = |status, text: &str| message(status, Some(&staff), "Not decided", text);
    match decided {
        // On to the next session in the queue, which says what was just decided.
        Ok(Decided::Done) => match state.services.next_in_queue(&staff, Some(&session_id)).await {
            Ok(Some((next_client, next_id))) => Redirect::to(&format!(
                "{}?after={id}",
                session_url(next_client.as_str(), next_id.as_str())
            ))
            .into_response(),
            _ => Redirect::to(&format!("/console/reviews?decided={id}")).into_response(),
        },
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
        Ok(_) => Redirect::to(&session_url(&client, &id)).into_response(),
        Err(e) => unavailable(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AssignForm {
    csrf: String,
    reviewer: String,
}

async fn assign(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
    Form(form): Form<AssignForm>,
) -> Response {
    if !staff.sent(&form.csrf) {
        return staff.forged(&state, "assign", &client, &id).await;
    }
    let assigned = state
        .services
        .assign_review(
            &staff,
            &ClientId::from_raw(client.clone()),
            &SessionId::from_raw(id.clone()),
            &form.reviewer,
        )
        .await;
    let not_assigned = |status, text: &str| message(status, Some(&staff), "Not assigned", text);
    match assigned {
        Ok(Assigned::Done) => Redirect::to(&session_url(&client, &id)).into_response(),
        Ok(Assigned::NotAllowed) => forbidden(&staff, "Only leads assign sessions."),
        Ok(Assigned::NoSuchReviewer) => not_assigned(
            StatusCode::BAD_REQUEST,
            "No enabled reviewer has that username. Nothing was done.",
        ),
        Ok(Assigned::NotInReview) => not_assigned(
            StatusCode::CONFLICT,
            "The session is no longer in review. Nothing was done.",
        ),
        Err(verity_service::ServiceError::NotFound { .. }) => error_page(StatusCode::NOT_FOUND, "No such session."),
        Err(e) => unavailable(e),
    }
}

async fn release(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !staff.sent(&form.csrf) {
        return staff.forged(&state, "release", &client, &id).await;
    }
    match state
        .services
        .release_review(&staff, &ClientId::from_raw(client), &SessionId::from_raw(id))
        .await
    {
        Ok(()) => Redirect::to("/console/reviews").into_response(),
        Err(e) => unavailable(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoteForm {
    csrf: String,
    note: String,
}

async fn add_note(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id)): Path<(String, String)>,
    Form(form): Form<NoteForm>,
) -> Response {
    if !staff.sent(&form.csrf) {
        return staff.forged(&state, "note", &client, &id).await;
    }
    let added = state
        .services
        .add_note(
            &staff,
            &ClientId::from_raw(client.clone()),
            &SessionId::from_raw(id.clone()),
            &form.note,
        )
        .await;
    let not_added = |text: &str| message(StatusCode::BAD_REQUEST, Some(&staff), "Note not added", text);
    match added {
        Ok(NoteAdded::Done) => Redirect::to(&format!("{}#timeline", session_url(&client, &id))).into_response(),
        Ok(NoteAdded::Empty) => not_added("The note is empty. Nothing was added."),
        Ok(NoteAdded::TooLong) => not_added(&format!(
            "A note holds {} characters at most. Nothing was added.",
            verity_service::back_office::NOTE_LENGTH
        )),
        Err(verity_service::ServiceError::NotFound { .. }) => error_page(StatusCode::NOT_FOUND, "No such session."),
        Err(e) => unavailable(e),
    }
}
