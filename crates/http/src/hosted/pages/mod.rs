//! The hosted verification flow: one page per step, saved after every step, in the user's
//! language, working without JavaScript (the script only adds the live camera, photo
//! downscaling and following a phone's progress from a desktop).
//!
//! Every page is an askama template under templates/hosted/ extending hosted/layout.html, fed
//! by a view struct built here; posted forms are deserialized into one struct per form.
//!
//! - `context`: the session, user, platform and progress behind a link;
//! - `layout`: the frame of every page, and the response with its security headers;
//! - `fields`, `forms`: form parts shown, and forms read back;
//! - `person`, `company`, `photos`, `review`: the steps;
//! - `status`: closed sessions and invalid links; `sandbox`: the simulator; `assets`: the rest.

mod assets;
mod company;
mod context;
mod fields;
mod forms;
mod layout;
mod liveness;
mod person;
mod photos;
mod review;
mod sandbox;
mod status;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use verity_domain::hosted::{FormErrors, Step};

use self::context::{Ctx, Failure, context};
use self::forms::{done_response, forged, read_posted};
use self::layout::{Layout, error_message, respond};
use self::status::{closed_page, failure_page};
use crate::AppState;
use crate::hosted::upload;
use crate::wire::url_pairs;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/verify/{token}", get(entry))
        .route("/verify/{token}/progress.json", get(assets::progress_json))
        .route("/verify/{token}/brand.css", get(assets::brand_css))
        .route("/verify/{token}/logo", get(assets::logo))
        .route("/verify/{token}/photo/{slot}", get(assets::photo_thumbnail))
        .route("/verify/{token}/simulate", post(sandbox::simulate))
        .route("/verify/{token}/samples", post(sandbox::fill_samples))
        .route(
            "/verify/{token}/liveness",
            post(liveness::liveness).layer(DefaultBodyLimit::max(
                forms::MAX_FRAMES * upload::MAX_UPLOAD + 256 * 1024,
            )),
        )
        .route(
            "/verify/{token}/step/{step}",
            get(show_step)
                .post(submit_step)
                .layer(DefaultBodyLimit::max(upload::MAX_UPLOAD + 256 * 1024)),
        )
        .route("/static/hosted.css", get(assets::stylesheet))
        .route("/static/hosted.js", get(assets::script))
}

/// The page of `step`, showing `errors` (a 400 when there are some). `query` is the page's
/// own query (the owner being edited).
fn step_page(ctx: &Ctx, step: Step, errors: &FormErrors, query: &[(String, String)]) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = Layout::step(ctx, step, errors);
    match step {
        Step::Welcome => respond(Some(ctx), status, &person::welcome_page(ctx, page)),
        Step::Personal => respond(Some(ctx), status, &person::personal_page(ctx, page, errors)),
        Step::Document => respond(Some(ctx), status, &person::document_page(ctx, page, errors)),
        Step::Business => respond(Some(ctx), status, &company::business_page(ctx, page, errors)),
        Step::Owners => respond(Some(ctx), status, &company::owners_page(ctx, page, errors, query)),
        Step::CompanyDocuments => respond(Some(ctx), status, &company::company_documents_page(ctx, page)),
        Step::Front | Step::Back | Step::Selfie => respond(Some(ctx), status, &photos::capture_page(ctx, step, page)),
        Step::Review => respond(Some(ctx), status, &review::review_page(ctx, page)),
    }
}

/// What a step made of a posted form.
enum Submitted {
    /// Save the progress, then show the errors, or go on to the next step (or back to this one
    /// when `stay`).
    Save { errors: FormErrors, stay: bool },
    /// Answer at once, saving nothing.
    Answer(Response),
}

impl Submitted {
    fn saved(errors: FormErrors) -> Submitted {
        Submitted::Save { errors, stay: false }
    }

    fn stay(errors: FormErrors) -> Submitted {
        Submitted::Save { errors, stay: true }
    }
}

/// The link itself: the step to continue at, or why the session is closed.
async fn entry(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let ctx = match context(&state, &token, query.as_deref(), &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !ctx.open() {
        return closed_page(&ctx);
    }
    Redirect::to(&ctx.resume_url()).into_response()
}

/// The open session behind `token` and one of its steps; otherwise the response to give.
async fn open_step(
    state: &AppState,
    token: &str,
    step: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<(Ctx, Step), Response> {
    let ctx = context(state, token, query, headers).await?;
    if !ctx.open() {
        return Err(closed_page(&ctx));
    }
    match Step::parse(step).filter(|s| ctx.has_step(*s)) {
        Some(step) => Ok((ctx, step)),
        None => Err(Redirect::to(&ctx.resume_url()).into_response()),
    }
}

async fn show_step(
    State(state): State<AppState>,
    Path((token, step)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (ctx, step) = match open_step(&state, &token, &step, query.as_deref(), &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    step_page(
        &ctx,
        step,
        &FormErrors::new(),
        &url_pairs(query.as_deref().unwrap_or("")),
    )
}

async fn submit_step(
    State(state): State<AppState>,
    Path((token, step)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let (mut ctx, step) = match open_step(&state, &token, &step, query.as_deref(), &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let posted = match read_posted(&state, req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if forged(&ctx, &posted, &headers) {
        let mut e = FormErrors::new();
        e.insert("csrf", "error-csrf");
        return step_page(&ctx, step, &e, &[]);
    }
    let submitted = match step {
        Step::Welcome => person::submit_welcome(&mut ctx),
        Step::Personal => person::submit_personal(&mut ctx, &posted),
        Step::Document => person::submit_document(&mut ctx, &posted),
        Step::Business => company::submit_business(&mut ctx, &posted),
        Step::Owners => company::submit_owners(&mut ctx, &posted),
        Step::CompanyDocuments | Step::Front | Step::Back | Step::Selfie => {
            photos::submit_upload(&state, &mut ctx, step, &posted).await
        }
        Step::Review => Submitted::Answer(review::submit_review(&state, &mut ctx, &posted, &headers).await),
    };
    let (errors, stay) = match submitted {
        Submitted::Save { errors, stay } => (errors, stay),
        Submitted::Answer(response) => return response,
    };
    if let Err(e) = state.services.save_progress(&ctx.session, &ctx.progress).await {
        tracing::error!(error = %e, "cannot save hosted progress");
        return failure_page(Failure::Busy, &headers);
    }
    if !errors.is_empty() {
        if posted.wants_json {
            let message = errors.values().next().map(|k| error_message(&ctx.tr, k));
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({"ok": false, "error": message})),
            )
                .into_response();
        }
        return step_page(&ctx, step, &errors, &[]);
    }
    let next = if stay {
        ctx.step_url(step)
    } else {
        ctx.step_url(ctx.progress.next_after(&ctx.user, step))
    };
    done_response(&posted, next)
}
