//! The engine's biometric inputs beyond the face match itself: the aligned face chips kept for
//! reviewers, and the active liveness attempt's frames, measured.

use verity_domain::IdvSession;
use verity_domain::engine::Liveness;
use verity_domain::engine::liveness::LivenessAttempt;
use verity_domain::hosted::{Progress, SLOT_FACE_DOCUMENT, SLOT_FACE_SELFIE};

use super::{Analysed, Engine, RunError};
use crate::{biometrics, now};

impl Engine {
    /// Keeps the two aligned face chips the matcher compared, sealed, for reviewers (once: a
    /// job run again reuses them).
    pub(super) async fn keep_face_chips(
        &self,
        client: &verity_domain::ClientId,
        session: &IdvSession,
        progress: &mut Progress,
        pages: &[&Analysed],
        selfie: &[&Analysed],
    ) -> Result<(), RunError> {
        let chips = [
            (SLOT_FACE_DOCUMENT, pages.first().and_then(|a| a.scanned.as_ref())),
            (SLOT_FACE_SELFIE, selfie.first().and_then(|a| a.scanned.as_ref())),
        ];
        let mut added = false;
        for (slot, scanned) in chips {
            let Some(png) = scanned.and_then(|s| s.chip_png.clone()) else {
                continue;
            };
            if progress.derived.contains_key(slot) {
                continue;
            }
            let file = self
                .services
                .store_file(
                    client,
                    verity_store::BlobOwner::Session(session.id.clone()),
                    slot,
                    png,
                    "image/png",
                    false,
                )
                .await
                .map_err(|e| RunError::Transient(format!("cannot keep a face chip: {e}")))?;
            progress.derived.insert(slot.to_owned(), file);
            added = true;
        }
        if added {
            self.services.store.save_progress(&session.id, progress, now()).await?;
        }
        Ok(())
    }

    /// The active liveness attempt's frames, measured.
    pub(super) async fn liveness(&self, progress: &Progress) -> Result<Liveness, RunError> {
        if !biometrics::BUILT_IN {
            return Ok(Liveness::NotBuiltIn);
        }
        let Some(attempt) = progress.liveness.as_ref() else {
            return Ok(Liveness::NotAttempted);
        };
        let Some(received_at_ms) = attempt.received_at_ms.filter(|_| !attempt.frames.is_empty()) else {
            return Ok(Liveness::NotAttempted);
        };
        let mut frames = Vec::with_capacity(attempt.frames.len());
        for (i, frame) in attempt.frames.iter().enumerate() {
            let bytes = self
                .open_blob(&format!("liveness frame {i}"), &frame.file.blob_id)
                .await?;
            frames.push((bytes, frame.captured_ms));
        }
        let measured = tokio::task::spawn_blocking(move || {
            let decoded: Option<Vec<_>> = frames
                .into_iter()
                .map(|(bytes, at)| verity_reader::decode_image(&bytes).ok().map(|i| (i, at)))
                .collect();
            decoded.and_then(|d| biometrics::measure_frames(&d))
        })
        .await
        .map_err(|e| RunError::Transient(format!("liveness task: {e}")))?;
        Ok(match measured {
            Some(frames) => Liveness::Attempted(LivenessAttempt {
                challenge: attempt.challenge.clone(),
                frames,
                received_at_ms,
            }),
            // A frame that no longer decodes was cleaned on upload: treat it as no attempt.
            None => Liveness::NotAttempted,
        })
    }
}
