//! Pages that end the flow: a link that is not valid, a store that is busy, and a session that
//! no longer accepts input (submitted, decided or expired).

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use verity_domain::SessionStatus;

use super::context::{Ctx, Failure, browser_language};
use super::layout::{Layout, respond};
use crate::hosted::i18n::Tr;

#[derive(Template)]
#[template(path = "hosted/failure.html")]
struct FailurePage {
    page: Layout,
    message: String,
}

#[derive(Template)]
#[template(path = "hosted/closed.html")]
struct ClosedPage {
    page: Layout,
    status: String,
    return_url: String,
    return_text: String,
}

/// A link that cannot be served, in the browser's language.
pub(super) fn failure_page(failure: Failure, headers: &HeaderMap) -> Response {
    let tr = Tr::new(browser_language(headers).unwrap_or("en"));
    let (status, title, message) = match failure {
        Failure::Invalid => (StatusCode::NOT_FOUND, tr.t("invalid-title"), tr.t("invalid-body")),
        Failure::Busy => (StatusCode::SERVICE_UNAVAILABLE, tr.t("app-title"), tr.t("error-busy")),
    };
    let page = FailurePage {
        page: Layout::plain(tr, title),
        message,
    };
    respond(None, status, &page)
}

/// The page of a closed session: it says why and accepts nothing.
pub(super) fn closed_page(ctx: &Ctx) -> Response {
    let key = if ctx.session.status == SessionStatus::Pending {
        "status-SUBMITTED".to_owned()
    } else {
        format!("status-{}", ctx.session.status.as_str())
    };
    let platform = ctx.platform();
    let page = ClosedPage {
        page: Layout::of(ctx, ctx.tr.t("status-title")),
        status: ctx.tr.f(&key, &[("platform", &platform)]),
        return_url: ctx.session.return_url.clone(),
        return_text: ctx.tr.f("done-return", &[("platform", &platform)]),
    };
    respond(Some(ctx), StatusCode::OK, &page)
}
