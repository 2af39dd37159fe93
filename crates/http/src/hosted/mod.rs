//! Pages opened by end users: the hosted verification flow behind `HostedUrl`, and the SCA
//! enrolment page behind `PendingUserAction.RedirectUrl`.

pub mod countries;
pub mod i18n;
mod pages;
mod pdf;
mod sca;
pub mod upload;

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().merge(pages::routes()).merge(sca::routes())
}
