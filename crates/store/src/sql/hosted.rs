//! The hosted flow: saved progress, submission and uploaded files' records.

use super::*;

#[async_trait]
impl HostedStore for SqlStore {
    async fn progress(&self, session: &SessionId) -> StoreResult<Option<Progress>> {
        let row = sqlx::query("SELECT data FROM hosted_progress WHERE session_id = $1")
            .bind(session.as_str())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let text = self
                    .sealer
                    .open_text(&r.try_get::<String, _>("data")?, &format!("progress:{session}"))
                    .map_err(|e| corrupt("hosted progress", e))?;
                Ok(Some(
                    serde_json::from_str(&text).map_err(|e| corrupt("hosted progress", e))?,
                ))
            }
        }
    }

    async fn save_progress(&self, session: &SessionId, progress: &Progress, now: UnixTime) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        self.write_progress(&mut tx, session, progress, now).await?;
        tx.commit().await
    }

    async fn mark_submitted(
        &self,
        session: &SessionId,
        progress: &Progress,
        now: UnixTime,
        checks: Option<(&ClientId, i64)>,
    ) -> StoreResult<()> {
        // Progress and expiry change together: a submitted session must never expire, and an
        // expired one must never count as submitted.
        let mut tx = self.begin_write().await?;
        let still_pending = sqlx::query("UPDATE idv_sessions SET expires_at = $1 WHERE id = $2 AND status = 'PENDING'")
            .bind(i64::MAX)
            .bind(session.as_str())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if still_pending != 1 {
            return Err(StoreError::Conflict(Conflict::Stale));
        }
        self.write_progress(&mut tx, session, progress, now).await?;
        if let Some((client, run_after_ms)) = checks {
            sqlx::query(ENQUEUE_CHECKS)
                .bind(session.as_str())
                .bind(client.as_str())
                .bind(run_after_ms)
                .execute(&mut **tx)
                .await?;
        }
        tx.commit().await
    }

    async fn insert_blob(&self, b: &BlobMeta) -> StoreResult<()> {
        let (table, owner_column, owner) = match &b.owner {
            BlobOwner::Session(s) => ("blobs", "session_id", s.as_str()),
            BlobOwner::KycDocument(d) => ("kyc_pages", "kyc_document_id", d.as_str()),
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} (id, client_id, {owner_column}, slot, content_type, size, wrapped_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )))
        .bind(&b.id)
        .bind(b.client_id.as_str())
        .bind(owner)
        .bind(&b.slot)
        .bind(&b.content_type)
        .bind(b.size as i64)
        .bind(&b.wrapped_key)
        .bind(b.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn blob(&self, id: &str) -> StoreResult<Option<BlobMeta>> {
        let meta = |r: &AnyRow, owner: BlobOwner| -> StoreResult<BlobMeta> {
            Ok(BlobMeta {
                id: r.try_get("id")?,
                client_id: ClientId::from_raw(r.try_get::<String, _>("client_id")?),
                owner,
                slot: r.try_get("slot")?,
                content_type: r.try_get("content_type")?,
                size: r.try_get::<i64, _>("size")? as u64,
                wrapped_key: r.try_get("wrapped_key")?,
                created_at: r.try_get("created_at")?,
            })
        };
        if let Some(r) = sqlx::query("SELECT * FROM blobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        {
            let session = SessionId::from_raw(r.try_get::<String, _>("session_id")?);
            return meta(&r, BlobOwner::Session(session)).map(Some);
        }
        sqlx::query("SELECT * FROM kyc_pages WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| {
                let doc = r.try_get::<String, _>("kyc_document_id")?;
                meta(&r, BlobOwner::KycDocument(doc))
            })
            .transpose()
    }
}
