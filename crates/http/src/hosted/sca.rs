//! The SCA enrolment page behind `PendingUserAction.RedirectUrl` (templates/hosted/sca.html): the
//! user confirms, and goes back to the platform's `returnUrl`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use verity_service::users::Enrolment;

use crate::AppState;
use crate::hosted::i18n::{self, Tr};
use crate::wire::url_pairs;

pub fn routes() -> Router<AppState> {
    Router::new().route("/sca/{token}", get(sca_page).post(sca_confirm))
}

/// A page of the enrolment flow: a title, a message and, on the enrolment page itself, the
/// confirmation form.
#[derive(Template)]
#[template(path = "hosted/sca.html")]
struct ScaPage<'a> {
    lang: &'static str,
    title: &'a str,
    message: &'a str,
    confirm: String,
    confirm_action: Option<String>,
}

fn render(status: StatusCode, page: ScaPage<'_>) -> Response {
    let mut r = match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "SCA page rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    };
    crate::security_headers(r.headers_mut());
    r
}

/// The page in the browser's language (English when it asks for none Verity has).
fn translator(headers: &HeaderMap) -> Tr {
    Tr::new(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(i18n::negotiate)
            .unwrap_or("en"),
    )
}

fn page(tr: Tr, status: StatusCode, title_key: &str, message_key: &str) -> Response {
    render(
        status,
        ScaPage {
            lang: tr.lang,
            title: &tr.t(title_key),
            message: &tr.t(message_key),
            confirm: tr.t("sca-confirm"),
            confirm_action: None,
        },
    )
}

fn invalid_link(tr: Tr) -> Response {
    page(tr, StatusCode::NOT_FOUND, "invalid-title", "invalid-body")
}

/// The platform appends `returnUrl` to the enrolment link; only absolute http(s) targets are
/// followed, so the page cannot be used as an open redirect to other schemes.
fn return_url(query: Option<&str>) -> Option<String> {
    url_pairs(query.unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == "returnUrl")
        .map(|(_, v)| v)
        .filter(|v| v.starts_with("https://") || v.starts_with("http://"))
}

async fn sca_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let tr = translator(&headers);
    match state.services.sca_link_is_live(&token).await {
        Ok(true) => render(
            StatusCode::OK,
            ScaPage {
                lang: tr.lang,
                title: &tr.t("sca-title"),
                message: &tr.t("sca-message"),
                confirm: tr.t("sca-confirm"),
                confirm_action: Some(match query {
                    Some(q) => format!("/sca/{token}?{q}"),
                    None => format!("/sca/{token}"),
                }),
            },
        ),
        Ok(false) => invalid_link(tr),
        Err(e) => {
            tracing::error!(error = %e, "SCA page lookup failed");
            page(tr, StatusCode::SERVICE_UNAVAILABLE, "sca-retry-title", "error-busy")
        }
    }
}

async fn sca_confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let tr = translator(&headers);
    // The form is only ever posted from this page.
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return page(tr, StatusCode::FORBIDDEN, "sca-retry-title", "error-csrf");
    }
    match state.services.complete_sca_enrolment(&token).await {
        Ok(Enrolment::Completed) => {}
        Ok(Enrolment::UnknownLink) => return invalid_link(tr),
        Err(e) => {
            tracing::error!(error = %e, "SCA enrolment could not be saved");
            return page(tr, StatusCode::SERVICE_UNAVAILABLE, "sca-retry-title", "sca-not-saved");
        }
    }
    match return_url(query.as_deref()) {
        Some(target) => {
            let sep = if target.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{target}{sep}controlStatus=VALIDATED")).into_response()
        }
        None => page(tr, StatusCode::OK, "sca-done-title", "sca-done-message"),
    }
}
