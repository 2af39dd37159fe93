//! The review queue, a session's record and files, review claims and decisions.

use super::*;

impl Services {
    /// A session with its user, what was entered, its evidence and its history; `None` when
    /// the session or its user is unknown.
    pub async fn session_record(
        &self,
        client: &ClientId,
        id: &SessionId,
    ) -> Result<Option<SessionRecord>, ServiceError> {
        let Some(session) = self.store.session(client, id).await? else {
            return Ok(None);
        };
        let Some(user) = self.store.user(client, &session.user_id).await? else {
            return Ok(None);
        };
        let progress = self.store.progress(&session.id).await?;
        // A record that cannot be read shows as none: the page still lets a reviewer decide.
        let evidence = self.evidence(&session.id).await.unwrap_or_else(|e| {
            tracing::error!(session = %session.id, error = %e, "cannot read a session's evidence");
            None
        });
        let filter = EventFilter {
            resource: Some(session.id.to_string()),
            ..Default::default()
        };
        let page = first(100, Asc);
        let history = self.store.events(&session.client_id, &filter, page).await?.items;
        Ok(Some(SessionRecord {
            session,
            user,
            progress,
            evidence,
            history,
        }))
    }

    /// Claims a session for a reviewer unless another one claimed it in the last 15 minutes;
    /// whether the reviewer holds the claim.
    pub async fn claim_review(&self, reviewer: &StaffMember, session: &SessionId) -> Result<bool, ServiceError> {
        let now = now();
        let holder = self
            .store
            .claim_review(session, &reviewer.record.id, now, now + CLAIM_SECONDS)
            .await?;
        Ok(holder == reviewer.record.id)
    }

    /// A reviewer decides a session in REVIEW: the role is checked, the session claimed, the
    /// decision taken and recorded, as one unit.
    pub async fn decide_review(
        &self,
        reviewer: &StaffMember,
        client: &ClientId,
        id: &SessionId,
        choice: ReviewChoice<'_>,
    ) -> Result<Decided, ServiceError> {
        let (client_s, id_s) = (client.as_str(), id.as_str());
        if !reviewer.role.can_decide() {
            let detail = serde_json::json!({"role": reviewer.role.as_str()});
            let _ = self
                .audit(reviewer, "decision_refused", Some(client_s), Some(id_s), detail)
                .await;
            return Ok(Decided::NotAllowed);
        }
        if !self.claim_review(reviewer, id).await? {
            return Ok(Decided::ClaimedByOther);
        }
        let verdict = match choice.action {
            "approve" => Verdict::Approve,
            "refuse" => {
                let (reason, check) = choice.reason.split_once('@').unwrap_or((choice.reason, ""));
                let comment = choice.comment.trim();
                if comment.is_empty() {
                    return Ok(Decided::NeedsComment);
                }
                Verdict::Refuse {
                    reason: reason.to_owned(),
                    check: (!check.is_empty()).then(|| check.to_owned()),
                    comment: comment.chars().take(255).collect(),
                }
            }
            _ => return Ok(Decided::UnknownAction),
        };
        let detail = match &verdict {
            Verdict::Approve => serde_json::json!({"verdict": "approve"}),
            Verdict::Refuse { reason, check, comment } => {
                serde_json::json!({"verdict": "refuse", "reason": reason, "check": check, "comment": comment})
            }
        };
        let session = match self.review(client, id, verdict).await {
            Ok(session) => session,
            Err(e) => return Ok(Decided::Rejected(e)),
        };
        let recorded = self.audit(reviewer, "decide", Some(client_s), Some(id_s), detail).await;
        // The claim is spent: the queue shows nobody holding a decided session.
        if let Err(e) = self.store.release_review(id, &reviewer.record.id).await {
            tracing::warn!(session = %id, error = %e, "cannot release a decided session's claim");
        }
        if recorded.is_err() {
            return Ok(Decided::Unrecorded);
        }
        tracing::info!(session = %id, status = session.status.as_str(), reviewer = %reviewer.record.username, "session decided in the console");
        Ok(Decided::Done)
    }

    /// The file a session holds in a slot.
    pub async fn session_file(
        &self,
        client: &ClientId,
        id: &SessionId,
        slot: &str,
    ) -> Result<SessionFile, ServiceError> {
        let Some(session) = self.store.session(client, id).await? else {
            return Ok(SessionFile::NoSession);
        };
        if self.store.user(client, &session.user_id).await?.is_none() {
            return Ok(SessionFile::NoSession);
        }
        let file = self.store.progress(&session.id).await?.and_then(|p| {
            p.reviewable_files()
                .into_iter()
                .find(|(s, _)| s == slot)
                .map(|(_, f)| f)
        });
        Ok(file.map_or(SessionFile::NoFile, SessionFile::Found))
    }

    /// An uploaded file's record (its sealed key), unless it was redacted or purged.
    pub async fn blob_meta(&self, blob_id: &str) -> Result<Option<BlobMeta>, ServiceError> {
        Ok(self.store.blob(blob_id).await?)
    }

    /// Erases a session's personal data and images; the session as it stands, and what went.
    pub async fn redact_session(
        &self,
        client: &ClientId,
        id: &SessionId,
    ) -> Result<(IdvSession, Redacted), ServiceError> {
        let session = self.session(client, id).await?;
        let blobs = self.files()?.blobs.clone();
        let redacted = self.redact(blobs.as_ref(), client, id, Scope::All).await?;
        Ok((session, redacted))
    }
}
