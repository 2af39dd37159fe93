//! The photo steps (front, back, selfie) and every upload, company documents included: a live
//! camera when the script runs, a file input otherwise, and a QR code to continue on a phone.

use askama::Template;
use axum::body::Bytes;
use serde::Deserialize;
use verity_domain::hosted::{self, FileRef, FormErrors, Progress, Step};

use super::context::Ctx;
use super::fields::{ContinueForm, UploadForm};
use super::forms::{ActionForm, Posted};
use super::layout::Layout;
use super::{Submitted, step_page};
use crate::hosted::upload::{self, Rejection};
use crate::{AppState, now};

#[derive(Template)]
#[template(path = "hosted/capture.html")]
pub(super) struct CapturePage {
    page: Layout,
    tips: String,
    /// Whether the slot already has a photo.
    done: bool,
    /// The camera a phone opens: `user` or `environment`.
    facing: &'static str,
    /// An oval guide for a face rather than a card frame.
    face: bool,
    upload: UploadForm,
    next: Option<ContinueForm>,
    step: &'static str,
    /// The slot of this step's photo.
    slot: &'static str,
    token: String,
    /// This step's address on a phone, and its QR code.
    link: String,
    qr_svg: String,
}

pub(super) fn capture_page(ctx: &Ctx, step: Step, page: Layout) -> CapturePage {
    let (slot, tips, facing, face) = match step {
        Step::Selfie => (hosted::SLOT_SELFIE, "selfie-tips", "user", true),
        Step::Back => (hosted::SLOT_BACK, "capture-tips", "environment", false),
        _ => (hosted::SLOT_FRONT, "capture-tips", "environment", false),
    };
    let done = ctx.progress.files.contains_key(slot);
    let link = format!("{}/verify/{}/step/{}", ctx.public_base, ctx.token, step.as_str());
    // The qrcode crate draws the code as SVG rectangles from its modules: markup from
    // constants alone, whatever the link holds.
    let qr_svg = qrcode::QrCode::new(link.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default();
    CapturePage {
        page,
        tips: ctx.tr.t(tips),
        done,
        facing,
        face,
        upload: UploadForm::new(
            ctx,
            step,
            slot,
            ctx.tr.t("capture-file"),
            "image/jpeg,image/png,image/webp",
        )
        .capture(facing),
        next: done.then(|| ContinueForm::new(ctx, step, "continue")),
        step: step.as_str(),
        slot,
        token: ctx.token.clone(),
        link,
        qr_svg,
    }
}

/// An upload form: the slot the file is for (the file itself is `Posted::file`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UploadFields {
    slot: String,
}

/// An upload to a slot of `step`, or `continue` once the step is done.
pub(super) async fn submit_upload(state: &AppState, ctx: &mut Ctx, step: Step, posted: &Posted) -> Submitted {
    if posted.form::<ActionForm>().action == "continue" && ctx.progress.is_done(&ctx.user, step) {
        // Nothing to save: move on.
        return Submitted::saved(FormErrors::new());
    }
    let slot = posted.form::<UploadFields>().slot;
    let allowed: Vec<&'static str> = match step {
        Step::CompanyDocuments => Progress::company_slots(&ctx.user).to_vec(),
        Step::Front => vec![hosted::SLOT_FRONT],
        Step::Back => vec![hosted::SLOT_BACK],
        _ => vec![hosted::SLOT_SELFIE],
    };
    let Some(slot) = allowed.into_iter().find(|s| *s == slot) else {
        return Submitted::Answer(step_page(ctx, step, &FormErrors::new(), &[]));
    };
    let mut errors = FormErrors::new();
    if !state
        .upload_limiter
        .hit(&format!("upload:{}", ctx.session.id), now())
        .allowed
    {
        errors.insert(file_field(slot), "error-too-many");
    } else {
        let allow_pdf = step == Step::CompanyDocuments;
        match store_upload(state, ctx, slot, allow_pdf, posted.file.as_ref()).await {
            Ok(file) => {
                if slot == hosted::SLOT_SELFIE {
                    // A plain selfie replaces a liveness attempt's first frame: the attempt
                    // no longer speaks for it.
                    ctx.progress.liveness = None;
                }
                ctx.progress.files.insert(slot.to_owned(), file);
            }
            Err(key) => {
                errors.insert(file_field(slot), key);
            }
        }
    }
    if step == Step::CompanyDocuments {
        Submitted::stay(errors)
    } else {
        Submitted::saved(errors)
    }
}

/// The id of a slot's file input, which error summaries link to.
fn file_field(slot: &str) -> &'static str {
    match slot {
        hosted::SLOT_BACK => "file-back",
        hosted::SLOT_SELFIE => "file-selfie",
        hosted::SLOT_REGISTRATION_PROOF => "file-registration_proof",
        hosted::SLOT_ARTICLES => "file-articles_of_association",
        _ => "file-front",
    }
}

/// Cleans, seals and stores an upload; returns its reference or a translation key.
async fn store_upload(
    state: &AppState,
    ctx: &Ctx,
    slot: &str,
    allow_pdf: bool,
    file: Option<&Result<Bytes, Rejection>>,
) -> Result<FileRef, &'static str> {
    let bytes = match file {
        None => return Err("error-file-missing"),
        Some(Err(r)) => return Err(r.message_key()),
        Some(Ok(b)) if b.is_empty() => return Err("error-file-missing"),
        Some(Ok(b)) => b.clone(),
    };
    let started = std::time::Instant::now();
    let _place = upload::InFlight::take(ctx.session.id.as_str()).ok_or("error-busy")?;
    let cleaned = upload::clean_async(bytes, allow_pdf)
        .await
        .map_err(Rejection::message_key)?;
    let file = put_blob(state, ctx, slot, cleaned.bytes, cleaned.content_type, false)
        .await
        .map_err(|_| "error-busy")?;
    tracing::info!(session = %ctx.session.id, slot, size = file.size, elapsed_ms = started.elapsed().as_millis() as u64, "upload stored");
    Ok(file)
}

/// Seals and stores a cleaned file of the session.
pub(super) async fn put_blob(
    state: &AppState,
    ctx: &Ctx,
    slot: &str,
    bytes: Vec<u8>,
    content_type: &str,
    sample: bool,
) -> Result<FileRef, ()> {
    state
        .services
        .store_file(
            &ctx.client.id,
            verity_store::BlobOwner::Session(ctx.session.id.clone()),
            slot,
            bytes,
            content_type,
            sample,
        )
        .await
        .map_err(|e| tracing::error!(error = %e, "cannot store an upload"))
}
