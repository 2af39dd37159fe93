//! The last step: everything entered, with links to change it, and the submission.

use askama::Template;
use axum::http::HeaderMap;
use axum::response::Response;
use verity_domain::hosted::{Control, FormErrors, Owner, Step};
use verity_service::hosted::Submission;

use super::context::{Ctx, Failure, load};
use super::forms::{ActionForm, Posted, done_response};
use super::layout::{Layout, step_name};
use super::status::{closed_page, failure_page};
use super::step_page;
use crate::{AppState, now};

#[derive(Template)]
#[template(path = "hosted/review.html")]
pub(super) struct ReviewPage {
    page: Layout,
    action: String,
    csrf: String,
    business: Option<BusinessRow>,
    owners: Option<OwnersRow>,
    personal: Option<PersonalRow>,
    document: Option<DocumentRow>,
    photos: Vec<PhotoRow>,
    /// The company documents (legal users), with a link to their step.
    company_documents: Option<(String, Vec<DocumentFile>)>,
    /// Steps still to do, which hold the submission back.
    missing: Vec<MissingStep>,
}

struct BusinessRow {
    change: String,
    name: String,
    registration_number: String,
    country: String,
}

struct OwnersRow {
    change: String,
    /// "Jeanne Martin (55%)", or the kind of control where it is not a share.
    owners: Vec<String>,
}

struct PersonalRow {
    change: String,
    first_name: String,
    last_name: String,
    birth_date: String,
}

struct DocumentRow {
    change: String,
    kind: String,
    country: String,
}

struct PhotoRow {
    name: String,
    done: bool,
    /// The thumbnail's address, once there is a photo.
    thumbnail: Option<String>,
    change: String,
}

struct DocumentFile {
    name: String,
    done: bool,
}

struct MissingStep {
    url: String,
    name: String,
}

pub(super) fn review_page(ctx: &Ctx, page: Layout) -> ReviewPage {
    let tr = &ctx.tr;
    let country =
        |code: &str| crate::hosted::countries::name(code, tr.lang).map_or_else(|| code.to_owned(), str::to_owned);
    let progress = &ctx.progress;
    ReviewPage {
        page,
        action: ctx.step_url(Step::Review),
        csrf: progress.csrf.clone(),
        business: progress.business.as_ref().map(|b| BusinessRow {
            change: ctx.step_url(Step::Business),
            name: b.name.clone(),
            registration_number: b.registration_number.clone(),
            country: country(&b.country),
        }),
        owners: ctx.has_step(Step::Owners).then(|| OwnersRow {
            change: ctx.step_url(Step::Owners),
            owners: progress.owners.iter().map(|o| owner_line(tr, o)).collect(),
        }),
        personal: progress.personal.as_ref().map(|p| PersonalRow {
            change: ctx.step_url(Step::Personal),
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            birth_date: p.birth_date.clone(),
        }),
        document: progress.document.as_ref().map(|d| DocumentRow {
            change: ctx.step_url(Step::Document),
            kind: tr.t(&format!("doc-type-{}", d.kind.as_str())),
            country: country(&d.country),
        }),
        photos: [Step::Front, Step::Back, Step::Selfie]
            .into_iter()
            .filter(|s| ctx.has_step(*s))
            .map(|s| {
                let slot = match s {
                    Step::Front => verity_domain::hosted::SLOT_FRONT,
                    Step::Back => verity_domain::hosted::SLOT_BACK,
                    _ => verity_domain::hosted::SLOT_SELFIE,
                };
                PhotoRow {
                    name: step_name(tr, s),
                    done: progress.is_done(&ctx.user, s),
                    thumbnail: progress
                        .files
                        .contains_key(slot)
                        .then(|| format!("/verify/{}/photo/{slot}", ctx.token)),
                    change: ctx.step_url(s),
                }
            })
            .collect(),
        company_documents: ctx.has_step(Step::CompanyDocuments).then(|| {
            (
                ctx.step_url(Step::CompanyDocuments),
                verity_domain::hosted::Progress::company_slots(&ctx.user)
                    .iter()
                    .map(|slot| DocumentFile {
                        name: tr.t(&format!("doc-{slot}")),
                        done: progress.files.contains_key(*slot),
                    })
                    .collect(),
            )
        }),
        missing: progress
            .missing(&ctx.user)
            .into_iter()
            .map(|s| MissingStep {
                url: ctx.step_url(s),
                name: step_name(tr, s),
            })
            .collect(),
    }
}

fn owner_line(tr: &crate::hosted::i18n::Tr, o: &Owner) -> String {
    let how = match o.control {
        Control::Ownership => format!("{}%", o.share),
        other => tr.t(&format!("control-{}", other.as_str())),
    };
    format!("{} {} ({how})", o.first_name, o.last_name)
}

/// Submits the session once nothing is missing; anything else shows the page again.
pub(super) async fn submit_review(state: &AppState, ctx: &mut Ctx, posted: &Posted, headers: &HeaderMap) -> Response {
    let submit = posted.form::<ActionForm>().action == "submit";
    if !submit || !ctx.progress.missing(&ctx.user).is_empty() {
        return step_page(ctx, Step::Review, &FormErrors::new(), &[]);
    }
    ctx.progress.submitted_at = Some(now());
    match state
        .services
        .submit_hosted(&ctx.client, &ctx.session, &ctx.progress)
        .await
    {
        Ok(Submission::Taken) => {}
        // Expired or decided a moment ago: say so.
        Ok(Submission::TooLate) => {
            return match load(state, &ctx.token, None, headers).await {
                Ok(fresh) => closed_page(&fresh),
                Err(f) => failure_page(f, headers),
            };
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot save submission");
            return failure_page(Failure::Busy, headers);
        }
    }
    tracing::info!(session = %ctx.session.id, "hosted session submitted");
    done_response(posted, ctx.session.return_url.clone())
}
