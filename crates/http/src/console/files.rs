//! A session's uploaded files: recorded in the audit log before anything is decrypted, decrypted
//! on the fly, and images and PDFs watermarked with the viewer's name and the time.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use verity_domain::{ClientId, SessionId};
use verity_service::back_office::SessionFile;
use verity_service::files::Opened;

use super::Staff;
use super::view::{date_time, error_page, unavailable};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/console/clients/{client}/sessions/{id}/files/{slot}", get(file))
}

async fn file(
    State(state): State<AppState>,
    staff: Staff,
    Path((client, id, slot)): Path<(String, String, String)>,
) -> Response {
    let found = state
        .services
        .session_file(
            &ClientId::from_raw(client.clone()),
            &SessionId::from_raw(id.clone()),
            &slot,
        )
        .await;
    let file = match found {
        Ok(SessionFile::Found(f)) => f,
        Ok(SessionFile::NoSession) => return error_page(StatusCode::NOT_FOUND, "No such session."),
        Ok(SessionFile::NoFile) => return error_page(StatusCode::NOT_FOUND, "No such file."),
        Err(e) => return unavailable(e),
    };
    // Audited before anything is decrypted: no view without its record.
    if let Err(r) = staff
        .audit(
            &state,
            "view_file",
            Some(&client),
            Some(&id),
            serde_json::json!({"slot": slot}),
        )
        .await
    {
        return r;
    }
    sealed_file(&state, &staff, &file.blob_id, &file.content_type, &id).await
}

/// A stored file, decrypted, for a staff member who was already recorded in the audit log as
/// viewing it: images and PDFs are watermarked with the viewer's name, the time and `about`
/// (a PDF that cannot be watermarked is not shown).
pub(super) async fn sealed_file(
    state: &AppState,
    staff: &Staff,
    blob_id: &str,
    content_type: &str,
    about: &str,
) -> Response {
    let gone = || error_page(StatusCode::NOT_FOUND, "The file is gone (redacted or purged).");
    let meta = match state.services.blob_meta(blob_id).await {
        Ok(Some(m)) => m,
        Ok(None) => return gone(),
        Err(e) => return unavailable(e),
    };
    let bytes = match state.services.open_file(&meta).await {
        Ok(Opened::File(bytes)) => bytes,
        Ok(Opened::Gone) => return gone(),
        Ok(Opened::Undecryptable) => {
            return error_page(StatusCode::INTERNAL_SERVER_ERROR, "The file cannot be decrypted.");
        }
        Err(e) => return unavailable(e),
    };
    let mark = format!(
        "{} · {} · {}",
        staff.record.display_name,
        date_time(verity_service::now()),
        about
    );
    let pdf = is_pdf(content_type);
    let (body, content_type) = if content_type.starts_with("image/") {
        match tokio::task::spawn_blocking(move || verity_service::files::watermark(&bytes, &mark)).await {
            Ok(Some(jpeg)) => (jpeg, "image/jpeg".to_owned()),
            _ => return error_page(StatusCode::INTERNAL_SERVER_ERROR, "The image cannot be shown."),
        }
    } else if pdf {
        // Never served without its watermark: a PDF that cannot be marked is not shown.
        match tokio::task::spawn_blocking(move || verity_service::files::watermark_pdf(&bytes, &mark)).await {
            Ok(Some(marked)) => (marked, "application/pdf".to_owned()),
            _ => return error_page(StatusCode::INTERNAL_SERVER_ERROR, "The PDF cannot be shown."),
        }
    } else {
        (bytes, content_type.to_owned())
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if pdf {
        // Shown in an <iframe> of the console's own pages, and only theirs (the console's headers
        // middleware keeps these two). Nothing more: Chromium's PDF viewer is an <embed> in a
        // document of the PDF's own origin, which `object-src` (and so `default-src 'none'`) or a
        // CSP sandbox would block. `nosniff` and the exact content type keep it a PDF.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'self'"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    }
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whether a stored content type is a PDF's (parameters and case aside).
fn is_pdf(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/pdf"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdfs_are_recognised_by_their_content_type() {
        assert!(is_pdf("application/pdf"));
        assert!(is_pdf("Application/PDF; name=x.pdf"));
        assert!(!is_pdf("image/png"));
        assert!(!is_pdf("application/pdfx"));
    }
}
