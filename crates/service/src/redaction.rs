//! Redaction and retention: erasing a session's personal data and images while its status,
//! checks (types, statuses, reasons) and the audit trail stay, on request or when a client's
//! retention period has passed.

use verity_domain::hosted::Progress;
use verity_domain::{ClientId, SessionId};
use verity_store::{BlobStore, Changeset, StoreError, Write};

use crate::{LifecycleError, Services, now};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Documents and selfie only.
    Files,
    /// Files and every piece of personal data the session holds.
    All,
}

/// What a redaction removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redacted {
    pub files: usize,
}

impl Services {
    pub async fn redact(
        &self,
        blobs: &dyn BlobStore,
        client: &ClientId,
        id: &SessionId,
        scope: Scope,
    ) -> Result<Redacted, LifecycleError> {
        let store = &self.store;
        if scope == Scope::All {
            // The checks stay, without the values read from the document.
            for attempt in 0..8 {
                let mut session = store
                    .session(client, id)
                    .await?
                    .ok_or_else(|| LifecycleError::not_found("session", id))?;
                for check in &mut session.checks {
                    for d in &mut check.data {
                        d.value = d.value.as_ref().map(|_| String::new());
                    }
                }
                let mut changes = Changeset::new(client.clone());
                changes.sessions.push(Write::Update(session));
                match store.commit(&changes).await {
                    Ok(()) => break,
                    Err(StoreError::Conflict(verity_store::Conflict::Stale)) if attempt < 7 => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            if let Some(progress) = store.progress(id).await? {
                // Only the fact and time of submission remain.
                let kept = Progress {
                    submitted_at: progress.submitted_at,
                    ..Progress::default()
                };
                store.save_progress(id, &kept, now()).await?;
            }
            if let Some(mut evidence) = self.evidence(id).await? {
                evidence.redact();
                self.save_evidence(client, id, &evidence).await?;
            }
        }
        let ids = store.redact_session_files(id, scope == Scope::All, now()).await?;
        for blob in &ids {
            if let Err(e) = blobs.delete(blob).await {
                // The record is gone; the sealed bytes stay unreadable without it, and are
                // reported for the operator to remove.
                tracing::warn!(blob = %blob, error = %e, "cannot delete a redacted file from the blob store");
            }
        }
        tracing::info!(session = %id, files = ids.len(), scope = ?scope, "session redacted");
        Ok(Redacted { files: ids.len() })
    }

    /// Redacts every session past its client's retention periods; returns how many.
    pub async fn purge_past_retention(&self, blobs: &dyn BlobStore) -> Result<usize, LifecycleError> {
        let due = self.store.sessions_past_retention(now(), 200).await?;
        for (client, session, data) in &due {
            let scope = if *data { Scope::All } else { Scope::Files };
            self.redact(blobs, client, session, scope).await?;
        }
        Ok(due.len())
    }
}
