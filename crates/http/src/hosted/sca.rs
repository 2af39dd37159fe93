//! The SCA enrolment page behind `PendingUserAction.RedirectUrl` (templates/hosted/sca.html): the
//! user confirms, and goes back to the platform's `returnUrl`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use verity_service::users::Enrolment;

use crate::AppState;
use crate::wire::url_pairs;

pub fn routes() -> Router<AppState> {
    Router::new().route("/sca/{token}", get(sca_page).post(sca_confirm))
}

/// A page of the enrolment flow: a title, a message and, on the enrolment page itself, the
/// confirmation form.
#[derive(Template)]
#[template(path = "hosted/sca.html")]
struct ScaPage<'a> {
    title: &'a str,
    message: &'a str,
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

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    render(
        status,
        ScaPage {
            title,
            message,
            confirm_action: None,
        },
    )
}

fn invalid_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "This link is not valid",
        "Check that you opened the whole link you were given, or ask for a new one.",
    )
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

async fn sca_page(State(state): State<AppState>, Path(token): Path<String>, RawQuery(query): RawQuery) -> Response {
    match state.services.sca_link_is_live(&token).await {
        Ok(true) => render(
            StatusCode::OK,
            ScaPage {
                title: "Secure your account",
                message: "Confirm that you are enrolling this account in strong customer authentication.",
                confirm_action: Some(match query {
                    Some(q) => format!("/sca/{token}?{q}"),
                    None => format!("/sca/{token}"),
                }),
            },
        ),
        Ok(false) => invalid_link(),
        Err(e) => {
            tracing::error!(error = %e, "SCA page lookup failed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "The service is busy. Reload this page in a moment.",
            )
        }
    }
}

async fn sca_confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    // The form is only ever posted from this page.
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return page(
            StatusCode::FORBIDDEN,
            "Request refused",
            "Open the enrolment link again.",
        );
    }
    match state.services.complete_sca_enrolment(&token).await {
        Ok(Enrolment::Completed) => {}
        Ok(Enrolment::UnknownLink) => return invalid_link(),
        Err(e) => {
            tracing::error!(error = %e, "SCA enrolment could not be saved");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "Your confirmation was not saved. Try again.",
            );
        }
    }
    match return_url(query.as_deref()) {
        Some(target) => {
            let sep = if target.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{target}{sep}controlStatus=VALIDATED")).into_response()
        }
        None => page(StatusCode::OK, "Account secured", "You can close this page."),
    }
}
