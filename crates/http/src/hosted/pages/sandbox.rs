//! The sandbox simulator shown under every open page of a sandbox session
//! (templates/hosted/sandbox.html): complete the session with a chosen outcome, or fill the
//! photo steps with sample documents.

use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use verity_domain::hosted::{self, DocumentChoice, DocumentType, Progress};
use verity_domain::sandbox::{Directive, REASONS};
use verity_domain::user::Person;
use verity_service::sandbox::Forced;

use super::context::{Ctx, Failure, context};
use super::forms::{Posted, forged, read_posted};
use super::photos::put_blob;
use super::status::{closed_page, failure_page};
use crate::hosted::upload;
use crate::{AppState, now};
use verity_service::samples;

/// What the simulator panel offers.
pub(super) struct SandboxPanel {
    pub token: String,
    pub csrf: String,
    /// Whether "sent to review" is an outcome of this session.
    pub review: bool,
    pub reasons: Vec<Reason>,
}

/// A refusal reason, and the check it refuses.
pub(super) struct Reason {
    pub reason: &'static str,
    pub check: &'static str,
}

pub(super) fn panel(ctx: &Ctx) -> SandboxPanel {
    let checks = verity_domain::sandbox::check_types(&ctx.user);
    SandboxPanel {
        token: ctx.token.clone(),
        csrf: ctx.progress.csrf.clone(),
        review: matches!(ctx.user.person, Person::Legal(_)) || ctx.client.natural_review,
        reasons: REASONS
            .iter()
            .flat_map(|(check, reasons)| reasons.iter().map(move |reason| Reason { reason, check }))
            .filter(|r| checks.contains(&r.check))
            .collect(),
    }
}

/// The common gate of the simulator's forms: a sandbox session still open, and a form posted
/// from its own page.
async fn sandbox_form(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    req: Request,
) -> Result<(Ctx, Posted), Response> {
    let ctx = context(state, token, None, headers).await?;
    if !ctx.is_sandbox() {
        return Err(failure_page(Failure::Invalid, headers));
    }
    if !ctx.open() {
        return Err(closed_page(&ctx));
    }
    let posted = read_posted(state, req).await?;
    if forged(&ctx, &posted, headers) {
        return Err(failure_page(Failure::Invalid, headers));
    }
    Ok((ctx, posted))
}

/// The simulator's form: `outcome` is `validated`, `refused` or `review`; `reason` is
/// `REASON@CHECK` (or a bare reason).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SimulateForm {
    outcome: String,
    reason: String,
}

pub(super) async fn simulate(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let (mut ctx, posted) = match sandbox_form(&state, &token, &headers, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let form = posted.form::<SimulateForm>();
    let directive = match form.outcome.as_str() {
        "review" => Directive::Review,
        "refused" => {
            let (reason, check) = form
                .reason
                .split_once('@')
                .map_or((form.reason.as_str(), None), |(r, c)| (r, Some(c)));
            match Directive::refuse(reason, check) {
                Ok(d) => d,
                Err(_) => return failure_page(Failure::Invalid, &headers),
            }
        }
        _ => Directive::Accept,
    };
    let result = state
        .services
        .force_outcome(&ctx.client, &ctx.session.id, Forced::Directive(directive))
        .await;
    if let Err(e) = result {
        tracing::info!(error = %e, "sandbox simulation refused");
        return closed_page(&ctx);
    }
    ctx.progress.submitted_at = Some(now());
    if let Err(e) = state.services.save_progress(&ctx.session, &ctx.progress).await {
        tracing::warn!(error = %e, "cannot record the simulated submission");
    }
    Redirect::to(&ctx.session.return_url).into_response()
}

/// Fills every photo and document slot with the sample documents.
pub(super) async fn fill_samples(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let (mut ctx, _) = match sandbox_form(&state, &token, &headers, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if ctx.progress.document.is_none() {
        let country = ctx
            .progress
            .personal
            .as_ref()
            .map(|p| p.nationality.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "FR".into());
        ctx.progress.document = Some(DocumentChoice {
            kind: DocumentType::IdentityCard,
            country,
        });
    }
    let mut slots: Vec<(&str, Vec<u8>)> = vec![
        (hosted::SLOT_FRONT, samples::document(0)),
        (hosted::SLOT_BACK, samples::document(1)),
        (hosted::SLOT_SELFIE, samples::selfie()),
    ];
    for slot in Progress::company_slots(&ctx.user) {
        slots.push((slot, samples::document(1)));
    }
    for (slot, png) in slots {
        let cleaned = match upload::clean_async(png.into(), false).await {
            Ok(c) => c,
            _ => return failure_page(Failure::Busy, &headers),
        };
        match put_blob(&state, &ctx, slot, cleaned.bytes, cleaned.content_type, true).await {
            Ok(file) => {
                ctx.progress.files.insert(slot.to_owned(), file);
            }
            Err(()) => return failure_page(Failure::Busy, &headers),
        }
    }
    if let Err(e) = state.services.save_progress(&ctx.session, &ctx.progress).await {
        tracing::error!(error = %e, "cannot save sample documents");
        return failure_page(Failure::Busy, &headers);
    }
    Redirect::to(&ctx.resume_url()).into_response()
}
