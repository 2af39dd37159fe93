//! Posted forms: the body is read once (URL-encoded, or multipart with at most one file, or the
//! few frames of a liveness attempt, each of bounded size), then each step deserializes the
//! fields it expects into its own form struct.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde::de::value::{Error as ValueError, MapDeserializer};

use super::context::Ctx;
use crate::AppState;
use crate::hosted::upload::{self, Rejection};
use crate::wire::url_pairs;

/// Largest URL-encoded form body.
const MAX_FORM: usize = 64 * 1024;

/// Most liveness frames a form may carry (the facing frame and one per action).
pub(super) const MAX_FRAMES: usize = 4;

/// A posted form: its fields, and a file when it was a multipart upload.
pub(super) struct Posted {
    fields: Vec<(String, String)>,
    pub file: Option<Result<Bytes, Rejection>>,
    /// The `frame` files of a liveness attempt, in order.
    pub frames: Vec<Result<Bytes, Rejection>>,
    /// The page's script asked for JSON rather than a redirect or a page.
    pub wants_json: bool,
}

impl Posted {
    /// The fields as the form struct `T`: each field's first value, trimmed; fields `T` does
    /// not know are ignored, and missing ones take their default (`T`'s fields are strings
    /// under `#[serde(default)]`, so any body fits).
    pub fn form<T: DeserializeOwned + Default>(&self) -> T {
        let mut seen = HashSet::new();
        let fields = self
            .fields
            .iter()
            .filter(|(name, _)| seen.insert(name.as_str()))
            .map(|(name, value)| (name.as_str(), value.trim()));
        T::deserialize(MapDeserializer::<_, ValueError>::new(fields)).unwrap_or_default()
    }
}

/// The anti-forgery token every form carries.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsrfForm {
    csrf: String,
}

/// A form of buttons: `continue`, `submit`, …
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ActionForm {
    pub action: String,
}

pub(super) async fn read_posted(state: &AppState, req: Request) -> Result<Posted, Response> {
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_FORM)
            .await
            .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
        return Ok(Posted {
            fields: url_pairs(&String::from_utf8_lossy(&bytes)),
            file: None,
            frames: Vec::new(),
            wants_json,
        });
    }
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
    let mut fields = Vec::new();
    let mut file = None;
    let mut frames = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // The body exceeded the limit or was cut off.
            Err(_) => {
                file = Some(Err(Rejection::TooLarge));
                break;
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "frame" && frames.len() >= MAX_FRAMES {
            frames.push(Err(Rejection::TooLarge));
            break;
        }
        if name == "file" || name == "frame" {
            let mut field = field;
            let mut buf = Vec::new();
            let mut result = Ok(());
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if buf.len() + chunk.len() > upload::MAX_UPLOAD {
                            result = Err(Rejection::TooLarge);
                            break;
                        }
                        buf.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(_) => {
                        result = Err(Rejection::TooLarge);
                        break;
                    }
                }
            }
            let read = result.map(|()| Bytes::from(buf));
            if name == "frame" {
                frames.push(read);
            } else {
                file = Some(read);
            }
        } else if let Ok(text) = field.text().await {
            fields.push((name, text));
        }
    }
    Ok(Posted {
        fields,
        file,
        frames,
        wants_json,
    })
}

/// Forms are only posted from these pages: the token in the form must match, and browsers
/// must not report a cross-site request.
pub(super) fn forged(ctx: &Ctx, posted: &Posted, headers: &HeaderMap) -> bool {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site");
    let token = posted.form::<CsrfForm>().csrf;
    cross_site || token.is_empty() || token.len() != ctx.progress.csrf.len() || token != ctx.progress.csrf
}

/// Where to go next: a redirect for forms, JSON for the script's uploads.
pub(super) fn done_response(posted: &Posted, next: String) -> Response {
    if posted.wants_json {
        return axum::Json(serde_json::json!({"ok": true, "next": next})).into_response();
    }
    Redirect::to(&next).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Sample {
        first_name: String,
        share: String,
    }

    #[test]
    fn forms_take_the_first_trimmed_value_and_ignore_the_rest() {
        let posted = Posted {
            fields: vec![
                ("csrf".into(), "t".into()),
                ("first_name".into(), "  Ada ".into()),
                ("first_name".into(), "Eve".into()),
            ],
            file: None,
            frames: Vec::new(),
            wants_json: false,
        };
        assert_eq!(
            posted.form::<Sample>(),
            Sample {
                first_name: "Ada".into(),
                share: String::new()
            }
        );
        assert_eq!(posted.form::<CsrfForm>().csrf, "t");
    }
}
