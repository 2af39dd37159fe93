//! Pages opened by end users: the hosted verification flow behind `HostedUrl`, and the SCA
//! enrolment page behind `PendingUserAction.RedirectUrl`.

pub mod i18n;
mod pages;
mod pdf;
mod samples;
mod sca;
pub mod upload;

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().merge(pages::routes()).merge(sca::routes())
}

/// Escapes text for HTML written by hand (the back-office console). The hosted pages are askama
/// templates, which escape every value themselves.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
