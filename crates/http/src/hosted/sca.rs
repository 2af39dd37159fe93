//! Pages opened by end users: the hosted verification page behind `HostedUrl` (a status page
//! until the hosted flow lands) and the SCA enrolment page behind `PendingUserAction.RedirectUrl`.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::AppState;
use crate::wire::url_pairs;

pub fn routes() -> Router<AppState> {
    Router::new().route("/sca/{token}", get(sca_page).post(sca_confirm))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title)
    );
    let mut r = (status, Html(html)).into_response();
    crate::security_headers(r.headers_mut());
    r
}

fn invalid_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "This link is not valid",
        "<p>Check that you opened the whole link you were given, or ask for a new one.</p>",
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
    match state.store.user_by_sca_token(&token).await {
        Ok(Some(_)) => {
            let action = match query {
                Some(q) => format!("/sca/{}?{}", escape(&token), escape(&q)),
                None => format!("/sca/{}", escape(&token)),
            };
            page(
                StatusCode::OK,
                "Secure your account",
                &format!(
                    "<p>Confirm that you are enrolling this account in strong customer authentication.</p>\
                     <form method=\"post\" action=\"{action}\"><button type=\"submit\">Confirm</button></form>"
                ),
            )
        }
        Ok(None) => invalid_link(),
        Err(e) => {
            tracing::error!(error = %e, "SCA page lookup failed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "<p>The service is busy. Reload this page in a moment.</p>",
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
            "<p>Open the enrolment link again.</p>",
        );
    }
    let user = match state.store.user_by_sca_token(&token).await {
        Ok(Some(u)) => u,
        Ok(None) => return invalid_link(),
        Err(e) => {
            tracing::error!(error = %e, "SCA lookup failed");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "<p>The service is busy.</p>",
            );
        }
    };
    let client = match state.store.client(&user.client_id).await {
        Ok(Some(c)) => c.client,
        _ => {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "<p>The service is busy.</p>",
            );
        }
    };
    let completed = state
        .services
        .change_user(
            &client,
            &user.id,
            &|u| {
                u.complete_enrollment();
                Ok(())
            },
            &|_| None,
        )
        .await;
    if let Err(e) = completed {
        tracing::error!(error = %e, "SCA enrolment could not be saved");
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "<p>Your confirmation was not saved. Try again.</p>",
        );
    }
    match return_url(query.as_deref()) {
        Some(target) => {
            let sep = if target.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{target}{sep}controlStatus=VALIDATED")).into_response()
        }
        None => page(StatusCode::OK, "Account secured", "<p>You can close this page.</p>"),
    }
}
