//! What the pages load besides themselves: the stylesheet and script, the platform's colours and
//! logo, and the progress a desktop page follows while the user continues on a phone.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use verity_domain::hosted::Step;

use super::context::load;
use super::status::failure_page;
use crate::AppState;

pub(super) fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    r.headers_mut()
        .insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r
}

pub(super) async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", include_str!("../../../static/hosted.css"))
}

pub(super) async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../../static/hosted.js"),
    )
}

pub(super) async fn progress_json(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let ctx = match load(&state, &token, None, &headers).await {
        Ok(c) => c,
        Err(f) => return failure_page(f, &headers),
    };
    let done: Vec<&str> = ctx
        .progress
        .steps(&ctx.user)
        .into_iter()
        .filter(|s| ctx.progress.is_done(&ctx.user, *s))
        .map(Step::as_str)
        .collect();
    let mut r = axum::Json(serde_json::json!({
        "status": ctx.session.status.as_str(),
        "submitted": ctx.progress.submitted_at.is_some(),
        "done": done,
        "next": ctx.progress.resume_at(&ctx.user).as_str(),
    }))
    .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Brand colours as CSS custom properties (no inline styles, so the CSP stays strict).
pub(super) async fn brand_css(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let colour = match load(&state, &token, None, &headers).await {
        Ok(ctx) => ctx.client.branding.primary_color.filter(|c| is_hex_colour(c)),
        Err(_) => None,
    };
    let css = match colour {
        Some(c) => format!(":root {{ --primary: {c}; --on-primary: {}; }}\n", readable_on(&c)),
        None => String::new(),
    };
    let mut r = css.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r
}

fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Black or white, whichever contrasts more with the brand colour (WCAG relative luminance).
fn readable_on(hex: &str) -> &'static str {
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    if (l + 0.05) / 0.05 > 1.05 / (l + 0.05) {
        "#000000"
    } else {
        "#ffffff"
    }
}

pub(super) async fn logo(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let Ok(ctx) = load(&state, &token, None, &headers).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(data) = ctx.client.branding.logo.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some((meta, b64)) = data.strip_prefix("data:").and_then(|d| d.split_once(";base64,")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let content_type = if meta == "image/svg+xml" {
        "image/svg+xml"
    } else {
        "image/png"
    };
    let mut r = bytes.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // An SVG logo may not run scripts.
    r.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    r.headers_mut()
        .insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r
}

/// `GET /verify/{token}/photo/{slot}`: a small copy of a photo the person sent, for them to
/// check on its step and on the review step. Only while the session is open (the link is the
/// authorisation, as for the steps), never cached, and never the full-size image.
pub(super) async fn photo_thumbnail(
    State(state): State<AppState>,
    Path((token, slot)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let ctx = match load(&state, &token, None, &headers).await {
        Ok(c) => c,
        Err(f) => return failure_page(f, &headers),
    };
    let photo = ctx
        .progress
        .files
        .get(&slot)
        .filter(|f| ctx.open() && f.content_type.starts_with("image/"));
    let Some(file) = photo else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let bytes = match state.services.blob_meta(&file.blob_id).await {
        Ok(Some(meta)) => match state.services.open_file(&meta).await {
            Ok(verity_service::files::Opened::File(bytes)) => bytes,
            _ => return StatusCode::NOT_FOUND.into_response(),
        },
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let small = tokio::task::spawn_blocking(move || {
        let image = image::load_from_memory(&bytes).ok()?;
        let mut out = Vec::new();
        image
            .thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
            .to_rgb8()
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Jpeg)
            .ok()?;
        Some(out)
    })
    .await
    .ok()
    .flatten();
    let Some(small) = small else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut r = small.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r
}

/// Longest side of a photo's thumbnail on the pages.
const THUMBNAIL_SIDE: u32 = 320;
