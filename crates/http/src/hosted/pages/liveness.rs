//! The selfie step's active liveness check, for pages with a camera and the script: a challenge
//! (turn left, turn right, come closer, in a random order), then the frames that answer it. The
//! first frame, facing the camera, becomes the selfie; the engine judges the frames
//! (`verity_domain::engine::liveness`). Without a camera or the script, the selfie upload works
//! as before and the attempt is "not made".

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use verity_domain::engine::liveness::{CHALLENGE_TTL_MS, Challenge};
use verity_domain::hosted::{self, LivenessFrame, LivenessProgress, Step};

use super::context::{Ctx, context};
use super::forms::{Posted, forged, read_posted};
use super::layout::error_message;
use super::photos::put_blob;
use crate::hosted::upload::{self, Rejection};
use crate::{AppState, now};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LivenessForm {
    /// `challenge` or `frames`.
    action: String,
    /// The challenge the frames answer.
    challenge: String,
    /// The frames' capture times (the browser's clock, milliseconds), comma-separated.
    captured: String,
}

fn refuse(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"ok": false, "error": message}))).into_response()
}

/// `POST /verify/{token}/liveness`: answers JSON only (the script is the only caller).
pub(super) async fn liveness(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let mut ctx = match context(&state, &token, None, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !ctx.open() || !ctx.has_step(Step::Selfie) {
        return refuse(StatusCode::CONFLICT, error_message(&ctx.tr, "error-liveness-expired"));
    }
    let posted = match read_posted(&state, req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if forged(&ctx, &posted, &headers) {
        return refuse(StatusCode::FORBIDDEN, error_message(&ctx.tr, "error-csrf"));
    }
    let form = posted.form::<LivenessForm>();
    let answer = match form.action.as_str() {
        "challenge" => issue(&mut ctx),
        "frames" => match receive(&state, &mut ctx, &form, &posted).await {
            Ok(answer) => answer,
            Err((status, key)) => return refuse(status, error_message(&ctx.tr, key)),
        },
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                error_message(&ctx.tr, "error-liveness-expired"),
            );
        }
    };
    if let Err(e) = state.services.save_progress(&ctx.session, &ctx.progress).await {
        tracing::error!(error = %e, "cannot save hosted progress");
        return refuse(StatusCode::SERVICE_UNAVAILABLE, error_message(&ctx.tr, "error-busy"));
    }
    // A PSC's session must be finished within the hour once its liveness step started.
    if form.action == "challenge"
        && let Err(e) = state.services.liveness_started(&ctx.session).await
    {
        tracing::error!(error = %e, "cannot shorten the PSC session's expiry");
        return refuse(StatusCode::SERVICE_UNAVAILABLE, error_message(&ctx.tr, "error-busy"));
    }
    Json(answer).into_response()
}

/// A new challenge replaces any earlier one (and its frames).
fn issue(ctx: &mut Ctx) -> serde_json::Value {
    let challenge = Challenge::new(
        verity_common::secrets::random_token(),
        rand::random::<u8>(),
        verity_common::clock::now_millis() as i64,
    );
    let prompts: Vec<String> = challenge
        .actions
        .iter()
        .map(|a| ctx.tr.t(&format!("liveness-{}", a.as_str())))
        .collect();
    let answer = json!({
        "ok": true,
        "challenge": challenge.id,
        "actions": challenge.actions,
        "face": ctx.tr.t("liveness-face"),
        "prompts": prompts,
        "expires_in_ms": CHALLENGE_TTL_MS,
    });
    ctx.progress.liveness = Some(LivenessProgress {
        challenge,
        frames: Vec::new(),
        received_at_ms: None,
    });
    answer
}

/// Stores the frames answering the current challenge; the first becomes the selfie.
async fn receive(
    state: &AppState,
    ctx: &mut Ctx,
    form: &LivenessForm,
    posted: &Posted,
) -> Result<serde_json::Value, (StatusCode, &'static str)> {
    let received_at_ms = verity_common::clock::now_millis() as i64;
    let expected = match &ctx.progress.liveness {
        Some(l)
            if l.challenge.id == form.challenge
                && l.received_at_ms.is_none()
                && received_at_ms <= l.challenge.expires_at_ms() =>
        {
            l.challenge.actions.len() + 1
        }
        _ => return Err((StatusCode::CONFLICT, "error-liveness-expired")),
    };
    let captured: Vec<i64> = form.captured.split(',').filter_map(|v| v.trim().parse().ok()).collect();
    if posted.frames.len() != expected || captured.len() != expected {
        return Err((StatusCode::BAD_REQUEST, "error-file-missing"));
    }
    if !state
        .upload_limiter
        .hit(&format!("upload:{}", ctx.session.id), now())
        .allowed
    {
        return Err((StatusCode::TOO_MANY_REQUESTS, "error-too-many"));
    }
    let _place =
        upload::InFlight::take(ctx.session.id.as_str()).ok_or((StatusCode::SERVICE_UNAVAILABLE, "error-busy"))?;
    let mut frames = Vec::with_capacity(expected);
    for (i, (frame, at)) in posted.frames.iter().zip(&captured).enumerate() {
        let bytes = match frame {
            Ok(b) if !b.is_empty() => b.clone(),
            Ok(_) => return Err((StatusCode::BAD_REQUEST, "error-file-missing")),
            Err(r) => return Err((StatusCode::BAD_REQUEST, r.message_key())),
        };
        // Frames are hostile uploads like any other: decoded within budget, re-encoded, sealed.
        let cleaned = upload::clean_async(bytes, false)
            .await
            .map_err(|r: Rejection| (StatusCode::BAD_REQUEST, r.message_key()))?;
        let file = put_blob(
            state,
            ctx,
            &format!("liveness_{i}"),
            cleaned.bytes,
            cleaned.content_type,
            false,
        )
        .await
        .map_err(|_| (StatusCode::SERVICE_UNAVAILABLE, "error-busy"))?;
        frames.push(LivenessFrame { file, captured_ms: *at });
    }
    ctx.progress
        .files
        .insert(hosted::SLOT_SELFIE.to_owned(), frames[0].file.clone());
    if let Some(l) = ctx.progress.liveness.as_mut() {
        l.frames = frames;
        l.received_at_ms = Some(received_at_ms);
    }
    tracing::info!(session = %ctx.session.id, frames = expected, "liveness frames stored");
    let next = ctx.step_url(ctx.progress.next_after(&ctx.user, Step::Selfie));
    Ok(json!({"ok": true, "next": next}))
}
